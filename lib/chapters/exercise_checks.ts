/**
 * The checks of chapter 3's exercises (notebooks 03a–03c). Each takes the student's function,
 * runs it on fresh seeded data, and compares its result with central differences of the error
 * (or with the update rule applied by numbers) through `lib/nn/diagnose.ts`, which names the kind
 * of mistake. No answer is stored: the reference is computed from the definition of E.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randomFor } from "../runtime/random.ts";
import {
  diagnoseStep,
  diagnoseValues,
  type Diagnosis,
  type Values,
  valuesOf,
} from "../nn/diagnose.ts";
import { numericalGradient } from "../nn/gradcheck.ts";
import { binaryCrossEntropy, crossEntropy, softmax } from "../nn/losses.ts";
import { createLinearModel, disposeLinearModel, type LinearModel } from "../nn/linear_models.ts";
import { normal } from "../nn/initializers.ts";

/**
 * Run `body` in a tfjs scope: every tensor it makes is freed, whatever it returns or throws (the
 * checks of every chapter run students' code this way).
 *
 * @example
 * ```ts
 * const n = scoped(() => tf.ones([3]).sum().dataSync()[0]); // 3, and no tensor left
 * ```
 */
export function scoped<T>(body: () => T): T {
  tf.engine().startScope();
  try {
    return body();
  } finally {
    tf.engine().endScope();
  }
}

/** Finite differences in float32 agree with an exact gradient to about this relative error. */
export const GRADIENT_TOLERANCE = 1e-2;

/** The signature of exercise 3a's `linearGradients`. */
export type LinearGradientsFn = (
  model: LinearModel,
  X: tf.Tensor,
  D: tf.Tensor,
) => { loss: tf.Scalar; dW: tf.Tensor; db: tf.Tensor };

/** Random one-hot targets [classes, n]. */
function oneHot(classes: number, n: number, seed: string): tf.Tensor {
  const rng = randomFor(seed);
  const labels = Array.from({ length: n }, () => rng.int(classes));
  return tf.tidy(() => tf.transpose(tf.oneHot(tf.tensor1d(labels, "int32"), classes)).toFloat());
}

/** ∂E/∂x of `error` at `x` by central differences (float32), with the shape of x. */
export function numeric(error: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): Values {
  return { shape: x.shape, values: numericalGradient(error, x) };
}

/** The first failing diagnosis, else a pass naming all that were compared. */
export function firstFailure(diagnoses: Diagnosis[], passed: string): Diagnosis {
  return diagnoses.find((d) => !d.pass) ?? { pass: true, message: passed };
}

/**
 * Check exercise 3a's hand gradient on a 3-output, 4-input identity layer and a minibatch of 20:
 * E against the squared error, ∂E/∂W and ∂E/∂b against central differences.
 */
export function checkLinearGradients(linearGradients: LinearGradientsFn): Diagnosis {
  const rng = randomFor("check-3a-gradient");
  const model = createLinearModel(4, 3, "identity", rng.derive("W"), normal(0.5));
  model.b.assign(rng.derive("b").normalTensor([3, 1]) as tf.Tensor2D);
  const X = rng.derive("X").normalTensor([4, 20]);
  const D = rng.derive("D").normalTensor([3, 20]);
  const errorWith = (W: tf.Tensor, b: tf.Tensor) =>
    tf.tidy(() => model.error(tf.add(tf.matMul(W, X), b), D));
  try {
    const mine = linearGradients(model, X, D);
    const E = errorWith(model.W, model.b);
    const diagnoses = [
      diagnoseValues("E", valuesOf(mine.loss), valuesOf(E), {
        tolerance: 1e-4,
        batchSize: 20,
        reference: "the squared error",
      }),
      diagnoseValues("∂E/∂W", valuesOf(mine.dW), numeric((W) => errorWith(W, model.b), model.W), {
        tolerance: GRADIENT_TOLERANCE,
        batchSize: 20,
      }),
      diagnoseValues("∂E/∂b", valuesOf(mine.db), numeric((b) => errorWith(model.W, b), model.b), {
        tolerance: GRADIENT_TOLERANCE,
        batchSize: 20,
      }),
    ];
    tf.dispose([mine.loss, mine.dW, mine.db, E]);
    return firstFailure(
      diagnoses,
      "E, ∂E/∂W (3×4) and ∂E/∂b (3×1) agree with the squared error and central differences",
    );
  } finally {
    tf.dispose([X, D]);
    disposeLinearModel(model);
  }
}

/** The signature of exercise 3a's `sgdStep`: update θ in place. */
export type SgdStepFn = (theta: tf.Variable, gradient: tf.Tensor, eta: number) => void;

/** Check exercise 3a's SGD step on a 3×2 parameter with η = 0.1: θ ← θ − η g, in place. */
export function checkSgdStep(sgdStep: SgdStepFn): Diagnosis {
  const rng = randomFor("check-3a-sgd");
  const theta = tf.variable(rng.derive("theta").normalTensor([3, 2]));
  const gradient = rng.derive("g").normalTensor([3, 2]);
  const eta = 0.1;
  try {
    const before = Float64Array.from(theta.dataSync());
    const g = gradient.dataSync();
    const expected = before.map((v, i) => v - eta * g[i]);
    sgdStep(theta, gradient, eta);
    if (gradient.isDisposed) return { pass: false, message: "your step disposed the gradient" };
    return diagnoseStep(
      "θ",
      { shape: [3, 2], values: before },
      valuesOf(theta),
      { shape: [3, 2], values: expected },
      eta,
    );
  } finally {
    tf.dispose([theta, gradient]);
  }
}

/** The signature of exercise 3b's `logisticDelta`: ∂E/∂U from U [1, N] and D [1, N]. */
export type LogisticDeltaFn = (U: tf.Tensor, D: tf.Tensor) => tf.Tensor;

/**
 * Check exercise 3b's ∂E/∂U of the logistic output with the mean cross-entropy, on a minibatch of
 * 20, against central differences of E(U).
 */
export function checkLogisticDelta(logisticDelta: LogisticDeltaFn): Diagnosis {
  const rng = randomFor("check-3b-delta");
  const U = rng.derive("U").normalTensor([1, 20], 0, 2);
  const D = tf.tidy(() =>
    tf.cast(tf.greater(rng.derive("D").uniformTensor([1, 20]), 0.5), "float32")
  );
  try {
    const mine = logisticDelta(U, D);
    const reference = numeric((u) => tf.tidy(() => binaryCrossEntropy(tf.sigmoid(u), D)), U);
    const diagnosis = diagnoseValues("∂E/∂U", valuesOf(mine), reference, {
      tolerance: GRADIENT_TOLERANCE,
      batchSize: 20,
    });
    mine.dispose();
    return diagnosis;
  } finally {
    tf.dispose([U, D]);
  }
}

/** The signature of exercise 3c's `softmaxGradients`. */
export type SoftmaxGradientsFn = (
  W: tf.Tensor,
  b: tf.Tensor,
  X: tf.Tensor,
  D: tf.Tensor,
) => { dW: tf.Tensor; db: tf.Tensor };

/**
 * Check exercise 3c's ∂E/∂W and ∂E/∂b of a softmax layer (3 classes, 4 inputs) with the mean
 * cross-entropy, on a minibatch of 20, against central differences.
 */
export function checkSoftmaxGradients(softmaxGradients: SoftmaxGradientsFn): Diagnosis {
  const rng = randomFor("check-3c-softmax");
  const W = rng.derive("W").normalTensor([3, 4]);
  const b = rng.derive("b").normalTensor([3, 1]);
  const X = rng.derive("X").normalTensor([4, 20]);
  const D = oneHot(3, 20, "check-3c-softmax/D");
  const errorWith = (w: tf.Tensor, c: tf.Tensor) =>
    tf.tidy(() => crossEntropy(softmax(tf.add(tf.matMul(w, X), c)), D));
  try {
    const mine = softmaxGradients(W, b, X, D);
    const diagnoses = [
      diagnoseValues("∂E/∂W", valuesOf(mine.dW), numeric((w) => errorWith(w, b), W), {
        tolerance: GRADIENT_TOLERANCE,
        batchSize: 20,
      }),
      diagnoseValues("∂E/∂b", valuesOf(mine.db), numeric((c) => errorWith(W, c), b), {
        tolerance: GRADIENT_TOLERANCE,
        batchSize: 20,
      }),
    ];
    tf.dispose([mine.dW, mine.db]);
    return firstFailure(diagnoses, "∂E/∂W (3×4) and ∂E/∂b (3×1) agree with central differences");
  } finally {
    tf.dispose([W, b, X, D]);
  }
}
