/**
 * Adam (Kingma & Ba 2015) for the course's {@linkcode Parameter} lists, a drop-in alternative to
 * {@linkcode SGD} in `train`: each parameter's step is scaled by running estimates of the mean and
 * the mean square of its gradient,
 *
 *   g ← ∇E + λ w              (weight decay on weights only, as in SGD)
 *   m ← β₁ m + (1 − β₁) g,    v ← β₂ v + (1 − β₂) g²
 *   w ← w − η (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 *
 * so that parameters with small or badly scaled gradients (the autoencoders of chapter 5, whose
 * errors are sums over hundreds of pixels) still move at about η per step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Parameter } from "./optimizers.ts";

/** Settings of {@linkcode Adam}. */
export interface AdamOptions {
  /** η (default 0.001). */
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
    if (params.length !== grads.length) {
      throw new Error(`Adam.step: ${params.length} parameters but ${grads.length} gradients`);
    }
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
