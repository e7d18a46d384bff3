/**
 * Custom gradients for convolution and pooling (NHWC), built from forward convolutions, pads and
 * slices, for the tfjs backends whose own gradient kernels are missing, slow or wrong. The layers
 * of `lib/nn/conv.ts` (chapter 6) choose between these and tfjs's kernels:
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
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Padding in pixels on each side. */
export interface PadAmounts {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * The sizes of one 2-D convolution or pooling window sweep, as `convGeometry` in
 * `lib/nn/conv.ts` computes them.
 */
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

/**
 * Pad (positive amounts) or crop (negative amounts) the two spatial axes of an NHWC tensor,
 * with `value` in the new pixels.
 */
export function padOrCrop(t: tf.Tensor4D, p: PadAmounts, value = 0): tf.Tensor4D {
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
export function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
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
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
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

/**
 * ∂E/∂x of max pooling: each output's gradient dy goes to the first largest pixel of its window
 * (row by row), as tfjs's cpu backend does; x is the input, y the pooled output.
 */
export function maxPoolInputGrad(
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  dy: tf.Tensor4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const xp = padOrCrop(x, g.pad, -Infinity);
  let taken: tf.Tensor = tf.zerosLike(y);
  let dxp: tf.Tensor4D | undefined;
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      const hit = tf.cast(tf.equal(tap(xp, g, i, j), y), "float32");
      const first = tf.mul(hit, tf.sub(1, taken)); // only the first maximum of a window
      taken = tf.add(taken, first);
      const back = untap(tf.mul(first, dy) as tf.Tensor4D, g, i, j);
      dxp = dxp === undefined ? back : tf.add(dxp, back);
    }
  }
  return unpad(dxp as tf.Tensor4D, g);
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
 * ∂E/∂x of average pooling over the real pixels of each window (padding not counted): each
 * output's gradient dy is spread evenly over those pixels.
 */
export function avgPoolInputGrad(dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const share = tf.div(dy, windowCounts(g)) as tf.Tensor4D;
  let dxp: tf.Tensor4D | undefined;
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      const back = untap(share, g, i, j);
      dxp = dxp === undefined ? back : tf.add(dxp, back);
    }
  }
  return unpad(dxp as tf.Tensor4D, g);
}
