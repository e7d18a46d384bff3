/**
 * Dropout (chapter 3): during training each unit of a layer is kept with probability p = 1 − rate
 * and otherwise set to 0, with a fresh random choice for every example of every minibatch. The
 * book multiplies the weights by p at test time instead; here the kept units are divided by p
 * during training ("inverted" dropout), which gives the same expected total input to the next
 * layer, E[mᵢ zᵢ / p] = zᵢ, and leaves the network unchanged at test time.
 *
 * The masks come from a seeded {@linkcode Random}, so a training run repeats exactly.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";

function checkRate(rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), not ${rate}`);
}

/**
 * A mask of the given shape whose entries are 1/(1 − rate) with probability 1 − rate and 0
 * otherwise. The caller owns the tensor.
 *
 * @example
 * ```ts
 * const m = dropoutMask([100, 32], 0.5, new Random(1)); // entries 0 or 2
 * ```
 */
export function dropoutMask(shape: readonly number[], rate: number, rng: Random): tf.Tensor {
  checkRate(rate);
  const size = shape.reduce((a, b) => a * b, 1);
  const keep = 1 - rate;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.uniform() < keep ? 1 / keep : 0;
  return tf.tensor(values, [...shape]);
}

/**
 * Apply dropout to a layer's outputs z during training: z ⊙ mask. With rate 0 it returns a copy
 * of z. The caller owns the result.
 *
 * @example
 * ```ts
 * const zTrain = dropout(z, 0.5, rng.derive("dropout"));
 * ```
 */
export function dropout(z: tf.Tensor, rate: number, rng: Random): tf.Tensor {
  checkRate(rate);
  if (rate === 0) return tf.clone(z);
  return tf.tidy(() => tf.mul(z, dropoutMask(z.shape, rate, rng)));
}
