/**
 * Stochastic gradient descent with the refinements of chapter 3: momentum, weight decay and a
 * weight upper bound (max-norm). One step for a parameter w with gradient ∇E:
 *
 *   Δw ← μ Δw − η (∇E + λ w)      (momentum μ, learning rate η, weight decay λ)
 *   w  ← w + Δw
 *   wⱼ ← wⱼ · min(1, c / ‖wⱼ‖)    (max-norm: every unit's incoming weight vector, row j of W)
 *
 * Weight decay and max-norm act on weights only, never on biases (the book's convention): each
 * parameter is passed with its role.
 *
 * Where the backend has the kernel {@linkcode SGD_STEP_KERNEL} (`blas` does), the first two lines
 * run as one pass over the parameter's values, rounded exactly as the ops below round them (the
 * same numbers, bit for bit); elsewhere they run as the tfjs ops of {@linkcode sgdUpdate}.
 *
 * {@linkcode sgdUpdate} and {@linkcode clipRowNorms} are written in the cells of
 * `notebooks/03_sgd.ipynb`, next to their derivations, and copied here by `deno task save-cells`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import { checkStepInputs, type Parameter } from "./optimizer.ts";

/**
 * The fused kernel of one SGD update: inputs w, g (and the velocity v with momentum), attributes
 * learningRate, momentum, weightDecay; outputs w′ (and v′).
 */
export const SGD_STEP_KERNEL: string = KERNEL_NAMES.sgdStep;

/** Settings of {@linkcode SGD}. */
export interface SgdOptions {
  /** η > 0. */
  learningRate: number;
  /** μ in [0, 1) (default 0: plain SGD). */
  momentum?: number;
  /** λ ≥ 0, the coefficient of the penalty (λ/2)‖w‖² (default 0). */
  weightDecay?: number;
  /** c > 0, the upper bound on the norm of each unit's incoming weights (default: none). */
  maxNorm?: number;
}

/**
 * The SGD optimiser. It keeps one velocity tensor per parameter (created on the first step, freed
 * by {@linkcode SGD.dispose}); steps create no other lasting tensors.
 *
 * @example
 * ```ts
 * const opt = new SGD({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 * opt.step(params, grads); // grads[i] = ∂E/∂params[i].variable
 * opt.learningRate = 0.01; // e.g. from a schedule
 * ```
 */
export class SGD {
  /** η; may be changed between steps (schedules do). */
  learningRate: number;
  /** μ. */
  readonly momentum: number;
  /** λ. */
  readonly weightDecay: number;
  /** c, or undefined for no bound. */
  readonly maxNorm: number | undefined;
  readonly #velocity = new Map<tf.Variable, tf.Variable>();

  /** An optimiser with the given settings; throws on a setting out of range. */
  constructor(options: SgdOptions) {
    const { learningRate, momentum = 0, weightDecay = 0, maxNorm } = options;
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new Error(`SGD: learningRate must be a positive number, not ${learningRate}`);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new Error(`SGD: momentum must be in [0, 1), not ${momentum}`);
    }
    if (!(weightDecay >= 0)) throw new Error(`SGD: weightDecay must be ≥ 0, not ${weightDecay}`);
    if (maxNorm !== undefined && !(maxNorm > 0)) {
      throw new Error(`SGD: maxNorm must be positive, not ${maxNorm}`);
    }
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.maxNorm = maxNorm;
  }

  /** Update every parameter in place from its gradient (same order, same shapes). */
  step(params: readonly Parameter[], grads: readonly tf.Tensor[]): void {
    checkStepInputs("SGD", params, grads);
    const eta = this.learningRate;
    const fused = tf.getKernel(SGD_STEP_KERNEL, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      params.forEach(({ variable, role }, i) => {
        const decay = role === "weight" ? this.weightDecay : 0;
        const velocity = this.momentum > 0 ? this.#velocityOf(variable) : undefined;
        let updated: tf.Tensor;
        if (fused) {
          const inputs: tf.NamedTensorMap = { w: variable, g: grads[i] };
          if (velocity) inputs.v = velocity;
          const [w, v] = tf.engine().runKernel(SGD_STEP_KERNEL, inputs, {
            learningRate: eta,
            momentum: this.momentum,
            weightDecay: decay,
          }) as tf.Tensor[];
          if (velocity) velocity.assign(v);
          updated = w;
        } else {
          const next = sgdUpdate(variable, grads[i], velocity, eta, this.momentum, decay);
          if (velocity) velocity.assign(next.v);
          updated = next.w;
        }
        if (role === "weight" && this.maxNorm !== undefined) {
          updated = clipRowNorms(updated, this.maxNorm);
        }
        variable.assign(updated);
      });
    });
  }

  /** Forget the velocities (and free them). */
  dispose(): void {
    for (const v of this.#velocity.values()) v.dispose();
    this.#velocity.clear();
  }

  #velocityOf(variable: tf.Variable): tf.Variable {
    let velocity = this.#velocity.get(variable);
    if (velocity === undefined) {
      velocity = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.#velocity.set(variable, velocity);
    }
    return velocity;
  }
}

// @saved-from notebooks/03_sgd.ipynb — edit it there, then `deno task save-cells`
/**
 * Max-norm: scale every row wⱼ of W (one unit's incoming weights, the last axis) whose norm
 * exceeds c back onto the sphere ‖wⱼ‖ = c; rows inside the ball are unchanged. The caller owns
 * the result.
 */
export function clipRowNorms(W: tf.Tensor, c: number): tf.Tensor {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(W), W.rank - 1, true)); // ‖wⱼ‖, one per row
    // wⱼ · min(1, c/‖wⱼ‖); the floor 1e-12 keeps an all-zero row at 0 instead of 0 · ∞.
    return tf.mul(W, tf.minimum(1, tf.div(c, tf.maximum(norms, 1e-12))));
  });
}
// @end-saved

// @saved-from notebooks/03_sgd.ipynb — edit it there, then `deno task save-cells`
/**
 * One SGD step for a parameter w with gradient g = ∂E/∂w: Δw ← μ Δw − η (g + λ w), w ← w + Δw.
 * Without momentum pass v = undefined (then Δw = −η (g + λ w)). Returns the new w and Δw (the
 * new velocity); the caller owns both.
 */
export function sgdUpdate(
  w: tf.Tensor,
  g: tf.Tensor,
  v: tf.Tensor | undefined,
  eta: number,
  mu: number,
  lambda: number,
): { w: tf.Tensor; v: tf.Tensor } {
  return tf.tidy(() => {
    const gradient = lambda > 0 ? tf.add(g, tf.mul(lambda, w)) : g; // ∂E/∂w + λw (weight decay)
    const step = v === undefined
      ? tf.mul(-eta, gradient) // Δw = −η (∂E/∂w + λw)
      : tf.sub(tf.mul(mu, v), tf.mul(eta, gradient)); // Δw = μ Δw − η (∂E/∂w + λw)
    return { w: tf.add(w, step), v: step }; // w ← w + Δw
  });
}
// @end-saved
