/**
 * Style transfer by optimising an image's pixels (Gatys, Ecker & Bethge 2015): L-BFGS on the
 * objective of `style_objective.ts`, from white noise, with the losses recorded after each
 * iteration and optional snapshots. With only a photo or only a painting it makes the content
 * and style reconstructions of the paper's figure 1. The paper's settings are the defaults (white
 * noise, L-BFGS, no total variation; average pooling is a property of the network passed in:
 * `loadVgg19({ pooling: "avg" })`).
 *
 * {@linkcode styleTransfer} is written in chapter 7 (`notebooks/07_style_transfer.ipynb`, §7.4)
 * and copied here; the types, the starting noise and the decoding to RGB are hand-written.
 *
 * @example
 * ```ts
 * const vgg = await loadVgg19({ pooling: "avg" });
 * const result = await styleTransfer(vgg, {
 *   content: photo, style: painting,          // RGB 0–255, H×W×3
 *   contentWeight: 1e-3, styleWeight: 1,      // α/β = 1e-3
 *   iterations: 300,
 * });
 * await showImage("fig2-starry-night", result.image);
 * result.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Vgg19, vggDeprocess } from "./vgg19.ts";
import {
  evaluateGatysLoss,
  type LossParts,
  styleTargets,
  type StyleTargetSpec,
} from "./style_objective.ts";
import { minimizeLbfgs, type OptimizeResult } from "../optim/lbfgs.ts";
import { Random } from "../runtime/random.ts";
import { baseSeed } from "../runtime/config.ts";
import { ProgressBar, type ProgressMode } from "../viz/progress.ts";

/** Options of {@linkcode styleTransfer}: the targets, the start, the length, the output. */
export interface StyleTransferOptions extends StyleTargetSpec {
  /** Standard deviation of the white noise, 0–255 scale (default 4). */
  noiseStd?: number;
  /** Seed of the noise (default COURSE_SEED). */
  seed?: number | string;
  /** L-BFGS iterations (default 100); a few more evaluations are used by line searches. */
  iterations?: number;
  /** Keep an RGB snapshot every this many iterations (default 0: none). */
  snapshotEvery?: number;
  /** A progress bar with the losses: its label, or false for none (default "style transfer"). */
  progress?: string | false;
  /** Where the progress bar draws (default: automatic). */
  progressMode?: ProgressMode;
}

/** One line of the loss history. */
export interface LossRecord extends LossParts {
  /** Iterations done (0: the start). */
  iteration: number;
  /** Objective evaluations so far. */
  evaluations: number;
}

/** An RGB image (H×W×3, 0–255) of the run after `iteration` iterations. */
export interface Snapshot {
  /** Iterations done. */
  iteration: number;
  /** The image; owned by the result. */
  image: tf.Tensor3D;
}

/** The outcome of {@linkcode styleTransfer}. Dispose it to free its images. */
export interface StyleTransferResult {
  /** The final image, RGB 0–255 (clipped), H×W×3. */
  image: tf.Tensor3D;
  /** RGB snapshots every `snapshotEvery` iterations. */
  snapshots: Snapshot[];
  /** Losses at the start and after each iteration. */
  history: LossRecord[];
  /** The optimiser's own report (x is the final network input). */
  optimizer: OptimizeResult;
  /** Wall-clock seconds of the run (targets included). */
  seconds: number;
  /** Free `image` and the snapshots. */
  dispose(): void;
}

/**
 * White noise as a starting image (flat network input, 3·H·W values): normal with standard
 * deviation `noiseStd` (default 4, on the 0–255 scale) around the mean colour, seeded by `seed`
 * (default COURSE_SEED).
 *
 * @example
 * ```ts
 * const x0 = whiteNoise(48, 64, { seed: 7 }); // Float64Array of 9216 values
 * ```
 */
export function whiteNoise(
  height: number,
  width: number,
  options: { seed?: number | string; noiseStd?: number } = {},
): Float64Array {
  const rng = new Random(`${options.seed ?? baseSeed()}/style-transfer-noise`);
  return Float64Array.from(rng.normalArray(3 * height * width, 0, options.noiseStd ?? 4));
}

/**
 * Decode a flat network input (BGR, mean subtracted) to an RGB image, H×W×3, 0–255, clipped.
 * The caller owns it.
 *
 * @example
 * ```ts
 * const rgb = decodeImage(result.optimizer.x, 48, 64);
 * ```
 */
export function decodeImage(x: ArrayLike<number>, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(x), [1, height, width, 3]);
    return tf.clipByValue(vggDeprocess(input), 0, 255) as tf.Tensor3D;
  });
}

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/**
 * Style transfer (with only a photo or only a painting: a content or style reconstruction, as in
 * the paper's figure 1): L-BFGS on the pixels from white noise. The targets are freed at the end.
 */
export async function styleTransfer(
  vgg: Vgg19,
  options: StyleTransferOptions,
): Promise<StyleTransferResult> {
  const started = performance.now();
  const targets = styleTargets(vgg, options); // P and the A_l, once
  const { height, width } = targets;
  const iterations = options.iterations ?? 100;
  const history: LossRecord[] = [], snapshots: Snapshot[] = [];
  const partsAt = new WeakMap<Float64Array, LossParts>(); // the terms at each evaluated point
  let evaluations = 0;
  const objective = (x: Float64Array) => {
    const e = evaluateGatysLoss(vgg, targets, x); // forward and backward through VGG19
    partsAt.set(x, e.parts);
    if (++evaluations === 1) history.push({ iteration: 0, evaluations, ...e.parts });
    return e;
  };
  const bar = options.progress === false ? undefined : new ProgressBar({
    total: iterations,
    label: options.progress ?? "style transfer",
    mode: options.progressMode,
  });
  try {
    const x0 = whiteNoise(height, width, options);
    const result = await minimizeLbfgs(objective, x0, {
      maxIterations: iterations,
      onIteration: ({ iteration, x }) => {
        const parts = partsAt.get(x)!; // x is the accepted trial point itself
        history.push({ iteration, evaluations, ...parts });
        bar?.update(iteration, {
          loss: parts.total.toPrecision(4),
          content: parts.content.toPrecision(3),
          style: parts.style.toPrecision(3),
        });
        if (options.snapshotEvery && iteration % options.snapshotEvery === 0) {
          snapshots.push({ iteration, image: decodeImage(x, height, width) });
        }
      },
    });
    await bar?.done({ loss: history[history.length - 1].total.toPrecision(4) });
    const image = decodeImage(result.x, height, width);
    return {
      image,
      snapshots,
      history,
      optimizer: result,
      seconds: (performance.now() - started) / 1000,
      dispose: () => tf.dispose([image, ...snapshots.map((s) => s.image)]),
    };
  } catch (error) {
    tf.dispose(snapshots.map((s) => s.image)); // interrupted or failed: nothing is returned
    throw error;
  } finally {
    targets.dispose();
  }
}
// @end-saved
