import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Adam } from "../lib/optim/adam.ts";
import { Random } from "../lib/runtime/random.ts";
import { tanh } from "../lib/nn/activations.ts";
import { multiclassClassification, regression } from "../lib/nn/losses.ts";
import {
  autoencoderGradients,
  autoencoderModel,
  checkAutoencoderGradients,
  corrupt,
  createAutoencoder,
  decoderWeights,
  disposeAutoencoder,
  klSparsity,
  logisticSquaredError,
  reconstructionError,
  sparsityDelta,
  trainAutoencoder,
} from "../lib/nn/autoencoder.ts";

await initBackend();

Deno.test("KL sparsity: value and derivative by formula", () => {
  const kl = klSparsity(0.05, tf.tensor1d([0.05, 0.2]));
  const expected = 0.05 * Math.log(0.05 / 0.2) + 0.95 * Math.log(0.95 / 0.8);
  assertAlmostEquals(kl.dataSync()[0], expected, 1e-6);
  const d = sparsityDelta(0.1, 3, tf.tensor1d([0.1, 0.5])).dataSync();
  assertAlmostEquals(d[0], 0, 1e-6);
  assertAlmostEquals(d[1], 3 * (-0.2 + 1.8), 1e-5);
  tf.dispose(kl);
});

for (const tied of [false, true]) {
  for (
    const [name, output] of [
      ["cross-entropy", undefined],
      ["squared error", regression],
      ["logistic + squared error", logisticSquaredError],
    ] as const
  ) {
    Deno.test(`hand gradients = finite differences (${tied ? "tied" : "untied"}, ${name}, with KL sparsity)`, () => {
      const rng = new Random(`${tied}/${name}`);
      const ae = createAutoencoder(7, 5, rng, { tied, output });
      const X = rng.uniformTensor([7, 6]);
      for (const sparsity of [undefined, { rho: 0.1, beta: 3 }]) {
        for (const row of checkAutoencoderGradients(ae, X, X, sparsity)) {
          assert(
            row.handVsNumerical < 1e-6,
            `${row.parameter}: hand vs differences ${row.handVsNumerical}`,
          );
          assert(
            row.handVsAutodiff < 1e-4,
            `${row.parameter}: hand vs autodiff ${row.handVsAutodiff}`,
          );
        }
      }
      X.dispose();
      disposeAutoencoder(ae);
    });
  }
}

Deno.test("the checks can fail: a tied gradient without its decoder term is caught", () => {
  const rng = new Random(5);
  const ae = createAutoencoder(6, 4, rng, { tied: true, encoder: tanh });
  const X = rng.uniformTensor([6, 5]);
  const { grads } = autoencoderGradients(ae, X, X);
  // Only the encoder's term: what one gets by forgetting that W also decodes.
  const encoderOnly = tf.tidy(() => {
    const untied = createAutoencoder(6, 4, new Random(5), { encoder: tanh });
    untied.W.assign(ae.W);
    untied.decoderW!.assign(tf.transpose(ae.W));
    untied.decoderB.assign(ae.decoderB);
    const g = autoencoderGradients(untied, X, X).grads[0];
    disposeAutoencoder(untied);
    return g;
  });
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(grads[0], encoderOnly))).dataSync()[0]);
  assert(gap > 1e-3, `the decoder's term should matter, gap ${gap}`);
  tf.dispose([X, encoderOnly, ...grads]);
  disposeAutoencoder(ae);
});

Deno.test("the sparsity delta enters the hidden deltas: β changes dW by the formula", () => {
  const rng = new Random(8);
  const ae = createAutoencoder(5, 3, rng);
  const X = rng.uniformTensor([5, 4]);
  const rhoHat = tf.tensor2d([[0.3], [0.6], [0.05]]);
  const without = autoencoderGradients(ae, X, X);
  const withS = autoencoderGradients(ae, X, X, { sparsity: { rho: 0.1, beta: 2 }, rhoHat });
  const expected = tf.tidy(() => {
    const Y = tf.sigmoid(tf.add(tf.matMul(ae.W, X), ae.b));
    const extra = tf.mul(tf.mul(Y, tf.sub(1, Y)), sparsityDelta(0.1, 2, rhoHat));
    return tf.div(tf.matMul(extra, X, false, true), 4);
  });
  const diff = tf.tidy(() => tf.sub(withS.grads[0], without.grads[0]));
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(diff, expected))).dataSync()[0]);
  assert(gap < 1e-5, `gap ${gap}`);
  tf.dispose([
    X,
    rhoHat,
    expected,
    diff,
    without.loss,
    without.reconstruction,
    without.batchRhoHat,
  ]);
  tf.dispose([
    ...without.grads,
    withS.loss,
    withS.reconstruction,
    withS.batchRhoHat,
    ...withS.grads,
  ]);
  disposeAutoencoder(ae);
});

Deno.test("training lowers the reconstruction error, keeps ρ̂ near ρ, leaks no tensors", async () => {
  const rng = new Random(11);
  // 400 examples of 16 binary-ish pixels built from 3 prototypes plus noise.
  const prototypes = [0, 1, 2].map(() => rng.uniformArray(16).map((u) => (u < 0.4 ? 1 : 0)));
  const rows = new Float32Array(400 * 16);
  for (let n = 0; n < 400; n++) {
    const p = prototypes[n % 3];
    for (let i = 0; i < 16; i++) {
      rows[n * 16 + i] = Math.min(1, Math.max(0, p[i] + rng.normal(0, 0.05)));
    }
  }
  const ae = createAutoencoder(16, 8, rng.derive("init"));
  const X = tf.transpose(tf.tensor2d(rows, [400, 16]));
  const before = reconstructionError(ae, X).dataSync()[0];
  const tensors = tf.memory().numTensors;
  const result = await trainAutoencoder(ae, rows, {
    epochs: 30,
    batchSize: 20,
    learningRate: 0.05,
    sparsity: { rho: 0.2, beta: 1 },
    noise: { kind: "mask", rate: 0.1 },
    rng: rng.derive("train"),
    progress: false,
  });
  assert(tf.memory().numTensors === tensors, `tensors ${tensors} → ${tf.memory().numTensors}`);
  const after = reconstructionError(ae, X).dataSync()[0];
  assert(after < 0.5 * before, `reconstruction error ${before} → ${after}`);
  const meanRho = result.rhoHat.reduce((a, b) => a + b, 0) / result.rhoHat.length;
  assert(Math.abs(meanRho - 0.2) < 0.1, `mean ρ̂ ${meanRho}`);
  X.dispose();
  disposeAutoencoder(ae);
});

Deno.test("running average: ρ̂ ← aρ̂ + (1 − a)ρ̂(batch) across steps", () => {
  const rng = new Random(12);
  const ae = createAutoencoder(4, 2, rng);
  const model = autoencoderModel(ae, { sparsity: { rho: 0.1, beta: 0, averaging: 0.5 } });
  const X1 = rng.uniformTensor([4, 3]) as tf.Tensor2D;
  const X2 = rng.uniformTensor([4, 3]) as tf.Tensor2D;
  const mean = (X: tf.Tensor) =>
    tf.tidy(() => tf.mean(tf.sigmoid(tf.add(tf.matMul(ae.W, X), ae.b)), 1).arraySync() as number[]);
  const m1 = mean(X1), m2 = mean(X2);
  for (const X of [X1, X2]) {
    const { loss, grads } = model.lossAndGradients(X, X, rng);
    tf.dispose([loss, ...grads]);
  }
  const rhoHat = model.rhoHat();
  for (let j = 0; j < 2; j++) assertAlmostEquals(rhoHat[j], 0.5 * m1[j] + 0.5 * m2[j], 1e-6);
  model.dispose();
  tf.dispose([X1, X2]);
  disposeAutoencoder(ae);
});

Deno.test("tied decoder weights are Wᵀ; corruption masks about the given rate", () => {
  const rng = new Random(13);
  const ae = createAutoencoder(5, 3, rng, { tied: true });
  const Wd = decoderWeights(ae);
  assert(tf.tidy(() => tf.max(tf.abs(tf.sub(Wd, tf.transpose(ae.W)))).dataSync()[0]) === 0);
  const ones = tf.ones([100, 100]);
  const masked = corrupt(ones, { kind: "mask", rate: 0.3 }, rng);
  assertAlmostEquals(tf.tidy(() => tf.mean(masked).dataSync()[0]), 0.7, 0.02);
  tf.dispose([Wd, ones, masked]);
  disposeAutoencoder(ae);
  assertThrows(
    () => createAutoencoder(3, 2, rng, { output: multiclassClassification }),
    Error,
    "output",
  );
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
