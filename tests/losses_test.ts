import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  binaryCrossEntropy,
  crossEntropy,
  LOSSES,
  OUTPUT_LAYERS,
  outputDelta,
  softmax,
  squaredError,
} from "../lib/nn/losses.ts";
import { numericalGradient, relativeError } from "../lib/nn/gradcheck.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

/** Targets for an output layer: real values, 0/1, or one-hot columns. */
function targetsFor(problem: string, shape: [number, number], rng: Random): tf.Tensor {
  const [outputs, n] = shape;
  if (problem === "regression") return rng.normalTensor(shape);
  if (problem === "binary classification") {
    return tf.tensor2d(Array.from({ length: outputs * n }, () => rng.int(2)), shape);
  }
  const labels = Array.from({ length: n }, () => rng.int(outputs));
  return tf.tidy(() => tf.transpose(tf.cast(tf.oneHot(labels, outputs), "float32")));
}

Deno.test("errors take their hand-computed values", () => {
  const y = tf.tensor2d([[0.5, 2], [1, 0]]); // two examples as columns
  const d = tf.tensor2d([[1, 2], [0, 0]]);
  assertAlmostEquals(squaredError(y, d).dataSync()[0], (0.5 * (0.25 + 1)) / 2, 1e-6);
  const p = tf.tensor2d([[0.8, 0.3]]);
  const t = tf.tensor2d([[1, 0]]);
  assertAlmostEquals(
    binaryCrossEntropy(p, t).dataSync()[0],
    -(Math.log(0.8) + Math.log(0.7)) / 2,
    1e-6,
  );
  const q = tf.tensor2d([[0.7, 0.1], [0.2, 0.9], [0.1, 0]]);
  const onehot = tf.tensor2d([[1, 0], [0, 1], [0, 0]]);
  assertAlmostEquals(
    crossEntropy(q, onehot).dataSync()[0],
    -(Math.log(0.7) + Math.log(0.9)) / 2,
    1e-6,
  );
});

Deno.test("softmax columns are distributions and survive large inputs", () => {
  const u = tf.tensor2d([[1000, 1], [1001, 2], [999, 3]]);
  const y = softmax(u);
  const sums = tf.sum(y, 0).dataSync();
  sums.forEach((s) => assertAlmostEquals(s, 1, 1e-6));
  assert(Array.from(y.dataSync()).every(Number.isFinite));
  assertAlmostEquals(y.dataSync()[2], Math.exp(1) / (1 + Math.exp(1) + Math.exp(-1)), 1e-6);
});

Deno.test("∂E/∂u = (y − d)/N for each matched output pair, by autodiff and by finite differences", () => {
  const rng = new Random(11);
  for (const layer of OUTPUT_LAYERS) {
    const u = rng.normalTensor([3, 5]);
    const d = targetsFor(layer.problem, [3, 5], rng);
    const errorOfU = (v: tf.Tensor) => layer.error(layer.activation(v), d);
    const delta = tf.tidy(() => outputDelta(layer.activation(u), d));
    const auto = tf.tidy(() => tf.grad(errorOfU)(u));
    const numeric = numericalGradient(errorOfU, u);
    assert(
      relativeError(delta, auto) < 1e-5,
      `${layer.problem}: autodiff ${relativeError(delta, auto)}`,
    );
    assert(
      relativeError(delta, numeric) < 2e-3,
      `${layer.problem}: numeric ${relativeError(delta, numeric)}`,
    );
  }
});

Deno.test("the check catches a wrong delta", () => {
  // A mismatched pair (logistic output with squared error) does not have ∂E/∂u = (y − d)/N.
  const rng = new Random(5);
  const u = rng.normalTensor([1, 6]);
  const d = tf.tensor2d([[1, 0, 1, 1, 0, 0]]);
  const auto = tf.grad((v: tf.Tensor) => squaredError(tf.sigmoid(v), d))(u);
  assert(relativeError(outputDelta(tf.sigmoid(u), d), auto) > 0.1);
});

Deno.test("errors, their gradients and outputDelta refuse mismatched shapes and empty batches", () => {
  type Fn = (y: tf.Tensor, d: tf.Tensor) => tf.Tensor;
  const fns: [string, Fn][] = [
    ["squaredError", squaredError],
    ["binaryCrossEntropy", binaryCrossEntropy],
    ["crossEntropy", crossEntropy],
    ["outputDelta", outputDelta],
    ...LOSSES.map((loss): [string, Fn] => [`${loss.value.name}Gradient`, loss.gradient]),
  ];
  const before = tf.memory().numTensors;
  const y = tf.ones([3, 4]), empty = tf.ones([3, 0]);
  const mismatched: [tf.Tensor, string][] = [
    [tf.ones([1, 4]), "[1,4]"], // would broadcast over the rows
    [tf.ones([4]), "[4]"], // would broadcast over the columns
    [tf.ones([3, 4, 1]), "[3,4,1]"],
  ];
  for (const [name, fn] of fns) {
    for (const [d, shape] of mismatched) {
      assertThrows(
        () => fn(y, d),
        Error,
        `${name}: prediction shape [3,4] and target shape ${shape} differ`,
      );
    }
    assertThrows(() => fn(empty, empty), Error, `${name}: empty batch (prediction shape [3,0]`);
  }
  tf.dispose([y, empty, ...mismatched.map(([d]) => d)]);
  assertEquals(tf.memory().numTensors, before, "a refused call leaked tensors");
});
