import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { AdaGrad } from "../lib/optim/adagrad.ts";

await initBackend();

/** AdaGrad in float64, one component at a time: h ← h + g², w ← w − η g / (√h + ε). */
function adagradByHand(w0: number[], grads: number[][], eta: number, eps: number): number[] {
  const w = [...w0], h = w0.map(() => 0);
  for (const g of grads) {
    g.forEach((gi, i) => {
      h[i] += gi * gi;
      w[i] -= (eta * gi) / (Math.sqrt(h[i]) + eps);
    });
  }
  return w;
}

Deno.test("AdaGrad.step follows h ← h + g⊙g, w ← w − η g/(√h + ε) component by component", () => {
  const w0 = [1.5, -0.5, 2];
  const grads = [[0.5, -200, 1e-3], [-2, 150, 3e-3], [3, -10, -2e-3], [0.25, 40, 1e-3]];
  const variable = tf.variable(tf.tensor1d(w0));
  const adagrad = new AdaGrad({ learningRate: 0.1, epsilon: 1e-6 });
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    adagrad.step([{ variable, role: "weight" }], [gt]);
    gt.dispose();
  }
  const want = adagradByHand(w0, grads, 0.1, 1e-6);
  const got = variable.dataSync();
  want.forEach((v, i) => assertAlmostEquals(got[i], v, 1e-5, `component ${i}`));
  tf.dispose(variable);
  adagrad.dispose();
});

Deno.test("AdaGrad's first step moves every component by about η, whatever its gradient's scale", () => {
  const variable = tf.variable(tf.tensor1d([0, 0, 0]));
  const adagrad = new AdaGrad({ learningRate: 0.01 });
  const g = tf.tensor1d([1e-3, 1, 1e3]);
  adagrad.step([{ variable, role: "bias" }], [g]);
  variable.dataSync().forEach((v) => assertAlmostEquals(v, -0.01, 1e-6));
  tf.dispose([variable, g]);
  adagrad.dispose();
});

Deno.test("AdaGrad keeps one tensor per parameter and frees it; it reaches a bowl's minimum", () => {
  const variable = tf.variable(tf.tensor1d([3, -2]));
  const adagrad = new AdaGrad({ learningRate: 0.5 });
  const before = tf.memory().numTensors;
  for (let t = 0; t < 500; t++) {
    // E = ½(100 w₁² + w₂²): curvatures 100 and 1, the same progress on both with AdaGrad.
    const g = tf.tidy(() => tf.mul(variable, tf.tensor1d([100, 1])));
    adagrad.step([{ variable, role: "weight" }], [g]);
    g.dispose();
  }
  assert(tf.memory().numTensors === before + 1, `${before} → ${tf.memory().numTensors} tensors`);
  const [w1, w2] = variable.dataSync();
  assert(Math.abs(w1) < 1e-3 && Math.abs(w2) < 1e-3, `ended at (${w1}, ${w2})`);
  adagrad.dispose();
  assert(tf.memory().numTensors === before, "dispose frees h");
  variable.dispose();
});

Deno.test("AdaGrad refuses bad settings and a gradient of the wrong shape", () => {
  assertThrows(() => new AdaGrad({ learningRate: 0 }), Error, "learningRate");
  assertThrows(() => new AdaGrad({ learningRate: 0.1, epsilon: -1 }), Error, "epsilon");
  const variable = tf.variable(tf.zeros([2, 3]));
  const g = tf.zeros([3, 2]);
  assertThrows(
    () => new AdaGrad({ learningRate: 0.1 }).step([{ variable, role: "weight" }], [g]),
    Error,
    "AdaGrad.step: gradient 0",
  );
  tf.dispose([variable, g]);
});
