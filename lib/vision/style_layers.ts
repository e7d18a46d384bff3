/**
 * Which VGG19 layers Gatys, Ecker & Bethge (2015) use, and how many positions a layer has: the
 * content layer conv4_2, the style layers conv1_1 … conv5_1 (w_l = 1/5 each), the growing
 * subsets of the style layers in their figures 1 and 3, and M_l for an H×W image.
 *
 * @example
 * ```ts
 * styleLayerSubsets().length;            // 5
 * layerPositions("conv4_2", 192, 256);   // 24 · 32 = 768
 * ```
 *
 * @module
 */
import { VGG19_LAYERS, type Vgg19Layer } from "./vgg19.ts";

/** The paper's content layer. */
export const PAPER_CONTENT_LAYER: Vgg19Layer = "conv4_2";

/** The paper's style layers (w_l = 1/5 each). */
export const PAPER_STYLE_LAYERS: readonly Vgg19Layer[] = [
  "conv1_1",
  "conv2_1",
  "conv3_1",
  "conv4_1",
  "conv5_1",
];

/**
 * The growing style-layer subsets of the paper's figures 1 and 3: {conv1_1}, {conv1_1, conv2_1},
 * …, {conv1_1, …, conv5_1}.
 *
 * @example
 * ```ts
 * styleLayerSubsets()[1]; // ["conv1_1", "conv2_1"]
 * ```
 */
export function styleLayerSubsets(): Vgg19Layer[][] {
  return PAPER_STYLE_LAYERS.map((_, i) => PAPER_STYLE_LAYERS.slice(0, i + 1));
}

/**
 * The number of positions M of a layer's feature maps for an H×W input (each 2×2 pooling halves
 * the sides, rounding down, as `Vgg19.features` pools).
 *
 * @example
 * ```ts
 * layerPositions("conv4_2", 192, 256); // 24 · 32 = 768
 * ```
 */
export function layerPositions(layer: Vgg19Layer, height: number, width: number): number {
  const index = VGG19_LAYERS.indexOf(layer);
  if (index < 0) throw new Error(`layerPositions: unknown layer "${layer}"`);
  const pools = VGG19_LAYERS.slice(0, index).filter((l) => l.startsWith("pool")).length;
  let [h, w] = [height, width];
  for (let i = 0; i < pools; i++) [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
  return h * w;
}
