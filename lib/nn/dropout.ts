/**
 * Dropout (chapter 3): during training each unit of a layer is kept with probability p = 1 − rate
 * and otherwise set to 0, with a fresh random choice for every example of every minibatch. The
 * book multiplies the weights by p at test time instead; here the kept units are divided by p
 * during training ("inverted" dropout), which gives the same expected total input to the next
 * layer, E[mᵢ zᵢ / p] = zᵢ, and leaves the network unchanged at test time.
 *
 * The masks come from a seeded {@linkcode Random}, so a training run repeats exactly.
 * `dropoutMask` and `dropout` are written in a cell of `notebooks/03_sgd.ipynb`, next to the
 * derivation of E[z̃ᵢ] = zᵢ, and copied here by `deno task save-cells`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";

/** Throws unless 0 ≤ rate < 1 (a rate of 1 would drop every unit). */
export function checkDropoutRate(rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), not ${rate}`);
}

// @saved-from notebooks/03_sgd.ipynb — edit it there, then `deno task save-cells`
/**
 * A dropout mask of the given shape: each entry is mᵢ / p, where mᵢ = 1 (kept) with probability
 * p = 1 − rate and 0 (dropped) otherwise. The caller owns the tensor.
 */
export function dropoutMask(shape: readonly number[], rate: number, rng: Random): tf.Tensor {
  checkDropoutRate(rate);
  const size = shape.reduce((a, b) => a * b, 1);
  const keep = 1 - rate; // p
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.uniform() < keep ? 1 / keep : 0; // mᵢ / p
  return tf.tensor(values, [...shape]);
}

/** Dropout on a layer's outputs z in training: z̃ = m ⊙ z / p (a copy of z at rate 0). */
export function dropout(z: tf.Tensor, rate: number, rng: Random): tf.Tensor {
  checkDropoutRate(rate);
  if (rate === 0) return tf.clone(z);
  return tf.tidy(() => tf.mul(z, dropoutMask(z.shape, rate, rng)));
}
// @end-saved
