/**
 * Activation functions of chapter 2, each with its derivative written by hand (the course checks
 * every one against tfjs autodiff). All act elementwise on a tensor of total inputs `u`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** An elementwise activation z = f(u) with its hand-derived derivative f′(u). */
export interface Activation {
  /** Short name, e.g. "logistic". */
  readonly name: string;
  /** The formula of f in LaTeX, for tables and figure legends. */
  readonly formula: string;
  /** The formula of f′ in LaTeX. */
  readonly derivativeFormula: string;
  /** z = f(u). */
  f(u: tf.Tensor): tf.Tensor;
  /** f′(u), derived by hand. */
  derivative(u: tf.Tensor): tf.Tensor;
  /**
   * The same f′ written through the output z = f(u), where that saves evaluating f again
   * (logistic: z(1 − z); tanh: 1 − z²): backpropagation has z from the forward pass.
   */
  derivativeFromOutput?(z: tf.Tensor): tf.Tensor;
  /**
   * The same f on one number in float64 (plain `Math`): the reference that the gradient checks
   * differentiate by central differences, free of float32 rounding.
   */
  f64(u: number): number;
}

/** Logistic sigmoid f(u) = 1 / (1 + e^(−u)), f′(u) = f(u)(1 − f(u)). */
export const logistic: Activation = {
  name: "logistic",
  formula: String.raw`\frac{1}{1 + e^{-u}}`,
  derivativeFormula: String.raw`f(u)\,(1 - f(u))`,
  // tf.sigmoid computes exactly 1 / (1 + exp(−u)), in one pass instead of four
  f: (u) => tf.sigmoid(u),
  derivative: (u) => tf.tidy(() => logistic.derivativeFromOutput!(logistic.f(u))),
  derivativeFromOutput: (z) => tf.tidy(() => tf.mul(z, tf.sub(1, z))),
  f64: (u) => 1 / (1 + Math.exp(-u)),
};

/** Hyperbolic tangent f(u) = tanh(u), f′(u) = 1 − tanh²(u). */
export const tanh: Activation = {
  name: "tanh",
  formula: String.raw`\tanh(u)`,
  derivativeFormula: String.raw`1 - \tanh^2(u)`,
  f: (u) => tf.tanh(u),
  derivative: (u) => tf.tidy(() => tanh.derivativeFromOutput!(tf.tanh(u))),
  derivativeFromOutput: (z) => tf.tidy(() => tf.sub(1, tf.square(z))),
  f64: Math.tanh,
};

/** Rectified linear unit f(u) = max(u, 0), f′(u) = 1 for u > 0 and 0 otherwise (0 at u = 0). */
export const relu: Activation = {
  name: "ReLU",
  formula: String.raw`\max(u, 0)`,
  derivativeFormula: String.raw`\begin{cases}1 & u > 0\\ 0 & u \le 0\end{cases}`,
  f: (u) => tf.maximum(u, 0),
  derivative: (u) => tf.tidy(() => tf.cast(tf.greater(u, 0), "float32")),
  f64: (u) => Math.max(u, 0),
};

/** Identity f(u) = u, f′(u) = 1 (the output unit of regression). */
export const identity: Activation = {
  name: "identity",
  formula: "u",
  derivativeFormula: "1",
  f: (u) => tf.clone(u),
  derivative: (u) => tf.onesLike(u),
  f64: (u) => u,
};

/**
 * Softplus f(u) = log(1 + eᵘ), a smooth ReLU; f′(u) = 1 / (1 + e^(−u)), the logistic function.
 * Computed as max(u, 0) + log(1 + e^(−|u|)) so that large u does not overflow.
 */
export const softplus: Activation = {
  name: "softplus",
  formula: String.raw`\log(1 + e^{u})`,
  derivativeFormula: String.raw`\frac{1}{1 + e^{-u}}`,
  f: (u) => tf.tidy(() => tf.add(tf.maximum(u, 0), tf.log1p(tf.exp(tf.neg(tf.abs(u)))))),
  derivative: (u) => logistic.f(u),
  f64: (u) => Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u))),
};

/** The elementwise activations of chapter 2, by name. */
export const ACTIVATIONS: readonly Activation[] = [logistic, tanh, relu, identity, softplus];

/**
 * Maxout: each unit takes the maximum of `pieces` linear units. `u` holds the pieces along its
 * last axis, grouped per unit: shape [..., units · pieces] → output [..., units].
 *
 * @example
 * ```ts
 * maxout(tf.tensor2d([[1, 5, 2, -1, 0, -3]]), 3); // [[5, 0]]
 * ```
 */
export function maxout(u: tf.Tensor, pieces: number): tf.Tensor {
  return tf.tidy(() => tf.max(groupPieces(u, pieces), -1));
}

/**
 * The derivative of {@linkcode maxout} with respect to its pieces: 1 for the piece that attains
 * the maximum (the first one on ties), 0 for the others; same shape as `u`.
 */
export function maxoutDerivative(u: tf.Tensor, pieces: number): tf.Tensor {
  return tf.tidy(() => {
    const grouped = groupPieces(u, pieces);
    // oneHot as int32, then cast: tfjs-wasm 4.22's OneHot writes int bits into float32 outputs.
    const winner = tf.cast(tf.oneHot(tf.argMax(grouped, -1), pieces), "float32");
    return tf.reshape(winner, u.shape);
  });
}

function groupPieces(u: tf.Tensor, pieces: number): tf.Tensor {
  const last = u.shape[u.rank - 1];
  if (!Number.isInteger(pieces) || pieces < 1 || last % pieces !== 0) {
    throw new Error(`maxout: the last axis (${last}) must be a multiple of pieces (${pieces})`);
  }
  return tf.reshape(u, [...u.shape.slice(0, -1), last / pieces, pieces]);
}
