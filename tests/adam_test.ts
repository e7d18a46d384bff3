import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Adam, minimizeAdam } from "../lib/optim/adam.ts";

await initBackend();

/** Adam's formula in float64, one number at a time (the module comment, written out). */
function adamByHand(w: number, grads: number[], role: "weight" | "bias", lambda: number) {
  const [eta, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8];
  let m = 0, v = 0;
  grads.forEach((g0, k) => {
    const g = role === "weight" ? g0 + lambda * w : g0;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const t = k + 1;
    w -= eta * (m / (1 - b1 ** t)) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
  });
  return w;
}

Deno.test("Adam.step follows the bias-corrected moment formula; weight decay on weights only", () => {
  const grads = [0.5, -2, 3, 0.25];
  for (const role of ["weight", "bias"] as const) {
    const variable = tf.variable(tf.tensor1d([1.5]));
    const adam = new Adam({ learningRate: 0.01, weightDecay: 0.1 });
    for (const g of grads) {
      const gt = tf.tensor1d([g]);
      adam.step([{ variable, role }], [gt]);
      gt.dispose();
    }
    const want = adamByHand(1.5, grads, role, 0.1);
    assertAlmostEquals(variable.dataSync()[0], want, 1e-6, role);
    tf.dispose(variable);
    adam.dispose();
  }
});

Deno.test("minimizeAdam runs Adam on a vector: it reaches a bowl's minimum, stops on request", async () => {
  const bowl = (x: Float64Array) => ({
    value: (x[0] - 2) ** 2 + 10 * (x[1] + 1) ** 2,
    gradient: Float64Array.of(2 * (x[0] - 2), 20 * (x[1] + 1)),
  });
  const before = tf.memory().numTensors;
  const result = await minimizeAdam(bowl, [0, 0], { iterations: 2000, learningRate: 0.05 });
  assert(tf.memory().numTensors === before, `${before} → ${tf.memory().numTensors} tensors`);
  assertAlmostEquals(result.x[0], 2, 1e-3);
  assertAlmostEquals(result.x[1], -1, 1e-3);
  assert(result.values.length === 2001 && result.evaluations === 2001);
  assert(result.reason === "max iterations", result.reason);
  // The first step of Adam moves every coordinate by η (m̂/√v̂ = ±1), whatever the gradient's size.
  const one = await minimizeAdam(bowl, [0, 0], { iterations: 1, learningRate: 0.05 });
  assertAlmostEquals(one.x[0], 0.05, 1e-6);
  assertAlmostEquals(one.x[1], -0.05, 1e-6);
  const stopped = await minimizeAdam(bowl, [0, 0], {
    iterations: 100,
    onIteration: (info) => info.iteration < 3,
  });
  assert(stopped.iterations === 3 && stopped.reason === "stopped by callback");
});

Deno.test("Adam rejects bad settings and gradients", async () => {
  assertThrows(() => new Adam({ learningRate: 0 }), Error, "learningRate");
  assertThrows(() => new Adam({ beta1: 1 }), Error, "beta1");
  assertThrows(() => new Adam({ weightDecay: -1 }), Error, "weightDecay");
  const wrong = () => ({ value: 0, gradient: new Float64Array(3) });
  let message = "";
  await minimizeAdam(wrong, [0, 0]).catch((e) => message = (e as Error).message);
  assert(message.includes("gradient of length 3"), message);
  // A gradient of the wrong shape is refused, not broadcast (the same check as SGD's).
  const w = tf.variable(tf.zeros([2, 3]));
  const g = tf.zeros([3, 2]);
  const params = [{ variable: w, role: "weight" as const }];
  assertThrows(() => new Adam().step(params, [g]), Error, "gradient 0 has shape [3,2]");
  assertThrows(() => new Adam().step(params, []), Error, "1 parameters but 0 gradients");
  tf.dispose([w, g]);
});

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
