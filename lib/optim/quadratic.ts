/**
 * Quadratic error surfaces (chapter 3): near a minimum every smooth error looks like
 *
 *   E(w) = ½ (w − w*)ᵀ H (w − w*),
 *
 * and how gradient descent behaves there — how large η may be, how much momentum helps, why
 * standardised inputs train faster — follows from the eigenvalues of the Hessian H. This module
 * holds such bowls, runs the course's {@linkcode SGD} optimiser on them, and measures eigenvalues
 * and condition numbers (plain float64 arithmetic on small matrices: no tensors).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SGD } from "./sgd.ts";

/** E(w) = ½ (w − w*)ᵀ H (w − w*). */
export interface QuadraticBowl {
  /** H, symmetric positive (semi-)definite, n × n. */
  readonly hessian: readonly (readonly number[])[];
  /** w*, the minimum (length n). */
  readonly minimum: readonly number[];
}

function checkSquareSymmetric(name: string, A: readonly (readonly number[])[]): void {
  const n = A.length;
  if (n === 0 || A.some((row) => row.length !== n)) {
    throw new Error(
      `${name}: the matrix must be square, got ${n} rows of [${A.map((r) => r.length)}]`,
    );
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const scale = Math.max(1, Math.abs(A[i][j]), Math.abs(A[j][i]));
      if (Math.abs(A[i][j] - A[j][i]) > 1e-9 * scale) {
        throw new Error(`${name}: the matrix is not symmetric (entries ${i},${j} and ${j},${i})`);
      }
    }
  }
}

/**
 * A bowl with Hessian `hessian` and its minimum at `minimum` (default the origin).
 *
 * @example
 * ```ts
 * const bowl = quadraticBowl([[1, 0], [0, 20]]); // condition number 20
 * bowlError(bowl, [1, 1]); // 10.5
 * ```
 */
export function quadraticBowl(
  hessian: readonly (readonly number[])[],
  minimum?: readonly number[],
): QuadraticBowl {
  checkSquareSymmetric("quadraticBowl", hessian);
  const center = minimum ?? hessian.map(() => 0);
  if (center.length !== hessian.length) {
    throw new Error(`quadraticBowl: minimum has ${center.length} entries, H is ${hessian.length}²`);
  }
  return { hessian: hessian.map((row) => [...row]), minimum: [...center] };
}

/**
 * A two-dimensional bowl whose Hessian has eigenvalues `eigenvalues` along axes turned by
 * `angle` radians: H = R diag(λ₁, λ₂) Rᵀ.
 *
 * @example
 * ```ts
 * const bowl = rotatedBowl([1, 20], Math.PI / 6); // a long valley at 30°
 * ```
 */
export function rotatedBowl(
  eigenvalues: readonly [number, number],
  angle: number,
  minimum: readonly [number, number] = [0, 0],
): QuadraticBowl {
  const [a, b] = eigenvalues;
  const c = Math.cos(angle), s = Math.sin(angle);
  return quadraticBowl([
    [a * c * c + b * s * s, (a - b) * c * s],
    [(a - b) * c * s, a * s * s + b * c * c],
  ], minimum);
}

/**
 * E(w) = ½ (w − w*)ᵀ H (w − w*).
 *
 * @example
 * ```ts
 * bowlError(quadraticBowl([[2, 0], [0, 4]]), [1, 1]); // 3
 * ```
 */
export function bowlError(bowl: QuadraticBowl, w: readonly number[]): number {
  const e = w.map((wi, i) => wi - bowl.minimum[i]);
  const He = bowl.hessian.map((row) => row.reduce((sum, h, j) => sum + h * e[j], 0));
  return 0.5 * e.reduce((sum, ei, i) => sum + ei * He[i], 0);
}

/**
 * ∇E(w) = H (w − w*).
 *
 * @example
 * ```ts
 * bowlGradient(quadraticBowl([[2, 0], [0, 4]]), [1, 1]); // [2, 4]
 * ```
 */
export function bowlGradient(bowl: QuadraticBowl, w: readonly number[]): number[] {
  return bowl.hessian.map((row) =>
    row.reduce((sum, h, j) => sum + h * (w[j] - bowl.minimum[j]), 0)
  );
}

/** The path of a descent on a bowl. */
export interface BowlDescent {
  /** w after 0, 1, 2, … steps (the start first). */
  path: number[][];
  /** E(w) at each point of the path. */
  error: number[];
  /** True when E grew past `limit` (the run was stopped there). */
  diverged: boolean;
}

/**
 * Run `steps` steps of `optimizer` (the course's SGD: learning rate, momentum) from `start` with
 * the exact gradient H (w − w*). w is passed to the optimiser as a bias, so weight decay and
 * max-norm, if set, do not apply. Stops early, marking the run diverged, when E exceeds `limit`
 * (default 1e12). The optimiser's velocity is reset first and freed afterwards.
 *
 * @example
 * ```ts
 * const run = descendBowl(rotatedBowl([1, 20], 0.5), new SGD({ learningRate: 0.09 }), [-4, 2], 50);
 * run.error.at(-1); // close to 0
 * ```
 */
export function descendBowl(
  bowl: QuadraticBowl,
  optimizer: SGD,
  start: readonly number[],
  steps: number,
  limit = 1e12,
): BowlDescent {
  if (start.length !== bowl.minimum.length) {
    throw new Error(
      `descendBowl: start has ${start.length} entries, the bowl ${bowl.minimum.length}`,
    );
  }
  if (!Number.isInteger(steps) || steps < 0) {
    throw new Error(`descendBowl: steps must be a non-negative integer, not ${steps}`);
  }
  optimizer.dispose();
  const w = tf.tidy(() => tf.variable(tf.tensor1d([...start])));
  const parameter = [{ variable: w, role: "bias" as const }];
  const path = [[...start]];
  const error = [bowlError(bowl, start)];
  let diverged = false;
  try {
    for (let t = 0; t < steps; t++) {
      const current = path[path.length - 1];
      const gradient = tf.tensor1d(bowlGradient(bowl, current));
      optimizer.step(parameter, [gradient]);
      gradient.dispose();
      const next = Array.from(w.dataSync());
      const e = bowlError(bowl, next);
      path.push(next);
      error.push(e);
      if (!(e <= limit)) {
        diverged = true;
        break;
      }
    }
  } finally {
    w.dispose();
    optimizer.dispose();
  }
  return { path, error, diverged };
}

/**
 * The eigenvalues of a symmetric matrix, largest first, by cyclic Jacobi rotations (float64;
 * for the small matrices of the course).
 *
 * @example
 * ```ts
 * symmetricEigenvalues([[2, 1], [1, 2]]); // [3, 1]
 * ```
 */
export function symmetricEigenvalues(A: readonly (readonly number[])[]): number[] {
  checkSquareSymmetric("symmetricEigenvalues", A);
  const n = A.length;
  const a = A.map((row) => Float64Array.from(row));
  const offDiagonal = () => {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) sum += a[i][j] ** 2;
    return sum;
  };
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) total += a[i][j] ** 2;
  for (let sweep = 0; sweep < 100 && offDiagonal() > 1e-30 * total; sweep++) {
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        // The rotation in the (p, q) plane that zeroes a[p][q].
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i][i]).sort((x, y) => y - x);
}

/**
 * κ = λ_max / λ_min of a symmetric positive definite matrix (∞ when λ_min ≤ 0).
 *
 * @example
 * ```ts
 * conditionNumber([[1, 0], [0, 20]]); // 20
 * ```
 */
export function conditionNumber(A: readonly (readonly number[])[]): number {
  const eigenvalues = symmetricEigenvalues(A);
  const smallest = eigenvalues[eigenvalues.length - 1];
  return smallest > 0 ? eigenvalues[0] / smallest : Infinity;
}

/**
 * The Hessian of linear least squares E(b, w) = (1/2N) Σₙ (dₙ − b − wᵀxₙ)² with respect to
 * (b, w): H = (1/N) Σₙ x̃ₙ x̃ₙᵀ with x̃ = (1, x). It does not depend on the targets. `features`
 * holds N rows of `width` values.
 *
 * @example
 * ```ts
 * leastSquaresHessian(new Float32Array([1, 3]), 1); // [[1, 2], [2, 5]]
 * ```
 */
export function leastSquaresHessian(features: ArrayLike<number>, width: number): number[][] {
  if (!Number.isInteger(width) || width < 1 || features.length % width !== 0) {
    throw new Error(`leastSquaresHessian: ${features.length} values do not make rows of ${width}`);
  }
  const n = features.length / width;
  if (n === 0) throw new Error("leastSquaresHessian: no rows");
  const H = Array.from({ length: width + 1 }, () => new Array<number>(width + 1).fill(0));
  const x = new Float64Array(width + 1);
  for (let r = 0; r < n; r++) {
    x[0] = 1;
    for (let i = 0; i < width; i++) x[i + 1] = features[r * width + i];
    for (let i = 0; i <= width; i++) for (let j = 0; j <= width; j++) H[i][j] += x[i] * x[j] / n;
  }
  return H;
}
