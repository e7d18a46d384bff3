/**
 * Learning-rate schedules (chapter 3): the learning rate η as a function of the epoch, counted
 * from 0. Large steps early move fast; small steps late let SGD settle instead of rattling around
 * the minimum with the noise of its minibatch gradients.
 *
 * @module
 */

/** η for epoch t = 0, 1, 2, … */
export type LearningRateSchedule = (epoch: number) => number;

function checkRate(name: string, rate: number): void {
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new Error(`${name}: the learning rate must be a positive number, not ${rate}`);
  }
}

/**
 * The same η every epoch.
 *
 * @example
 * ```ts
 * constantRate(0.1)(7); // 0.1
 * ```
 */
export function constantRate(rate: number): LearningRateSchedule {
  checkRate("constantRate", rate);
  return () => rate;
}

/**
 * η₀ multiplied by `factor` every `every` epochs: η(t) = η₀ · factor^⌊t/every⌋.
 *
 * @example
 * ```ts
 * const s = stepDecay(0.1, 0.5, 10);
 * s(9); s(10); // 0.1, 0.05
 * ```
 */
export function stepDecay(rate: number, factor: number, every: number): LearningRateSchedule {
  checkRate("stepDecay", rate);
  if (!(factor > 0 && factor <= 1)) throw new Error(`stepDecay: factor must be in (0, 1]`);
  if (!(Number.isInteger(every) && every >= 1)) {
    throw new Error(`stepDecay: every must be a positive integer, not ${every}`);
  }
  return (epoch) => rate * factor ** Math.floor(epoch / every);
}

/**
 * Exponential decay η(t) = η₀ · γᵗ.
 *
 * @example
 * ```ts
 * exponentialDecay(0.1, 0.9)(2); // 0.081
 * ```
 */
export function exponentialDecay(rate: number, gamma: number): LearningRateSchedule {
  checkRate("exponentialDecay", rate);
  if (!(gamma > 0 && gamma <= 1)) throw new Error(`exponentialDecay: gamma must be in (0, 1]`);
  return (epoch) => rate * gamma ** epoch;
}

/**
 * Inverse-time decay η(t) = η₀ / (1 + k·t), which satisfies the Robbins–Monro conditions
 * Σ η = ∞, Σ η² < ∞ under which SGD converges.
 *
 * @example
 * ```ts
 * inverseTimeDecay(0.1, 1)(1); // 0.05
 * ```
 */
export function inverseTimeDecay(rate: number, k: number): LearningRateSchedule {
  checkRate("inverseTimeDecay", rate);
  if (!(k >= 0)) throw new Error(`inverseTimeDecay: k must be ≥ 0, not ${k}`);
  return (epoch) => rate / (1 + k * epoch);
}
