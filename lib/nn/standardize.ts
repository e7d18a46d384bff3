/**
 * Input standardisation (chapter 3): shift and scale every input feature to mean 0 and standard
 * deviation 1 over the training set, x′ᵢ = (xᵢ − μᵢ)/σᵢ. The statistics come from the training
 * data only and are then applied unchanged to test data.
 *
 * Data are row-major typed arrays, N rows of `width` features, as the loaders return them.
 *
 * @module
 */

/** Per-feature mean and standard deviation of a training set. */
export interface Standardizer {
  /** Number of features. */
  readonly width: number;
  /** μᵢ. */
  readonly mean: Float64Array;
  /** σᵢ (features with σ below `minStd` use 1, so constant pixels stay 0, not NaN). */
  readonly std: Float64Array;
}

/**
 * Measure each feature's mean and standard deviation (population form, divide by N).
 *
 * @example
 * ```ts
 * const s = fitStandardizer(new Float32Array([1, 10, 3, 30]), 2);
 * s.mean; // [2, 20]
 * s.std; // [1, 10]
 * ```
 */
export function fitStandardizer(
  features: Float32Array,
  width: number,
  minStd = 1e-8,
): Standardizer {
  if (!Number.isInteger(width) || width < 1 || features.length % width !== 0) {
    throw new Error(`fitStandardizer: ${features.length} values do not make rows of ${width}`);
  }
  const n = features.length / width;
  if (n === 0) throw new Error("fitStandardizer: no rows");
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < width; i++) mean[i] += features[r * width + i];
  }
  for (let i = 0; i < width; i++) mean[i] /= n;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < width; i++) std[i] += (features[r * width + i] - mean[i]) ** 2;
  }
  for (let i = 0; i < width; i++) {
    const s = Math.sqrt(std[i] / n);
    if (!Number.isFinite(s)) throw new Error(`fitStandardizer: feature ${i} is not finite`);
    std[i] = s < minStd ? 1 : s;
  }
  return { width, mean, std };
}

/**
 * A standardised copy of `features` (the input is not changed).
 *
 * @example
 * ```ts
 * const s = fitStandardizer(train.features, 4);
 * const trainX = standardize(s, train.features);
 * const testX = standardize(s, test.features); // the training statistics, unchanged
 * ```
 */
export function standardize(s: Standardizer, features: Float32Array): Float32Array {
  if (features.length % s.width !== 0) {
    throw new Error(`standardize: ${features.length} values do not make rows of ${s.width}`);
  }
  const out = new Float32Array(features.length);
  for (let k = 0; k < features.length; k++) {
    const i = k % s.width;
    out[k] = (features[k] - s.mean[i]) / s.std[i];
  }
  return out;
}
