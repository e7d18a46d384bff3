import { assert, assertAlmostEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { corrupt } from "../lib/nn/corruption.ts";

await initBackend();

Deno.test("masking zeroes about the given rate; Gaussian noise has the given spread", () => {
  const rng = new Random(13);
  const ones = tf.ones([100, 100]);
  const masked = corrupt(ones, { kind: "mask", rate: 0.3 }, rng);
  assertAlmostEquals(tf.tidy(() => tf.mean(masked).dataSync()[0]), 0.7, 0.02);
  const noisy = corrupt(ones, { kind: "gaussian", std: 0.5 }, rng);
  const spread = tf.tidy(() => tf.sqrt(tf.mean(tf.square(tf.sub(noisy, 1)))).dataSync()[0]);
  assert(Math.abs(spread - 0.5) < 0.02, `std ${spread}`);
  tf.dispose([ones, masked, noisy]);
});
