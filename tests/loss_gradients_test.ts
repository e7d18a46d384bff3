import { assert, assertAlmostEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  binaryCrossEntropyLoss,
  crossEntropyLoss,
  type Loss,
  LOSSES,
  softmax,
  squaredErrorLoss,
} from "../lib/nn/losses.ts";
import { numericalGradient, relativeError } from "../lib/nn/gradcheck.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

/** Outputs y in the loss's domain and matching targets, 3 outputs × 5 columns. */
function sample(loss: Loss, rng: Random): { y: tf.Tensor; d: tf.Tensor } {
  if (loss === squaredErrorLoss) {
    return { y: rng.normalTensor([3, 5]), d: rng.normalTensor([3, 5]) };
  }
  if (loss === binaryCrossEntropyLoss) {
    return {
      y: rng.uniformTensor([3, 5], 0.1, 0.9),
      d: tf.tensor2d(Array.from({ length: 15 }, () => rng.int(2)), [3, 5]),
    };
  }
  const labels = Array.from({ length: 5 }, () => rng.int(3));
  return {
    y: softmax(rng.normalTensor([3, 5])),
    d: tf.tidy(() => tf.transpose(tf.cast(tf.oneHot(labels, 3), "float32"))),
  };
}

Deno.test("every loss gradient ∂E/∂y matches central finite differences", () => {
  const rng = new Random(3);
  for (const loss of LOSSES) {
    const { y, d } = sample(loss, rng);
    const hand = loss.gradient(y, d);
    const numeric = numericalGradient((v) => loss.value(v, d), y, 1e-3);
    const error = relativeError(hand, numeric);
    assert(error < 5e-3, `${loss.name}: relative error ${error}`);
    tf.dispose([y, d, hand]);
  }
});

Deno.test("loss gradients take their hand-computed values", () => {
  const y = tf.tensor2d([[0.5, 0.8]]);
  const d = tf.tensor2d([[1, 0]]);
  const g = binaryCrossEntropyLoss.gradient(y, d).dataSync();
  assertAlmostEquals(g[0], -1 / 0.5 / 2, 1e-6);
  assertAlmostEquals(g[1], 1 / 0.2 / 2, 1e-5);
  const s = squaredErrorLoss.gradient(tf.tensor2d([[3]]), tf.tensor2d([[1]])).dataSync();
  assertAlmostEquals(s[0], 2, 1e-6);
  const c = crossEntropyLoss.gradient(tf.tensor2d([[0.25], [0.75]]), tf.tensor2d([[0], [1]]))
    .dataSync();
  assertAlmostEquals(c[0], 0, 1e-7);
  assertAlmostEquals(c[1], -1 / 0.75, 1e-6);
});

Deno.test("the finite-difference check catches a wrong gradient", () => {
  const rng = new Random(4);
  const y = rng.normalTensor([2, 4]);
  const d = rng.normalTensor([2, 4]);
  const wrong = tf.sub(d, y); // sign error
  const numeric = numericalGradient((v) => squaredErrorLoss.value(v, d), y);
  assert(relativeError(wrong, numeric) > 0.5);
});
