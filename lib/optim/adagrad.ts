/**
 * AdaGrad (Duchi, Hazan & Singer 2011), chapter 3.6.4's learning rate per parameter: every
 * component keeps the sum of its squared gradients so far, and its step is divided by that sum's
 * square root,
 *
 *   h ← h + g ⊙ g
 *   w ← w − η g / (√h + ε)
 *
 * so a component whose gradients have been large takes small steps and one whose gradients have
 * been small takes large ones; every component's effective rate η / (√hᵢ + ε) only decreases.
 *
 * {@linkcode adagradUpdate} is written in a cell of `notebooks/03d_sgd_practice.ipynb`, next to
 * its derivation, and copied here by `deno task save-cells`; {@linkcode AdaGrad} keeps h for each
 * parameter and applies it, as `SGD` does for its velocities.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkStepInputs, type Parameter } from "./optimizer.ts";

/** Settings of {@linkcode AdaGrad}. */
export interface AdaGradOptions {
  /** η > 0. */
  learningRate: number;
  /** ε > 0, which keeps the first steps finite where h is still 0 (default 1e-8). */
  epsilon?: number;
}

/**
 * The AdaGrad optimiser. It keeps one tensor h (the sums of squared gradients) per parameter,
 * created as zeros on the first step and freed by {@linkcode AdaGrad.dispose}.
 *
 * @example
 * ```ts
 * const adagrad = new AdaGrad({ learningRate: 0.05 });
 * adagrad.step(params, grads); // grads[i] = ∂E/∂params[i].variable
 * adagrad.dispose();
 * ```
 */
export class AdaGrad {
  /** η; may be changed between steps. */
  learningRate: number;
  /** ε. */
  readonly epsilon: number;
  readonly #squares = new Map<tf.Variable, tf.Variable>();

  /** An optimiser with the given settings; throws on a setting out of range. */
  constructor(options: AdaGradOptions) {
    const { learningRate, epsilon = 1e-8 } = options;
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new Error(`AdaGrad: learningRate must be a positive number, not ${learningRate}`);
    }
    if (!(epsilon > 0) || !Number.isFinite(epsilon)) {
      throw new Error(`AdaGrad: epsilon must be a positive number, not ${epsilon}`);
    }
    this.learningRate = learningRate;
    this.epsilon = epsilon;
  }

  /** Update every parameter in place from its gradient (same order, same shapes). */
  step(params: readonly Parameter[], grads: readonly tf.Tensor[]): void {
    checkStepInputs("AdaGrad", params, grads);
    params.forEach(({ variable }, i) => {
      let h = this.#squares.get(variable);
      if (h === undefined) {
        h = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
        this.#squares.set(variable, h);
      }
      const next = adagradUpdate(variable, grads[i], h, this.learningRate, this.epsilon);
      variable.assign(next.w);
      h.assign(next.h);
      tf.dispose([next.w, next.h]);
    });
  }

  /** Forget the sums of squared gradients (and free them). */
  dispose(): void {
    for (const h of this.#squares.values()) h.dispose();
    this.#squares.clear();
  }
}

// @saved-from notebooks/03d_sgd_practice.ipynb — edit it there, then `deno task save-cells`
/**
 * One AdaGrad step for a parameter w with gradient g = ∂E/∂w and the sum h of its squared
 * gradients so far: h ← h + g ⊙ g, w ← w − η g / (√h + ε), component by component. Returns the
 * new w and h; the caller owns both.
 */
export function adagradUpdate(
  w: tf.Tensor,
  g: tf.Tensor,
  h: tf.Tensor,
  eta: number,
  epsilon: number,
): { w: tf.Tensor; h: tf.Tensor } {
  return tf.tidy(() => {
    const hNext = tf.add(h, tf.square(g)); // h ← h + g ⊙ g
    const step = tf.div(g, tf.add(tf.sqrt(hNext), epsilon)); // gᵢ / (√hᵢ + ε) for every i
    return { w: tf.sub(w, tf.mul(eta, step)), h: hNext }; // w ← w − η g / (√h + ε)
  });
}
// @end-saved
