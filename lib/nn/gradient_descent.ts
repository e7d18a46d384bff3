/**
 * Plain full-batch gradient descent with gradients from tfjs autodiff — the tool of the early
 * chapters, before chapter 3 (stochastic gradient descent) and chapter 4 (gradients by hand).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Minimise `loss()` over `variables` by w ← w − η ∂E/∂w for `steps` steps; returns the loss
 * before each step and after the last. Throws, naming the step, if the loss becomes NaN or ∞.
 *
 * @example
 * ```ts
 * const x = tf.variable(tf.scalar(3));
 * const history = gradientDescent([x], () => tf.square(x) as tf.Scalar, { steps: 50, learningRate: 0.1 });
 * ```
 */
export function gradientDescent(
  variables: tf.Variable[],
  loss: () => tf.Scalar,
  options: { steps: number; learningRate: number },
): number[] {
  const history: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const value = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, variables);
      for (const v of variables) v.assign(tf.sub(v, tf.mul(options.learningRate, grads[v.name])));
      return value.dataSync()[0];
    });
    if (!Number.isFinite(value)) {
      throw new Error(`gradient descent diverged: loss is ${value} at step ${step}`);
    }
    history.push(value);
  }
  history.push(tf.tidy(() => loss().dataSync()[0]));
  return history;
}
