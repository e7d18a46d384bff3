import { assert, assertAlmostEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Adam } from "../lib/nn/adam.ts";

await initBackend();

Deno.test("Adam: first step moves each weight by about η; converges on a bowl; frees its moments", () => {
  const w = tf.variable(tf.tensor1d([3, -2]));
  const params = [{ variable: w, role: "weight" as const }];
  const adam = new Adam({ learningRate: 0.1 });
  const g0 = tf.tensor1d([10, -0.001]);
  const tensors = tf.memory().numTensors;
  adam.step(params, [g0]);
  const first = w.dataSync();
  assertAlmostEquals(first[0], 2.9, 1e-4); // bias-corrected: a step of η whatever the scale
  assertAlmostEquals(first[1], -1.9, 1e-3);
  for (let i = 0; i < 500; i++) {
    const g = tf.tidy(() => tf.mul(2, w));
    adam.step(params, [g]);
    g.dispose();
  }
  for (const v of w.dataSync()) assert(Math.abs(v) < 0.05, `w = ${w.dataSync()}`);
  adam.dispose();
  assert(tf.memory().numTensors <= tensors, "the moments are freed");
  tf.dispose([w, g0]);
});
