/**
 * Linear least squares in closed form, with an optional weight-decay (ridge) penalty — the exact
 * minimum that SGD with weight decay approaches on a linear model (chapter 3). The model is
 * y = b + wᵀx and the objective, with the course's conventions (mean over the N examples, no
 * penalty on the bias),
 *
 *   E(b, w) = (1/N) Σₙ ½ (dₙ − b − wᵀxₙ)² + (λ/2) ‖w‖².
 *
 * Setting its gradient to zero gives the normal equations
 * ((1/N) X̃ᵀX̃ + λ diag(0, 1, …, 1)) (b, w) = (1/N) X̃ᵀd with x̃ = (1, x), solved here in float64
 * by Gaussian elimination with partial pivoting (fine for the few dozen unknowns of the course).
 *
 * @module
 */

/** The fitted line (or hyperplane) y = b + wᵀx. */
export interface LinearFit {
  /** The weights w (one per feature). */
  readonly w: Float64Array;
  /** The bias b. */
  readonly b: number;
}

/**
 * Solve A x = y for a square, non-singular A by Gaussian elimination with partial pivoting
 * (inputs are not changed).
 *
 * @example
 * ```ts
 * solveLinearSystem([[2, 1], [1, 3]], [3, 5]); // [0.8, 1.4]
 * ```
 */
export function solveLinearSystem(
  A: readonly (readonly number[])[],
  y: readonly number[],
): Float64Array {
  const n = A.length;
  if (A.some((row) => row.length !== n) || y.length !== n) {
    throw new Error(`solveLinearSystem: A must be n × n and y of length n (n = ${n})`);
  }
  const a = A.map((row, i) => [...row, y[i]]);
  const scale = Math.max(...A.flat().map(Math.abs));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (!(Math.abs(a[pivot][col]) > 1e-14 * scale)) {
      throw new Error(`solveLinearSystem: the matrix is singular (column ${col})`);
    }
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = a[r][col] / a[col][col];
      for (let c = col; c <= n; c++) a[r][c] -= factor * a[col][c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let sum = a[r][n];
    for (let c = r + 1; c < n; c++) sum -= a[r][c] * x[c];
    x[r] = sum / a[r][r];
  }
  return x;
}

/**
 * The minimiser of E(b, w) above for N rows of `width` features and N targets; `lambda` = 0
 * gives ordinary least squares.
 *
 * @example
 * ```ts
 * const fit = fitRidge(new Float32Array([0, 1, 2]), 1, new Float32Array([1, 3, 5]), 0);
 * fit.w[0]; fit.b; // 2, 1
 * ```
 */
export function fitRidge(
  features: ArrayLike<number>,
  width: number,
  targets: ArrayLike<number>,
  lambda: number,
): LinearFit {
  if (!Number.isInteger(width) || width < 0) {
    throw new Error(`fitRidge: width must be a non-negative integer, not ${width}`);
  }
  const n = targets.length;
  if (n === 0 || features.length !== n * width) {
    throw new Error(
      `fitRidge: ${features.length} feature values for ${n} targets of width ${width}`,
    );
  }
  if (!(lambda >= 0)) throw new Error(`fitRidge: lambda must be ≥ 0, not ${lambda}`);
  const size = width + 1;
  const A = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  const rhs = new Array<number>(size).fill(0);
  const x = new Float64Array(size);
  for (let r = 0; r < n; r++) {
    x[0] = 1;
    for (let i = 0; i < width; i++) x[i + 1] = features[r * width + i];
    for (let i = 0; i < size; i++) {
      rhs[i] += (x[i] * targets[r]) / n;
      for (let j = 0; j < size; j++) A[i][j] += (x[i] * x[j]) / n;
    }
  }
  for (let i = 1; i < size; i++) A[i][i] += lambda;
  const solution = solveLinearSystem(A, rhs);
  return { b: solution[0], w: solution.slice(1) };
}

/**
 * y = b + wᵀx for each of the N rows of `features`.
 *
 * @example
 * ```ts
 * predictLinear({ w: Float64Array.of(2), b: 1 }, [0, 1, 2]); // [1, 3, 5]
 * ```
 */
export function predictLinear(fit: LinearFit, features: ArrayLike<number>): Float64Array {
  const width = fit.w.length;
  const n = width === 0 ? 0 : features.length / width;
  if (!Number.isInteger(n)) {
    throw new Error(`predictLinear: ${features.length} values do not make rows of ${width}`);
  }
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let y = fit.b;
    for (let i = 0; i < width; i++) y += fit.w[i] * features[r * width + i];
    out[r] = y;
  }
  return out;
}

/**
 * The mean squared error (1/N) Σ ½ (dₙ − yₙ)² of a fit (no penalty term), the course's
 * regression error.
 *
 * @example
 * ```ts
 * fitError({ w: Float64Array.of(2), b: 1 }, [0, 1], [1, 4]); // 0.25
 * ```
 */
export function fitError(
  fit: LinearFit,
  features: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  if (targets.length === 0) throw new Error("fitError: no targets (an empty data set)");
  const y = predictLinear(fit, features);
  if (fit.w.length > 0 && y.length !== targets.length) {
    throw new Error(`fitError: ${y.length} predictions for ${targets.length} targets`);
  }
  let sum = 0;
  for (let r = 0; r < targets.length; r++) {
    sum += 0.5 * (targets[r] - (fit.w.length === 0 ? fit.b : y[r])) ** 2;
  }
  return sum / targets.length;
}
