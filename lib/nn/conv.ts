/**
 * Convolution and pooling for NHWC tensors (chapter 6), with gradients that are fast and correct
 * on every backend the course runs on.
 *
 * The forward passes are tfjs's own kernels. The gradients depend on the backend:
 *
 * | backend        | conv2d dx, dw              | maxPool2d dx        | avgPool2d dx                  |
 * |----------------|----------------------------|---------------------|-------------------------------|
 * | `wasm`         | **custom** (below)         | **custom**          | built-in if windows are full, |
 * | `blas`, `cpu`  | tfjs's registered kernels  | registered kernel   | else **custom** (any backend) |
 *
 * Why the custom paths (measured with tfjs-backend-wasm 4.22):
 * - wasm has no `Conv2DBackpropFilter` kernel at all, and its `Conv2DBackpropInput` took 2.4–3.9 s
 *   where a forward convolution of the same size took 0.34 s (1×56×56×256, 3×3×256×256). Here the
 *   input gradient is a *forward* convolution of the (stride-dilated, padded) output gradient with
 *   the spatially flipped filter whose in/out channels are swapped (0.46 s), and the filter
 *   gradient is another forward convolution: of the input, channels as batch, with the output
 *   gradient as the filter (faster here than im2col + one matrix product).
 * - wasm's `MaxPoolGrad` gives wrong values for ordinary shapes (e.g. 2×2, stride 2, "valid" on
 *   8×8); the custom one routes each output gradient to the first maximum of its window, as the
 *   cpu backend does.
 * - wasm's "same" `Conv2D` is wrong for some strided shapes (e.g. x 1×6×6×2, filter 2×1, stride
 *   3×1): the custom path pads explicitly and convolves "valid".
 * - tfjs's `AvgPoolGrad` (cpu and wasm) divides by the full window size kh·kw everywhere, while
 *   the forward average with "same" padding divides border windows by the number of real pixels
 *   in them; so the built-in gradient is not the derivative of the forward pass at the borders.
 *   Where padding makes partial windows, the custom gradient (same counts as the forward pass)
 *   runs on every backend; without padding both agree and the built-in one runs.
 *
 * On `blas` the registered conv and max-pool gradient kernels already run through the system BLAS
 * (im2col + sgemm) or tight loops, while the slices and pads of the custom code run in the pure-JS
 * cpu kernels: a VGG19 forward + backward at 224² took 4.0 s with the built-in gradients and 82 s
 * with the custom ones. So "auto" uses the custom conv and max-pool gradients on wasm only.
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
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import type { Parameter } from "../optim/optimizer.ts";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";

/** The arguments tfjs passes to a `tf.customGrad` function: the inputs, then a save function. */
type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

/** "valid": no padding; "same": zero padding so that the output has ⌈size / stride⌉ pixels. */
export type Padding = "valid" | "same";

/**
 * Which gradient code runs: "custom" (this module's, built from forward convolutions, matrix
 * products and slices), "builtin" (tfjs's registered gradient kernels), or "auto" (see the table
 * in the module notes: custom on the wasm backend, built-in elsewhere; average pooling with
 * partial windows always custom).
 */
export type GradientPath = "auto" | "custom" | "builtin";

/** A size or stride for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];

/** Padding in pixels on each side. */
export interface PadAmounts {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The sizes of one 2-D convolution or pooling window sweep. */
export interface ConvGeometry {
  inHeight: number;
  inWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  outHeight: number;
  outWidth: number;
  pad: PadAmounts;
}

function pair(value: Pair, what: string): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : value;
  if (![a, b].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${what} must be a positive integer or a pair of them, not ${value}`);
  }
  return [a, b];
}

function axis(size: number, filter: number, stride: number, padding: Padding) {
  if (padding === "same") {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + filter - size, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  if (padding !== "valid") throw new Error(`padding must be "valid" or "same", not ${padding}`);
  const out = Math.floor((size - filter) / stride) + 1;
  if (out < 1) {
    throw new Error(`a ${filter}-pixel window does not fit in ${size} pixels without padding`);
  }
  return { out, before: 0, after: 0 };
}

/**
 * Output size and padding of a window sweep, with tfjs's (and TensorFlow's) conventions: "same"
 * pads ⌊total/2⌋ before and the rest after.
 *
 * @example
 * ```ts
 * convGeometry([28, 28], 5, 1, "same").outHeight; // 28 (pad 2 on every side)
 * convGeometry([7, 7], 3, 2, "valid").outWidth;   // 3
 * ```
 */
export function convGeometry(
  inputSize: readonly [number, number],
  filterSize: Pair,
  strides: Pair,
  padding: Padding,
): ConvGeometry {
  const [fh, fw] = pair(filterSize, "filter size");
  const [sh, sw] = pair(strides, "stride");
  const [h, w] = inputSize;
  const rows = axis(h, fh, sh, padding);
  const cols = axis(w, fw, sw, padding);
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

/**
 * Whether "auto" picks the custom gradients on this backend (wasm only).
 *
 * @example
 * ```ts
 * usesCustomGradients("wasm"); // true
 * usesCustomGradients("blas"); // false
 * ```
 */
export function usesCustomGradients(backend: string = tf.getBackend()): boolean {
  return backend === "wasm";
}

function wantsCustom(path: GradientPath | undefined): boolean {
  return path === "custom" || ((path ?? "auto") === "auto" && usesCustomGradients());
}

/**
 * Pad (positive amounts) or crop (negative amounts) the two spatial axes of an NHWC tensor,
 * with `value` in the new pixels.
 */
function padOrCrop(t: tf.Tensor4D, p: PadAmounts, value = 0): tf.Tensor4D {
  const pos = (v: number) => Math.max(v, 0);
  let out = t;
  if (p.top > 0 || p.bottom > 0 || p.left > 0 || p.right > 0) {
    out = tf.pad(
      out,
      [[0, 0], [pos(p.top), pos(p.bottom)], [pos(p.left), pos(p.right)], [0, 0]],
      value,
    );
  }
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) {
    const [n, h, w, c] = out.shape;
    const top = pos(-p.top), left = pos(-p.left);
    out = tf.slice(out, [0, top, left, 0], [
      n,
      h - top - pos(-p.bottom),
      w - left - pos(-p.right),
      c,
    ]);
  }
  return out;
}

/**
 * Insert (stride − 1) zeros after every row and column: [N, H, W, C] → [N, H·sh, W·sw, C] (the
 * last sh − 1 rows and sw − 1 columns are zeros too). Rank-4 reshapes and pads only.
 */
function dilate(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  let out = t;
  if (sh > 1) {
    out = tf.reshape(
      tf.pad(tf.reshape(out, [n, h, 1, w * c]), [[0, 0], [0, 0], [0, sh - 1], [
        0,
        0,
      ]]),
      [n, h * sh, w, c],
    );
  }
  if (sw > 1) {
    out = tf.reshape(
      tf.pad(tf.reshape(out, [n * h * sh, w, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]),
      [n, h * sh, w * sw, c],
    );
  }
  return out;
}

/**
 * The window tap (i, j) of every output position: the padded input's pixels
 * (i + sh·r, j + sw·c) for r < outHeight, c < outWidth — [N, Ho, Wo, C].
 */
function tap(xp: tf.Tensor4D, g: ConvGeometry, i: number, j: number): tf.Tensor4D {
  const [n, , , c] = xp.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = g;
  if (sh === 1 && sw === 1) return tf.slice(xp, [0, i, j, 0], [n, ho, wo, c]);
  return tf.stridedSlice(
    xp,
    [0, i, j, 0],
    [n, i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1, c],
    [1, sh, sw, 1],
  ) as tf.Tensor4D;
}

/**
 * The adjoint of {@linkcode tap}: a [N, Ho, Wo, C] tensor moved back to the padded input's
 * positions of tap (i, j), zeros elsewhere — [N, Hp, Wp, C].
 */
function untap(t: tf.Tensor4D, g: ConvGeometry, i: number, j: number): tf.Tensor4D {
  const hp = g.inHeight + g.pad.top + g.pad.bottom;
  const wp = g.inWidth + g.pad.left + g.pad.right;
  const spread = dilate(t, g.strideHeight, g.strideWidth);
  return padOrCrop(spread, {
    top: i,
    bottom: hp - i - spread.shape[1],
    left: j,
    right: wp - j - spread.shape[2],
  });
}

/** Remove the padding of a [N, Hp, Wp, C] gradient: the part that belongs to the input. */
function unpad(t: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const p = g.pad;
  return padOrCrop(t, { top: -p.top, bottom: -p.bottom, left: -p.left, right: -p.right });
}

/** ∂E/∂x of a convolution as a forward convolution (stride 1) of the dilated, padded dy. */
function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const { filterHeight: fh, filterWidth: fw } = g;
  const spread = dilate(dy, g.strideHeight, g.strideWidth);
  // A full correlation: pad kh − 1 − top before; after, whatever makes the output the input size.
  const top = fh - 1 - g.pad.top, left = fw - 1 - g.pad.left;
  const padded = padOrCrop(spread, {
    top,
    left,
    bottom: g.inHeight + fh - 1 - spread.shape[1] - top,
    right: g.inWidth + fw - 1 - spread.shape[2] - left,
  });
  const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, flipped, 1, "valid");
}

/**
 * ∂E/∂w of a convolution, itself computed as one forward convolution:
 * ∂E/∂w[i, j, k, o] = Σ_{n,r,c} xp[n, r·sh + i, c·sw + j, k] · dy[n, r, c, o] is the
 * correlation of the padded input, with its channels k as the batch and its batch n as the
 * channels, with dy as a (dilated, for strides > 1) filter [Ho, Wo, N, Cout]. On wasm this was
 * 2–5× faster than one matrix product per filter tap (the split im2col product).
 */
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const p = g.pad;
  // Pad, then keep exactly the rows and columns some tap reads.
  const rows = (g.outHeight - 1) * g.strideHeight + g.filterHeight;
  const cols = (g.outWidth - 1) * g.strideWidth + g.filterWidth;
  const xp = padOrCrop(x, {
    top: p.top,
    left: p.left,
    bottom: rows - p.top - g.inHeight,
    right: cols - p.left - g.inWidth,
  });
  const channelsAsBatch = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, rows, cols, N]
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, N, Cout]
  const dw = tf.conv2d(channelsAsBatch, filter, 1, "valid", "NHWC", [
    g.strideHeight,
    g.strideWidth,
  ]); // [Cin, kh, kw, Cout]
  return tf.transpose(dw, [1, 2, 0, 3]);
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
        const xp = padOrCrop(sx, g.pad, -Infinity);
        let taken: tf.Tensor = tf.zerosLike(sy);
        let dxp: tf.Tensor4D | undefined;
        for (let i = 0; i < g.filterHeight; i++) {
          for (let j = 0; j < g.filterWidth; j++) {
            const hit = tf.cast(tf.equal(tap(xp, g, i, j), sy), "float32");
            const first = tf.mul(hit, tf.sub(1, taken)); // only the first maximum of a window
            taken = tf.add(taken, first);
            const back = untap(tf.mul(first, dy) as tf.Tensor4D, g, i, j);
            dxp = dxp === undefined ? back : tf.add(dxp, back);
          }
        }
        return unpad(dxp as tf.Tensor4D, g);
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * How many real (unpadded) pixels each output window of a sweep covers: [1, Ho, Wo, 1].
 *
 * @example
 * ```ts
 * windowCounts(convGeometry([3, 3], 2, 1, "same")).dataSync(); // [4, 4, 2, 4, 4, 2, 2, 2, 1]
 * ```
 */
export function windowCounts(g: ConvGeometry): tf.Tensor4D {
  const counts = new Float32Array(g.outHeight * g.outWidth);
  const span = (o: number, stride: number, before: number, filter: number, size: number) =>
    Math.min(o * stride - before + filter, size) - Math.max(o * stride - before, 0);
  for (let r = 0; r < g.outHeight; r++) {
    const rows = span(r, g.strideHeight, g.pad.top, g.filterHeight, g.inHeight);
    for (let c = 0; c < g.outWidth; c++) {
      counts[r * g.outWidth + c] = rows *
        span(c, g.strideWidth, g.pad.left, g.filterWidth, g.inWidth);
    }
  }
  return tf.tensor4d(counts, [1, g.outHeight, g.outWidth, 1]);
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
    gradFunc: (dy: tf.Tensor) => {
      const share = tf.div(dy, windowCounts(g)) as tf.Tensor4D;
      let dxp: tf.Tensor4D | undefined;
      for (let i = 0; i < g.filterHeight; i++) {
        for (let j = 0; j < g.filterWidth; j++) {
          const back = untap(share, g, i, j);
          dxp = dxp === undefined ? back : tf.add(dxp, back);
        }
      }
      return unpad(dxp as tf.Tensor4D, g);
    },
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
    const std = Math.sqrt(2 / (kh * kw * cin));
    // tf.variable copies its initial value; tidy frees the drawn tensors.
    this.W = tf.tidy(() =>
      tf.variable(initial?.W ?? (rng.normalTensor([kh, kw, cin, cout], 0, std) as tf.Tensor4D))
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
