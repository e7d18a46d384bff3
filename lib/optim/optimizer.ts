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
