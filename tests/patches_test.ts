import { assert, assertEquals, assertRejects } from "./assert.ts";
import { Random } from "../lib/runtime/random.ts";
import { loadGreyImages, samplePatches } from "../lib/data/patches.ts";

Deno.test("samplePatches cuts size × size windows out of the images", () => {
  // A 6 × 5 image whose pixel value encodes its position: 10·row + column.
  const pixels = Float32Array.from({ length: 30 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5));
  const image = { name: "ramp", width: 5, height: 6, pixels };
  const patches = samplePatches([image], { size: 3, count: 50, rng: new Random(1) });
  assertEquals(patches.length, 50 * 9);
  for (let p = 0; p < 50; p++) {
    const top = Math.floor(patches[p * 9] / 10), left = patches[p * 9] % 10;
    assert(top <= 3 && left <= 2, `patch ${p} starts at (${top}, ${left})`);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        assertEquals(patches[p * 9 + r * 3 + c], 10 * (top + r) + left + c);
      }
    }
  }
});

Deno.test("the Picasso is never used for patches", async () => {
  await assertRejects(() => loadGreyImages(["gatys/seated-nude.jpg"]), Error, "not public domain");
});
