/**
 * Synthetic data for the exercises of chapter 3, drawn from a seeded stream so that every run
 * sees the same points. Each generator returns row-major typed arrays in the shape of a data set
 * (`features`, `targets`, `count`, `inputSize`, `targetSize`) together with the truth it was made
 * from.
 *
 * @module
 */
import type { Random } from "../runtime/random.ts";

/** Points with real or 0/1 targets, as row-major typed arrays. */
export interface SyntheticData {
  /** count × inputSize values. */
  features: Float32Array;
  /** count × targetSize values. */
  targets: Float32Array;
  /** Number of points. */
  count: number;
  /** Inputs per point. */
  inputSize: number;
  /** Targets per point (1 here). */
  targetSize: number;
}

function checkCount(name: string, count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`${name}: count must be a positive integer, not ${count}`);
  }
}

/** The true line of {@linkcode linearRegressionData}: d = x − 1 + ε. */
export const TRUE_LINE: Readonly<{ w: number; b: number }> = { w: 1, b: -1 };

/**
 * Exercise 3a: x ~ U(−4, 4), d = x − 1 + ε with ε ~ N(0, 1) (default 200 points).
 *
 * @example
 * ```ts
 * const data = linearRegressionData(randomFor("exercise-3a"));
 * data.features[0]; data.targets[0]; // x₁, d₁
 * ```
 */
export function linearRegressionData(rng: Random, count = 200): SyntheticData {
  checkCount("linearRegressionData", count);
  const features = new Float32Array(count);
  const targets = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    const x = rng.uniform(-4, 4);
    features[n] = x;
    targets[n] = TRUE_LINE.w * x + TRUE_LINE.b + rng.normal(0, 1);
  }
  return { features, targets, count, inputSize: 1, targetSize: 1 };
}

/**
 * Exercise 3b: x₁, x₂ ~ U(−1, 1); d = 1 if x₂ > x₁ + 1 + ε with ε ~ N(0, 0.3²), else 0
 * (default 200 points). The true boundary is the line x₂ = x₁ + 1, which cuts off only the
 * upper-left corner of the square (1/8 of its area), so class 1 is rare.
 *
 * @example
 * ```ts
 * const data = logisticRegressionData(randomFor("exercise-3b"));
 * data.features.subarray(0, 2); data.targets[0]; // (x₁, x₂) and d of the first point
 * ```
 */
export function logisticRegressionData(rng: Random, count = 200, noiseStd = 0.3): SyntheticData {
  checkCount("logisticRegressionData", count);
  const features = new Float32Array(2 * count);
  const targets = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    const x1 = rng.uniform(-1, 1);
    const x2 = rng.uniform(-1, 1);
    features[2 * n] = x1;
    features[2 * n + 1] = x2;
    targets[n] = x2 > x1 + 1 + rng.normal(0, noiseStd) ? 1 : 0;
  }
  return { features, targets, count, inputSize: 2, targetSize: 1 };
}

/**
 * Noisy samples of one period of a sine, the classic curve-fitting example for over-fitting:
 * x ~ U(0, 1), d = sin(2πx) + ε with ε ~ N(0, noiseStd²).
 *
 * @example
 * ```ts
 * const train = sineData(randomFor("sine-train"), 15);
 * ```
 */
export function sineData(rng: Random, count: number, noiseStd = 0.3): SyntheticData {
  checkCount("sineData", count);
  const features = new Float32Array(count);
  const targets = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    const x = rng.uniform(0, 1);
    features[n] = x;
    targets[n] = Math.sin(2 * Math.PI * x) + rng.normal(0, noiseStd);
  }
  return { features, targets, count, inputSize: 1, targetSize: 1 };
}
