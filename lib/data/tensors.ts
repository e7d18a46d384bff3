/**
 * Turning typed-array data sets (features N×D, class indices N) into what training needs: one-hot
 * targets and TensorFlow.js tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Features and one-hot targets as tensors. */
export interface LabeledTensors {
  /** Features, shape [N, D]. */
  xs: tf.Tensor2D;
  /** One-hot targets, shape [N, classes]. */
  ys: tf.Tensor2D;
}

/**
 * One-hot encode class indices: row i of the N×`classes` result (row-major) is 1 at column
 * `labels[i]` and 0 elsewhere.
 *
 * @throws Error if a label is not an integer in [0, classes)
 *
 * @example
 * ```ts
 * oneHot(new Uint8Array([2, 0]), 3); // Float32Array [0, 0, 1, 1, 0, 0]
 * ```
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`oneHot: classes must be a positive integer, not ${classes}`);
  }
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`oneHot: label ${label} at index ${i} is not in 0…${classes - 1}`);
    }
    out[i * classes + label] = 1;
  }
  return out;
}

/**
 * Make the feature tensor [N, width] and the one-hot target tensor [N, classes] of a data set.
 * The caller owns the tensors (dispose them, or create them inside `tf.tidy`).
 *
 * @param features N×width values, row-major
 * @param labels N class indices
 *
 * @example
 * ```ts
 * const { xs, ys } = labeledTensors(new Float32Array([1, 2, 3, 4]), new Uint8Array([0, 1]), 2, 2);
 * console.log(xs.shape, ys.shape); // [2, 2] [2, 2]
 * ```
 */
export function labeledTensors(
  features: Float32Array,
  labels: ArrayLike<number>,
  width: number,
  classes: number,
): LabeledTensors {
  const n = labels.length;
  if (features.length !== n * width) {
    throw new Error(
      `labeledTensors: ${features.length} feature values do not make ${n} rows of ${width}`,
    );
  }
  const ys = oneHot(labels, classes);
  return { xs: tf.tensor2d(features, [n, width]), ys: tf.tensor2d(ys, [n, classes]) };
}
