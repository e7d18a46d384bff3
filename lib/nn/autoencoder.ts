/**
 * The autoencoder of chapter 5 (one example per **column**):
 *
 *   encoder   U = W X + b 1ᵀ,      Y = f(U)          W [hidden, inputs]
 *   decoder   V = W̃ Y + b̃ 1ᵀ,      X̂ = f̃(V)          W̃ [inputs, hidden], or W̃ = Wᵀ (tied)
 *
 * The output activation f̃ and the error come as one of chapter 2's matched pairs: logistic
 * output with cross-entropy for data in [0, 1] (`binaryClassification`), identity output with
 * squared error for real-valued data (`regression`); or logistic output with the squared error
 * ({@linkcode logisticSquaredError}, the UFLDL pairing of figure 5-6).
 *
 * This module holds the model: its parameters and the forward pass. The objective with the
 * sparsity penalty and its hand-written gradient are `05_autoencoder`'s cells, saved into
 * `autoencoder_gradients.ts`; the float64 check is `autoencoder_check.ts`, minibatch training
 * `autoencoder_training.ts`, full-batch L-BFGS `autoencoder_lbfgs.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { type Activation, logistic } from "./activations.ts";
import { binaryClassification, type OutputLayer, regression, squaredError } from "./losses.ts";
import type { Parameter } from "../optim/optimizer.ts";
import { ufldlUniform } from "./initializers.ts";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import { fusedKernelsReady, runFusedKernel } from "../runtime/backends/fused.ts";

/**
 * Logistic outputs with the squared error, the pairing of the UFLDL sparse autoencoder: not a
 * matched pair, so the output delta is (x̂ − x) ⊙ x̂(1 − x̂) rather than x̂ − x.
 *
 * @example
 * ```ts
 * const ae = createAutoencoder(784, 100, rng, { output: logisticSquaredError });
 * ```
 */
export const logisticSquaredError: OutputLayer = {
  problem: "logistic output, squared error",
  activation: (u) => logistic.f(u),
  error: squaredError,
  f64: { activation: (u) => u.map(logistic.f64), error: regression.f64.error },
};

/** The output layers an autoencoder may use. */
const AUTOENCODER_OUTPUTS: readonly OutputLayer[] = [
  binaryClassification,
  regression,
  logisticSquaredError,
];

/** An autoencoder's parameters and choices. The variables belong to it: free with {@linkcode disposeAutoencoder}. */
export interface Autoencoder {
  /** Units of the input and output layers. */
  readonly inputSize: number;
  /** Units of the hidden layer. */
  readonly hiddenSize: number;
  /** The hidden activation f. */
  readonly encoder: Activation;
  /** The output activation and error: `binaryClassification` (logistic + cross-entropy) or `regression`. */
  readonly output: OutputLayer;
  /** W̃ = Wᵀ when true. */
  readonly tied: boolean;
  /** Encoder weights W [hidden, inputs]. */
  readonly W: tf.Variable;
  /** Encoder bias b [hidden, 1]. */
  readonly b: tf.Variable;
  /** Decoder weights W̃ [inputs, hidden]; absent when tied. */
  readonly decoderW?: tf.Variable;
  /** Decoder bias b̃ [inputs, 1]. */
  readonly decoderB: tf.Variable;
}

/** Options of {@linkcode createAutoencoder}. */
export interface AutoencoderOptions {
  /** Hidden activation f (default logistic). */
  encoder?: Activation;
  /** Output pair (default `binaryClassification`: logistic output, cross-entropy). */
  output?: OutputLayer;
  /** Tie the decoder to the encoder, W̃ = Wᵀ (default false). */
  tied?: boolean;
}

/**
 * An autoencoder `inputSize`-`hiddenSize`-`inputSize` with weights drawn from U(−r, r),
 * r = √(6/(inputs + hidden + 1)) (UFLDL's {@linkcode ufldlUniform}), and zero biases.
 *
 * @example
 * ```ts
 * const ae = createAutoencoder(784, 100, new Random(1)); // logistic units, cross-entropy
 * const Xhat = reconstruct(ae, X);                        // X [784, N] → X̂ [784, N]
 * disposeAutoencoder(ae);
 * ```
 */
export function createAutoencoder(
  inputSize: number,
  hiddenSize: number,
  rng: Random,
  options: AutoencoderOptions = {},
): Autoencoder {
  for (const [name, n] of [["inputSize", inputSize], ["hiddenSize", hiddenSize]] as const) {
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`createAutoencoder: ${name} must be a positive integer, not ${n}`);
    }
  }
  const output = options.output ?? binaryClassification;
  if (!AUTOENCODER_OUTPUTS.includes(output)) {
    throw new Error(
      `createAutoencoder: the output must be binaryClassification (logistic + cross-entropy), ` +
        `regression (identity + squared error) or logisticSquaredError, not "${output.problem}"`,
    );
  }
  // U(−r, r), r = √(6/(inputs + hidden + 1)), for W [hidden, inputs] and W̃ [inputs, hidden]
  const draw = (shape: [number, number]) => ufldlUniform.draw(shape, rng);
  const tied = options.tied ?? false;
  return {
    inputSize,
    hiddenSize,
    encoder: options.encoder ?? logistic,
    output,
    tied,
    W: tf.tidy(() => tf.variable(draw([hiddenSize, inputSize]))),
    b: tf.tidy(() => tf.variable(tf.zeros([hiddenSize, 1]))),
    decoderW: tied ? undefined : tf.tidy(() => tf.variable(draw([inputSize, hiddenSize]))),
    decoderB: tf.tidy(() => tf.variable(tf.zeros([inputSize, 1]))),
  };
}

/**
 * The parameters in gradient order: W, b, W̃ (untied only), b̃.
 *
 * @example
 * ```ts
 * autoencoderParameters(ae).map((p) => p.role); // ["weight", "bias", "weight", "bias"]
 * ```
 */
export function autoencoderParameters(ae: Autoencoder): Parameter[] {
  return [
    { variable: ae.W, role: "weight" },
    { variable: ae.b, role: "bias" },
    ...(ae.decoderW ? [{ variable: ae.decoderW, role: "weight" as const }] : []),
    { variable: ae.decoderB, role: "bias" },
  ];
}

/**
 * Free the autoencoder's variables.
 *
 * @example
 * ```ts
 * disposeAutoencoder(ae);
 * ```
 */
export function disposeAutoencoder(ae: Autoencoder): void {
  for (const p of autoencoderParameters(ae)) p.variable.dispose();
}

/**
 * The decoder weights W̃ [inputs, hidden] (Wᵀ when tied). The caller owns the tensor.
 *
 * @example
 * ```ts
 * const Wd = decoderWeights(ae); // column j: what hidden unit j adds to the reconstruction
 * ```
 */
export function decoderWeights(ae: Autoencoder): tf.Tensor2D {
  return tf.tidy(() => (ae.decoderW ? tf.clone(ae.decoderW) : tf.transpose(ae.W)) as tf.Tensor2D);
}

/**
 * Throws unless `X` holds columns of the autoencoder's inputs, [inputSize, N], and (when given)
 * `targets` has the same shape; `what` names the caller in the message.
 *
 * @example
 * ```ts
 * checkAutoencoderColumns("encode", ae, X); // X must be [ae.inputSize, N]
 * ```
 */
export function checkAutoencoderColumns(
  what: string,
  ae: Autoencoder,
  X: tf.Tensor,
  targets?: tf.Tensor,
): void {
  if (X.rank !== 2 || X.shape[0] !== ae.inputSize) {
    throw new Error(
      `${what}: expected inputs of shape [${ae.inputSize}, N] (one example per column), got [${X.shape}]`,
    );
  }
  if (targets && !tf.util.arraysEqual(X.shape, targets.shape)) {
    throw new Error(`${what}: inputs [${X.shape}] and targets [${targets.shape}] differ`);
  }
}

/**
 * The hidden representation Y = f(W X + b 1ᵀ) [hidden, N]. The caller owns the tensor.
 *
 * @example
 * ```ts
 * const Y = encode(ae, X); // X [784, N] → Y [100, N]
 * ```
 */
export function encode(ae: Autoencoder, X: tf.Tensor): tf.Tensor2D {
  checkAutoencoderColumns("encode", ae, X);
  if (ae.encoder === logistic) {
    const fused = fusedLogisticLayer(ae.W, ae.b, X);
    if (fused) return fused;
  }
  return tf.tidy(() => ae.encoder.f(tf.add(tf.matMul(ae.W, X), ae.b)) as tf.Tensor2D);
}

/**
 * logistic(W Z + b 1ᵀ) in one `CourseDenseForward` kernel, where the backend has it and no
 * gradient tape records (the kernel has no gradient): the bits of the three ops. Else undefined.
 */
function fusedLogisticLayer(W: tf.Tensor, b: tf.Tensor, Z: tf.Tensor): tf.Tensor2D | undefined {
  if (Z.dtype !== "float32" || !fusedKernelsReady(KERNEL_NAMES.denseForward)) return undefined;
  const [U, Y] = runFusedKernel(KERNEL_NAMES.denseForward, { W, b, zPrev: Z }, {
    activation: "logistic",
  }) as tf.Tensor2D[];
  U.dispose();
  return Y;
}

/**
 * The reconstruction X̂ = f̃(W̃ Y + b̃ 1ᵀ) of hidden values Y [hidden, N]. The caller owns it.
 *
 * @example
 * ```ts
 * const Xhat = decode(ae, encode(ae, X));
 * ```
 */
export function decode(ae: Autoencoder, Y: tf.Tensor): tf.Tensor2D {
  if (ae.decoderW && ae.output !== regression) { // a logistic output
    const fused = fusedLogisticLayer(ae.decoderW, ae.decoderB, Y);
    if (fused) return fused;
  }
  return tf.tidy(() => {
    const V = ae.decoderW ? tf.matMul(ae.decoderW, Y) : tf.matMul(ae.W, Y, true, false);
    return ae.output.activation(tf.add(V, ae.decoderB)) as tf.Tensor2D;
  });
}

/**
 * X̂ = decode(encode(X)). The caller owns the tensor.
 *
 * @example
 * ```ts
 * const Xhat = reconstruct(ae, X); // same shape as X
 * ```
 */
export function reconstruct(ae: Autoencoder, X: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => decode(ae, encode(ae, X)));
}

/**
 * The reconstruction error of inputs X (the output pair's error, mean over the columns).
 *
 * @example
 * ```ts
 * const e = reconstructionError(ae, X).dataSync()[0];
 * ```
 */
export function reconstructionError(ae: Autoencoder, X: tf.Tensor): tf.Scalar {
  return tf.tidy(() => ae.output.error(reconstruct(ae, X), X));
}

/**
 * The hidden representations of many rows (count × inputSize, row-major) as rows count × hidden,
 * computed in chunks of columns.
 *
 * @example
 * ```ts
 * const codes = encodeRows(ae, mnist.train.images); // count × 100, each in (0, 1)
 * ```
 */
export function encodeRows(ae: Autoencoder, features: Float32Array, chunk = 2000): Float32Array {
  const count = features.length / ae.inputSize;
  if (!Number.isInteger(count)) {
    throw new Error(`encodeRows: ${features.length} values are not rows of ${ae.inputSize}`);
  }
  const out = new Float32Array(count * ae.hiddenSize);
  for (let start = 0; start < count; start += chunk) {
    const rows = Math.min(chunk, count - start);
    const block = features.subarray(start * ae.inputSize, (start + rows) * ae.inputSize);
    const codes = tf.tidy(() => {
      const X = tf.transpose(tf.tensor2d(block, [rows, ae.inputSize]));
      return tf.transpose(encode(ae, X));
    });
    out.set(codes.dataSync(), start * ae.hiddenSize);
    codes.dispose();
  }
  return out;
}

/**
 * The mean reconstruction error over many rows (count × inputSize), in chunks.
 *
 * @example
 * ```ts
 * const e = rowsReconstructionError(ae, mnist.test.images);
 * ```
 */
export function rowsReconstructionError(
  ae: Autoencoder,
  features: Float32Array,
  chunk = 2000,
): number {
  const count = features.length / ae.inputSize;
  if (!Number.isInteger(count) || count === 0) {
    throw new Error(
      `rowsReconstructionError: ${features.length} values are not a positive whole number ` +
        `of rows of ${ae.inputSize}`,
    );
  }
  let sum = 0;
  for (let start = 0; start < count; start += chunk) {
    const rows = Math.min(chunk, count - start);
    const block = features.subarray(start * ae.inputSize, (start + rows) * ae.inputSize);
    sum += tf.tidy(() => {
      const X = tf.transpose(tf.tensor2d(block, [rows, ae.inputSize]));
      return reconstructionError(ae, X).dataSync()[0];
    }) * rows;
  }
  return sum / count;
}
