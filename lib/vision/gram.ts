/**
 * Feature matrices and Gram matrices (Gatys, Ecker & Bethge 2015, §"Methods").
 *
 * A layer l with N_l filters, each a feature map of M_l = height × width positions, is stored by
 * tfjs as a 1×h×w×N_l tensor. Reshaped to an M_l × N_l matrix X (one row per position, one column
 * per filter) it is the transpose of the paper's F^l (N_l × M_l), and the paper's Gram matrix
 *
 *   G^l_ij = Σ_k F^l_ik F^l_jk      (eq. 3)
 *
 * is G = Xᵀ X (N_l × N_l): the inner products between the filter responses over all positions.
 * Nothing is normalised here; the style loss divides by 4 N_l² M_l² (see `style_losses.ts`).
 *
 * @example
 * ```ts
 * const maps = tf.randomNormal([1, 8, 8, 16]) as tf.Tensor4D;
 * const g = gramMatrix(maps);   // 16×16, symmetric, positive semi-definite
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** N_l (filters) and M_l (positions) of a layer's feature maps. */
export interface LayerSize {
  /** Number of filters (channels), N_l. */
  filters: number;
  /** Number of positions (height × width), M_l. */
  positions: number;
}

/**
 * N_l and M_l of feature maps shaped 1×h×w×N (or an M×N feature matrix).
 *
 * @example
 * ```ts
 * layerSize(tf.zeros([1, 4, 6, 64]) as tf.Tensor4D); // { filters: 64, positions: 24 }
 * ```
 */
export function layerSize(features: tf.Tensor4D | tf.Tensor2D): LayerSize {
  if (features.rank === 2) return { filters: features.shape[1], positions: features.shape[0] };
  const [n, h, w, c] = features.shape as [number, number, number, number];
  if (n !== 1) throw new Error(`layerSize: expected one image (1×h×w×N), got [${features.shape}]`);
  return { filters: c, positions: h * w };
}

/**
 * The feature matrix X = (F^l)ᵀ of one image's feature maps: 1×h×w×N → M×N (M = h·w), one row
 * per position. A 2-D input is returned reshaped as is (a new tensor handle either way).
 *
 * @example
 * ```ts
 * featureMatrix(tf.zeros([1, 4, 6, 64]) as tf.Tensor4D).shape; // [24, 64]
 * ```
 */
export function featureMatrix(features: tf.Tensor4D | tf.Tensor2D): tf.Tensor2D {
  const { filters, positions } = layerSize(features);
  return tf.reshape(features, [positions, filters]);
}

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/**
 * The Gram matrix G = Xᵀ X = F Fᵀ (N×N) of one image's feature maps (1×h×w×N, or an M×N feature
 * matrix): G_ij is the inner product of the maps of filters i and j over all positions. Not
 * normalised. The caller owns the result.
 */
export function gramMatrix(features: tf.Tensor4D | tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const x = featureMatrix(features); // X = (F^l)ᵀ, M×N: one row per position
    return tf.matMul(x, x, true, false); // G = XᵀX, G_ij = Σ_k F_ik F_jk
  });
}
// @end-saved
