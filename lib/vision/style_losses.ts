/**
 * The losses of Gatys, Ecker & Bethge (2015) with their hand-derived gradients.
 *
 * Notation (see `gram.ts`): a layer's feature maps are stored 1×h×w×N; as an M×N matrix X (M
 * positions, N filters) they are the transpose of the paper's F^l. P is the photo's X at the
 * content layer, A = X_aᵀX_a the painting's Gram matrix at a style layer, G = XᵀX the generated
 * image's.
 *
 * **Content loss** (eq. 1) and its gradient (eq. 2, before the ReLU's mask, which the network's
 * own backward pass applies):
 *
 *   L_content = ½ Σ_ij (X_ij − P_ij)²,        ∂L_content/∂X = X − P.
 *
 * **Style loss of one layer** (eq. 4) and its gradient (eq. 6): with D = G − A (symmetric),
 *
 *   E_l = Σ_ij D_ij² / (4 N² M²),
 *   dE_l = (2 / (4N²M²)) Σ_ij D_ij dG_ij,  dG = dXᵀX + XᵀdX
 *        = (1 / (2N²M²)) · 2 Σ (X D)_kj dX_kj   (D symmetric, so both terms are equal)
 *   ⇒ ∂E_l/∂X = X (G − A) / (N² M²),
 *
 * the paper's (F^l)ᵀ(G^l − A^l) / (N_l² M_l²) in its N×M layout. The style loss (eq. 5),
 * L_style = Σ_l w_l E_l, is summed where it is used (`style_objective.ts`).
 *
 * The loss functions are tfjs ops whose backward pass is the hand-derived gradient (through
 * `tf.customGrad`), so `tf.grad` through VGG19 uses these formulas; the tests check them against
 * tfjs's own differentiation of the plain formulas and against finite differences. They are
 * written in chapter 7 (`notebooks/07_style_transfer.ipynb`) and copied here; the shape checks
 * below are hand-written.
 *
 * @example
 * ```ts
 * const x = tf.randomNormal([1, 4, 4, 8]) as tf.Tensor4D;
 * const a = gramMatrix(tf.randomNormal([1, 4, 4, 8]) as tf.Tensor4D);
 * const e = styleLayerLoss(x, a);                     // scalar E_l
 * const dx = tf.grad((x) => styleLayerLoss(x as tf.Tensor4D, a))(x); // = styleLayerGradient(x, a)
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { featureMatrix, gramMatrix, layerSize } from "./gram.ts";

/** The arguments tfjs passes to a `tf.customGrad` function: the inputs, then a save function. */
export type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

/**
 * Throws, naming `what` and both shapes, unless `a` and `b` have the same shape.
 *
 * @example
 * ```ts
 * assertSameShape(tf.zeros([2, 3]), tf.zeros([3, 2]), "contentLoss"); // throws
 * ```
 */
export function assertSameShape(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${what}: shapes differ, [${a.shape}] vs [${b.shape}]`);
  }
}

/**
 * Throws, naming `what`, unless `gram` is N×N for the N filters of `features`.
 *
 * @example
 * ```ts
 * assertGramFits(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D, tf.zeros([2, 2]) as tf.Tensor2D, "E"); // throws
 * ```
 */
export function assertGramFits(
  features: tf.Tensor4D | tf.Tensor2D,
  gram: tf.Tensor2D,
  what: string,
): void {
  const { filters } = layerSize(features);
  if (gram.rank !== 2 || gram.shape[0] !== filters || gram.shape[1] !== filters) {
    throw new Error(
      `${what}: target Gram matrix must be ${filters}×${filters}, got [${gram.shape}]`,
    );
  }
}

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/**
 * The content loss L = ½ Σ (F − P)² between feature maps `features` (the generated image's) and
 * `target` (the photo's), of the same shape. Its backward pass is the hand-derived gradient
 * F − P ({@linkcode contentLossGradient}); `target` is a constant.
 */
export function contentLoss(features: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertSameShape(features, target, "contentLoss");
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [f, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([f]); // tfjs frees unsaved forward tensors before the backward pass
    return {
      // L = ½ Σ (F − P)²
      value: tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(tf.sub(f, target))))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, contentLossGradient(saved[0], target)),
    };
  });
  return op(features) as tf.Scalar;
}

/** ∂L_content/∂F = F − P (the paper's eq. 2 without the ReLU mask, which belongs to the network). */
export function contentLossGradient(features: tf.Tensor, target: tf.Tensor): tf.Tensor {
  assertSameShape(features, target, "contentLossGradient");
  return tf.sub(features, target);
}
// @end-saved

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/**
 * The style loss of one layer, E_l = Σ (G − A)² / (4 N_l² M_l²) (paper eq. 4), between the Gram
 * matrix G of `features` (1×h×w×N or M×N) and `targetGram` A (N×N, the painting's). Its backward
 * pass is the hand-derived gradient X(G − A)/(N²M²) ({@linkcode styleLayerGradient}).
 */
export function styleLayerLoss(
  features: tf.Tensor4D | tf.Tensor2D,
  targetGram: tf.Tensor2D,
): tf.Scalar {
  assertGramFits(features, targetGram, "styleLayerLoss");
  const { filters, positions } = layerSize(features); // N_l, M_l
  const scale = 1 / (4 * filters * filters * positions * positions);
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [f, save] = args as [tf.Tensor4D | tf.Tensor2D, tf.GradSaveFunc];
    save([f]);
    return {
      // E_l = Σ (G − A)² / (4 N² M²)
      value: tf.tidy(() =>
        tf.mul(scale, tf.sum(tf.square(tf.sub(gramMatrix(f), targetGram))))
      ) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, styleLayerGradient(saved[0] as tf.Tensor4D | tf.Tensor2D, targetGram)),
    };
  });
  return op(features) as tf.Scalar;
}

/** ∂E_l/∂X = X (G − A) / (N_l² M_l²) (the paper's eq. 6 in the M×N layout), shaped like `features`. */
export function styleLayerGradient(
  features: tf.Tensor4D | tf.Tensor2D,
  targetGram: tf.Tensor2D,
): tf.Tensor {
  assertGramFits(features, targetGram, "styleLayerGradient");
  const { filters, positions } = layerSize(features);
  return tf.tidy(() => {
    const x = featureMatrix(features);
    const d = tf.sub(tf.matMul(x, x, true, false), targetGram); // G − A
    const g = tf.mul(1 / (filters * filters * positions * positions), tf.matMul(x, d)); // X(G − A)/(N²M²)
    return tf.reshape(g, features.shape);
  });
}
// @end-saved
