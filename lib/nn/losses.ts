/**
 * Output layers and their error functions (chapter 2), with the minibatch laid out as in the
 * book: **one example per column**, so `y` and `d` have shape [outputs, N].
 *
 * Every error is averaged over the N examples of the minibatch (the book sums over the training
 * set; the mean only rescales the learning rate and keeps it independent of the batch size).
 * For each matched pair (output activation, error) the gradient with respect to the output
 * layer's total input is ∂E/∂u = (y − d) / N — see {@linkcode outputDelta}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { identity, logistic } from "./activations.ts";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import { fusedKernelsReady } from "../runtime/backends/fused.ts";

/** Logarithms are taken of max(y, TINY), so that y = 0 gives a large finite error, not −∞. */
export const TINY = 1e-12;

/**
 * Throws one message naming both shapes unless y and d have the same shape (no broadcasting)
 * and hold at least one example. Called before any tensor is allocated.
 */
export function checkPrediction(what: string, y: tf.Tensor, d: tf.Tensor): void {
  if (y.rank !== d.rank || y.shape.some((n, i) => n !== d.shape[i])) {
    throw new Error(`${what}: prediction shape [${y.shape}] and target shape [${d.shape}] differ`);
  }
  if (y.size === 0) {
    throw new Error(
      `${what}: empty batch (prediction shape [${y.shape}], target shape [${d.shape}])`,
    );
  }
}

/** Squared error E = (1/N) Σₙ ½‖dₙ − yₙ‖² (regression). */
export function squaredError(y: tf.Tensor, d: tf.Tensor): tf.Scalar {
  checkPrediction("squaredError", y, d);
  return tf.tidy(() => tf.div(tf.mul(0.5, tf.sum(tf.square(tf.sub(d, y)))), batchSize(y)));
}

/** Binary cross-entropy E = −(1/N) Σₙ [dₙ log yₙ + (1 − dₙ) log(1 − yₙ)] (two classes). */
export function binaryCrossEntropy(y: tf.Tensor, d: tf.Tensor): tf.Scalar {
  checkPrediction("binaryCrossEntropy", y, d);
  return tf.tidy(() => {
    const positive = tf.mul(d, tf.log(tf.maximum(y, TINY)));
    const negative = tf.mul(tf.sub(1, d), tf.log(tf.maximum(tf.sub(1, y), TINY)));
    return tf.div(tf.neg(tf.sum(tf.add(positive, negative))), batchSize(y));
  });
}

/** Cross-entropy E = −(1/N) Σₙ Σₖ dₙₖ log yₙₖ, with one-hot targets d (several classes). */
export function crossEntropy(y: tf.Tensor, d: tf.Tensor): tf.Scalar {
  checkPrediction("crossEntropy", y, d);
  return tf.tidy(() =>
    tf.div(tf.neg(tf.sum(tf.mul(d, tf.log(tf.maximum(y, TINY))))), batchSize(y))
  );
}

/**
 * Softmax over the classes (axis 0, one example per column): yₖ = exp(uₖ) / Σⱼ exp(uⱼ).
 * The column maximum is subtracted first; this changes nothing mathematically and avoids overflow.
 */
export function softmax(u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.exp(tf.sub(u, tf.max(u, 0, true)));
    return tf.div(shifted, tf.sum(shifted, 0, true));
  });
}

/** The softmax outputs of {@linkcode softmaxCrossEntropy}, with the error and delta if targets were given. */
export interface SoftmaxPass {
  /** Y = softmax(u), [K, N]. */
  y: tf.Tensor;
  /** The output delta Y − D (given targets D). */
  delta?: tf.Tensor;
  /** The error {@linkcode crossEntropy}(Y, D) (given targets D). */
  loss?: tf.Scalar;
}

/**
 * The softmax output layer on total inputs u [K, N]: Y = {@linkcode softmax}(u) and, with one-hot
 * targets d, the output delta Y − D and the error {@linkcode crossEntropy}(Y, D) — in one kernel
 * where the backend has one (`CourseSoftmaxCrossEntropy` on `blas`: the same numbers bit for
 * bit, one pass instead of eleven kernels), else (other backends, or under a gradient tape) by
 * those ops. The caller owns the tensors.
 *
 * @example
 * ```ts
 * const { y, delta, loss } = softmaxCrossEntropy(u, d); // softmax(u), Y − D, crossEntropy(Y, D)
 * ```
 */
export function softmaxCrossEntropy(u: tf.Tensor, d?: tf.Tensor): SoftmaxPass {
  if (d) checkPrediction("softmaxCrossEntropy", u, d);
  // The kernel has no gradient: under a gradient tape the ops run.
  const fused = fusedKernelsReady(KERNEL_NAMES.softmaxCrossEntropy) && u.rank === 2 &&
    u.dtype === "float32" &&
    (!d || d.dtype === "float32") && u.size > 0;
  if (!fused) {
    const y = softmax(u);
    if (!d) return { y };
    return { y, delta: tf.sub(y, d), loss: crossEntropy(y, d) };
  }
  const inputs: tf.NamedTensorMap = d ? { u, d } : { u };
  const outs = tf.engine().runKernel(KERNEL_NAMES.softmaxCrossEntropy, inputs, {
    tiny: TINY,
  }) as unknown as tf.Tensor[];
  return d ? { y: outs[0], delta: outs[1], loss: outs[2] as tf.Scalar } : { y: outs[0] };
}

/** An output layer: its activation (applied to the whole layer) and its matched error. */
export interface OutputLayer {
  /** The problem it is for, e.g. "regression". */
  readonly problem: string;
  /** y = activation(u), u of shape [outputs, N]. */
  activation(u: tf.Tensor): tf.Tensor;
  /** E(y, d), averaged over the minibatch. */
  error(y: tf.Tensor, d: tf.Tensor): tf.Scalar;
  /** The same activation and error in float64 on the host, the reference of the gradient checks. */
  readonly f64: OutputLayerF64;
}

/**
 * An output layer in float64 (plain `Math` on host arrays), for gradient checks by central
 * differences: values [outputs, N] row-major, one example per column, as the tensors.
 *
 * @example
 * ```ts
 * const y = regression.f64.activation(Float64Array.of(1, 2), 2); // [1, 2]
 * regression.f64.error(y, Float64Array.of(0, 2), 2); // ½(1² + 0²) / 2 = 0.25
 * ```
 */
export interface OutputLayerF64 {
  /** y = activation(u) for u [outputs, N] holding N columns. */
  activation(u: Float64Array, n: number): Float64Array;
  /** E(y, d), averaged over the N columns. */
  error(y: Float64Array, d: Float64Array, n: number): number;
}

/** Σ ½(d − y)² / N in float64. */
function squaredErrorF64(y: Float64Array, d: Float64Array, n: number): number {
  let sum = 0;
  for (let k = 0; k < y.length; k++) sum += 0.5 * (d[k] - y[k]) ** 2;
  return sum / n;
}

/** −Σ [d log y + (1 − d) log(1 − y)] / N in float64, logarithms floored as in the tensor version. */
function binaryCrossEntropyF64(y: Float64Array, d: Float64Array, n: number): number {
  let sum = 0;
  for (let k = 0; k < y.length; k++) {
    sum -= d[k] * Math.log(Math.max(y[k], TINY)) + (1 - d[k]) * Math.log(Math.max(1 - y[k], TINY));
  }
  return sum / n;
}

/** Softmax over each column of u [k, N] in float64, the column maximum subtracted first. */
function softmaxF64(u: Float64Array, n: number): Float64Array {
  const k = u.length / n;
  const y = new Float64Array(u.length);
  for (let c = 0; c < n; c++) {
    let max = -Infinity;
    for (let r = 0; r < k; r++) max = Math.max(max, u[r * n + c]);
    let sum = 0;
    for (let r = 0; r < k; r++) sum += y[r * n + c] = Math.exp(u[r * n + c] - max);
    for (let r = 0; r < k; r++) y[r * n + c] /= sum;
  }
  return y;
}

/** −Σ d log y / N in float64 (one-hot d), the logarithm floored as in the tensor version. */
function crossEntropyF64(y: Float64Array, d: Float64Array, n: number): number {
  let sum = 0;
  for (let k = 0; k < y.length; k++) sum -= d[k] * Math.log(Math.max(y[k], TINY));
  return sum / n;
}

/** Regression: identity output, squared error. */
export const regression: OutputLayer = {
  problem: "regression",
  activation: (u) => identity.f(u),
  error: squaredError,
  f64: { activation: (u) => u.map(identity.f64), error: squaredErrorF64 },
};

/** Two-class classification: one logistic output, binary cross-entropy. */
export const binaryClassification: OutputLayer = {
  problem: "binary classification",
  activation: (u) => logistic.f(u),
  error: binaryCrossEntropy,
  f64: { activation: (u) => u.map(logistic.f64), error: binaryCrossEntropyF64 },
};

/** Multi-class classification: softmax outputs, cross-entropy. */
export const multiclassClassification: OutputLayer = {
  problem: "multi-class classification",
  activation: softmax,
  error: crossEntropy,
  f64: { activation: softmaxF64, error: crossEntropyF64 },
};

/** The three matched pairs of chapter 2. */
export const OUTPUT_LAYERS: readonly OutputLayer[] = [
  regression,
  binaryClassification,
  multiclassClassification,
];

/**
 * ∂E/∂u at the output layer for a matched pair: (y − d) / N. The same formula holds for all
 * three pairs — the reason they are matched.
 */
export function outputDelta(y: tf.Tensor, d: tf.Tensor): tf.Tensor {
  checkPrediction("outputDelta", y, d);
  return tf.tidy(() => tf.div(tf.sub(y, d), batchSize(y)));
}

function batchSize(y: tf.Tensor): number {
  return y.rank < 2 ? 1 : y.shape[1] ?? 1;
}

/**
 * ∂E/∂y of {@linkcode squaredError}: (y − d) / N.
 *
 * @example
 * ```ts
 * squaredErrorGradient(tf.tensor2d([[2, 0]]), tf.tensor2d([[1, 0]])); // [[0.5, 0]]
 * ```
 */
export function squaredErrorGradient(y: tf.Tensor, d: tf.Tensor): tf.Tensor {
  checkPrediction("squaredErrorGradient", y, d);
  return tf.tidy(() => tf.div(tf.sub(y, d), batchSize(y)));
}

/**
 * ∂E/∂y of {@linkcode binaryCrossEntropy}: (1/N)·(−d/y + (1 − d)/(1 − y)), with y and 1 − y
 * floored at the same tiny value as in the error itself.
 *
 * @example
 * ```ts
 * binaryCrossEntropyGradient(tf.tensor2d([[0.5]]), tf.tensor2d([[1]])); // [[-2]]
 * ```
 */
export function binaryCrossEntropyGradient(y: tf.Tensor, d: tf.Tensor): tf.Tensor {
  checkPrediction("binaryCrossEntropyGradient", y, d);
  return tf.tidy(() => {
    const positive = tf.div(tf.neg(d), tf.maximum(y, TINY));
    const negative = tf.div(tf.sub(1, d), tf.maximum(tf.sub(1, y), TINY));
    return tf.div(tf.add(positive, negative), batchSize(y));
  });
}

/**
 * ∂E/∂y of {@linkcode crossEntropy}: −d / (N·y), y floored at the same tiny value as the error.
 *
 * @example
 * ```ts
 * crossEntropyGradient(tf.tensor2d([[0.5], [0.5]]), tf.tensor2d([[1], [0]])); // [[-2], [0]]
 * ```
 */
export function crossEntropyGradient(y: tf.Tensor, d: tf.Tensor): tf.Tensor {
  checkPrediction("crossEntropyGradient", y, d);
  return tf.tidy(() => tf.div(tf.neg(tf.div(d, tf.maximum(y, TINY))), batchSize(y)));
}

/** An error function E(y, d) (mean over the minibatch) together with its gradient ∂E/∂y. */
export interface Loss {
  /** Short name, e.g. "squared error". */
  readonly name: string;
  /** E(y, d), averaged over the N columns. */
  value(y: tf.Tensor, d: tf.Tensor): tf.Scalar;
  /** ∂E/∂y, same shape as y. */
  gradient(y: tf.Tensor, d: tf.Tensor): tf.Tensor;
}

/**
 * Squared error with its gradient.
 *
 * @example
 * ```ts
 * const g = squaredErrorLoss.gradient(y, d); // (y − d)/N
 * ```
 */
export const squaredErrorLoss: Loss = {
  name: "squared error",
  value: squaredError,
  gradient: squaredErrorGradient,
};

/**
 * Binary cross-entropy with its gradient.
 *
 * @example
 * ```ts
 * const e = binaryCrossEntropyLoss.value(tf.tensor2d([[0.9]]), tf.tensor2d([[1]]));
 * ```
 */
export const binaryCrossEntropyLoss: Loss = {
  name: "binary cross-entropy",
  value: binaryCrossEntropy,
  gradient: binaryCrossEntropyGradient,
};

/**
 * Multi-class cross-entropy (one-hot targets) with its gradient.
 *
 * @example
 * ```ts
 * const g = crossEntropyLoss.gradient(softmax(u), d); // −d/(N y)
 * ```
 */
export const crossEntropyLoss: Loss = {
  name: "cross-entropy",
  value: crossEntropy,
  gradient: crossEntropyGradient,
};

/**
 * The three errors with their gradients.
 *
 * @example
 * ```ts
 * for (const loss of LOSSES) console.log(loss.name);
 * ```
 */
export const LOSSES: readonly Loss[] = [squaredErrorLoss, binaryCrossEntropyLoss, crossEntropyLoss];
