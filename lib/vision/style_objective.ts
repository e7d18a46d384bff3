/**
 * The objective of style transfer (Gatys, Ecker & Bethge 2015) as a function of the image x:
 *
 *   L(x) = α L_content(x) + β Σ_l w_l E_l(x)
 *
 * with L_content = ½ Σ (F − P)² at one layer against the photo's feature maps P, and E_l =
 * Σ (G − A)² / (4 N_l² M_l²) at each style layer against the painting's Gram matrix A_l (see
 * `style_losses.ts`). The targets P and A_l are computed once ({@linkcode styleTargets}); each
 * evaluation runs VGG19 forward on x and back to the pixels with `tf.valueAndGrad`, the losses'
 * backward passes being the hand-derived gradients.
 *
 * x is the network's input itself (BGR, ImageNet mean subtracted, 0–255 scale), which differs
 * from the RGB pixels only by a channel permutation and a shift. When the painting and the image
 * differ in size, A_l is rescaled by M_image / M_painting (G grows with the number of positions),
 * so that E_l compares the same statistics per position; with equal sizes this is the paper's E_l.
 *
 * `styleTargets`, `gatysLoss` and `evaluateGatysLoss` are written in chapter 7
 * (`notebooks/07_style_transfer.ipynb`, §7.4) and copied here; the types and the checks of the
 * settings ({@linkcode resolveTargetSpec}) are hand-written.
 *
 * @example
 * ```ts
 * const targets = styleTargets(vgg, { content: photo, style: painting, contentWeight: 1e-3 });
 * const { value, gradient, parts } = evaluateGatysLoss(vgg, targets, x); // x: 3·H·W values
 * targets.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Vgg19, VGG19_LAYERS, type Vgg19Layer, vggPreprocess } from "./vgg19.ts";
import { gramMatrix, layerSize } from "./gram.ts";
import { contentLoss, styleLayerLoss } from "./style_losses.ts";
import { layerPositions, PAPER_CONTENT_LAYER, PAPER_STYLE_LAYERS } from "./style_layers.ts";

/** What is matched, and how strongly (see {@linkcode styleTargets}). */
export interface StyleTargetSpec {
  /** The photo, RGB 0–255, H×W×3; its feature maps at `contentLayer` are the content target. */
  content?: tf.Tensor3D;
  /** The painting, RGB 0–255, any size; its Gram matrices at `styleLayers` are the target. */
  style?: tf.Tensor3D;
  /** Content layer (default conv4_2). */
  contentLayer?: Vgg19Layer;
  /** Style layers (default conv1_1, conv2_1, conv3_1, conv4_1, conv5_1). */
  styleLayers?: readonly Vgg19Layer[];
  /** w_l, one per style layer (default 1/L each). */
  styleLayerWeights?: readonly number[];
  /** α (default 1e-3, with β = 1: the paper's α/β = 1e-3). Ignored without a photo. */
  contentWeight?: number;
  /** β (default 1). Ignored without a painting. */
  styleWeight?: number;
  /** The image's height and width (default: the photo's; required without a photo). */
  size?: readonly [number, number];
}

/** A {@linkcode StyleTargetSpec} with its defaults filled in and checked. */
export interface ResolvedTargetSpec {
  /** Height and width of the optimised image. */
  height: number;
  width: number;
  /** The content layer (used only with a photo). */
  contentLayer: Vgg19Layer;
  /** The style layers (none without a painting). */
  styleLayers: readonly Vgg19Layer[];
  /** w_l, one per style layer. */
  styleLayerWeights: readonly number[];
  /** α (0 without a photo). */
  alpha: number;
  /** β (0 without a painting). */
  beta: number;
  /** Every layer whose feature maps the loss needs, content layer first. */
  layers: Vgg19Layer[];
}

/**
 * The settings of a {@linkcode StyleTargetSpec} with the paper's defaults; throws one message
 * naming what is wrong (no photo and no painting, no size, a size that is not the photo's, an
 * unknown layer, a weight count that is not the layer count).
 *
 * @example
 * ```ts
 * resolveTargetSpec({ style: painting, size: [48, 64] }).styleLayers; // the paper's five
 * ```
 */
export function resolveTargetSpec(spec: StyleTargetSpec): ResolvedTargetSpec {
  const contentLayer = spec.contentLayer ?? PAPER_CONTENT_LAYER;
  const styleLayers = spec.style === undefined ? [] : [...(spec.styleLayers ?? PAPER_STYLE_LAYERS)];
  const n = styleLayers.length;
  const styleLayerWeights = spec.styleLayerWeights ?? styleLayers.map(() => 1 / n);
  if (styleLayerWeights.length !== n) {
    throw new Error(`styleTargets: ${styleLayerWeights.length} styleLayerWeights for ${n} layers`);
  }
  const size = spec.size ??
    (spec.content ? [spec.content.shape[0], spec.content.shape[1]] as const : undefined);
  if (size === undefined) throw new Error("styleTargets: give a photo or a size");
  const [height, width] = size;
  if (spec.content && (spec.content.shape[0] !== height || spec.content.shape[1] !== width)) {
    throw new Error(`styleTargets: the photo is [${spec.content.shape}], the size [${size}]`);
  }
  for (const layer of [contentLayer, ...styleLayers]) {
    if (!(VGG19_LAYERS as readonly string[]).includes(layer)) {
      throw new Error(`styleTargets: unknown layer "${layer}"`);
    }
  }
  const layers = [...new Set([...(spec.content ? [contentLayer] : []), ...styleLayers])];
  if (layers.length === 0) throw new Error("styleTargets: give a photo or a painting");
  return {
    height,
    width,
    contentLayer,
    styleLayers,
    styleLayerWeights,
    alpha: spec.content === undefined ? 0 : spec.contentWeight ?? 1e-3,
    beta: spec.style === undefined ? 0 : spec.styleWeight ?? 1,
    layers,
  };
}

/** The targets of one run (from {@linkcode styleTargets}); free them with `dispose`. */
export interface StyleTargets extends ResolvedTargetSpec {
  /** The photo's feature maps P at the content layer (absent without a photo). */
  content?: { layer: Vgg19Layer; P: tf.Tensor4D };
  /** Per style layer: its weight w_l and the painting's Gram matrix A_l (rescaled to the image's M_l). */
  style: { layer: Vgg19Layer; weight: number; A: tf.Tensor2D }[];
  /** Free P and the A_l (the network is the caller's). */
  dispose(): void;
}

/** The terms of the loss at one point, as numbers. */
export interface LossParts {
  /** L = α L_content + β L_style. */
  total: number;
  /** L_content (unweighted; 0 without a photo). */
  content: number;
  /** L_style = Σ w_l E_l (unweighted by β; 0 without a painting). */
  style: number;
}

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/**
 * The targets of one run, computed once: the photo's feature maps P at the content layer and the
 * painting's Gram matrices A_l at the style layers (rescaled to the image's number of positions),
 * with the settings of `spec` (defaults: the paper's layers, w_l = 1/L, α = 1e-3, β = 1).
 */
export function styleTargets(vgg: Vgg19, spec: StyleTargetSpec): StyleTargets {
  const settings = resolveTargetSpec(spec); // defaults filled in, checked
  const { contentLayer, styleLayers, styleLayerWeights, height, width } = settings;
  let content: StyleTargets["content"];
  if (spec.content) {
    const photo = vggPreprocess(spec.content);
    content = { layer: contentLayer, P: vgg.features(photo, [contentLayer])[contentLayer] }; // P
    photo.dispose();
  }
  const style: StyleTargets["style"] = [];
  if (spec.style) {
    const painting = vggPreprocess(spec.style);
    const maps = vgg.features(painting, styleLayers);
    styleLayers.forEach((layer, l) => {
      const ratio = layerPositions(layer, height, width) / layerSize(maps[layer]).positions;
      const A = tf.tidy(() => tf.mul(gramMatrix(maps[layer]), ratio)) as tf.Tensor2D; // rescaled A_l
      style.push({ layer, weight: styleLayerWeights[l], A });
    });
    tf.dispose([painting, ...Object.values(maps)]);
  }
  const owned = [...(content ? [content.P] : []), ...style.map((s) => s.A)];
  return { ...settings, content, style, dispose: () => tf.dispose(owned) };
}
// @end-saved

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/**
 * The loss terms at the image x (the network's input, 1×H×W×3) as tensors: L_content,
 * L_style = Σ_l w_l E_l and L = α L_content + β L_style. Call it inside `tf.tidy` (or a
 * gradient function): the feature maps it makes are not freed here.
 */
export function gatysLoss(
  vgg: Vgg19,
  targets: StyleTargets,
  x: tf.Tensor4D,
): { total: tf.Scalar; content: tf.Scalar; style: tf.Scalar } {
  const F = vgg.features(x, targets.layers); // the image's feature maps F^l(x)
  const zero = tf.scalar(0);
  const content = targets.content // ½ Σ (F − P)² at the content layer
    ? contentLoss(F[targets.content.layer], targets.content.P)
    : zero;
  const style = targets.style.length > 0 // Σ_l w_l E_l
    ? tf.addN(
      targets.style.map((s) => tf.mul(s.weight, styleLayerLoss(F[s.layer], s.A))),
    ) as tf.Scalar
    : zero;
  const total = tf.add(tf.mul(targets.alpha, content), tf.mul(targets.beta, style)) as tf.Scalar;
  return { total, content, style }; // L = α L_content + β L_style
}

/**
 * L and ∇ₓL at x (the flat network input, 3·H·W values): one forward and one backward pass
 * through VGG19. Returns numbers; no tensors are left behind.
 */
export function evaluateGatysLoss(
  vgg: Vgg19,
  targets: StyleTargets,
  x: ArrayLike<number>,
): { value: number; gradient: Float32Array; parts: LossParts } {
  const { height, width } = targets;
  if (x.length !== 3 * height * width) {
    throw new Error(`evaluateGatysLoss: x has ${x.length} values, not 3·${height}·${width}`);
  }
  const input = tf.tensor4d(Float32Array.from(x), [1, height, width, 3]);
  let terms: tf.Tensor[] = [];
  const { value, grad } = tf.tidy(() =>
    tf.valueAndGrad((t: tf.Tensor) => {
      const loss = gatysLoss(vgg, targets, t as tf.Tensor4D);
      terms = [loss.content, loss.style].map((p) => tf.keep(tf.clone(p)));
      return loss.total;
    })(input)
  );
  const [content, style] = terms.map((p) => p.dataSync()[0]);
  const gradient = grad.dataSync() as Float32Array; // ∇ₓL
  const total = value.dataSync()[0];
  tf.dispose([input, value, grad, ...terms]);
  return { value: total, gradient, parts: { total, content, style } };
}
// @end-saved
