/**
 * Convolution and pooling layers for NHWC tensors (chapter 6): their geometry (the output size
 * and padding formula, written in notebooks/06_cnn.ipynb), `conv2d`, `maxPool2d`, `avgPool2d`
 * and a `Conv2DLayer` with weights.
 *
 * The forward passes are tfjs's own kernels. The gradients are tfjs's registered kernels, or —
 * on backends where those are missing, slow or wrong (wasm; average pooling with partial
 * windows everywhere) — the custom ones of `lib/runtime/backends/conv_gradients.ts`, whose notes
 * give the table and the measurements. `options.gradient` forces either path.
 *
 * @example
 * ```ts
 * const x = tf.randomNormal([2, 28, 28, 1]) as tf.Tensor4D;
 * const w = tf.randomNormal([5, 5, 1, 8]) as tf.Tensor4D;
 * const y = maxPool2d(tf.relu(conv2d(x, w, { padding: "same" })), { size: 2 }); // [2, 14, 14, 8]
 * const dw = tf.grad((w: tf.Tensor) => conv2d(x, w as tf.Tensor4D).sum())(w);
 * ```
 *
 * @module
 */
import { heNormal } from "./initializers.ts";
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import type { Parameter } from "../optim/optimizer.ts";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import {
  avgPoolInputGrad,
  convFilterGrad,
  type ConvGeometry,
  convInputGrad,
  maxPoolInputGrad,
  padOrCrop,
  usesCustomGradients,
} from "../runtime/backends/conv_gradients.ts";

export type { ConvGeometry, PadAmounts } from "../runtime/backends/conv_gradients.ts";

/** The arguments tfjs passes to a `tf.customGrad` function: the inputs, then a save function. */
type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

/** "valid": no padding; "same": zero padding so that the output has ⌈size / stride⌉ pixels. */
export type Padding = "valid" | "same";

/**
 * Which gradient code runs: "custom" (`lib/runtime/backends/conv_gradients.ts`, built from
 * forward convolutions, pads and slices), "builtin" (tfjs's registered gradient kernels), or
 * "auto" (see the table there: custom on the wasm backend, built-in elsewhere; average pooling
 * with partial windows always custom).
 */
export type GradientPath = "auto" | "custom" | "builtin";

/** A size or stride for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];

/**
 * A {@linkcode Pair} as [height, width], checked to be positive integers (`what` names it in
 * the error).
 *
 * @example
 * ```ts
 * pair(3, "stride"); // [3, 3]
 * ```
 */
export function pair(value: Pair, what: string): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : value;
  if (![a, b].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${what} must be a positive integer or a pair of them, not ${value}`);
  }
  return [a, b];
}

// @saved-from notebooks/06_cnn.ipynb — edit it there, then `deno task save-cells`
/** Along one axis of n pixels, with a window of k and stride s: n_out and the zeros p₁, p₂. */
export function windowAxis(
  n: number,
  k: number,
  s: number,
  padding: Padding,
): { out: number; before: number; after: number } {
  if (padding === "same") {
    const out = Math.ceil(n / s); // n_out = ⌈n / s⌉
    const total = Math.max((out - 1) * s + k - n, 0); // p₁ + p₂
    const before = Math.floor(total / 2); // p₁ = ⌊(p₁ + p₂) / 2⌋, p₂ the rest
    return { out, before, after: total - before };
  }
  if (padding !== "valid") throw new Error(`padding must be "valid" or "same", not ${padding}`);
  const out = Math.floor((n - k) / s) + 1; // "valid": no zeros, n_out = ⌊(n − k) / s⌋ + 1
  if (out < 1) throw new Error(`a ${k}-pixel window does not fit in ${n} pixels without padding`);
  return { out, before: 0, after: 0 };
}

/** The sweep of a kh×kw window with strides (sh, sw) over an H×W input: sizes and padding. */
export function convGeometry(
  inputSize: readonly [number, number],
  filterSize: Pair,
  strides: Pair,
  padding: Padding,
): ConvGeometry {
  const [[fh, fw], [sh, sw]] = [pair(filterSize, "filter size"), pair(strides, "stride")];
  const [h, w] = inputSize;
  const rows = windowAxis(h, fh, sh, padding), cols = windowAxis(w, fw, sw, padding);
  return {
    inHeight: h,
    inWidth: w,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: rows.out,
    outWidth: cols.out,
    pad: { top: rows.before, bottom: rows.after, left: cols.before, right: cols.after },
  };
}
// @end-saved

function wantsCustom(path: GradientPath | undefined): boolean {
  return path === "custom" || ((path ?? "auto") === "auto" && usesCustomGradients());
}

/** Options of {@linkcode conv2d}. */
export interface Conv2DOptions {
  /** Stride (default 1). */
  strides?: Pair;
  /** Padding (default "valid"). */
  padding?: Padding;
  /** Which gradient code runs (default "auto"). */
  gradient?: GradientPath;
  /**
   * The filter is a constant (e.g. VGG19's weights while an image is optimised): the custom
   * gradient then computes ∂E/∂x only, skipping ∂E/∂w (default false).
   */
  constantFilter?: boolean;
}

/**
 * A 2-D convolution (cross-correlation, as in every deep-learning library):
 * y[n, r, c, o] = Σᵢ Σⱼ Σₖ x[n, r·sh + i − top, c·sw + j − left, k] · w[i, j, k, o], with zeros
 * outside the input. x is [N, H, W, Cin], w is [kh, kw, Cin, Cout] (HWIO). Differentiable; its
 * gradient code is chosen by `options.gradient` (see the module notes).
 *
 * @example
 * ```ts
 * const y = conv2d(images, filters, { strides: 1, padding: "same" }); // [N, H, W, Cout]
 * ```
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, options: Conv2DOptions = {}): tf.Tensor4D {
  const strides = pair(options.strides ?? 1, "conv2d: stride");
  const padding = options.padding ?? "valid";
  if (x.rank !== 4 || w.rank !== 4 || x.shape[3] !== w.shape[2]) {
    throw new Error(
      `conv2d: x must be [N, H, W, C] and w [kh, kw, C, Cout] with the same C; got x ` +
        `[${x.shape}] and w [${w.shape}]`,
    );
  }
  if (!wantsCustom(options.gradient)) return tf.conv2d(x, w, strides, padding);
  const g = convGeometry([x.shape[1], x.shape[2]], [w.shape[0], w.shape[1]], strides, padding);
  // Explicit zero padding and a "valid" convolution: wasm's own "same" convolution is wrong for
  // some strided shapes (e.g. x [1, 6, 6, 2], filter 2×1, stride 3×1).
  const forward = (xs: tf.Tensor4D, ws: tf.Tensor4D) =>
    tf.conv2d(padOrCrop(xs, g.pad), ws, strides, "valid");
  if (options.constantFilter) {
    const op = tf.customGrad((...args: CustomGradArgs) => ({
      value: forward(args[0] as tf.Tensor4D, w),
      gradFunc: (dy: tf.Tensor) => convInputGrad(dy as tf.Tensor4D, w, g),
    }));
    return op(x) as tf.Tensor4D;
  }
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [xs, ws, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: forward(xs, ws),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as tf.Tensor4D[];
        return [
          convInputGrad(dy as tf.Tensor4D, sw, g),
          convFilterGrad(sx, dy as tf.Tensor4D, g),
        ];
      },
    };
  });
  return op(x, w) as tf.Tensor4D;
}

/**
 * The name of an optional one-pass ReLU-gradient kernel, `dy ⊙ [y > 0]` from the ReLU's output y.
 * The `blas` backend registers it; elsewhere {@linkcode reluBackprop} multiplies by `step(y)`.
 */
export const RELU_BACKPROP_KERNEL: string = KERNEL_NAMES.reluBackprop;

/**
 * ∂E/∂u of y = ReLU(u) from dy and the output y: dy where y > 0, else 0 (NaN stays NaN). One
 * pass where the backend has {@linkcode RELU_BACKPROP_KERNEL}, else `dy · step(y)`.
 *
 * @example
 * ```ts
 * reluBackprop(tf.tensor1d([5, 6]), tf.tensor1d([0, 2])); // [0, 6]
 * ```
 */
export function reluBackprop(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (tf.getKernel(RELU_BACKPROP_KERNEL, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(RELU_BACKPROP_KERNEL, { dy, y }) as tf.Tensor;
  }
  return tf.mul(dy, tf.step(y));
}

/**
 * y = ReLU(conv2d(x, w) + b) with a **constant** filter w and bias b (a frozen network, e.g.
 * VGG19 while an image is optimised), differentiable with respect to x only. The forward pass is
 * the backend's fused convolution kernel (on `blas`: oneDNN, then bias and ReLU in place), the
 * backward pass one ReLU-gradient pass ({@linkcode reluBackprop}) and one transposed
 * convolution — against five passes (add, ReLU; step, multiply) of the unfused ops.
 *
 * @example
 * ```ts
 * const y = frozenConvBiasRelu(x, kernel, bias, { padding: "same" }); // [N, H, W, Cout]
 * ```
 */
export function frozenConvBiasRelu(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  bias: tf.Tensor1D,
  options: Pick<Conv2DOptions, "strides" | "padding" | "gradient"> = {},
): tf.Tensor4D {
  const strides = pair(options.strides ?? 1, "frozenConvBiasRelu: stride");
  const padding = options.padding ?? "valid";
  if (x.rank !== 4 || w.rank !== 4 || x.shape[3] !== w.shape[2] || bias.size !== w.shape[3]) {
    throw new Error(
      `frozenConvBiasRelu: x must be [N, H, W, C], w [kh, kw, C, Cout] and the bias [Cout]; got ` +
        `x [${x.shape}], w [${w.shape}], bias [${bias.shape}]`,
    );
  }
  const custom = wantsCustom(options.gradient);
  const g = convGeometry([x.shape[1], x.shape[2]], [w.shape[0], w.shape[1]], strides, padding);
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [xs, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    // The fused kernel itself: tf.fused.conv2d would unfuse inside a gradient computation.
    const fused = (input: tf.Tensor4D, pad: Padding) =>
      tf.engine().runKernel("FusedConv2D", { x: input, filter: w, bias }, {
        strides,
        pad,
        dataFormat: "NHWC",
        dilations: [1, 1],
        activation: "relu",
      }) as tf.Tensor4D;
    const y = custom ? fused(padOrCrop(xs, g.pad), "valid") : fused(xs, padding);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const du = reluBackprop(dy, saved[0]) as tf.Tensor4D;
        return custom
          ? convInputGrad(du, w, g)
          : tf.conv2dTranspose(du, w, xs.shape, strides, padding);
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Options of {@linkcode maxPool2d} and {@linkcode avgPool2d}. */
export interface PoolOptions {
  /** Window size (default 2). */
  size?: Pair;
  /** Stride (default: the window size, i.e. non-overlapping windows). */
  strides?: Pair;
  /** Padding (default "valid"). */
  padding?: Padding;
  /** Which gradient code runs (default "auto"; average pooling treats "auto" as "custom"). */
  gradient?: GradientPath;
}

function poolSetup(x: tf.Tensor4D, options: PoolOptions, what: string) {
  if (x.rank !== 4) throw new Error(`${what}: x must be [N, H, W, C], got [${x.shape}]`);
  const size = pair(options.size ?? 2, `${what}: window size`);
  const strides = pair(options.strides ?? size, `${what}: stride`);
  const padding = options.padding ?? "valid";
  return {
    size,
    strides,
    padding,
    g: convGeometry([x.shape[1], x.shape[2]], size, strides, padding),
  };
}

/**
 * Max pooling: the largest value of each window, per channel. Its gradient sends each output's
 * gradient to the first largest pixel of the window (row by row), as tfjs's cpu backend does.
 *
 * @example
 * ```ts
 * maxPool2d(tf.ones([1, 4, 4, 3]) as tf.Tensor4D, { size: 2 }).shape; // [1, 2, 2, 3]
 * ```
 */
export function maxPool2d(x: tf.Tensor4D, options: PoolOptions = {}): tf.Tensor4D {
  const { size, strides, padding, g } = poolSetup(x, options, "maxPool2d");
  if (!wantsCustom(options.gradient)) return tf.maxPool(x, size, strides, padding);
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [xs, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.maxPool(xs, size, strides, padding);
    save([xs, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as tf.Tensor4D[];
        return maxPoolInputGrad(sx, sy, dy as tf.Tensor4D, g);
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * Average pooling: the mean of each window's real pixels (padding is not counted), per channel.
 * Its gradient spreads each output's gradient evenly over those pixels. "auto" uses tfjs's
 * AvgPoolGrad when every window is full (no padding added), where it is exact, and the custom
 * gradient otherwise: AvgPoolGrad divides by kh·kw even for border windows under "same" padding.
 *
 * @example
 * ```ts
 * avgPool2d(tf.ones([1, 224, 224, 64]) as tf.Tensor4D, { size: 2 }).shape; // [1, 112, 112, 64]
 * ```
 */
export function avgPool2d(x: tf.Tensor4D, options: PoolOptions = {}): tf.Tensor4D {
  const { size, strides, padding, g } = poolSetup(x, options, "avgPool2d");
  const p = g.pad;
  const fullWindows = p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
  const path = options.gradient ?? "auto";
  if (path === "builtin" || (path === "auto" && fullWindows)) {
    return tf.avgPool(x, size, strides, padding);
  }
  const op = tf.customGrad((...args: CustomGradArgs) => ({
    value: tf.avgPool(args[0] as tf.Tensor4D, size, strides, padding),
    gradFunc: (dy: tf.Tensor) => avgPoolInputGrad(dy as tf.Tensor4D, g),
  }));
  return op(x) as tf.Tensor4D;
}

/** Settings of a {@linkcode Conv2DLayer}. */
export interface Conv2DLayerSpec {
  /** Filter size kh × kw. */
  filterSize: Pair;
  /** Input channels Cin. */
  inChannels: number;
  /** Output channels (number of filters) Cout. */
  outChannels: number;
  /** Stride (default 1). */
  strides?: Pair;
  /** Padding (default "same"). */
  padding?: Padding;
}

/**
 * A convolution layer with a bias: u = conv2d(x, W) + b, W [kh, kw, Cin, Cout], b [Cout]. New
 * layers get He-normal filters (std √(2 / (kh·kw·Cin))) and zero biases.
 *
 * @example
 * ```ts
 * const layer = new Conv2DLayer({ filterSize: 5, inChannels: 1, outChannels: 16 }, rng);
 * const u = layer.apply(images); // [N, 28, 28, 16]
 * layer.dispose();
 * ```
 */
export class Conv2DLayer {
  /** Filters [kh, kw, Cin, Cout]. */
  readonly W: tf.Variable<tf.Rank.R4>;
  /** Biases [Cout]. */
  readonly b: tf.Variable<tf.Rank.R1>;
  /** Stride. */
  readonly strides: [number, number];
  /** Padding. */
  readonly padding: Padding;

  /** A layer with fresh weights drawn from `rng`, or copies of the given `W` and `b`. */
  constructor(
    spec: Conv2DLayerSpec,
    rng: Random,
    initial?: { W: tf.Tensor4D; b: tf.Tensor1D },
  ) {
    const [kh, kw] = pair(spec.filterSize, "Conv2DLayer: filter size");
    const { inChannels: cin, outChannels: cout } = spec;
    this.strides = pair(spec.strides ?? 1, "Conv2DLayer: stride");
    this.padding = spec.padding ?? "same";
    // He-normal, N(0, 2/fanIn) with fanIn = kh·kw·cin. tf.variable copies its initial value;
    // tidy frees the drawn tensors.
    this.W = tf.tidy(() =>
      tf.variable(
        initial?.W ??
          (heNormal.drawShaped(
            [kh, kw, cin, cout],
            kh * kw * cin,
            kh * kw * cout,
            rng,
          ) as tf.Tensor4D),
      )
    );
    this.b = tf.tidy(() => tf.variable(initial?.b ?? (tf.zeros([cout]) as tf.Tensor1D)));
  }

  /** The total inputs u = conv2d(x, W) + b for x [N, H, W, Cin]. */
  apply(x: tf.Tensor4D, gradient?: GradientPath): tf.Tensor4D {
    return tf.tidy(() =>
      tf.add(
        conv2d(x, this.W, { strides: this.strides, padding: this.padding, gradient }),
        this.b,
      ) as tf.Tensor4D
    );
  }

  /** W (a weight) and b (a bias), for the optimiser. */
  get parameters(): Parameter[] {
    return [{ variable: this.W, role: "weight" }, { variable: this.b, role: "bias" }];
  }

  /** Free W and b. */
  dispose(): void {
    this.W.dispose();
    this.b.dispose();
  }
}
