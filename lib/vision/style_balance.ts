/**
 * The balance between content and style (chapter 7, §7.3): how hard each term pulls on the white
 * noise a transfer starts from, and the content weight α (β = 1) that gives one of the paper's
 * ratios α/β its meaning here. The code is written and derived in `07_style_transfer.ipynb`.
 *
 * @example
 * ```ts
 * const pulls = startPulls(vgg, photo, painting);  // ‖∇L_content(x₀)‖, ‖∇L_style(x₀)‖
 * const alpha = balancedContentWeight(1e-4, pulls); // a tenth of the balance's α
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Vgg19 } from "./vgg19.ts";
import { evaluateGatysLoss, styleTargets, type StyleTargetSpec } from "./style_objective.ts";
import { whiteNoise } from "./style_transfer.ts";

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/** How hard each term pulls on the start: ‖∇ₓL_content(x₀)‖ and ‖∇ₓL_style(x₀)‖. */
export interface StartPulls {
  /** ‖∇ₓ L_content(x₀)‖ (α = 1). */
  content: number;
  /** ‖∇ₓ Σ_l w_l E_l(x₀)‖ (β = 1). */
  style: number;
}

/**
 * The pulls of the photo's content and the painting's style (the paper's layers unless `spec`
 * says otherwise) on the white noise x₀ that `styleTransfer` starts from (same seed and scale).
 */
export function startPulls(
  vgg: Vgg19,
  photo: tf.Tensor3D,
  painting: tf.Tensor3D,
  spec: Pick<StyleTargetSpec, "styleLayers" | "styleLayerWeights"> & {
    seed?: number | string;
    noiseStd?: number;
  } = {},
): StartPulls {
  const [height, width] = photo.shape;
  const x0 = whiteNoise(height, width, spec);
  const pull = (targetSpec: StyleTargetSpec): number => {
    const targets = styleTargets(vgg, targetSpec);
    try {
      const { gradient } = evaluateGatysLoss(vgg, targets, x0);
      return Math.sqrt(gradient.reduce((sum, g) => sum + g * g, 0)); // ‖∇ₓ‖
    } finally {
      targets.dispose();
    }
  };
  return {
    content: pull({ content: photo, contentWeight: 1 }),
    style: pull({ ...spec, style: painting, size: [height, width], styleWeight: 1 }),
  };
}

/** The paper's α/β at which content and style pull equally hard on the start. */
export const BALANCED_RATIO = 1e-3;

/**
 * α (with β = 1) for one of the paper's α/β: (α/β) / (α/β)₀ · ‖∇L_style(x₀)‖ / ‖∇L_content(x₀)‖,
 * so that at `balancedAt` = (α/β)₀ (default {@linkcode BALANCED_RATIO}) the two pulls are equal.
 */
export function balancedContentWeight(
  paperRatio: number,
  pulls: StartPulls,
  balancedAt: number = BALANCED_RATIO,
): number {
  if (!(paperRatio > 0) || !(balancedAt > 0) || !(pulls.content > 0) || !(pulls.style > 0)) {
    throw new Error(
      `balancedContentWeight: α/β, the balanced α/β and both pulls must be positive; got ` +
        `α/β = ${paperRatio}, balanced at ${balancedAt}, pulls ${pulls.content} (content) and ` +
        `${pulls.style} (style)`,
    );
  }
  return (paperRatio / balancedAt) * (pulls.style / pulls.content);
}
// @end-saved
