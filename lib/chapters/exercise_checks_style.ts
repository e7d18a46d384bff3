/**
 * The checks of chapter 7's exercises: the Gram matrix, the style loss's gradient, and L-BFGS's
 * two-loop recursion. The references come from definitions, never from stored answers: G by its
 * sum Σ_k F_ik F_jk, ∂E_l/∂F by central differences of E_l = Σ(G − A)²/(4 N_l² M_l²) in float64,
 * and the L-BFGS direction as −H g with H built explicitly, matrix by matrix, by the BFGS update
 * of the inverse Hessian from the stored pairs. A fail names the kind of mistake (`lib/nn/diagnose.ts`,
 * plus the chapter's own: a Gram or a gradient not divided as the paper does, a matrix that is not
 * symmetric, a direction uphill, a broken secant condition, a recursion with ρ not inverted or its
 * loops in the wrong order).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randomFor } from "../runtime/random.ts";
import { diagnoseValues, type Diagnosis, type Values, valuesOf } from "../nn/diagnose.ts";
import { scoped } from "./exercise_checks.ts";

/** The least-squares k with yours ≈ k · reference, if that fits within `tolerance`. */
function factorOf(yours: ArrayLike<number>, reference: ArrayLike<number>, tolerance: number) {
  let yr = 0, rr = 0;
  for (let i = 0; i < yours.length; i++) {
    yr += yours[i] * reference[i];
    rr += reference[i] * reference[i];
  }
  if (rr === 0) return undefined;
  const k = yr / rr;
  let gap = 0, size = 1e-30;
  for (let i = 0; i < yours.length; i++) {
    gap = Math.max(gap, Math.abs(yours[i] - k * reference[i]));
    size = Math.max(size, Math.abs(yours[i]) + Math.abs(k * reference[i]));
  }
  return gap / size <= tolerance && Math.abs(Math.abs(k) - 1) > 1e-3 ? k : undefined;
}

const power = (symbol: string, e: number): string =>
  e === 0 ? "" : e === 1 ? ` ${symbol}` : ` ${symbol}${e === 2 ? "²" : e === 3 ? "³" : "⁴"}`;

/**
 * A name for the factor k as 2^a N^b M^c (|a| ≤ 2, |b|, |c| ≤ 4), e.g. "1/(4 N² M²)" or "2 M", or
 * the number itself.
 */
export function namedFactor(k: number, N: number, M: number): string {
  for (let total = 0; total <= 10; total++) {
    for (let a = -2; a <= 2; a++) {
      for (let b = -4; b <= 4; b++) {
        for (let c = -4; c <= 4; c++) {
          if (Math.abs(a) + Math.abs(b) + Math.abs(c) !== total) continue;
          const value = 2 ** a * N ** b * M ** c;
          if (Math.abs(k / value - 1) > 1e-3) continue;
          const up = `${a > 0 ? ` ${2 ** a}` : ""}${power("N", Math.max(b, 0))}${
            power("M", Math.max(c, 0))
          }`.trim();
          const down = `${a < 0 ? ` ${2 ** -a}` : ""}${power("N", Math.max(-b, 0))}${
            power("M", Math.max(-c, 0))
          }`.trim();
          if (down === "") return up === "" ? "1" : up;
          const denominator = down.includes(" ") ? `(${down})` : down;
          return `${up === "" ? "1" : up}/${denominator}`;
        }
      }
    }
  }
  return k.toPrecision(3);
}

/** {@linkcode namedFactor} with a minus sign for a negative k. */
const signedFactor = (k: number, N: number, M: number): string =>
  `${k < 0 ? "−" : ""}${namedFactor(Math.abs(k), N, M)}`;

/** Random 1×h×w×N feature maps as a tensor and as float64 values. */
function randomMaps(shape: [number, number, number, number], seed: string, lo = -1, hi = 1) {
  const values = Float64Array.from(
    randomFor(seed).uniformArray(shape.reduce((a, b) => a * b), lo, hi),
  );
  return { values, tensor: () => tf.tensor4d(Float32Array.from(values), shape) };
}

/** G = Xᵀ X of an M×N feature matrix X (row-major values), by the sum G_ij = Σ_k X_ki X_kj. */
function gramOf(x: ArrayLike<number>, M: number, N: number): Float64Array {
  const G = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < M; k++) sum += x[k * N + i] * x[k * N + j];
      G[i * N + j] = sum;
    }
  }
  return G;
}

/** The signature of exercise 7-gram's `gramMatrix`. */
export type GramMatrixFn = (features: tf.Tensor4D | tf.Tensor2D) => tf.Tensor2D;

/**
 * Check exercise 7-gram's Gram matrix on random maps of 1×3×4×5 (M = 12 positions, N = 5
 * filters) and on a 6×3 feature matrix: the shape N×N, symmetry, and every entry against the sum
 * G_ij = Σ_k F_ik F_jk. A G divided by something is named as not divided as the paper does (the
 * paper's G is the plain sum; 1/(4 N² M²) belongs to E_l).
 */
export function checkGramMatrix(gramMatrix: GramMatrixFn): Diagnosis {
  const cases: { shape: number[]; M: number; N: number }[] = [
    { shape: [1, 3, 4, 5], M: 12, N: 5 },
    { shape: [6, 3], M: 6, N: 3 },
  ];
  for (const [c, { shape, M, N }] of cases.entries()) {
    const values = Float64Array.from(
      randomFor(`check-7-gram/${c}`).uniformArray(M * N, -1, 1),
    );
    const diagnosis = scoped((): Diagnosis => {
      const features: tf.Tensor = tf.tensor(Float32Array.from(values), shape);
      const mine = valuesOf(gramMatrix(features as tf.Tensor4D | tf.Tensor2D));
      const reference: Values = { shape: [N, N], values: gramOf(values, M, N) };
      const sameShape = mine.shape.length === 2 && mine.shape[0] === N && mine.shape[1] === N;
      const what = `G of ${shape.join("×")} features (M = ${M} positions, N = ${N} filters)`;
      if (!sameShape) {
        const positions = mine.shape.length === 2 && mine.shape[0] === M && mine.shape[1] === M;
        return {
          pass: false,
          message: `${what} has shape ${mine.shape.join("×")}, expected ${N}×${N}${
            positions
              ? " — one row per position: G is filters × filters, summed over positions " +
                "(which factor is transposed?)"
              : ""
          }`,
        };
      }
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < i; j++) {
          const a = mine.values[i * N + j], b = mine.values[j * N + i];
          if (Math.abs(a - b) > 1e-5 * (1 + Math.abs(a) + Math.abs(b))) {
            return {
              pass: false,
              message: `${what} is not symmetric: G(${i}, ${j}) = ${
                a.toFixed(4)
              } but G(${j}, ${i}) = ${b.toFixed(4)} — a Gram matrix of inner products is`,
            };
          }
        }
      }
      const k = factorOf(mine.values, reference.values, 1e-4);
      if (k !== undefined) {
        return {
          pass: false,
          message:
            `${what} is ${signedFactor(k, N, M)} × Σ_k F_ik F_jk: not divided as the paper ` +
            "does — the paper's G is the plain sum, and its 1/(4 N_l² M_l²) belongs to E_l",
        };
      }
      return diagnoseValues(what, mine, reference, {
        tolerance: 1e-4,
        reference: "Σ_k F_ik F_jk",
      });
    });
    if (!diagnosis.pass) return diagnosis;
  }
  return {
    pass: true,
    message: "G is N×N, symmetric and equals Σ_k F_ik F_jk on 1×3×4×5 maps and a 6×3 matrix",
  };
}

/** The signature of exercise 7-style-gradient's `styleLayerGradient`. */
export type StyleLayerGradientFn = (
  features: tf.Tensor4D | tf.Tensor2D,
  targetGram: tf.Tensor2D,
) => tf.Tensor;

/**
 * Check exercise 7-style-gradient's ∂E_l/∂F on random 1×3×4×5 maps (M = 12, N = 5) with a
 * random painting's Gram matrix A, against central differences in float64 of
 * E_l = Σ_ij (G_ij − A_ij)² / (4 N² M²) computed from the sums. A gradient off by a factor is
 * named with the factor in N and M, as not divided as the paper does.
 */
export function checkStyleLayerGradient(styleLayerGradient: StyleLayerGradientFn): Diagnosis {
  const shape: [number, number, number, number] = [1, 3, 4, 5];
  const M = 12, N = 5;
  const photo = randomMaps(shape, "check-7-style-gradient/F");
  const painting = randomMaps(shape, "check-7-style-gradient/A", 0, 1.5);
  const A = gramOf(painting.values, M, N);
  const styleLoss = (x: Float64Array) => {
    const G = gramOf(x, M, N);
    let sum = 0;
    for (let i = 0; i < G.length; i++) sum += (G[i] - A[i]) ** 2;
    return sum / (4 * N * N * M * M);
  };
  const h = 1e-6;
  const reference = Array.from(photo.values, (_, i) => {
    const x = Float64Array.from(photo.values);
    x[i] += h;
    const plus = styleLoss(x);
    x[i] -= 2 * h;
    return (plus - styleLoss(x)) / (2 * h);
  });
  return scoped((): Diagnosis => {
    const mine = valuesOf(
      styleLayerGradient(photo.tensor(), tf.tensor2d(Float32Array.from(A), [N, N])),
    );
    const name = "∂E_l/∂F on 1×3×4×5 maps (M = 12, N = 5)";
    const sameShape = mine.shape.length === 4 && mine.shape.every((s, i) => s === shape[i]);
    if (!sameShape) {
      return {
        pass: false,
        message: `${name} has shape ${mine.shape.join("×")}, expected 1×3×4×5 (shaped like the ` +
          "features)",
      };
    }
    const k = factorOf(mine.values, reference, 1e-3);
    if (k !== undefined) {
      return {
        pass: false,
        message: `${name} is ${signedFactor(k, N, M)} × the derivative of E_l: not divided as ` +
          "the paper does — E_l = Σ(G − A)²/(4 N_l² M_l²); differentiate that, factors included" +
          (k < 0 ? " (and a sign?)" : ""),
      };
    }
    const d = diagnoseValues(name, mine, { shape, values: reference }, {
      tolerance: 1e-3,
      reference: "central differences of E_l",
    });
    return d.pass ? { pass: true, message: `${d.message}, and so does its normalisation` } : d;
  });
}

/** The signature of exercise 7-two-loop's `lbfgsDirection`. */
export type LbfgsDirectionFn = (
  gradient: ArrayLike<number>,
  s: readonly Float64Array[],
  y: readonly Float64Array[],
) => Float64Array;

/** How the inverse Hessian is built, for the reference and for the named wrong variants. */
interface Build {
  /** ρ_k = 1/(y_kᵀs_k) (true), or y_kᵀs_k (a recursion that forgot to invert it). */
  invertRho: boolean;
  /** The pairs in their order (oldest first), or reversed (both loops' directions swapped). */
  reversed: boolean;
  /** H₀ = γ I with γ from the newest pair, or H₀ = I. */
  gamma: boolean;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

/**
 * −H g with H the BFGS inverse Hessian built explicitly: H₀ = γ I (γ = sᵀy/yᵀy of the newest
 * pair), then for each pair, oldest first, H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(yᵀs).
 */
function explicitDirection(
  g: ArrayLike<number>,
  s: readonly Float64Array[],
  y: readonly Float64Array[],
  build: Build = { invertRho: true, reversed: false, gamma: true },
): Float64Array {
  const n = g.length, m = s.length;
  const newest = m - 1;
  const gamma = m > 0 && build.gamma ? dot(s[newest], y[newest]) / dot(y[newest], y[newest]) : 1;
  let H = Array.from(
    { length: n },
    (_, i) => Float64Array.from({ length: n }, (_, j) => i === j ? gamma : 0),
  );
  const order = Array.from({ length: m }, (_, k) => build.reversed ? m - 1 - k : k);
  for (const k of order) {
    const rho = build.invertRho ? 1 / dot(y[k], s[k]) : dot(y[k], s[k]);
    // V = I − ρ y sᵀ; H ← Vᵀ H V + ρ s sᵀ
    const V = Array.from(
      { length: n },
      (_, i) =>
        Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) - rho * y[k][i] * s[k][j]),
    );
    const HV = H.map((row) =>
      Float64Array.from({ length: n }, (_, j) => {
        let sum = 0;
        for (let l = 0; l < n; l++) sum += row[l] * V[l][j];
        return sum;
      })
    );
    H = Array.from({ length: n }, (_, i) =>
      Float64Array.from({ length: n }, (_, j) => {
        let sum = rho * s[k][i] * s[k][j];
        for (let l = 0; l < n; l++) sum += V[l][i] * HV[l][j];
        return sum;
      }));
  }
  return Float64Array.from(H, (row) => -dot(row, g));
}

/**
 * Check exercise 7-two-loop's L-BFGS direction on a quadratic in 6 unknowns (y_k = Q s_k for a
 * random symmetric positive definite Q): with no pairs it must be −g; with 1 and 3 pairs it must
 * go downhill (gᵀp < 0), equal −H g for H built explicitly by BFGS updates from the pairs, and
 * satisfy the secant condition (g = y_newest gives p = −s_newest). The stored pairs and the
 * gradient must not be changed. A fail names the kind: a sign, ρ not inverted, the loops' order
 * swapped, γ left out, or the secant condition broken.
 */
export function checkLbfgsDirection(lbfgsDirection: LbfgsDirectionFn): Diagnosis {
  const n = 6;
  const rng = randomFor("check-7-two-loop");
  const B = Array.from({ length: n }, () => rng.normalArray(n));
  // Q = BᵀB + I: symmetric positive definite, so every yᵀs = sᵀQs > 0.
  const Q = Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: n }, (_, j) => {
      let sum = i === j ? 1 : 0;
      for (let l = 0; l < n; l++) sum += B[l][i] * B[l][j];
      return sum;
    }));
  const pairsS = Array.from({ length: 3 }, () => Float64Array.from(rng.normalArray(n)));
  const pairsY = pairsS.map((s) => Float64Array.from(Q, (row) => dot(row, s)));
  const g = Float64Array.from(rng.normalArray(n));
  const compare = (name: string, mine: Float64Array, reference: Float64Array, refName: string) =>
    diagnoseValues(name, { shape: [n], values: mine }, { shape: [n], values: reference }, {
      tolerance: 1e-6,
      reference: refName,
    });
  const call = (gradient: Float64Array, m: number): Float64Array | string => {
    const s = pairsS.slice(0, m).map((v) => Float64Array.from(v));
    const y = pairsY.slice(0, m).map((v) => Float64Array.from(v));
    const gCopy = Float64Array.from(gradient);
    const p = lbfgsDirection(gCopy, s, y);
    if (!(p instanceof Float64Array) || p.length !== n) {
      return `the direction must be a Float64Array of ${n} entries, like the gradient`;
    }
    const changed = [...s.map((v, k) => [v, pairsS[k]]), ...y.map((v, k) => [v, pairsY[k]])]
      .some(([a, b]) => a.some((x, i) => x !== b[i]));
    if (changed) return "your code changed the stored pairs s_k or y_k: work on a copy (q ← g)";
    if (gCopy.some((x, i) => x !== gradient[i])) {
      return "your code changed the gradient it was given: work on a copy (q ← g)";
    }
    return p;
  };
  // No pairs: p = −g.
  const p0 = call(g, 0);
  if (typeof p0 === "string") return { pass: false, message: p0 };
  const none = compare("p with no stored pairs", p0, g.map((v) => -v), "−g");
  if (!none.pass) return none;
  for (const m of [1, 3]) {
    const p = call(g, m);
    if (typeof p === "string") return { pass: false, message: p };
    const slope = dot(g, p);
    const reference = explicitDirection(g, pairsS.slice(0, m), pairsY.slice(0, m));
    if (!(slope < 0)) {
      return {
        pass: false,
        message: `with ${m} pair${m > 1 ? "s" : ""}: gᵀp = ${slope.toFixed(4)} ≥ 0, p is not a ` +
          "descent direction — a sign? (p = −H g with H positive definite goes downhill)",
      };
    }
    const d = compare(
      `p with ${m} pair${m > 1 ? "s" : ""}`,
      p,
      reference,
      "−H g (H built by BFGS updates)",
    );
    const newest = m - 1;
    const secant = call(pairsY[newest], m);
    if (typeof secant === "string") return { pass: false, message: secant };
    const secantHolds = compare("", secant, pairsS[newest].map((v) => -v), "").pass;
    if (d.pass && secantHolds) continue;
    if (d.pass) {
      return {
        pass: false,
        message: `with ${m} pairs: g = y_newest gives p ≠ −s_newest, the secant condition ` +
          "H y_newest = s_newest fails",
      };
    }
    const s = pairsS.slice(0, m), y = pairsY.slice(0, m);
    const variants: [Build, string][] = [
      [{ invertRho: false, reversed: false, gamma: true }, "ρ_k not inverted? (ρ_k = 1/(y_kᵀs_k))"],
      [
        { invertRho: true, reversed: true, gamma: true },
        "the loops' order swapped? (which loop runs newest → oldest?)",
      ],
      [{ invertRho: true, reversed: false, gamma: false }, "the initial scaling γ left out?"],
      [
        { invertRho: false, reversed: true, gamma: true },
        "ρ_k not inverted and the loops' order swapped?",
      ],
    ];
    const named = variants.find(([build]) => {
      const wrong = explicitDirection(g, s, y, build);
      return compare("", p, wrong, "").pass && !compare("", wrong, reference, "").pass;
    });
    const hint = `${named ? ` — ${named[1]}` : ""}${
      secantHolds ? "" : " (the secant condition H y_newest = s_newest fails)"
    }`;
    return { pass: false, message: `${d.message}${hint}` };
  }
  return {
    pass: true,
    message: "p = −g with no pairs, and with 1 and 3 pairs p goes downhill, equals −H g for the " +
      "BFGS inverse Hessian built from the pairs, and meets the secant condition",
  };
}
