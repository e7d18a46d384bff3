/**
 * Whitening (chapter 5): decorrelate the components of the data and give each unit variance.
 * With the covariance Φ = (1/N) Σₙ (xₙ − μ)(xₙ − μ)ᵀ = U Λ Uᵀ (eigenvectors in the columns of U),
 *
 *   PCA whitening   x ↦ (Λ + εI)^(−1/2) Uᵀ (x − μ)
 *   ZCA whitening   x ↦ U (Λ + εI)^(−1/2) Uᵀ (x − μ)
 *
 * Both make the covariance (almost, because of ε) the identity; ZCA is the one symmetric
 * whitening matrix, the one that changes the data least, and its rows are localised
 * centre-surround filters on image patches. ε keeps the directions of tiny variance from being
 * blown up into noise.
 *
 * The eigendecomposition is the cyclic Jacobi method in float64 (exact to rounding for the few
 * hundred dimensions of image patches), together with a few helpers: the covariance of rows,
 * orthonormal bases, and the cosines of the principal angles between two subspaces (for the
 * relation of a linear autoencoder to PCA).
 *
 * Matrices are row-major `Float64Array`s of n × n (or n × k) entries.
 *
 * @module
 */

/** Eigenvalues (descending) and eigenvectors (column k of `vectors` belongs to `values[k]`). */
export interface Eigen {
  /** Dimension n. */
  n: number;
  /** λ₁ ≥ λ₂ ≥ … ≥ λₙ. */
  values: Float64Array;
  /** n × n row-major; column k is the unit eigenvector of values[k]. */
  vectors: Float64Array;
}

/**
 * The eigendecomposition of a symmetric n × n matrix A = U Λ Uᵀ by cyclic Jacobi rotations.
 * Throws when A is not symmetric (to 1e-9 relative).
 *
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
 * // values [3, 1]; vectors' first column ±[0.707, 0.707]
 * ```
 */
export function symmetricEigen(A: ArrayLike<number>, n: number): Eigen {
  if (A.length !== n * n) throw new Error(`symmetricEigen: ${A.length} entries are not ${n}×${n}`);
  const a = Float64Array.from(A);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-9 * Math.max(scale, 1e-300)) {
        throw new Error(`symmetricEigen: the matrix is not symmetric at (${i}, ${j})`);
      }
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += 2 * a[i * n + j] ** 2;
    if (off <= 1e-26 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        // The rotation in the (p, q) plane that zeroes a[p][q].
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) { // columns p and q: A ← A J
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // rows p and q: A ← Jᵀ A
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) { // V ← V J
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from];
  });
  return { n, values, vectors };
}

/**
 * The mean μ and covariance Φ = (1/N) Σ (x − μ)(x − μ)ᵀ of rows (count × dim, row-major).
 *
 * @example
 * ```ts
 * const { mean, covariance } = covarianceOf(new Float32Array([0, 0, 2, 2]), 2);
 * // mean [1, 1], covariance [1, 1, 1, 1]
 * ```
 */
export function covarianceOf(
  rows: ArrayLike<number>,
  dim: number,
): { mean: Float64Array; covariance: Float64Array } {
  const count = rows.length / dim;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`covarianceOf: ${rows.length} values are not rows of ${dim}`);
  }
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let i = 0; i < dim; i++) mean[i] += rows[r * dim + i];
  for (let i = 0; i < dim; i++) mean[i] /= count;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dim; i++) centred[i] = rows[r * dim + i] - mean[i];
    for (let i = 0; i < dim; i++) {
      const ci = centred[i];
      if (ci === 0) continue;
      for (let j = i; j < dim; j++) covariance[i * dim + j] += ci * centred[j];
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      covariance[i * dim + j] /= count;
      covariance[j * dim + i] = covariance[i * dim + j];
    }
  }
  return { mean, covariance };
}

/** A fitted whitening transform x ↦ M (x − μ). */
export interface Whitening {
  /** "pca" or "zca". */
  kind: "pca" | "zca";
  /** ε added to the eigenvalues. */
  epsilon: number;
  /** Dimension. */
  dim: number;
  /** μ. */
  mean: Float64Array;
  /** M, dim × dim row-major: row k is the k-th filter. */
  matrix: Float64Array;
  /** The eigendecomposition of the covariance it was fitted on. */
  eigen: Eigen;
}

/**
 * Fit PCA or ZCA whitening with regulariser ε on rows (count × dim).
 *
 * @example
 * ```ts
 * const zca = fitWhitening(patches, 144, { kind: "zca", epsilon: 0.01 });
 * const white = applyWhitening(zca, patches); // covariance ≈ I
 * ```
 */
export function fitWhitening(
  rows: ArrayLike<number>,
  dim: number,
  options: { kind: "pca" | "zca"; epsilon?: number },
): Whitening {
  const epsilon = options.epsilon ?? 0;
  if (!(epsilon >= 0)) throw new Error(`fitWhitening: epsilon must be ≥ 0, not ${epsilon}`);
  const { mean, covariance } = covarianceOf(rows, dim);
  const eigen = symmetricEigen(covariance, dim);
  const U = eigen.vectors;
  const scale = eigen.values.map((l) => 1 / Math.sqrt(Math.max(l, 0) + epsilon));
  if (scale.some((s) => !Number.isFinite(s))) {
    throw new Error("fitWhitening: a zero-variance direction: use epsilon > 0");
  }
  const matrix = new Float64Array(dim * dim);
  if (options.kind === "pca") {
    // M = (Λ + εI)^(−1/2) Uᵀ: row k = scale_k · (column k of U)ᵀ.
    for (let k = 0; k < dim; k++) {
      for (let i = 0; i < dim; i++) matrix[k * dim + i] = scale[k] * U[i * dim + k];
    }
  } else {
    // M = U (Λ + εI)^(−1/2) Uᵀ.
    for (let i = 0; i < dim; i++) {
      for (let j = i; j < dim; j++) {
        let sum = 0;
        for (let k = 0; k < dim; k++) sum += U[i * dim + k] * scale[k] * U[j * dim + k];
        matrix[i * dim + j] = sum;
        matrix[j * dim + i] = sum;
      }
    }
  }
  return { kind: options.kind, epsilon, dim, mean, matrix, eigen };
}

/**
 * Apply a fitted whitening to rows (count × dim): each row x becomes M (x − μ).
 *
 * @example
 * ```ts
 * const white = applyWhitening(fitWhitening(rows, 2, { kind: "pca", epsilon: 1e-5 }), rows);
 * ```
 */
export function applyWhitening(w: Whitening, rows: ArrayLike<number>): Float32Array {
  const { dim, mean, matrix } = w;
  const count = rows.length / dim;
  if (!Number.isInteger(count)) {
    throw new Error(`applyWhitening: ${rows.length} values are not rows of ${dim}`);
  }
  const out = new Float32Array(rows.length);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dim; i++) centred[i] = rows[r * dim + i] - mean[i];
    for (let k = 0; k < dim; k++) {
      let sum = 0;
      for (let i = 0; i < dim; i++) sum += matrix[k * dim + i] * centred[i];
      out[r * dim + k] = sum;
    }
  }
  return out;
}

/**
 * max |Φ − I| over all entries of a covariance matrix (dim × dim): how far data are from white.
 *
 * @example
 * ```ts
 * distanceFromIdentity(covarianceOf(white, 144).covariance, 144); // ≈ ε/(λ + ε) at most
 * ```
 */
export function distanceFromIdentity(covariance: ArrayLike<number>, dim: number): number {
  let worst = 0;
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      worst = Math.max(worst, Math.abs(covariance[i * dim + j] - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * An orthonormal basis (n × k, columns) of the span of the k columns of A (n × k row-major),
 * by modified Gram–Schmidt (twice, for accuracy). Throws when the columns are dependent.
 *
 * @example
 * ```ts
 * orthonormalColumns(new Float64Array([3, 0, 4, 0]), 2, 1); // [0.6, 0.8]
 * ```
 */
export function orthonormalColumns(A: ArrayLike<number>, n: number, k: number): Float64Array {
  if (A.length !== n * k) {
    throw new Error(`orthonormalColumns: ${A.length} entries are not ${n}×${k}`);
  }
  const Q = Float64Array.from(A);
  for (let c = 0; c < k; c++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += Q[i * k + p] * Q[i * k + c];
        for (let i = 0; i < n; i++) Q[i * k + c] -= dot * Q[i * k + p];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Q[i * k + c] ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new Error(`orthonormalColumns: column ${c} depends on the others`);
    for (let i = 0; i < n; i++) Q[i * k + c] /= norm;
  }
  return Q;
}

/**
 * The cosines of the principal angles between the spans of the columns of A (n × k) and B (n × k),
 * largest first: the singular values of Q_Aᵀ Q_B. All 1 means the same subspace.
 *
 * @example
 * ```ts
 * subspaceCosines(new Float64Array([1, 0, 0]), new Float64Array([2, 0, 0]), 3, 1); // [1]
 * ```
 */
export function subspaceCosines(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  n: number,
  k: number,
): Float64Array {
  const qa = orthonormalColumns(A, n, k);
  const qb = orthonormalColumns(B, n, k);
  const M = new Float64Array(k * k); // Q_Aᵀ Q_B
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += qa[r * k + i] * qb[r * k + j];
      M[i * k + j] = sum;
    }
  }
  const MtM = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let r = 0; r < k; r++) sum += M[r * k + i] * M[r * k + j];
      MtM[i * k + j] = sum;
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      MtM[j * k + i] = MtM[i * k + j] = (MtM[i * k + j] + MtM[j * k + i]) / 2;
    }
  }
  return symmetricEigen(MtM, k).values.map((v) => Math.sqrt(Math.min(1, Math.max(0, v))));
}

/**
 * The top k eigenvectors of the covariance of rows, as n × k columns (the principal subspace).
 *
 * @example
 * ```ts
 * const U2 = principalSubspace(rows, 6, 2); // 6 × 2
 * ```
 */
export function principalSubspace(rows: ArrayLike<number>, dim: number, k: number): Float64Array {
  const { vectors } = symmetricEigen(covarianceOf(rows, dim).covariance, dim);
  const out = new Float64Array(dim * k);
  for (let i = 0; i < dim; i++) for (let c = 0; c < k; c++) out[i * k + c] = vectors[i * dim + c];
  return out;
}

/** What {@linkcode leadingEigen} returns. */
export interface LeadingEigen extends Eigen {
  /** The number k of leading pairs returned (`values` has k entries, `vectors` is n × k). */
  k: number;
  /** Subspace iterations used. */
  iterations: number;
  /** The largest ‖A v − λ v‖ / λ₁ over the k pairs returned. */
  residual: number;
}

/**
 * The k largest eigenvalues and their eigenvectors of a symmetric positive semi-definite n × n
 * matrix A, by subspace (orthogonal) iteration: Q ← orth(A Q) on a block of p = min(n, 2k)
 * columns, with a Rayleigh–Ritz step (the eigendecomposition of the small Qᵀ A Q) each time. The
 * error of the k-th pair shrinks like (λₚ₊₁/λₖ)ⁱᵗᵉʳᵃᵗⁱᵒⁿˢ, so for the few leading directions of a
 * large covariance (MNIST's 784 pixels) this is much cheaper than the full Jacobi
 * {@linkcode symmetricEigen}. Stops when the residual is below `tolerance` (relative to λ₁) or
 * after `maxIterations`. `vectors` is n × k row-major, column c belonging to `values[c]`.
 *
 * @example
 * ```ts
 * const top = leadingEigen(covariance, 784, 30); // top.values[0] ≥ … ≥ top.values[29]
 * ```
 */
export function leadingEigen(
  A: ArrayLike<number>,
  n: number,
  k: number,
  options: { tolerance?: number; maxIterations?: number; seed?: number } = {},
): LeadingEigen {
  if (A.length !== n * n) throw new Error(`leadingEigen: ${A.length} entries are not ${n}×${n}`);
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new Error(`leadingEigen: k must be an integer in 1…${n}, not ${k}`);
  }
  const tolerance = options.tolerance ?? 1e-7;
  const maxIterations = options.maxIterations ?? 300;
  const p = Math.min(n, 2 * k);
  const a = Float64Array.from(A);
  // A fixed pseudo-random start (a small linear congruential generator: no shared stream used).
  let state = options.seed ?? 12345;
  const start = new Float64Array(n * p).map(() => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
  let Q = orthonormalColumns(start, n, p);
  const product = (M: Float64Array) => { // A M for M n × p, row-major
    const out = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const aij = a[i * n + j];
        if (aij === 0) continue;
        for (let c = 0; c < p; c++) out[i * p + c] += aij * M[j * p + c];
      }
    }
    return out;
  };
  let values = new Float64Array(k);
  let vectors = new Float64Array(n * k);
  let residual = Infinity;
  let iterations = 0;
  while (iterations < maxIterations && residual > tolerance) {
    iterations++;
    const AQ = product(Q);
    // Rayleigh–Ritz: T = Qᵀ A Q = S Θ Sᵀ; the Ritz vectors Q S approximate eigenvectors.
    const T = new Float64Array(p * p);
    for (let r = 0; r < p; r++) {
      for (let c = r; c < p; c++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += Q[i * p + r] * AQ[i * p + c];
        T[r * p + c] = sum;
      }
    }
    for (let r = 0; r < p; r++) {
      for (let c = r + 1; c < p; c++) T[c * p + r] = T[r * p + c];
    }
    const small = symmetricEigen(T, p);
    const ritz = new Float64Array(n * p); // Q S
    const aRitz = new Float64Array(n * p); // A Q S
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < p; r++) {
        const q = Q[i * p + r], aq = AQ[i * p + r];
        for (let c = 0; c < p; c++) {
          const s = small.vectors[r * p + c];
          ritz[i * p + c] += q * s;
          aRitz[i * p + c] += aq * s;
        }
      }
    }
    values = small.values.slice(0, k);
    vectors = new Float64Array(n * k);
    residual = 0;
    for (let c = 0; c < k; c++) {
      let norm = 0;
      for (let i = 0; i < n; i++) {
        vectors[i * k + c] = ritz[i * p + c];
        norm += (aRitz[i * p + c] - values[c] * ritz[i * p + c]) ** 2;
      }
      residual = Math.max(residual, Math.sqrt(norm) / Math.max(small.values[0], 1e-300));
    }
    Q = orthonormalColumns(aRitz, n, p); // the next block: orth(A Q S)
  }
  return { n, k, values, vectors, iterations, residual };
}
