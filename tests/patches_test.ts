import { assert, assertEquals, assertRejects } from "./assert.ts";
import { Random } from "../lib/runtime/random.ts";
import {
  loadGreyImages,
  naturalImagePatches,
  PATCH_IMAGES,
  patchSourceNote,
  samplePatches,
} from "../lib/data/patches.ts";
import { needsData } from "./external_data.ts";

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

Deno.test("the note about patch sources: credits when the images were used, a warning when not", () => {
  const used = patchSourceNote({
    patches: new Float32Array(0),
    size: 8,
    sources: [...PATCH_IMAGES],
  });
  assert(used.includes("Andreas Praefcke") && used.includes("CC BY 3.0"), used);
  assert(!used.includes("MNIST") && !used.includes("Picasso"), used);
  const fallback = patchSourceNote({
    patches: new Float32Array(0),
    size: 8,
    sources: ["mnist"],
    fallback: "External data missing: gatys/tubingen.jpg",
  });
  for (
    const part of ["> **Note", "MNIST digits", "not of natural images", "deno task fetch-data"]
  ) {
    assert(fallback.includes(part), `"${part}" missing from: ${fallback}`);
  }
});

Deno.test("without the images (and no downloads), patches come from MNIST and say why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "patches_test_" });
  const before = [Deno.env.get("COURSE_DATA_DIR"), Deno.env.get("COURSE_DATA_OFFLINE")];
  Deno.env.set("COURSE_DATA_DIR", dir);
  Deno.env.set("COURSE_DATA_OFFLINE", "1");
  try {
    const set = await naturalImagePatches({ size: 8, count: 10, rng: new Random(1) });
    assertEquals(set.sources, ["mnist"]);
    assert(set.fallback?.includes("gatys/tubingen.jpg"), set.fallback);
  } finally {
    for (const [i, name] of ["COURSE_DATA_DIR", "COURSE_DATA_OFFLINE"].entries()) {
      if (before[i] === undefined) Deno.env.delete(name);
      else Deno.env.set(name, before[i]!);
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  ...await needsData(
    "with the images, patches come from the photo and four paintings",
    PATCH_IMAGES,
  ),
  fn: async () => {
    const set = await naturalImagePatches({ size: 8, count: 10, rng: new Random(1) });
    assertEquals(set.fallback, undefined);
    assertEquals(set.sources, [...PATCH_IMAGES]);
  },
});
