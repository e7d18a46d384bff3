/**
 * Corrupting inputs for a denoising autoencoder (chapter 5): the autoencoder sees a corrupted x̃
 * and is trained to reconstruct the clean x.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";

/** How inputs are corrupted for a denoising autoencoder. */
export type Corruption =
  /** Each input set to 0 with probability `rate` (masking noise). */
  | { kind: "mask"; rate: number }
  /** Gaussian noise N(0, std²) added to each input. */
  | { kind: "gaussian"; std: number };

/**
 * A corrupted copy of X (the caller owns it).
 *
 * @example
 * ```ts
 * const noisy = corrupt(X, { kind: "mask", rate: 0.3 }, rng); // 30 % of the pixels zeroed
 * ```
 */
export function corrupt(X: tf.Tensor, corruption: Corruption, rng: Random): tf.Tensor {
  return tf.tidy(() => {
    if (corruption.kind === "mask") {
      const keep = rng.uniformArray(X.size).map((u) => (u < corruption.rate ? 0 : 1));
      return tf.mul(X, tf.tensor(keep, X.shape));
    }
    return tf.add(X, rng.normalTensor(X.shape, 0, corruption.std));
  });
}
