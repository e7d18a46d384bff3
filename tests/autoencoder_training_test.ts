import { assert, assertAlmostEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import {
  createAutoencoder,
  disposeAutoencoder,
  reconstructionError,
} from "../lib/nn/autoencoder.ts";
import { autoencoderModel, trainAutoencoder } from "../lib/nn/autoencoder_training.ts";

await initBackend();

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
