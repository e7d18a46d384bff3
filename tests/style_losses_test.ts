/**
 * The Gram matrix and the losses of Gatys et al. against hand computation on small tensors, and
 * their hand-derived gradients against tfjs's differentiation of the plain formulas and against
 * central finite differences (in float64, on a plain-JS copy of each formula); and how the terms
 * scale with the number of positions M, which chapter 7's balance of α/β rests on.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { featureMatrix, gramMatrix, layerSize } from "../lib/vision/gram.ts";
import {
  contentLoss,
  contentLossGradient,
  styleLayerGradient,
  styleLayerLoss,
} from "../lib/vision/style_losses.ts";

await initBackend();

/** Largest |a − b| / max(1e-3·scale, |a| + |b|), scale = max |b|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1e-3 * scale, Math.abs(a[i]) + Math.abs(b[i]));
    worst = Math.max(worst, d);
  }
  return worst;
}

/** Central differences of f at x (float64). */
function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = f(x);
    x[i] = keep - h;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Plain-JS Gram of an M×N row-major matrix (float64). */
function gram64(x: Float64Array, m: number, n: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += x[k * n + i] * x[k * n + j];
      g[i * n + j] = s;
    }
  }
  return g;
}

function styleLoss64(x: Float64Array, a: Float64Array, m: number, n: number): number {
  const g = gram64(x, m, n);
  let s = 0;
  for (let i = 0; i < n * n; i++) s += (g[i] - a[i]) ** 2;
  return s / (4 * n * n * m * m);
}

Deno.test("Gram matrix by hand: X = [[1, 2], [3, 4]] (2 positions × 2 filters)", () => {
  const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
  assertEquals(layerSize(x), { filters: 2, positions: 2 });
  assertEquals(featureMatrix(x).shape, [2, 2]);
  assertEquals(gramMatrix(x).arraySync(), [[10, 14], [14, 20]]);
  // a 1×2×3×4 map: 6 positions, 4 filters; G is symmetric and matches the plain-JS product
  const rng = new Random("gram");
  const values = rng.normalArray(24);
  const g = gramMatrix(tf.tensor4d(values, [1, 2, 3, 4])).dataSync();
  const expected = gram64(Float64Array.from(values), 6, 4);
  assert(relError(g, expected) < 1e-6, "gram vs hand");
  assertThrows(() => gramMatrix(tf.zeros([2, 2, 2, 2]) as tf.Tensor4D), Error, "one image");
  tf.dispose([x]);
});

Deno.test("losses by hand on small tensors", () => {
  const f = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
  const p = tf.tensor4d([0, 2, 1, 1], [1, 1, 2, 2]);
  // ½ (1 + 0 + 4 + 9) = 7
  assertAlmostEquals(contentLoss(f, p).dataSync()[0], 7, 1e-6);
  assertEquals(Array.from(contentLossGradient(f, p).dataSync()), [1, 0, 2, 3]);
  // E = Σ (G − A)² / (4 N² M²) with G = [[10, 14], [14, 20]], A = [[9, 14], [13, 18]], N = M = 2
  const a = tf.tensor2d([[9, 14], [13, 18]]);
  assertAlmostEquals(styleLayerLoss(f, a).dataSync()[0], (1 + 0 + 1 + 4) / 64, 1e-7);
  // ∂E/∂X = X (G − A) / (N²M²) = [[1, 2], [3, 4]]·[[1, 0], [1, 2]] / 16
  const grad = Array.from(styleLayerGradient(f, a).dataSync());
  [3 / 16, 4 / 16, 7 / 16, 8 / 16].forEach((v, i) => assertAlmostEquals(grad[i], v, 1e-7));
  assertThrows(() => styleLayerLoss(f, tf.zeros([3, 3]) as tf.Tensor2D), Error, "2×2");
  assertThrows(() => contentLoss(f, tf.zeros([1, 2, 2, 1])), Error, "shapes differ");
  tf.dispose([f, p, a]);
});

Deno.test("style loss gradient: hand-derived = tf.grad of the plain formula = finite differences", () => {
  const rng = new Random("style-grad");
  const [h, w, n] = [3, 4, 5], m = h * w;
  const xv = rng.normalArray(m * n);
  const av = gram64(Float64Array.from(rng.uniformArray(m * n, 0, 2)), m, n);
  const x = tf.tensor4d(xv, [1, h, w, n]);
  const a = tf.tensor2d(Float32Array.from(av), [n, n]);
  const before = tf.memory().numTensors;
  const hand = tf.grad((t: tf.Tensor) => styleLayerLoss(t as tf.Tensor4D, a))(x);
  const plain = tf.grad((t: tf.Tensor) => {
    const g = tf.matMul(tf.reshape(t, [m, n]), tf.reshape(t, [m, n]), true, false);
    return tf.div(tf.sum(tf.square(tf.sub(g, a))), 4 * n * n * m * m);
  })(x);
  const numeric = numericGradient((v) => styleLoss64(v, av, m, n), Float64Array.from(xv));
  const e1 = relError(hand.dataSync(), plain.dataSync());
  const e2 = relError(hand.dataSync(), numeric);
  assert(e1 < 1e-4, `hand vs tf.grad: ${e1}`);
  assert(e2 < 1e-4, `hand vs finite differences: ${e2}`);
  assert(relError(styleLayerGradient(x, a).dataSync(), numeric) < 1e-4);
  // the value too
  assert(
    relError([styleLayerLoss(x, a).dataSync()[0]], [styleLoss64(Float64Array.from(xv), av, m, n)]) <
      1e-5,
  );
  tf.dispose([hand, plain]);
  assert(tf.memory().numTensors - before <= 2, "leak in styleLayerLoss");
  tf.dispose([x, a]);
});

Deno.test("content gradient: hand-derived = tf.grad of the plain formula = finite differences", () => {
  const rng = new Random("content-grad");
  const shape: [number, number, number, number] = [1, 3, 4, 2];
  const fv = rng.normalArray(24), pv = rng.normalArray(24);
  const f = tf.tensor4d(fv, shape), p = tf.tensor4d(pv, shape);
  const hand = tf.grad((t: tf.Tensor) => contentLoss(t, p))(f);
  const plain = tf.grad((t: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(tf.sub(t, p)))))(f);
  const numeric = numericGradient(
    (v) => v.reduce((s, vi, i) => s + 0.5 * (vi - pv[i]) ** 2, 0),
    Float64Array.from(fv),
  );
  assert(relError(hand.dataSync(), plain.dataSync()) < 1e-6);
  assert(relError(hand.dataSync(), numeric) < 1e-4);

  tf.dispose([f, p, hand, plain]);
});

Deno.test("the same statistics over twice the positions: L_content ×2, E_l ×1, pulls ×√2 and ÷√2", () => {
  const rng = new Random(12);
  const [f, p, s] = [0, 1, 2].map(() =>
    tf.tensor4d(rng.normalArray(4 * 3 * 5).map(Math.abs), [1, 4, 3, 5])
  );
  const terms = (F: tf.Tensor4D, P: tf.Tensor4D, S: tf.Tensor4D) =>
    tf.tidy(() => {
      const A = gramMatrix(S);
      return [
        contentLoss(F, P),
        styleLayerLoss(F, A),
        tf.norm(contentLossGradient(F, P)),
        tf.norm(styleLayerGradient(F, A)),
      ].map((t) => t.dataSync()[0]);
    });
  const once = terms(f, p, s);
  const twice = tf.tidy(() => {
    const repeat = (t: tf.Tensor4D) => tf.concat([t, t], 2); // each position twice
    return terms(repeat(f), repeat(p), repeat(s));
  });
  tf.dispose([f, p, s]);
  [2, 1, Math.SQRT2, Math.SQRT1_2].forEach((ratio, i) => {
    assertAlmostEquals(twice[i] / once[i], ratio, 1e-5 * ratio);
  });
});
