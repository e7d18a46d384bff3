/**
 * Polynomial features for curve fitting (chapter 3, over-fitting): a scalar input x becomes the
 * values of the Legendre polynomials P₁(t), …, P_K(t) at t = x rescaled to [−1, 1]. They span the
 * same functions as the monomials t, t², …, t^K, but stay between −1 and 1 and are nearly
 * uncorrelated for inputs spread over the interval, so least squares on them stays well
 * conditioned up to high degrees where the monomials' normal equations break down. The constant
 * P₀ = 1 is left out: it is the model's bias.
 *
 * @module
 */

/**
 * P₀(t) … P_degree(t) by Bonnet's recurrence (k + 1) P_{k+1} = (2k + 1) t P_k − k P_{k−1}.
 *
 * @example
 * ```ts
 * legendreValues(0.5, 2); // [1, 0.5, -0.125]
 * ```
 */
export function legendreValues(t: number, degree: number): number[] {
  if (!Number.isInteger(degree) || degree < 0) {
    throw new Error(`legendreValues: degree must be a non-negative integer, not ${degree}`);
  }
  const p = [1, t];
  for (let k = 1; k < degree; k++) p.push(((2 * k + 1) * t * p[k] - k * p[k - 1]) / (k + 1));
  return p.slice(0, degree + 1);
}

/**
 * Feature rows [P₁(t), …, P_degree(t)] for each input x, with t = 2(x − lo)/(hi − lo) − 1
 * (`range` = [lo, hi], default [0, 1]): `x.length` rows of `degree` values, row-major. Degree 0
 * gives no features (a model that is only its bias).
 *
 * @example
 * ```ts
 * const phi = legendreFeatures([0, 0.5, 1], 3); // 3 rows of 3: P₁, P₂, P₃ at t = −1, 0, 1
 * ```
 */
export function legendreFeatures(
  x: ArrayLike<number>,
  degree: number,
  range: readonly [number, number] = [0, 1],
): Float32Array {
  const [lo, hi] = range;
  if (!(hi > lo)) throw new Error(`legendreFeatures: range must have hi > lo, got [${range}]`);
  const out = new Float32Array(x.length * degree);
  for (let n = 0; n < x.length; n++) {
    const t = (2 * (x[n] - lo)) / (hi - lo) - 1;
    out.set(legendreValues(t, degree).slice(1), n * degree);
  }
  return out;
}
