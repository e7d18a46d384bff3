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
 * the paper's (F^l)ᵀ(G^l − A^l) / (N_l² M_l²) in its N×M layout. **Style loss** (eq. 5):
 * L_style = Σ_l w_l E_l. **Total-variation** (optional, off in the paper's figures): the sum of
 * squared differences between neighbouring pixels,
 *
 *   R(x) = Σ (x_{i+1,j} − x_{i,j})² + Σ (x_{i,j+1} − x_{i,j})²,
 *   ∂R/∂x_{ij} = 2[(x_ij − x_{i−1,j}) − (x_{i+1,j} − x_ij)] + (the same along j),
 *
 * with the differences that fall outside the image taken as zero.
 *
 * The loss functions here are tfjs ops whose backward pass is the hand-derived gradient (through
 * `tf.customGrad`), so `tf.grad` through VGG19 uses these formulas; the tests check them against
 * tfjs's own differentiation of the plain formulas and against finite differences.
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
type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

function sameShape(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${what}: shapes differ, [${a.shape}] vs [${b.shape}]`);
  }
}

/**
 * The content loss L = ½ Σ (F − P)² between feature maps `features` (the generated image's) and
 * `target` (the photo's), of the same shape. Differentiable in `features` with the hand-derived
 * gradient F − P ({@linkcode contentLossGradient}); `target` is a constant.
 *
 * @example
 * ```ts
 * contentLoss(tf.tensor4d([1, 2], [1, 1, 1, 2]), tf.tensor4d([0, 0], [1, 1, 1, 2])).dataSync();
 * // [2.5]  (½ (1 + 4))
 * ```
 */
export function contentLoss(features: tf.Tensor, target: tf.Tensor): tf.Scalar {
  sameShape(features, target, "contentLoss");
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [f, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([f]); // tfjs frees unsaved forward tensors before the backward pass
    return {
      value: tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(tf.sub(f, target))))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, contentLossGradient(saved[0], target)),
    };
  });
  return op(features) as tf.Scalar;
}

/**
 * The gradient of {@linkcode contentLoss} with respect to the features: F − P (paper eq. 2,
 * without the ReLU mask, which belongs to the network).
 *
 * @example
 * ```ts
 * contentLossGradient(tf.tensor1d([1, 2]), tf.tensor1d([0, 3])).dataSync(); // [1, -1]
 * ```
 */
export function contentLossGradient(features: tf.Tensor, target: tf.Tensor): tf.Tensor {
  sameShape(features, target, "contentLossGradient");
  return tf.sub(features, target);
}

function checkGram(features: tf.Tensor4D | tf.Tensor2D, gram: tf.Tensor2D, what: string): void {
  const { filters } = layerSize(features);
  if (gram.rank !== 2 || gram.shape[0] !== filters || gram.shape[1] !== filters) {
    throw new Error(
      `${what}: target Gram matrix must be ${filters}×${filters}, got [${gram.shape}]`,
    );
  }
}

/**
 * The style loss of one layer, E_l = Σ (G − A)² / (4 N_l² M_l²) (paper eq. 4), between the Gram
 * matrix G of `features` (1×h×w×N or M×N) and the target Gram matrix `targetGram` (N×N, the
 * painting's). Differentiable in `features` with the hand-derived gradient X(G − A)/(N²M²)
 * ({@linkcode styleLayerGradient}); the target is a constant.
 *
 * @example
 * ```ts
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);           // G = [[10, 14], [14, 20]]
 * styleLayerLoss(x, tf.zeros([2, 2]) as tf.Tensor2D).dataSync();
 * // [(100 + 196 + 196 + 400) / (4·4·4)] = [13.9375]
 * ```
 */
export function styleLayerLoss(
  features: tf.Tensor4D | tf.Tensor2D,
  targetGram: tf.Tensor2D,
): tf.Scalar {
  checkGram(features, targetGram, "styleLayerLoss");
  const { filters, positions } = layerSize(features);
  const scale = 1 / (4 * filters * filters * positions * positions);
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [f, save] = args as [tf.Tensor4D | tf.Tensor2D, tf.GradSaveFunc];
    save([f]);
    return {
      value: tf.tidy(() =>
        tf.mul(scale, tf.sum(tf.square(tf.sub(gramMatrix(f), targetGram))))
      ) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, styleLayerGradient(saved[0] as tf.Tensor4D | tf.Tensor2D, targetGram)),
    };
  });
  return op(features) as tf.Scalar;
}

/**
 * The gradient of {@linkcode styleLayerLoss} with respect to the features:
 * ∂E_l/∂X = X (G − A) / (N_l² M_l²) (paper eq. 6 in the M×N layout), shaped like `features`.
 *
 * @example
 * ```ts
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
 * styleLayerGradient(x, tf.zeros([2, 2]) as tf.Tensor2D).dataSync();
 * // X·G/16 = [[1·10+2·14, 1·14+2·20], [3·10+4·14, 3·14+4·20]]/16 = [2.375, 3.375, 5.375, 7.625]
 * ```
 */
export function styleLayerGradient(
  features: tf.Tensor4D | tf.Tensor2D,
  targetGram: tf.Tensor2D,
): tf.Tensor {
  checkGram(features, targetGram, "styleLayerGradient");
  const { filters, positions } = layerSize(features);
  return tf.tidy(() => {
    const x = featureMatrix(features);
    const d = tf.sub(tf.matMul(x, x, true, false), targetGram);
    const g = tf.mul(1 / (filters * filters * positions * positions), tf.matMul(x, d));
    return tf.reshape(g, features.shape);
  });
}

/**
 * The style loss L_style = Σ_l w_l E_l (paper eq. 5) over several layers: `features[l]` against
 * `targetGrams[l]` with weights `weights[l]` (default 1/L each, the paper's w_l = 1/5 for five
 * layers).
 *
 * @example
 * ```ts
 * const loss = styleLoss([f11, f21], [a11, a21]);          // ½ E_1 + ½ E_2
 * const same = styleLoss([f11, f21], [a11, a21], [0.5, 0.5]);
 * ```
 */
export function styleLoss(
  features: readonly (tf.Tensor4D | tf.Tensor2D)[],
  targetGrams: readonly tf.Tensor2D[],
  weights?: readonly number[],
): tf.Scalar {
  if (features.length === 0 || features.length !== targetGrams.length) {
    throw new Error(
      `styleLoss: need one target per layer, got ${features.length} layers and ` +
        `${targetGrams.length} targets`,
    );
  }
  const w = weights ?? features.map(() => 1 / features.length);
  if (w.length !== features.length) {
    throw new Error(`styleLoss: ${w.length} weights for ${features.length} layers`);
  }
  return tf.tidy(() =>
    tf.addN(features.map((f, l) => tf.mul(w[l], styleLayerLoss(f, targetGrams[l]))))
  ) as tf.Scalar;
}

/**
 * The total-variation regulariser R(x) = Σ (x_{i+1,j} − x_{i,j})² + Σ (x_{i,j+1} − x_{i,j})²
 * of an image batch x (N×H×W×C), summed over channels and images. Differentiable with the
 * hand-derived gradient {@linkcode totalVariationGradient}. Off in the paper's figures.
 *
 * @example
 * ```ts
 * totalVariationLoss(tf.tensor4d([0, 1, 3, 3], [1, 2, 2, 1])).dataSync();
 * // [(3−0)² + (3−1)² + (1−0)² + (3−3)²] = [14]
 * ```
 */
export function totalVariationLoss(image: tf.Tensor4D): tf.Scalar {
  if (image.rank !== 4) {
    throw new Error(`totalVariationLoss: x must be N×H×W×C, got [${image.shape}]`);
  }
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    save([x]);
    return {
      value: tf.tidy(() => {
        const [dv, dh] = differences(x);
        return tf.add(tf.sum(tf.square(dv)), tf.sum(tf.square(dh)));
      }) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, totalVariationGradient(saved[0] as tf.Tensor4D)),
    };
  });
  return op(image) as tf.Scalar;
}

/** Vertical (x_{i+1,j} − x_{i,j}) and horizontal (x_{i,j+1} − x_{i,j}) neighbour differences. */
function differences(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  const [n, h, w, c] = x.shape;
  const dv = tf.sub(tf.slice(x, [0, 1, 0, 0], [n, h - 1, w, c]), tf.slice(x, 0, [n, h - 1, w, c]));
  const dh = tf.sub(tf.slice(x, [0, 0, 1, 0], [n, h, w - 1, c]), tf.slice(x, 0, [n, h, w - 1, c]));
  return [dv as tf.Tensor4D, dh as tf.Tensor4D];
}

/**
 * The gradient of {@linkcode totalVariationLoss}: 2[(x_ij − x_{i−1,j}) − (x_{i+1,j} − x_ij)] plus
 * the same along j, where differences outside the image count as zero.
 *
 * @example
 * ```ts
 * totalVariationGradient(tf.tensor4d([0, 1, 3, 3], [1, 2, 2, 1])).dataSync(); // [-8, -2, 6, 4]
 * ```
 */
export function totalVariationGradient(image: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [dv, dh] = differences(image);
    // ∂/∂x_ij of Σ d_i² with d_i = x_{i+1} − x_i: 2 d_{i−1} − 2 d_i (d outside the range = 0)
    const gv = tf.sub(
      tf.pad(dv, [[0, 0], [1, 0], [0, 0], [0, 0]]),
      tf.pad(dv, [[0, 0], [0, 1], [0, 0], [0, 0]]),
    );
    const gh = tf.sub(
      tf.pad(dh, [[0, 0], [0, 0], [1, 0], [0, 0]]),
      tf.pad(dh, [[0, 0], [0, 0], [0, 1], [0, 0]]),
    );
    return tf.mul(2, tf.add(gv, gh)) as tf.Tensor4D;
  });
}
