/**
 * Convolution and pooling, forward and backward, written as the loops of their formulas on one
 * image (chapter 6's cells, copied here by `deno task save-cells`; edit them in
 * notebooks/06_cnn.ipynb). Slow and plain on purpose: the tests use them as the reference for
 * the layers of `conv.ts`, whose work runs in tfjs's kernels or the custom gradients.
 *
 * @example
 * ```ts
 * const x = tf.buffer<tf.Rank.R3>([5, 5, 1], "float32", rng.normalArray(25));
 * const w = tf.buffer<tf.Rank.R4>([3, 3, 1, 2], "float32", rng.normalArray(18));
 * const u = convolveByHand(x, w, 1, "same"); // [5, 5, 2]
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ConvGeometry, convGeometry, type Padding } from "./conv.ts";

// @saved-from notebooks/06_cnn.ipynb — edit it there, then `deno task save-cells`
/** Feature maps [H, W, C] of one image, as a tfjs buffer (`x.get(y, z, c)`). */
export type Maps = tf.TensorBuffer<tf.Rank.R3>;
/** Filters [kh, kw, C, O] (TensorFlow's HWIO layout). */
export type Filters = tf.TensorBuffer<tf.Rank.R4>;

/** The taps (i, j) of window (r, c) that fall inside the input, with the pixel (y, z) they read. */
export function* taps(g: ConvGeometry, r: number, c: number): Generator<number[]> {
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      const y = r * g.strideHeight + i - g.pad.top; // y = r·s + i − p_top
      const z = c * g.strideWidth + j - g.pad.left; // z = c·s + j − p_left
      if (y >= 0 && y < g.inHeight && z >= 0 && z < g.inWidth) yield [i, j, y, z];
    }
  }
}

/** u = x ⋆ w by the formula's loops (no bias): x [H, W, C], w [kh, kw, C, O] → u [Ho, Wo, O]. */
export function convolveByHand(x: Maps, w: Filters, stride: number, padding: Padding): Maps {
  const [kh, kw, C, O] = w.shape;
  const g = convGeometry([x.shape[0], x.shape[1]], [kh, kw], stride, padding);
  const u = tf.buffer<tf.Rank.R3>([g.outHeight, g.outWidth, O]);
  for (let r = 0; r < g.outHeight; r++) {
    for (let c = 0; c < g.outWidth; c++) {
      for (let o = 0; o < O; o++) {
        let sum = 0; // u_rco = Σ_ij Σ_c' x_{y z c'} w_{i j c' o}
        for (const [i, j, y, z] of taps(g, r, c)) {
          for (let ch = 0; ch < C; ch++) sum += x.get(y, z, ch) * w.get(i, j, ch, o);
        }
        u.set(sum, r, c, o);
      }
    }
  }
  return u;
}
// @end-saved

// @saved-from notebooks/06_cnn.ipynb — edit it there, then `deno task save-cells`
/** Max or average pooling by loops, k×k windows with stride s: x [H, W, C] → [Ho, Wo, C]. */
export function poolByHand(kind: "max" | "avg", x: Maps, k: number, s: number, padding: Padding) {
  const g = convGeometry([x.shape[0], x.shape[1]], k, s, padding);
  const pooled = tf.buffer<tf.Rank.R3>([g.outHeight, g.outWidth, x.shape[2]]);
  for (let r = 0; r < g.outHeight; r++) {
    for (let c = 0; c < g.outWidth; c++) {
      for (let ch = 0; ch < x.shape[2]; ch++) {
        const window = [...taps(g, r, c)].map(([, , y, z]) => x.get(y, z, ch)); // real pixels
        const mean = window.reduce((a, b) => a + b) / window.length;
        pooled.set(kind === "max" ? Math.max(...window) : mean, r, c, ch);
      }
    }
  }
  return pooled;
}

/** ∂E/∂x of poolByHand for δ = ∂E/∂y [Ho, Wo, C]: max routes δ, average spreads it. */
export function poolBackwardByHand(
  kind: "max" | "avg",
  x: Maps,
  delta: Maps,
  k: number,
  s: number,
  padding: Padding,
): Maps {
  const g = convGeometry([x.shape[0], x.shape[1]], k, s, padding);
  const dx = tf.buffer<tf.Rank.R3>(x.shape);
  const add = (v: number, y: number, z: number, ch: number) =>
    dx.set(dx.get(y, z, ch) + v, y, z, ch);
  for (let r = 0; r < g.outHeight; r++) {
    for (let c = 0; c < g.outWidth; c++) {
      for (let ch = 0; ch < x.shape[2]; ch++) {
        const pixels = [...taps(g, r, c)].map(([, , y, z]) => [y, z]);
        const d = delta.get(r, c, ch); // δ of this window
        if (kind === "max") {
          const values = pixels.map(([y, z]) => x.get(y, z, ch));
          const [y, z] = pixels[values.indexOf(Math.max(...values))]; // the first largest: ∂y/∂x = 1
          add(d, y, z, ch);
        } else {
          for (const [y, z] of pixels) add(d / pixels.length, y, z, ch); // ∂y/∂x = 1/N each
        }
      }
    }
  }
  return dx;
}
// @end-saved

// @saved-from notebooks/06_cnn.ipynb — edit it there, then `deno task save-cells`
/** ∂E/∂x and ∂E/∂w of u = convolveByHand(x, w, stride, padding), given δ = ∂E/∂u [Ho, Wo, O]. */
export function convolveBackwardByHand(
  x: Maps,
  w: Filters,
  delta: Maps,
  stride: number,
  padding: Padding,
): { dx: Maps; dw: Filters } {
  const [kh, kw, C, O] = w.shape;
  const g = convGeometry([x.shape[0], x.shape[1]], [kh, kw], stride, padding);
  const dx = tf.buffer<tf.Rank.R3>(x.shape), dw = tf.buffer<tf.Rank.R4>(w.shape);
  for (let r = 0; r < g.outHeight; r++) {
    for (let c = 0; c < g.outWidth; c++) {
      for (let o = 0; o < O; o++) {
        const d = delta.get(r, c, o); // δ_rco
        for (const [i, j, y, z] of taps(g, r, c)) {
          for (let ch = 0; ch < C; ch++) {
            dx.set(dx.get(y, z, ch) + d * w.get(i, j, ch, o), y, z, ch); // ∂E/∂x_yzc' += δ w_ijc'o
            dw.set(dw.get(i, j, ch, o) + d * x.get(y, z, ch), i, j, ch, o); // ∂E/∂w_ijc'o += δ x_yzc'
          }
        }
      }
    }
  }
  return { dx, dw };
}
// @end-saved
