/**
 * Rosenblatt's perceptron (chapter 1): one threshold unit y = 1 if w·x + b > 0 else 0, trained
 * by the perceptron rule w ← w + η (d − y) x, b ← b + η (d − y). It converges in finitely many
 * steps when the classes are linearly separable and never settles when they are not (XOR).
 * Plain arrays: the data sets it meets are a handful of points.
 *
 * @module
 */

/** A trained perceptron and the number of misclassified examples after each epoch. */
export interface Perceptron {
  readonly w: number[];
  readonly b: number;
  /** Misclassified training examples at the end of each epoch. */
  readonly errorsPerEpoch: number[];
  /** True when an epoch ended with every example classified correctly. */
  readonly converged: boolean;
}

/** The perceptron's output (0 or 1) for one input x. */
export function perceptronOutput(p: Pick<Perceptron, "w" | "b">, x: readonly number[]): 0 | 1 {
  let u = p.b;
  for (let i = 0; i < x.length; i++) u += p.w[i] * x[i];
  return u > 0 ? 1 : 0;
}

/**
 * Train a perceptron by the perceptron rule, visiting the examples in order, for at most
 * `epochs` passes (stopping early once an epoch makes no mistake).
 *
 * @example
 * ```ts
 * const and = trainPerceptron([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]);
 * and.converged; // true
 * ```
 */
export function trainPerceptron(
  inputs: readonly (readonly number[])[],
  targets: readonly (0 | 1)[],
  options: { epochs?: number; learningRate?: number } = {},
): Perceptron {
  const { epochs = 100, learningRate = 1 } = options;
  if (inputs.length !== targets.length || inputs.length === 0) {
    throw new Error(`trainPerceptron: ${inputs.length} inputs but ${targets.length} targets`);
  }
  const w = new Array<number>(inputs[0].length).fill(0);
  let b = 0;
  const errorsPerEpoch: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    inputs.forEach((x, n) => {
      const step = learningRate * (targets[n] - perceptronOutput({ w, b }, x));
      for (let i = 0; i < w.length; i++) w[i] += step * x[i];
      b += step;
    });
    const errors = inputs.filter((x, n) => perceptronOutput({ w, b }, x) !== targets[n]).length;
    errorsPerEpoch.push(errors);
    if (errors === 0) break;
  }
  return { w, b, errorsPerEpoch, converged: errorsPerEpoch.at(-1) === 0 };
}
