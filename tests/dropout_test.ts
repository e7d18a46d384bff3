import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { dropout, dropoutMask } from "../lib/nn/dropout.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

Deno.test("dropout keeps a fraction 1 − rate of units, scaled so the mean is unchanged", () => {
  const mask = dropoutMask([100, 100], 0.3, new Random(1)).dataSync();
  const kept = mask.filter((v) => v !== 0);
  assert(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6));
  assertAlmostEquals(kept.length / mask.length, 0.7, 0.02);
  const z = tf.ones([50, 200]);
  assertAlmostEquals(tf.mean(dropout(z, 0.5, new Random(2))).dataSync()[0], 1, 0.03);
  assert(dropout(z, 0, new Random(2)).dataSync().every((v) => v === 1));
  assertThrows(() => dropoutMask([2], 1, new Random(1)), Error, "rate");
});

Deno.test("dropout masks repeat with the seed", () => {
  const a = dropoutMask([10, 10], 0.5, new Random(9)).dataSync();
  const b = dropoutMask([10, 10], 0.5, new Random(9)).dataSync();
  assert(a.every((v, i) => v === b[i]));
});
