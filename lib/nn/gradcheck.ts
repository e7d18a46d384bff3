/**
 * Checking derivatives by numbers: the relative error between two gradients, a derivative from
 * tfjs autodiff, and central finite differences. Every hand derivation of the course is followed
 * by one of these checks.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * max |a − b| / max(|a| + |b|) over all entries, with tiny denominators floored at 1e-8 so that
 * two zero gradients agree. Below ~1e-5 in float32 the two are the same up to rounding.
 */
export function relativeError(
  a: tf.Tensor | ArrayLike<number>,
  b: tf.Tensor | ArrayLike<number>,
): number {
  const x = a instanceof tf.Tensor ? a.dataSync() : a;
  const y = b instanceof tf.Tensor ? b.dataSync() : b;
  if (x.length !== y.length) {
    throw new Error(`relativeError: sizes ${x.length} and ${y.length} differ`);
  }
  let numerator = 0;
  let denominator = 1e-8;
  for (let i = 0; i < x.length; i++) {
    numerator = Math.max(numerator, Math.abs(x[i] - y[i]));
    denominator = Math.max(denominator, Math.abs(x[i]) + Math.abs(y[i]));
  }
  return numerator / denominator;
}

/**
 * The elementwise derivative f′(u) of an elementwise function, by tfjs autodiff:
 * the gradient of Σ f(u) with respect to u.
 */
export function autodiffDerivative(f: (u: tf.Tensor) => tf.Tensor, u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(f(v)))(u));
}

/**
 * ∂E/∂x by central differences (E(x + εeᵢ) − E(x − εeᵢ)) / 2ε for every entry of x, computed in
 * float64 on the host from the float32 values E returns; slow (two evaluations per entry), for
 * small checks only.
 */
export function numericalGradient(
  error: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  epsilon = 1e-3,
): Float64Array {
  const base = Float32Array.from(x.dataSync());
  const gradient = new Float64Array(base.length);
  const evaluate = (values: Float32Array) =>
    tf.tidy(() => error(tf.tensor(values, x.shape)).dataSync()[0]);
  for (let i = 0; i < base.length; i++) {
    const original = base[i];
    base[i] = original + epsilon;
    const plus = evaluate(base);
    base[i] = original - epsilon;
    const minus = evaluate(base);
    base[i] = original;
    gradient[i] = (plus - minus) / (2 * epsilon);
  }
  return gradient;
}

/**
 * f′(u) of an elementwise f by central differences, all entries at once:
 * (f(u + ε) − f(u − ε)) / 2ε. Points within ε of a kink (ReLU at 0) get the kink's average slope.
 */
export function centralDifference(
  f: (u: tf.Tensor) => tf.Tensor,
  u: tf.Tensor,
  epsilon = 1e-2,
): tf.Tensor {
  return tf.tidy(() => tf.div(tf.sub(f(tf.add(u, epsilon)), f(tf.sub(u, epsilon))), 2 * epsilon));
}
