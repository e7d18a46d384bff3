import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { augmentImages, shiftRotate } from "../lib/data/augment.ts";
import { Random } from "../lib/runtime/random.ts";

const side = 6;
/** A side × side image of distinct values, so that any misplaced pixel shows. */
const image = Float32Array.from({ length: side * side }, (_, i) => 1 + i);
const at = (img: Float32Array, row: number, col: number) => img[row * side + col];

Deno.test("shiftRotate: no move is the identity; whole-pixel shifts move the grid exactly", () => {
  assertEquals(Array.from(shiftRotate(image, side, 0, 0, 0)), Array.from(image));
  const moved = shiftRotate(image, side, 1, 2, 0); // one pixel right, two down
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const want = row >= 2 && col >= 1 ? at(image, row - 2, col - 1) : 0;
      assertAlmostEquals(at(moved, row, col), want, 1e-6, `pixel (${row}, ${col})`);
    }
  }
});

Deno.test("shiftRotate: half a pixel averages two neighbours (bilinear)", () => {
  const half = shiftRotate(image, side, 0.5, 0, 0);
  for (let row = 0; row < side; row++) {
    assertAlmostEquals(at(half, row, 0), 0.5 * at(image, row, 0), 1e-6); // its left neighbour is 0
    for (let col = 1; col < side; col++) {
      const want = 0.5 * (at(image, row, col - 1) + at(image, row, col));
      assertAlmostEquals(at(half, row, col), want, 1e-5, `pixel (${row}, ${col})`);
    }
  }
});

Deno.test("shiftRotate: a quarter turn about the centre permutes the pixels", () => {
  const turned = shiftRotate(image, side, 0, 0, Math.PI / 2);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      // p = R(−90°)(q − c) + c sends output (x, y) to input (y, side − 1 − x).
      assertAlmostEquals(at(turned, row, col), at(image, side - 1 - col, row), 1e-4);
    }
  }
  // Four quarter turns give the image back.
  let back: Float32Array = image;
  for (let k = 0; k < 4; k++) back = shiftRotate(back, side, 0, 0, Math.PI / 2);
  back.forEach((v, i) => assertAlmostEquals(v, image[i], 1e-3));
});

Deno.test("augmentImages: every image its own seeded move; no move leaves them; input unchanged", () => {
  const two = new Float32Array(2 * side * side);
  two.set(image, 0);
  two.set(image, side * side);
  const copy = two.slice();
  const options = { maxShift: 1.5, maxDegrees: 20 };
  const a = augmentImages(two, side, new Random(3), options);
  const b = augmentImages(two, side, new Random(3), options);
  const c = augmentImages(two, side, new Random(4), options);
  assertEquals(Array.from(a), Array.from(b));
  assert(a.some((v, i) => v !== c[i]), "another seed moves the images differently");
  const first = a.subarray(0, side * side), second = a.subarray(side * side);
  assert(first.some((v, i) => v !== second[i]), "the two copies were moved differently");
  assert(first.some((v, i) => v !== image[i]), "the image moved");
  assertEquals(Array.from(two), Array.from(copy));
  const still = augmentImages(two, side, new Random(3), { maxShift: 0, maxDegrees: 0 });
  assertEquals(Array.from(still), Array.from(two));
});

Deno.test("augmentImages and shiftRotate refuse bad input, naming it", () => {
  const opts = { maxShift: 1, maxDegrees: 10 };
  assertThrows(() => augmentImages(new Float32Array(35), side, new Random(1), opts), Error, "35");
  assertThrows(() => augmentImages(image, 0, new Random(1), opts), Error, "side");
  assertThrows(
    () => augmentImages(image, side, new Random(1), { maxShift: -1, maxDegrees: 10 }),
    Error,
    "maxShift",
  );
  assertThrows(() => shiftRotate(image, side, NaN, 0, 0), Error, "shiftRotate: dx");
  assertThrows(() => shiftRotate(new Float32Array(72), side, 0, 0, 0), Error, "shiftRotate");
});
