/**
 * Style transfer by optimising an image's pixels (Gatys, Ecker & Bethge 2015): find x minimising
 *
 *   L_total(x) = α L_content(x; photo) + β L_style(x; painting) [+ λ_TV R(x)]
 *
 * where L_content compares VGG19 feature maps at one layer (conv4_2 in the paper) and L_style
 * compares Gram matrices at several layers (conv1_1 … conv5_1 with w_l = 1/5); see
 * `style_losses.ts`. The targets (the photo's feature maps P, the painting's Gram matrices A) are
 * computed once. Each evaluation runs VGG19 forward on x and back to the pixels with `tf.grad`;
 * the losses' backward passes are the hand-derived gradients of `style_losses.ts`.
 *
 * The optimisation variable is the network's input itself (BGR, ImageNet mean subtracted, 0–255
 * scale), which differs from the RGB pixels only by a channel permutation and a shift; the result
 * is decoded back to RGB and clipped to 0–255. The paper's settings are the defaults: start from
 * white noise, L-BFGS, no total variation (average pooling is a property of the network passed
 * in: `loadVgg19({ pooling: "avg" })`).
 *
 * When the painting and the image differ in size, the painting's Gram matrices are rescaled by
 * M_image / M_painting (G grows with the number of positions), so that E_l compares the
 * same statistics per position; with equal sizes this is the paper's E_l.
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
import { type Vgg19, VGG19_LAYERS, type Vgg19Layer, vggDeprocess, vggPreprocess } from "./vgg19.ts";
import { gramMatrix, layerSize } from "./gram.ts";
import { contentLoss, styleLayerLoss, totalVariationLoss } from "./style_losses.ts";
import { type LbfgsOptions, minimizeLbfgs, type OptimizeResult } from "../optim/lbfgs.ts";
import { minimizeAdam } from "../optim/adam.ts";
import { Random } from "../runtime/random.ts";
import { baseSeed } from "../runtime/config.ts";
import { ProgressBar, type ProgressMode } from "../viz/progress.ts";

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
 * The content weight α (with β = 1) that gives a paper's α/β its intended balance here:
 * α = (α/β)_paper · κ / M, with M the number of positions of the content layer in the image
 * (e.g. 24·32 = 768 at conv4_2 for a 192×256 image) and κ = 0.5 by default.
 *
 * Why: with the paper's own definitions and the normalised VGG19 (mean activation 1), L_content
 * grows with M while every E_l is independent of the image size, and at the paper's α/β the
 * photo dominates completely (measured: at α/β = 1e-3 the style loss hardly moves from white
 * noise). The paper does not give its image size; the authors' published notebook weights
 * correspond to α/β ≈ 1e-6 at 512 px in the paper's definitions. Dividing by M makes the balance
 * independent of the image size, and κ was chosen by eye so that the paper's ratios give the
 * paper's look (1e-3: strongly stylised, photo recognisable; 1e-2: mostly photo; 1e-5: mostly
 * texture). A deviation the notebooks state.
 *
 * @example
 * ```ts
 * calibratedContentWeight(1e-3, 768); // ≈ 6.5e-7
 * ```
 */
export function calibratedContentWeight(
  paperRatio: number,
  positions: number,
  kappa = 0.5,
): number {
  return paperRatio * kappa / positions;
}

/**
 * The number of positions M of a layer's feature maps for an H×W input (each pooling halves
 * the sides, rounding down).
 *
 * @example
 * ```ts
 * layerPositions("conv4_2", 192, 256); // 24 · 32 = 768
 * ```
 */
export function layerPositions(layer: Vgg19Layer, height: number, width: number): number {
  const pools =
    VGG19_LAYERS.slice(0, VGG19_LAYERS.indexOf(layer)).filter((l) => l.startsWith("pool")).length;
  let [h, w] = [height, width];
  for (let i = 0; i < pools; i++) [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
  return h * w;
}

/** The loss terms at one point. */
export interface LossParts {
  /** α L_content + β L_style + λ_TV R. */
  total: number;
  /** L_content (unweighted; 0 without a photo). */
  content: number;
  /** L_style = Σ w_l E_l (unweighted by β; 0 without a painting). */
  style: number;
  /** R, the total variation (0 when λ_TV = 0). */
  tv: number;
}

/** What is optimised: targets and weights (see {@linkcode StyleObjective}). */
export interface StyleObjectiveSpec {
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
  /** λ_TV (default 0: off, as in the paper). */
  tvWeight?: number;
  /** The image's height and width (default: the photo's; required without a photo). */
  size?: readonly [number, number];
}

/**
 * The style-transfer objective as a function of the flat network input (1×H×W×3, BGR, mean
 * subtracted): value and gradient by one forward and backward pass of VGG19. Holds its targets
 * until {@linkcode StyleObjective.dispose}.
 *
 * @example
 * ```ts
 * const objective = new StyleObjective(vgg, { content: photo, style: painting });
 * const x = objective.initialImage("content");
 * const { value, gradient } = objective.evaluate(x);
 * objective.dispose();
 * ```
 */
export class StyleObjective {
  /** Height and width of the optimised image. */
  readonly height: number;
  readonly width: number;
  readonly contentLayer: Vgg19Layer;
  readonly styleLayers: readonly Vgg19Layer[];
  readonly styleLayerWeights: readonly number[];
  readonly contentWeight: number;
  readonly styleWeight: number;
  readonly tvWeight: number;
  /** The loss terms at the last evaluated point. */
  lastParts: LossParts = { total: NaN, content: NaN, style: NaN, tv: NaN };
  /** Evaluations so far. */
  evaluations = 0;
  readonly #vgg: Vgg19;
  readonly #contentTarget: tf.Tensor4D | undefined;
  readonly #styleTargets: tf.Tensor2D[];
  readonly #contentInput: tf.Tensor4D | undefined;
  readonly #layers: Vgg19Layer[];

  /** Precompute the targets (one forward pass for the photo, one for the painting). */
  constructor(vgg: Vgg19, spec: StyleObjectiveSpec) {
    this.#vgg = vgg;
    this.contentLayer = spec.contentLayer ?? PAPER_CONTENT_LAYER;
    this.styleLayers = spec.style === undefined
      ? []
      : [...(spec.styleLayers ?? PAPER_STYLE_LAYERS)];
    const n = this.styleLayers.length;
    this.styleLayerWeights = spec.styleLayerWeights ?? this.styleLayers.map(() => 1 / n);
    if (this.styleLayerWeights.length !== n) {
      throw new Error(`styleLayerWeights: ${this.styleLayerWeights.length} weights, ${n} layers`);
    }
    this.contentWeight = spec.content === undefined ? 0 : spec.contentWeight ?? 1e-3;
    this.styleWeight = spec.style === undefined ? 0 : spec.styleWeight ?? 1;
    this.tvWeight = spec.tvWeight ?? 0;
    const size = spec.size ??
      (spec.content ? [spec.content.shape[0], spec.content.shape[1]] as const : undefined);
    if (size === undefined) throw new Error("StyleObjective: give a photo or a size");
    [this.height, this.width] = size;
    if (spec.content && (spec.content.shape[0] !== size[0] || spec.content.shape[1] !== size[1])) {
      throw new Error(`StyleObjective: the photo is [${spec.content.shape}], the size [${size}]`);
    }
    for (const layer of [this.contentLayer, ...this.styleLayers]) {
      if (!(VGG19_LAYERS as readonly string[]).includes(layer)) {
        throw new Error(`StyleObjective: unknown layer "${layer}"`);
      }
    }
    this.#layers = [
      ...new Set([...(spec.content ? [this.contentLayer] : []), ...this.styleLayers]),
    ];
    if (this.#layers.length === 0) throw new Error("StyleObjective: give a photo or a painting");

    if (spec.content) {
      this.#contentInput = vggPreprocess(spec.content);
      const maps = vgg.features(this.#contentInput, [this.contentLayer]);
      this.#contentTarget = maps[this.contentLayer];
    }
    this.#styleTargets = [];
    if (spec.style) {
      const painting = vggPreprocess(spec.style);
      const maps = vgg.features(painting, this.styleLayers);
      // positions of each style layer in the optimised image, to rescale A to the same M
      const probe = tf.tidy(() =>
        vgg.features(tf.zeros([1, this.height, this.width, 3]), this.styleLayers)
      );
      for (const layer of this.styleLayers) {
        const ratio = layerSize(probe[layer]).positions / layerSize(maps[layer]).positions;
        this.#styleTargets.push(tf.tidy(() => tf.mul(gramMatrix(maps[layer]), ratio)));
      }
      tf.dispose([painting, ...Object.values(maps), ...Object.values(probe)]);
    }
  }

  /** Number of optimised values, 3·H·W. */
  get size(): number {
    return 3 * this.height * this.width;
  }

  /**
   * A starting image (flat network input): `"noise"` — white noise, normal with standard
   * deviation `noiseStd` (default 4, on the 0–255 scale) around the mean colour, seeded;
   * `"content"` — the photo.
   *
   * @example
   * ```ts
   * const x0 = objective.initialImage("noise", { seed: 7 });
   * ```
   */
  initialImage(
    kind: "noise" | "content",
    options: { seed?: number | string; noiseStd?: number } = {},
  ): Float64Array {
    if (kind === "content") {
      if (this.#contentInput === undefined) throw new Error("initialImage: no photo given");
      return Float64Array.from(this.#contentInput.dataSync());
    }
    const rng = new Random(`${options.seed ?? baseSeed()}/style-transfer-noise`);
    return Float64Array.from(rng.normalArray(this.size, 0, options.noiseStd ?? 4));
  }

  /** The loss parts and total at x (flat network input), as tensors (caller disposes). */
  #losses(x: tf.Tensor4D): { total: tf.Scalar; parts: tf.Scalar[] } {
    const maps = this.#vgg.features(x, this.#layers);
    const zero = tf.scalar(0);
    const content = this.#contentTarget
      ? contentLoss(maps[this.contentLayer], this.#contentTarget)
      : zero;
    const style = this.styleLayers.length > 0
      ? tf.addN(
        this.styleLayers.map((l, i) =>
          tf.mul(this.styleLayerWeights[i], styleLayerLoss(maps[l], this.#styleTargets[i]))
        ),
      ) as tf.Scalar
      : zero;
    const tv = this.tvWeight > 0 ? totalVariationLoss(x) : zero;
    const total = tf.addN([
      tf.mul(this.contentWeight, content),
      tf.mul(this.styleWeight, style),
      tf.mul(this.tvWeight, tv),
    ]) as tf.Scalar;
    return { total, parts: [content, style, tv] };
  }

  /**
   * Loss and gradient at x (flat network input, length 3·H·W); records the parts in
   * {@linkcode StyleObjective.lastParts}. No tensors are left behind.
   *
   * @example
   * ```ts
   * const { value, gradient } = objective.evaluate(x); // gradient: Float32Array, length 3·H·W
   * ```
   */
  evaluate(x: ArrayLike<number>): { value: number; gradient: Float32Array; parts: LossParts } {
    if (x.length !== this.size) {
      throw new Error(`evaluate: x has ${x.length} values, not ${this.size}`);
    }
    this.evaluations++;
    const input = tf.tensor4d(Float32Array.from(x), [1, this.height, this.width, 3]);
    let parts: tf.Tensor[] = [];
    const { value, grad } = tf.tidy(() => {
      const result = tf.valueAndGrad((t: tf.Tensor) => {
        const losses = this.#losses(t as tf.Tensor4D);
        parts = losses.parts.map((p) => tf.keep(tf.clone(p)));
        return losses.total;
      })(input);
      return result;
    });
    const [content, style, tv] = parts.map((p) => p.dataSync()[0]);
    const gradient = grad.dataSync() as Float32Array;
    const total = value.dataSync()[0];
    tf.dispose([input, value, grad, ...parts]);
    this.lastParts = { total, content, style, tv };
    return { value: total, gradient, parts: this.lastParts };
  }

  /**
   * The loss parts at x without the gradient (one forward pass).
   *
   * @example
   * ```ts
   * objective.parts(x0).style; // L_style of the starting image
   * ```
   */
  parts(x: ArrayLike<number>): LossParts {
    const input = tf.tensor4d(Float32Array.from(x), [1, this.height, this.width, 3]);
    const values = tf.tidy(() => {
      const { total, parts } = this.#losses(input);
      return [total, ...parts].map((t) => t.dataSync()[0]);
    });
    input.dispose();
    const [total, content, style, tv] = values;
    return { total, content, style, tv };
  }

  /**
   * Decode a flat network input to an RGB image (H×W×3, 0–255, clipped). The caller owns it.
   *
   * @example
   * ```ts
   * const rgb = objective.toImage(result.x); // showImage("result", rgb)
   * ```
   */
  toImage(x: ArrayLike<number>): tf.Tensor3D {
    return tf.tidy(() => {
      const input = tf.tensor4d(Float32Array.from(x), [1, this.height, this.width, 3]);
      return tf.clipByValue(vggDeprocess(input), 0, 255) as tf.Tensor3D;
    });
  }

  /** Free the targets (the network is the caller's). */
  dispose(): void {
    tf.dispose([
      ...(this.#contentTarget ? [this.#contentTarget] : []),
      ...(this.#contentInput ? [this.#contentInput] : []),
      ...this.#styleTargets,
    ]);
  }
}

/** Options of {@linkcode styleTransfer}: the objective, the start, the optimiser, the output. */
export interface StyleTransferOptions extends StyleObjectiveSpec {
  /** The starting image: white noise (default, as in the paper), the photo, or an RGB image. */
  init?: "noise" | "content" | tf.Tensor3D;
  /** Standard deviation of the white noise, 0–255 scale (default 4). */
  noiseStd?: number;
  /** Seed of the noise (default COURSE_SEED). */
  seed?: number | string;
  /** "lbfgs" (default, as in the paper) or "adam". */
  optimizer?: "lbfgs" | "adam";
  /** Iterations (default 100). L-BFGS may use a few more evaluations (line searches). */
  iterations?: number;
  /** L-BFGS settings (memory, line search, …); `maxIterations` is `iterations`. */
  lbfgs?: Omit<LbfgsOptions, "maxIterations" | "onIteration">;
  /** Adam's learning rate on the 0–255 scale (default 4). */
  learningRate?: number;
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

/** The outcome of {@linkcode styleTransfer}. Dispose it to free its images. */
export interface StyleTransferResult {
  /** The final image, RGB 0–255 (clipped), H×W×3. */
  image: tf.Tensor3D;
  /** RGB snapshots every `snapshotEvery` iterations. */
  snapshots: { iteration: number; image: tf.Tensor3D }[];
  /** Losses at the start and after each iteration. */
  history: LossRecord[];
  /** The optimiser's own report (x is the final network input). */
  optimizer: OptimizeResult;
  /** Wall-clock seconds of the optimisation (targets included). */
  seconds: number;
  /** Free `image` and the snapshots. */
  dispose(): void;
}

/**
 * Run style transfer (or, with only a photo or only a painting, a content or style
 * reconstruction, as in the paper's figure 1): see the module notes and
 * {@linkcode StyleTransferOptions}.
 *
 * @example
 * ```ts
 * // Figure 1, a style reconstruction from {conv1_1, conv2_1}: no photo, white noise start
 * const r = await styleTransfer(vgg, {
 *   style: painting, styleLayers: ["conv1_1", "conv2_1"], size: [96, 128], iterations: 200,
 * });
 * console.log(r.history.at(-1)?.style);
 * r.dispose();
 * ```
 */
export async function styleTransfer(
  vgg: Vgg19,
  options: StyleTransferOptions,
): Promise<StyleTransferResult> {
  const started = performance.now();
  const objective = new StyleObjective(vgg, options);
  try {
    const init = options.init ?? "noise";
    let x0: Float64Array;
    if (typeof init === "string") {
      x0 = objective.initialImage(init, { seed: options.seed, noiseStd: options.noiseStd });
    } else {
      const input = vggPreprocess(init);
      x0 = Float64Array.from(input.dataSync());
      input.dispose();
      if (x0.length !== objective.size) throw new Error("styleTransfer: init has the wrong size");
    }
    const iterations = options.iterations ?? 100;
    const first = objective.evaluate(x0);
    const history: LossRecord[] = [{ iteration: 0, evaluations: 1, ...first.parts }];
    const snapshots: { iteration: number; image: tf.Tensor3D }[] = [];
    const bar = options.progress === false ? undefined : new ProgressBar({
      total: iterations,
      label: options.progress ?? "style transfer",
      mode: options.progressMode,
    });
    let cached: { x: Float64Array; value: number; gradient: Float32Array } | undefined = {
      x: x0,
      value: first.value,
      gradient: first.gradient,
    };
    // the loss parts of each evaluated point, by the optimiser's array (L-BFGS hands the accepted
    // trial point's own array to onIteration; Adam's last evaluation is at its final point)
    const partsOf = new WeakMap<Float64Array, LossParts>();
    const evaluate = (x: Float64Array) => {
      if (cached !== undefined && cached.x.every((v, i) => v === x[i])) {
        const c = cached;
        cached = undefined; // the first evaluation is reused once
        partsOf.set(x, first.parts);
        return { value: c.value, gradient: c.gradient };
      }
      cached = undefined;
      const e = objective.evaluate(x);
      partsOf.set(x, e.parts);
      return { value: e.value, gradient: e.gradient };
    };
    const onIteration = async (
      info: { iteration: number; evaluations: number; x: Float64Array },
    ) => {
      const parts = partsOf.get(info.x) ?? objective.lastParts;
      history.push({ iteration: info.iteration, evaluations: objective.evaluations, ...parts });
      bar?.update(info.iteration, {
        loss: parts.total.toPrecision(4),
        content: parts.content.toPrecision(3),
        style: parts.style.toPrecision(3),
      });
      if (options.snapshotEvery && info.iteration % options.snapshotEvery === 0) {
        snapshots.push({ iteration: info.iteration, image: objective.toImage(info.x) });
      }
      await Promise.resolve();
    };
    const result = options.optimizer === "adam"
      ? await minimizeAdam(evaluate, x0, {
        iterations,
        learningRate: options.learningRate ?? 4,
        onIteration,
      })
      : await minimizeLbfgs(evaluate, x0, {
        ...options.lbfgs,
        maxIterations: iterations,
        onIteration,
      });
    const final = partsOf.get(result.x) ?? objective.parts(result.x);
    const last = history[history.length - 1];
    if (last.iteration === result.iterations) Object.assign(last, final);
    await bar?.done({ loss: final.total.toPrecision(4) });
    const image = objective.toImage(result.x);
    return {
      image,
      snapshots,
      history,
      optimizer: result,
      seconds: (performance.now() - started) / 1000,
      dispose: () => tf.dispose([image, ...snapshots.map((s) => s.image)]),
    };
  } finally {
    objective.dispose();
  }
}
