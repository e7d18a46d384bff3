/**
 * What every optimiser of the course works on: a list of trainable tensors, each marked as a
 * weight or a bias (weight decay and max-norm act on weights only, the book's convention), and
 * the interface `train` needs of an optimiser (`SGD` in `sgd.ts`, `Adam` in `adam.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** A trainable tensor and whether it is a weight (decayed, bounded) or a bias (left alone). */
export interface Parameter {
  /** The tensor, updated in place by the optimiser. */
  readonly variable: tf.Variable;
  /** A weight (decayed, bounded) or a bias (left alone). */
  readonly role: "weight" | "bias";
}

/** An optimiser: a learning rate (set by schedules) and a step. */
export interface Optimizer {
  /** η; schedules overwrite it every epoch. */
  learningRate: number;
  /** Update the parameters in place from their gradients (same order). */
  step(params: readonly Parameter[], grads: readonly tf.Tensor[]): void;
}

/**
 * Check an optimiser step's inputs: one gradient per parameter, each of its parameter's shape; or
 * throw one error naming the optimiser (`"SGD"`, `"Adam"`) and the first mismatch.
 *
 * @example
 * ```ts
 * checkStepInputs("SGD", params, grads);
 * ```
 */
export function checkStepInputs(
  optimizer: string,
  params: readonly Parameter[],
  grads: readonly tf.Tensor[],
): void {
  if (params.length !== grads.length) {
    throw new Error(`${optimizer}.step: ${params.length} parameters but ${grads.length} gradients`);
  }
  params.forEach((p, i) => {
    const [a, b] = [p.variable.shape, grads[i].shape];
    if (a.length !== b.length || a.some((size, k) => size !== b[k])) {
      throw new Error(
        `${optimizer}.step: gradient ${i} has shape [${b}], its parameter [${a}]`,
      );
    }
  });
}
