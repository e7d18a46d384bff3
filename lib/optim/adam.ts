/**
 * Adam (Kingma & Ba 2015) on flat parameter vectors, with the same objective and result types as
 * {@linkcode minimizeLbfgs} in `lbfgs.ts`: the alternative optimiser for style transfer (one
 * evaluation per step, no line search).
 *
 *   m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
 *   x ← x − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
 *
 * @example
 * ```ts
 * const bowl = (x: Float64Array) => ({ value: x[0] ** 2, gradient: Float64Array.of(2 * x[0]) });
 * const { x } = await minimizeAdam(bowl, [3], { iterations: 500, learningRate: 0.1 });
 * ```
 *
 * @module
 */
import type { IterationCallback, Objective, OptimizeResult, StopReason } from "./lbfgs.ts";

/** Options of {@linkcode minimizeAdam}. */
export interface AdamOptions {
  /** Steps (default 100). */
  iterations?: number;
  /** η (default 0.001); for image pixels on the 0–255 scale, values around 1–10 suit. */
  learningRate?: number;
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  epsilon?: number;
  /** Called after each step (`value`: f before that step, the one just evaluated); false stops. */
  onIteration?: IterationCallback;
}

/**
 * Minimise `objective` from `x0` with Adam for a fixed number of steps. The result's `x` is the
 * last point, `value` and `gradient` are evaluated there (one extra evaluation at the end), and
 * `values[k]` is f before step k + 1 (then the final value).
 *
 * @example
 * ```ts
 * const result = await minimizeAdam(objective, x0, { iterations: 200, learningRate: 5 });
 * console.log(result.values.at(-1));
 * ```
 */
export async function minimizeAdam(
  objective: Objective,
  x0: ArrayLike<number>,
  options: AdamOptions = {},
): Promise<OptimizeResult> {
  const iterations = options.iterations ?? 100;
  const rate = options.learningRate ?? 0.001;
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const m = new Float64Array(n), v = new Float64Array(n);
  const values: number[] = [];
  let evaluations = 0;
  let reason: StopReason = "max iterations";
  let done = 0;
  for (let t = 1; t <= iterations; t++) {
    const { value, gradient } = await objective(x);
    evaluations++;
    if (gradient.length !== n) throw new Error(`gradient of length ${gradient.length}, not ${n}`);
    values.push(value);
    const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
    let gNorm = 0;
    for (let i = 0; i < n; i++) {
      const g = gradient[i];
      gNorm = Math.max(gNorm, Math.abs(g));
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      x[i] -= rate * (m[i] / c1) / (Math.sqrt(v[i] / c2) + epsilon);
    }
    done = t;
    const goOn = await options.onIteration?.({
      iteration: t,
      evaluations,
      value,
      gradientNorm: gNorm,
      step: rate,
      x,
    });
    if (goOn === false) {
      reason = "stopped by callback";
      break;
    }
  }
  const last = await objective(x);
  evaluations++;
  values.push(last.value);
  return {
    x,
    value: last.value,
    gradient: Float64Array.from(last.gradient),
    iterations: done,
    evaluations,
    values,
    reason,
  };
}
