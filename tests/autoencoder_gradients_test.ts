import { assert, assertAlmostEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { tanh } from "../lib/nn/activations.ts";
import { createAutoencoder, disposeAutoencoder } from "../lib/nn/autoencoder.ts";
import {
  autoencoderGradients,
  klSparsity,
  sparsityDelta,
} from "../lib/nn/autoencoder_gradients.ts";

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
  const withS = autoencoderGradients(ae, X, X, {
    sparsity: { rho: 0.1, beta: 2 },
    rhoHat: () => rhoHat,
  });
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
