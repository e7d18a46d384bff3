/**
 * A frozen network's layers on activations kept in channel blocks, for backends whose convolutions
 * run on such blocks (the `blas` backend with oneDNN and `COURSE_DNNL_LAYOUT=chain`: nChw8c with
 * AVX2, nChw16c with AVX-512; see `lib/runtime/backends/blas/dnnl_conv.ts` and README's "oneDNN's
 * activation formats"). A
 * blocked activation is a float32 tensor [N, ⌈C/b⌉, H, W, b] — channel c of pixel (n, h, w) at
 * [n, ⌊c/b⌋, h, w, c mod b], padding channels zero — that passes from one layer to the next
 * without being reordered; only the network's input and the maps read out are converted.
 *
 * Every function is differentiable with respect to its activation input (tf's gradient tape,
 * as {@linkcode frozenConvBiasRelu}), gives the same numbers as the NHWC layers, and needs the
 * backend's kernels (`KERNEL_NAMES.toChannelBlocks` …): use them only where
 * {@linkcode chainedBlock} returns a block.
 *
 * @example
 * ```ts
 * const block = chainedBlock("auto");
 * if (block !== undefined) {
 *   let h = blockedFrozenConvBiasRelu(x, w1, b1, block, { padding: "same" }); // x NHWC in
 *   h = blockedFrozenConvBiasRelu(h, w2, b2, block, { padding: "same" });
 *   const conv1_2 = fromChannelBlocks(blockedPool(h, "avg", { size: 2 }), 64);
 * }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { channelBlock } from "../runtime/backends/channel_blocks.ts";
import { usesCustomGradients } from "../runtime/backends/conv_gradients.ts";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import {
  avgPool2d,
  type GradientPath,
  maxPool2d,
  type Padding,
  pair,
  type PoolOptions,
} from "./conv.ts";

/** The arguments tfjs passes to a `tf.customGrad` function: the inputs, then a save function. */
type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

/**
 * The channel block to keep a frozen network's activations in on the active backend, or
 * `undefined` when its layers should run on NHWC tensors (no such kernels, the layout setting
 * says otherwise, or `gradient` asks for the custom gradient code, which is NHWC only).
 */
export function chainedBlock(gradient: GradientPath = "auto"): number | undefined {
  if (gradient === "custom" || (gradient === "auto" && usesCustomGradients())) return undefined;
  return channelBlock();
}

function checkBlock(block: number, what: string): void {
  if (!Number.isInteger(block) || block < 1) {
    throw new Error(`${what}: the block must be a positive integer, not ${block}`);
  }
}

/** The kernels themselves, without gradients (each is the other's gradient). */
function toBlocksKernel(x: tf.Tensor, block: number): tf.Tensor5D {
  return tf.engine().runKernel(KERNEL_NAMES.toChannelBlocks, { x }, { block }) as tf.Tensor5D;
}

function fromBlocksKernel(x: tf.Tensor, channels: number): tf.Tensor4D {
  return tf.engine().runKernel(KERNEL_NAMES.fromChannelBlocks, { x }, { channels }) as tf.Tensor4D;
}

/**
 * An NHWC tensor [N, H, W, C] in channel blocks [N, ⌈C/b⌉, H, W, b] (padding channels zero).
 *
 * @example
 * ```ts
 * toChannelBlocks(tf.zeros([1, 4, 4, 12]) as tf.Tensor4D, 8).shape; // [1, 2, 4, 4, 8]
 * ```
 */
export function toChannelBlocks(x: tf.Tensor4D, block: number): tf.Tensor5D {
  if (x.rank !== 4) throw new Error(`toChannelBlocks: x must be [N, H, W, C], got [${x.shape}]`);
  checkBlock(block, "toChannelBlocks");
  const channels = x.shape[3];
  const op = tf.customGrad((...args: CustomGradArgs) => ({
    value: toBlocksKernel(args[0] as tf.Tensor, block),
    gradFunc: (dy: tf.Tensor) => fromBlocksKernel(dy, channels),
  }));
  return op(x) as tf.Tensor5D;
}

/**
 * Channel blocks [N, ⌈C/b⌉, H, W, b] back as an NHWC tensor [N, H, W, C] of `channels` = C.
 *
 * @example
 * ```ts
 * fromChannelBlocks(toChannelBlocks(x, 8), x.shape[3]); // equal to x
 * ```
 */
export function fromChannelBlocks(x: tf.Tensor5D, channels: number): tf.Tensor4D {
  if (x.rank !== 5 || x.shape[1] !== Math.ceil(channels / x.shape[4])) {
    throw new Error(
      `fromChannelBlocks: x must be channel blocks [N, ⌈C/b⌉, H, W, b] of ${channels} channels, ` +
        `got [${x.shape}]`,
    );
  }
  const block = x.shape[4];
  const op = tf.customGrad((...args: CustomGradArgs) => ({
    value: fromBlocksKernel(args[0] as tf.Tensor, channels),
    gradFunc: (dy: tf.Tensor) => toBlocksKernel(dy, block),
  }));
  return op(x) as tf.Tensor4D;
}

/**
 * y = ReLU(conv2d(x, w) + b) with a constant filter and bias, as {@linkcode frozenConvBiasRelu},
 * into channel blocks of `block`. x is NHWC [N, H, W, C] (a network's input) or channel blocks
 * of the same block. Differentiable with respect to x only; the gradient comes back in x's
 * layout.
 *
 * @example
 * ```ts
 * const h = blockedFrozenConvBiasRelu(image, kernel, bias, 8, { padding: "same" });
 * ```
 */
export function blockedFrozenConvBiasRelu(
  x: tf.Tensor4D | tf.Tensor5D,
  w: tf.Tensor4D,
  bias: tf.Tensor1D,
  block: number,
  options: { strides?: number | readonly [number, number]; padding?: Padding } = {},
): tf.Tensor5D {
  const strides = pair(options.strides ?? 1, "blockedFrozenConvBiasRelu: stride");
  const pad = options.padding ?? "valid";
  checkBlock(block, "blockedFrozenConvBiasRelu");
  const inputBlocked = x.rank === 5;
  const channels = inputBlocked ? undefined : x.shape[3];
  const shapeOk = inputBlocked
    ? x.shape[1] === Math.ceil(w.shape[2] / block) && x.shape[4] === block
    : channels === w.shape[2];
  if (x.rank < 4 || x.rank > 5 || w.rank !== 4 || !shapeOk || bias.size !== w.shape[3]) {
    throw new Error(
      `blockedFrozenConvBiasRelu: x must be [N, H, W, C] or blocks [N, ⌈C/${block}⌉, H, W, ` +
        `${block}], w [kh, kw, C, Cout] and the bias [Cout]; got x [${x.shape}], w [${w.shape}], ` +
        `bias [${bias.shape}]`,
    );
  }
  const inputShape = inputBlocked ? [x.shape[0], x.shape[2], x.shape[3], w.shape[2]] : x.shape;
  const attrs = { strides, pad, block };
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.engine().runKernel(
      KERNEL_NAMES.blockedConvBiasRelu,
      { x: xs, filter: w, bias },
      attrs,
    ) as tf.Tensor5D;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(
          KERNEL_NAMES.blockedConvBiasReluBackprop,
          { dy, y: saved[0], filter: w },
          { strides, pad, inputShape, inputBlocked },
        ) as tf.Tensor,
    };
  });
  return op(x) as tf.Tensor5D;
}

/**
 * Average or max pooling of channel blocks, per channel as {@linkcode avgPool2d} and
 * {@linkcode maxPool2d} (which run it, on the blocks seen as N·⌈C/b⌉ images of b channels: the
 * same numbers and gradients as on NHWC).
 *
 * @example
 * ```ts
 * blockedPool(h, "avg", { size: 2 }).shape; // [1, 8, 128, 128, 8] for h [1, 8, 256, 256, 8]
 * ```
 */
export function blockedPool(
  x: tf.Tensor5D,
  kind: "avg" | "max",
  options: PoolOptions = {},
): tf.Tensor5D {
  if (x.rank !== 5) throw new Error(`blockedPool: x must be channel blocks, got [${x.shape}]`);
  return tf.tidy(() => {
    const [n, groups, h, w, b] = x.shape;
    const images = tf.reshape(x, [n * groups, h, w, b]) as tf.Tensor4D;
    const y = kind === "avg" ? avgPool2d(images, options) : maxPool2d(images, options);
    return tf.reshape(y, [n, groups, y.shape[1], y.shape[2], b]) as tf.Tensor5D;
  });
}
