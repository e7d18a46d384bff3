import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { clipRowNorms, SGD, SGD_STEP_KERNEL, sgdUpdate } from "../lib/optim/sgd.ts";
import type { Parameter } from "../lib/optim/optimizer.ts";
import { createNetwork, networkParameters } from "../lib/nn/network.ts";
import { tanh } from "../lib/nn/activations.ts";
import { regression } from "../lib/nn/losses.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

// E(w) = ½ (w − c)ᵀ A (w − c) with A = diag(1, 10): minimum at c, gradient A (w − c).
const A = [1, 10];
const C = [2, -3];

function minimise(opt: SGD, steps: number, role: Parameter["role"] = "weight"): number[] {
  const w = tf.variable(tf.tensor2d([[0, 0]]));
  const params: Parameter[] = [{ variable: w, role }];
  for (let t = 0; t < steps; t++) {
    const grad = tf.tidy(() => tf.mul(tf.tensor2d([A]), tf.sub(w, tf.tensor2d([C]))));
    opt.step(params, [grad]);
    grad.dispose();
  }
  const result = Array.from(w.dataSync());
  w.dispose();
  opt.dispose();
  return result;
}

Deno.test("plain SGD and momentum reach the known minimum of a quadratic", () => {
  for (
    const opt of [new SGD({ learningRate: 0.1 }), new SGD({ learningRate: 0.02, momentum: 0.9 })]
  ) {
    const [w1, w2] = minimise(opt, 400);
    assertAlmostEquals(w1, C[0], 1e-3);
    assertAlmostEquals(w2, C[1], 1e-3);
  }
});

Deno.test("momentum is faster than plain SGD on an ill-conditioned quadratic at the same η", () => {
  const plain = minimise(new SGD({ learningRate: 0.01 }), 100);
  const heavy = minimise(new SGD({ learningRate: 0.01, momentum: 0.9 }), 100);
  assert(Math.abs(heavy[0] - C[0]) < Math.abs(plain[0] - C[0]) / 10, `${plain} vs ${heavy}`);
});

Deno.test("weight decay moves the minimum to A c / (A + λ), and leaves biases alone", () => {
  const lambda = 1;
  const [w1, w2] = minimise(new SGD({ learningRate: 0.05, weightDecay: lambda }), 1000);
  assertAlmostEquals(w1, (A[0] * C[0]) / (A[0] + lambda), 1e-3);
  assertAlmostEquals(w2, (A[1] * C[1]) / (A[1] + lambda), 1e-3);
  const [b1] = minimise(new SGD({ learningRate: 0.05, weightDecay: lambda }), 1000, "bias");
  assertAlmostEquals(b1, C[0], 1e-3);
});

Deno.test("max-norm keeps each weight row within c; the constrained minimum is on the sphere", () => {
  const [w1, w2] = minimise(new SGD({ learningRate: 0.05, maxNorm: 1 }), 2000);
  assert(Math.hypot(w1, w2) <= 1 + 1e-5, `norm ${Math.hypot(w1, w2)}`);
  assertAlmostEquals(Math.hypot(w1, w2), 1, 1e-4);
  const clipped = clipRowNorms(tf.tensor2d([[3, 4], [0.3, 0.4]]), 1).dataSync();
  [0.6, 0.8, 0.3, 0.4].forEach((v, i) => assertAlmostEquals(clipped[i], v, 1e-6));
});

Deno.test("SGD steps do not leak tensors, and bad settings or gradients are rejected", () => {
  const net = createNetwork([3, 4, 1], tanh, regression, new Random(1));
  const params = networkParameters(net);
  const opt = new SGD({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, maxNorm: 2 });
  const grads = params.map((p) => tf.onesLike(p.variable));
  opt.step(params, grads); // creates the velocities
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.step(params, grads);
  assert(tf.memory().numTensors === before, `${before} → ${tf.memory().numTensors}`);
  assertThrows(() => opt.step(params, grads.slice(1)), Error, "parameters but");
  assertThrows(() => opt.step(params, [grads[1], ...grads.slice(1)]), Error, "shape");
  assertThrows(() => new SGD({ learningRate: -1 }), Error, "learningRate");
  assertThrows(() => new SGD({ learningRate: 0.1, momentum: 1 }), Error, "momentum");
});

Deno.test("SGD.step gives the same bits as sgdUpdate, 03's cell (fused on blas)", () => {
  const rng = new Random("sgd-bits");
  interface SgdCase {
    eta: number;
    momentum: number;
    decay: number;
    role: "weight" | "bias";
  }
  const cases: SgdCase[] = [
    { eta: 0.1, momentum: 0.9, decay: 0, role: "weight" },
    { eta: 0.037, momentum: 0.5, decay: 1e-3, role: "weight" },
    { eta: 0.037, momentum: 0.5, decay: 1e-3, role: "bias" },
    { eta: 0.3, momentum: 0, decay: 0, role: "weight" },
    { eta: 0.3, momentum: 0, decay: 5e-4, role: "weight" },
  ];
  for (const c of cases) {
    const variable = tf.variable(rng.normalTensor([37, 29]));
    const sgd = new SGD({ learningRate: c.eta, momentum: c.momentum, weightDecay: c.decay });
    let w: tf.Tensor = tf.clone(variable);
    let v: tf.Tensor | undefined = c.momentum > 0 ? tf.zerosLike(variable) : undefined;
    for (let step = 0; step < 3; step++) {
      const g = rng.normalTensor([37, 29]);
      sgd.step([{ variable, role: c.role }], [g]);
      const decay = c.role === "weight" ? c.decay : 0;
      const next = sgdUpdate(w, g, v, c.eta, c.momentum, decay);
      tf.dispose([w, g]);
      if (v) v.dispose();
      if (c.momentum > 0) v = next.v;
      else next.v.dispose();
      w = next.w;
      const got = variable.dataSync(), want = w.dataSync();
      const same = got.every((x, i) => Object.is(x, want[i]));
      assert(same, `${JSON.stringify(c)}, step ${step + 1}: the update differs from sgdUpdate's`);
    }
    tf.dispose([w, variable]);
    if (v) v.dispose();
    sgd.dispose();
  }
});

Deno.test("sgdUpdate is v ← μv − η(g + λw), w ← w + v, and creates no lasting tensors", () => {
  const w = tf.tensor1d([1, -2]), g = tf.tensor1d([0.5, 4]), v = tf.tensor1d([0.25, -1]);
  const before = tf.memory().numTensors;
  const withMomentum = sgdUpdate(w, g, v, 0.1, 0.5, 0.2);
  // v′ = 0.5·v − 0.1·(g + 0.2·w) = [0.125 − 0.07, −0.5 − 0.36]; w′ = w + v′.
  const vWant = [0.125 - 0.1 * (0.5 + 0.2), -0.5 - 0.1 * (4 - 0.4)];
  const vGot = withMomentum.v.dataSync(), wGot = withMomentum.w.dataSync();
  vWant.forEach((x, i) => assertAlmostEquals(vGot[i], x, 1e-6));
  [1 + vWant[0], -2 + vWant[1]].forEach((x, i) => assertAlmostEquals(wGot[i], x, 1e-6));
  const plain = sgdUpdate(w, g, undefined, 0.1, 0, 0); // w − η g
  [1 - 0.05, -2 - 0.4].forEach((x, i) => assertAlmostEquals(plain.w.dataSync()[i], x, 1e-6));
  tf.dispose([withMomentum.w, withMomentum.v, plain.w, plain.v]);
  assert(tf.memory().numTensors === before, `${before} → ${tf.memory().numTensors}`);
  tf.dispose([w, g, v]);
});

Deno.test("SGD's fused kernel is registered under SGD_STEP_KERNEL on blas only", () => {
  const fused = tf.getKernel(SGD_STEP_KERNEL, tf.getBackend()) !== undefined;
  assert(fused === (tf.getBackend() === "blas"), `${tf.getBackend()}: fused ${fused}`);
});
