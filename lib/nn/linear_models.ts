/**
 * Single-layer models trained with hand-written gradients (the chapter 3 exercises): linear
 * regression, logistic regression and softmax regression. All three compute
 *
 *   U = W X + b 1ᵀ,   Y = f(U)
 *
 * with W [outputs, inputs], b [outputs, 1] and one example per column of X, and pair f with its
 * matched error (identity + squared error, logistic + binary cross-entropy, softmax +
 * cross-entropy). For each pair ∂E/∂U = (Y − D)/N (chapter 2), so by the chain rule through
 * U = W X + b 1ᵀ
 *
 *   ∂E/∂W = (Y − D) Xᵀ / N,   ∂E/∂b = (Y − D) 1 / N.
 *
 * No autodiff is used: {@linkcode linearGradients} computes exactly these two products.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { type Initializer, normal } from "./initializers.ts";
import { binaryCrossEntropy, crossEntropy, softmax, squaredError } from "./losses.ts";
import type { Parameter } from "../optim/optimizer.ts";
import type { Model, Task } from "./training.ts";

/** The output activation (and with it the matched error) of a single-layer model. */
export type LinearOutput = "identity" | "logistic" | "softmax";

/** A single-layer model: its weights, bias and output. */
export interface LinearModel extends Model {
  /** Weights [outputs, inputs]. */
  readonly W: tf.Variable;
  /** Bias [outputs, 1]. */
  readonly b: tf.Variable;
  /** The output activation. */
  readonly output: LinearOutput;
}

const TASKS: Record<LinearOutput, Task> = {
  identity: "regression",
  logistic: "binary",
  softmax: "multiclass",
};

/**
 * Y = f(W X + b 1ᵀ) for the model's output f. The caller owns the result.
 *
 * @example
 * ```ts
 * const Y = linearPredict(model, tf.tensor2d([[-1, 0, 1]])); // one input, three columns
 * ```
 */
export function linearPredict(model: LinearModel, X: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const U = tf.add(tf.matMul(model.W, X), model.b);
    if (model.output === "identity") return U as tf.Tensor2D;
    if (model.output === "logistic") return tf.sigmoid(U) as tf.Tensor2D;
    return softmax(U) as tf.Tensor2D;
  });
}

/** The error matched to the output: squared error, binary or multi-class cross-entropy. */
function matchedError(output: LinearOutput, Y: tf.Tensor, D: tf.Tensor): tf.Scalar {
  if (output === "identity") return squaredError(Y, D);
  if (output === "logistic") return binaryCrossEntropy(Y, D);
  return crossEntropy(Y, D);
}

/**
 * Check that X is [inputs, N] and D [outputs, N] for `model` (one example per column), or throw
 * one error naming `caller` and the shapes.
 *
 * @example
 * ```ts
 * checkColumns("linearGradients", model, X, D);
 * ```
 */
export function checkColumns(caller: string, model: LinearModel, X: tf.Tensor, D: tf.Tensor): void {
  const [outputs, inputs] = model.W.shape;
  if (X.rank !== 2 || X.shape[0] !== inputs || X.shape[1] === 0) {
    throw new Error(
      `${caller}: X must be [${inputs}, N] with N ≥ 1 (one example per column), got [${X.shape}]`,
    );
  }
  if (D.rank !== 2 || D.shape[0] !== outputs || D.shape[1] !== X.shape[1]) {
    throw new Error(`${caller}: D must be [${outputs}, ${X.shape[1]}], got [${D.shape}]`);
  }
}

// @saved-from notebooks/03a_linear_regression.ipynb — edit it there, then `deno task save-cells`
/**
 * The minibatch error of a single-layer model and its gradients, written by hand: with
 * δ = ∂E/∂U = (Y − D)/N for the matched output and error, ∂E/∂W = δ Xᵀ and ∂E/∂b = δ 1.
 * X is [inputs, N] and D [outputs, N] (one example per column). The caller owns the tensors.
 */
export function linearGradients(
  model: LinearModel,
  X: tf.Tensor,
  D: tf.Tensor,
): { loss: tf.Scalar; dW: tf.Tensor2D; db: tf.Tensor2D } {
  checkColumns("linearGradients", model, X, D);
  return tf.tidy(() => {
    const N = X.shape[1] as number;
    const Y = linearPredict(model, X); // Y = f(W X + b 1ᵀ)
    const delta = tf.div(tf.sub(Y, D), N); // δ = (Y − D) / N
    return {
      loss: model.error(Y, D), // E, the error matched to f
      dW: tf.matMul(delta, X, false, true) as tf.Tensor2D, // δ Xᵀ
      db: tf.sum(delta, 1, true) as tf.Tensor2D, // δ 1
    };
  });
}
// @end-saved

/**
 * A single-layer model with `inputs` inputs and `outputs` outputs. Weights start from
 * N(0, 0.01²) drawn from `rng`, or as `init` draws them (e.g. `zeros`), biases from 0.
 *
 * @example
 * ```ts
 * const model = createLinearModel(1, 1, "identity", new Random(1)); // z = w x + b
 * ```
 */
export function createLinearModel(
  inputs: number,
  outputs: number,
  output: LinearOutput,
  rng: Random,
  init: Initializer = normal(0.01),
): LinearModel {
  if (![inputs, outputs].every((s) => Number.isInteger(s) && s >= 1)) {
    throw new Error(
      `createLinearModel: sizes must be positive integers, got ${inputs}, ${outputs}`,
    );
  }
  if (output === "logistic" && outputs !== 1) {
    throw new Error(`createLinearModel: a logistic output has one unit, not ${outputs}`);
  }
  // tidy frees the initial values; the variables keep their own reference to the data.
  const W = tf.tidy(() => tf.variable(init.draw([outputs, inputs], rng)));
  const b = tf.tidy(() => tf.variable(tf.zeros([outputs, 1])));
  const parameters: Parameter[] = [{ variable: W, role: "weight" }, { variable: b, role: "bias" }];
  const model: LinearModel = {
    W,
    b,
    output,
    parameters,
    task: TASKS[output],
    lossAndGradients(X, D) {
      const { loss, dW, db } = linearGradients(model, X, D);
      return { loss, grads: [dW, db] };
    },
    predict: (X) => linearPredict(model, X),
    error: (Y, D) => matchedError(output, Y, D),
  };
  return model;
}

/**
 * Free the model's variables.
 *
 * @example
 * ```ts
 * disposeLinearModel(model);
 * ```
 */
export function disposeLinearModel(model: LinearModel): void {
  model.W.dispose();
  model.b.dispose();
}
