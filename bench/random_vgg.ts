/**
 * VGG19's convolution stack with random weights, for the benchmarks (the timings do not depend on
 * the weights' values, and the benchmarks must run without the external weight files).
 *
 * @example
 * ```ts
 * const weights = randomVggWeights(VGG19_TO_CONV5_1, new Random(3));
 * const y = vggForward(VGG19_TO_CONV5_1, weights, x, { pooling: "avg" });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../lib/runtime/random.ts";
import { frozenConvBiasRelu } from "../lib/nn/conv.ts";
import { gramMatrix } from "../lib/vision/gram.ts";
import { contentLoss, styleLayerLoss } from "../lib/vision/style_losses.ts";
import {
  blockedFrozenConvBiasRelu,
  blockedPool,
  chainedBlock,
  fromChannelBlocks,
} from "../lib/nn/blocked.ts";

/** Output channels of each convolution, block by block. */
export type VggBlocks = readonly (readonly number[])[];

/** VGG19's 16 convolutions (all five blocks). */
export const VGG19_ALL: VggBlocks = [
  [64, 64],
  [128, 128],
  [256, 256, 256, 256],
  [512, 512, 512, 512],
  [512, 512, 512, 512],
];

/** VGG19's convolutions up to conv5_1, the deepest layer style transfer uses. */
export const VGG19_TO_CONV5_1: VggBlocks = [
  [64, 64],
  [128, 128],
  [256, 256, 256, 256],
  [512, 512, 512, 512],
  [512],
];

/** He-initialised 3×3 kernels N(0, 2/(9·Cin)) for `blocks`, no biases. The caller disposes them. */
export function randomVggWeights(blocks: VggBlocks, rng: Random): tf.Tensor4D[] {
  const weights: tf.Tensor4D[] = [];
  let channels = 3;
  for (const block of blocks) {
    for (const out of block) {
      const std = Math.sqrt(2 / (9 * channels));
      weights.push(rng.normalTensor([3, 3, channels, out], 0, std) as tf.Tensor4D);
      channels = out;
    }
  }
  return weights;
}

/** Small random biases N(0, 0.01²), one vector per convolution of `blocks`. The caller disposes them. */
export function randomVggBiases(blocks: VggBlocks, rng: Random): tf.Tensor1D[] {
  return blocks.flat().map((out) => rng.normalTensor([out], 0, 0.01) as tf.Tensor1D);
}

/**
 * The stack: a ReLU after every convolution, a 2×2 pool after every block that is followed by
 * another (after every block with `poolLast`). `taps` receives the maps of the layers named in
 * `tapLayers` (default: every layer) by name (`convB_C`, after its ReLU). With `biases`, each
 * layer is the course's frozen layer (`frozenConvBiasRelu`, as in `Vgg19.features`: one fused
 * kernel forward, differentiable with respect to the input only), and where the backend keeps a
 * frozen network's activations in channel blocks (`chainedBlock`, `lib/nn/blocked.ts`) the
 * stack runs so, as `Vgg19.features` does, converting only the taps and the output; without
 * biases, `relu(conv2d)` with gradients for everything.
 */
export function vggForward(
  blocks: VggBlocks,
  weights: readonly tf.Tensor4D[],
  input: tf.Tensor4D,
  options: {
    pooling: "avg" | "max";
    poolLast?: boolean;
    taps?: Record<string, tf.Tensor4D>;
    tapLayers?: readonly string[];
    biases?: readonly tf.Tensor1D[];
  },
): tf.Tensor4D {
  const biases = options.biases;
  const wanted = (name: string) => options.tapLayers?.includes(name) ?? true;
  const block = biases ? chainedBlock() : undefined;
  if (biases && block !== undefined) {
    let h = input as tf.Tensor4D | tf.Tensor5D, i = 0, channels = 3;
    blocks.forEach((outs, b) => {
      for (let j = 0; j < outs.length; j++, i++) {
        h = blockedFrozenConvBiasRelu(h, weights[i], biases[i], block, { padding: "same" });
        channels = outs[j];
        const name = `conv${b + 1}_${j + 1}`;
        if (options.taps && wanted(name)) {
          options.taps[name] = fromChannelBlocks(h as tf.Tensor5D, channels);
        }
      }
      if (b < blocks.length - 1 || options.poolLast) {
        h = blockedPool(h as tf.Tensor5D, options.pooling, { size: 2, strides: 2 });
      }
    });
    // The last layer's maps, converted once if they are a tap too.
    const lastName = `conv${blocks.length}_${blocks[blocks.length - 1].length}`;
    const lastPooled = options.poolLast ?? false;
    if (!lastPooled && options.taps && wanted(lastName)) return options.taps[lastName];
    return fromChannelBlocks(h as tf.Tensor5D, channels);
  }
  let h = input, i = 0;
  blocks.forEach((block, b) => {
    for (let j = 0; j < block.length; j++, i++) {
      h = biases
        ? frozenConvBiasRelu(h, weights[i], biases[i], { padding: "same" })
        : tf.relu(tf.conv2d(h, weights[i], 1, "same"));
      const name = `conv${b + 1}_${j + 1}`;
      if (options.taps && wanted(name)) options.taps[name] = h;
    }
    if (b < blocks.length - 1 || options.poolLast) {
      h = options.pooling === "avg" ? tf.avgPool(h, 2, 2, "valid") : tf.maxPool(h, 2, 2, "valid");
    }
  });
  return h;
}

/**
 * The maps of `tapLayers` for `image` through VGG19 to conv5_1 as the style transfer runs it
 * (frozen layers with biases, average pooling), by layer name: the features of workload (e) and
 * of its A/B twin. Call it inside `tf.tidy` or a gradient function (the stack's output is not
 * freed here).
 */
export function styleTransferTaps(
  weights: readonly tf.Tensor4D[],
  biases: readonly tf.Tensor1D[],
  image: tf.Tensor4D,
  tapLayers: readonly string[],
): Record<string, tf.Tensor4D> {
  const taps: Record<string, tf.Tensor4D> = {};
  vggForward(VGG19_TO_CONV5_1, weights, image, { pooling: "avg", taps, tapLayers, biases });
  return taps;
}

/** The settings of the style-transfer objective of workload (e) (`randomStyleObjective`). */
export const STYLE_OBJECTIVE = {
  contentLayer: "conv4_2",
  styleLayers: ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"],
  contentWeight: 1e-3,
  styleWeight: 1,
} as const;

/**
 * The style-transfer objective of workload (e) through VGG19 to conv5_1 with `weights` and
 * `biases`: L = α·½Σ(F − P)² at conv4_2 + β·Σ_l E_l/5 at conv1_1 … conv5_1
 * ({@linkcode STYLE_OBJECTIVE}), the targets P and A_l from a random photo and a random painting
 * (side × side, drawn from `rng` in that order). `lossAndGrad(x)` gives L and ∇ₓL; `dispose`
 * frees the targets (not the weights).
 */
export function randomStyleObjective(
  weights: readonly tf.Tensor4D[],
  biases: readonly tf.Tensor1D[],
  rng: Random,
  side: number,
): { lossAndGrad: (x: tf.Tensor) => { value: tf.Scalar; grad: tf.Tensor }; dispose: () => void } {
  const { contentLayer, styleLayers, contentWeight, styleWeight } = STYLE_OBJECTIVE;
  const features = (image: tf.Tensor4D): Record<string, tf.Tensor4D> =>
    styleTransferTaps(weights, biases, image, [contentLayer, ...styleLayers]);
  const [P, ...A] = tf.tidy(() => {
    const photo = rng.uniformTensor([1, side, side, 3], 0, 1) as tf.Tensor4D;
    const painting = rng.uniformTensor([1, side, side, 3], 0, 1) as tf.Tensor4D;
    const style = features(painting);
    return [features(photo)[contentLayer], ...styleLayers.map((l) => gramMatrix(style[l]))];
  }) as [tf.Tensor4D, ...tf.Tensor2D[]];
  const lossAndGrad = tf.valueAndGrad((input: tf.Tensor) => {
    const maps = features(input as tf.Tensor4D);
    const style = tf.addN(
      styleLayers.map((l, i) => tf.mul(1 / styleLayers.length, styleLayerLoss(maps[l], A[i]))),
    );
    return tf.addN([
      tf.mul(contentWeight, contentLoss(maps[contentLayer], P)),
      tf.mul(styleWeight, style),
    ]) as tf.Scalar;
  });
  return { lossAndGrad, dispose: () => tf.dispose([P, ...A]) };
}

/** A seeded benchmark case: one run's outputs, the forward pass alone, `dispose` for the inputs. */
export interface BenchCase {
  /** The outputs of one run (the caller frees them). */
  run: () => tf.Tensor[];
  /** The forward pass's output alone (the caller frees it). */
  forward: () => tf.Tensor;
  dispose: () => void;
}

/**
 * Workload (b): a 3×3 64→64 convolution ("same") on 1×side×side×64, x and dy ~ N(0, 1), the
 * filter ~ N(0, 0.05²) (drawn from `rng` in the order x, filter, dy); a run gives both gradients
 * for dy, `forward` the convolution itself.
 */
export function convGradientCase(
  rng: Random,
  side: number,
): BenchCase {
  const x = rng.normalTensor([1, side, side, 64]) as tf.Tensor4D;
  const w = rng.normalTensor([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
  const dy = rng.normalTensor([1, side, side, 64]) as tf.Tensor4D;
  const conv = (xs: tf.Tensor, ws: tf.Tensor) =>
    tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, "same");
  const grads = tf.grads(conv);
  return {
    run: () => grads([x, w], dy),
    forward: () => conv(x, w),
    dispose: () => tf.dispose([x, w, dy]),
  };
}

/**
 * Workload (c): VGG19 to conv5_1 (random weights and biases from `rng`, then a uniform image
 * 1×side×side×3), average pooling, the course's frozen layers; a run gives the input gradient of
 * the output's sum, `forward` the output.
 */
export function vggStepCase(rng: Random, side: number): BenchCase {
  const weights = randomVggWeights(VGG19_TO_CONV5_1, rng);
  const biases = randomVggBiases(VGG19_TO_CONV5_1, rng);
  const x = rng.uniformTensor([1, side, side, 3], 0, 1) as tf.Tensor4D;
  const forward = (input: tf.Tensor) =>
    vggForward(VGG19_TO_CONV5_1, weights, input as tf.Tensor4D, { pooling: "avg", biases });
  const dx = tf.grad((input: tf.Tensor) => forward(input).sum());
  return {
    run: () => [dx(x)],
    forward: () => forward(x),
    dispose: () => tf.dispose([x, ...weights, ...biases]),
  };
}
