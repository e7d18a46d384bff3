/**
 * Adam (Kingma & Ba 2015): each parameter's step is scaled by running estimates of the mean and
 * the mean square of its gradient,
 *
 *   g ← ∇E + λ w              (weight decay on weights only, as in SGD)
 *   m ← β₁ m + (1 − β₁) g,    v ← β₂ v + (1 − β₂) g²
 *   w ← w − η (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 *
 * so that parameters with small or badly scaled gradients (the autoencoders of chapter 5, whose
 * errors are sums over hundreds of pixels) still move at about η per step.
 *
 * One implementation, two ways in: {@linkcode Adam}, a drop-in alternative to `SGD` in `train`
 * for the course's {@linkcode Parameter} lists, and {@linkcode minimizeAdam}, which runs the same
 * {@linkcode Adam} on a flat parameter vector with the objective and result types of
 * `minimizeLbfgs` (the alternative optimiser for style transfer: one evaluation per step, no line
 * search).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkStepInputs, type Parameter } from "./optimizer.ts";
import type { IterationCallback, Objective, OptimizeResult, StopReason } from "./lbfgs.ts";

/** Settings of {@linkcode Adam} (and of {@linkcode minimizeAdam}). */
export interface AdamOptions {
  /** η (default 0.001); for image pixels on the 0–255 scale, values around 1–10 suit. */
  learningRate?: number;
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  epsilon?: number;
  /** λ of the penalty (λ/2)‖w‖² on weights (default 0). */
  weightDecay?: number;
}

/**
 * The Adam optimiser; keeps two moment tensors per parameter (freed by {@linkcode Adam.dispose}).
 *
 * @example
 * ```ts
 * const adam = new Adam({ learningRate: 1e-3, weightDecay: 3e-3 });
 * adam.step(params, grads);
 * adam.dispose();
 * ```
 */
export class Adam {
  /** η; may be changed between steps. */
  learningRate: number;
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly epsilon: number;
  /** λ. */
  readonly weightDecay: number;
  #t = 0;
  readonly #moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();

  /** An optimiser with the given settings; throws on a setting out of range. */
  constructor(options: AdamOptions = {}) {
    const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } =
      options;
    if (!(learningRate > 0)) throw new Error(`Adam: learningRate must be > 0, not ${learningRate}`);
    for (const [name, b] of [["beta1", beta1], ["beta2", beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new Error(`Adam: ${name} must be in [0, 1), not ${b}`);
    }
    if (!(weightDecay >= 0)) throw new Error(`Adam: weightDecay must be ≥ 0, not ${weightDecay}`);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
  }

  /** Update every parameter in place from its gradient (same order, same shapes). */
  step(params: readonly Parameter[], grads: readonly tf.Tensor[]): void {
    checkStepInputs("Adam", params, grads);
    this.#t++;
    const c1 = 1 - this.beta1 ** this.#t;
    const c2 = 1 - this.beta2 ** this.#t;
    tf.tidy(() => {
      params.forEach(({ variable, role }, i) => {
        let g = grads[i];
        if (role === "weight" && this.weightDecay > 0) {
          g = tf.add(g, tf.mul(this.weightDecay, variable));
        }
        let moments = this.#moments.get(variable);
        if (moments === undefined) {
          moments = tf.tidy(() => ({
            m: tf.variable(tf.zerosLike(variable), false),
            v: tf.variable(tf.zerosLike(variable), false),
          }));
          this.#moments.set(variable, moments);
        }
        moments.m.assign(tf.add(tf.mul(this.beta1, moments.m), tf.mul(1 - this.beta1, g)));
        moments.v.assign(
          tf.add(tf.mul(this.beta2, moments.v), tf.mul(1 - this.beta2, tf.square(g))),
        );
        const step = tf.div(
          tf.div(moments.m, c1),
          tf.add(tf.sqrt(tf.div(moments.v, c2)), this.epsilon),
        );
        variable.assign(tf.sub(variable, tf.mul(this.learningRate, step)));
      });
    });
  }

  /** Forget the moments (and free them). */
  dispose(): void {
    for (const { m, v } of this.#moments.values()) tf.dispose([m, v]);
    this.#moments.clear();
    this.#t = 0;
  }
}

/** Options of {@linkcode minimizeAdam}: Adam's settings, the number of steps and a callback. */
export interface MinimizeAdamOptions extends AdamOptions {
  /** Steps (default 100). */
  iterations?: number;
  /** Called after each step (`value`: f before that step, the one just evaluated); false stops. */
  onIteration?: IterationCallback;
}

/**
 * Minimise `objective` from `x0` with {@linkcode Adam} (float32, the vector as one weight) for a
 * fixed number of steps. The result's `x` is the last point, `value` and `gradient` are evaluated
 * there (one extra evaluation at the end), and `values[k]` is f before step k + 1 (then the final
 * value).
 *
 * @example
 * ```ts
 * const bowl = (x: Float64Array) => ({ value: x[0] ** 2, gradient: Float64Array.of(2 * x[0]) });
 * const { x } = await minimizeAdam(bowl, [3], { iterations: 500, learningRate: 0.1 });
 * ```
 */
export async function minimizeAdam(
  objective: Objective,
  x0: ArrayLike<number>,
  options: MinimizeAdamOptions = {},
): Promise<OptimizeResult> {
  const iterations = options.iterations ?? 100;
  const n = x0.length;
  const adam = new Adam(options);
  const variable = tf.tidy(() => tf.variable(tf.tensor1d(Array.from(x0))));
  const params: Parameter[] = [{ variable, role: "weight" }];
  let x = Float64Array.from(variable.dataSync());
  const values: number[] = [];
  let evaluations = 0;
  let reason: StopReason = "max iterations";
  let done = 0;
  try {
    for (let t = 1; t <= iterations; t++) {
      const { value, gradient } = await objective(x);
      evaluations++;
      if (gradient.length !== n) {
        throw new Error(`minimizeAdam: gradient of length ${gradient.length}, not ${n}`);
      }
      values.push(value);
      let gradientNorm = 0;
      for (let i = 0; i < n; i++) gradientNorm = Math.max(gradientNorm, Math.abs(gradient[i]));
      const g = tf.tensor1d(Array.from(gradient));
      adam.step(params, [g]);
      g.dispose();
      x = Float64Array.from(variable.dataSync());
      done = t;
      const goOn = await options.onIteration?.({
        iteration: t,
        evaluations,
        value,
        gradientNorm,
        step: adam.learningRate,
        x,
      });
      if (goOn === false) {
        reason = "stopped by callback";
        break;
      }
    }
  } finally {
    variable.dispose();
    adam.dispose();
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
