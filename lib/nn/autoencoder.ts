/**
 * The autoencoder of chapter 5, with its gradients written by hand in the book's matrix form
 * (one example per **column**):
 *
 *   encoder   U = W X + b 1ᵀ,      Y = f(U)          W [hidden, inputs]
 *   decoder   V = W̃ Y + b̃ 1ᵀ,      X̂ = f̃(V)          W̃ [inputs, hidden], or W̃ = Wᵀ (tied)
 *
 * The output activation f̃ and the error come as one of chapter 2's matched pairs: logistic
 * output with cross-entropy for data in [0, 1] (`binaryClassification`), identity output with
 * squared error for real-valued data (`regression`). Both give the output delta X̂ − X.
 *
 * Sparse regularisation adds β Σⱼ KL(ρ ‖ ρ̂ⱼ) with ρ̂ⱼ the mean activation of hidden unit j:
 *
 *   KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂)),
 *   ∂/∂ρ̂ β KL(ρ ‖ ρ̂) = β(−ρ/ρ̂ + (1 − ρ)/(1 − ρ̂)),
 *
 * which enters every hidden delta. As in the book, ρ̂ⱼ is kept as a running average over the
 * minibatches, ρ̂ⱼ ← a ρ̂ⱼ + (1 − a) ρ̂ⱼ(batch); with a = 0 it is the batch mean and the hand
 * gradient is the exact gradient of the minibatch objective (checked against finite differences
 * by {@linkcode checkAutoencoderGradients}).
 *
 * Hand backpropagation (E = mean over the N columns of the per-example error, plus the penalty):
 *
 *   Δₒ = X̂ − X
 *   Δₕ = f′(U) ⊙ (W̃ᵀ Δₒ + β s 1ᵀ),    sⱼ = −ρ/ρ̂ⱼ + (1 − ρ)/(1 − ρ̂ⱼ)
 *   ∂E/∂W̃ = (1/N) Δₒ Yᵀ,   ∂E/∂b̃ = (1/N) Δₒ 1,   ∂E/∂W = (1/N) Δₕ Xᵀ,   ∂E/∂b = (1/N) Δₕ 1
 *   tied: ∂E/∂W = (1/N) (Δₕ Xᵀ + Y Δₒᵀ)   (the encoder's and the decoder's terms)
 *
 * Weight decay (λ/2)‖W‖² is the optimiser's (`SGD`'s `weightDecay`, weights only).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { type Activation, identity, logistic } from "./activations.ts";
import { binaryClassification, type OutputLayer, regression, squaredError } from "./losses.ts";
import type { Parameter } from "../optim/optimizer.ts";
import { SGD } from "../optim/sgd.ts";
import { Adam } from "../optim/adam.ts";
import { makeDataset } from "./minibatches.ts";
import { type History, type Model, train } from "./training.ts";
import type { LearningRateSchedule } from "../optim/schedules.ts";
import { relativeError } from "./gradcheck.ts";

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
};

/**
 * The output layers an autoencoder may use.
 *
 * @example
 * ```ts
 * AUTOENCODER_OUTPUTS.map((o) => o.problem);
 * ```
 */
export const AUTOENCODER_OUTPUTS: readonly OutputLayer[] = [
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
  /**
   * Initial weights U(−r, r) with r = √(6/(inputs + hidden + 1)) (default, as in UFLDL), or N(0, σ²)
   * with this σ.
   */
  weightStd?: number;
  /**
   * Initial hidden biases b (default 0). With sparsity, f⁻¹(ρ) (e.g. log(ρ/(1 − ρ)) for the
   * logistic f) starts every unit at the target mean activation.
   */
  hiddenBias?: number;
}

/**
 * An autoencoder `inputSize`-`hiddenSize`-`inputSize` with small random weights and zero biases.
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
  const r = Math.sqrt(6 / (inputSize + hiddenSize + 1));
  const draw = (shape: [number, number]) =>
    options.weightStd === undefined
      ? rng.uniformTensor(shape, -r, r)
      : rng.normalTensor(shape, 0, options.weightStd);
  const tied = options.tied ?? false;
  return {
    inputSize,
    hiddenSize,
    encoder: options.encoder ?? logistic,
    output,
    tied,
    W: tf.tidy(() => tf.variable(draw([hiddenSize, inputSize]))),
    b: tf.tidy(() => tf.variable(tf.fill([hiddenSize, 1], options.hiddenBias ?? 0))),
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

function checkInputs(ae: Autoencoder, X: tf.Tensor, what: string): void {
  if (X.rank !== 2 || X.shape[0] !== ae.inputSize) {
    throw new Error(
      `${what}: expected inputs of shape [${ae.inputSize}, N] (one example per column), got [${X.shape}]`,
    );
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
  checkInputs(ae, X, "encode");
  return tf.tidy(() => ae.encoder.f(tf.add(tf.matMul(ae.W, X), ae.b)) as tf.Tensor2D);
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

/** Sparse regularisation: target mean activation ρ, weight β, running-average factor a. */
export interface SparsityOptions {
  /** ρ, the target mean activation of every hidden unit, in (0, 1). */
  rho: number;
  /** β ≥ 0, the weight of the penalty. */
  beta: number;
  /**
   * a in [0, 1): ρ̂ ← a ρ̂ + (1 − a) ρ̂(batch) (default 0.9 in training); 0 uses the batch mean.
   */
  averaging?: number;
}

function checkSparsity(s: SparsityOptions): void {
  if (!(s.rho > 0 && s.rho < 1)) throw new Error(`sparsity: rho must be in (0, 1), not ${s.rho}`);
  if (!(s.beta >= 0)) throw new Error(`sparsity: beta must be ≥ 0, not ${s.beta}`);
  const a = s.averaging ?? 0;
  if (!(a >= 0 && a < 1)) throw new Error(`sparsity: averaging must be in [0, 1), not ${a}`);
}

/**
 * Σⱼ KL(ρ ‖ ρ̂ⱼ) over the hidden units, ρ̂ clipped to [1e-6, 1 − 1e-6].
 *
 * @example
 * ```ts
 * klSparsity(0.05, tf.tensor1d([0.05, 0.2])).dataSync()[0]; // 0 + KL(0.05 ‖ 0.2) ≈ 0.0946
 * ```
 */
export function klSparsity(rho: number, rhoHat: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.clipByValue(rhoHat, 1e-6, 1 - 1e-6);
    return tf.sum(
      tf.add(
        tf.mul(rho, tf.log(tf.div(rho, q))),
        tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, q)))),
      ),
    );
  });
}

/**
 * The sparsity term's contribution to each hidden unit's delta, β(−ρ/ρ̂ⱼ + (1 − ρ)/(1 − ρ̂ⱼ)),
 * i.e. ∂(β KL(ρ ‖ ρ̂ⱼ))/∂ρ̂ⱼ; same shape as ρ̂.
 *
 * @example
 * ```ts
 * sparsityDelta(0.1, 3, tf.tensor1d([0.1, 0.5])); // [0, 3(−0.2 + 1.8)] = [0, 4.8]
 * ```
 */
export function sparsityDelta(rho: number, beta: number, rhoHat: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const q = tf.clipByValue(rhoHat, 1e-6, 1 - 1e-6);
    return tf.mul(beta, tf.add(tf.div(-rho, q), tf.div(1 - rho, tf.sub(1, q))));
  });
}

/** What {@linkcode autoencoderGradients} returns; the caller owns the tensors. */
export interface AutoencoderGradients {
  /** Reconstruction error + β Σ KL(ρ ‖ ρ̂) (ρ̂ as used in the gradient). */
  loss: tf.Scalar;
  /** The reconstruction error alone. */
  reconstruction: tf.Scalar;
  /** ∂E/∂θ in the order of {@linkcode autoencoderParameters}. */
  grads: tf.Tensor[];
  /** The batch's mean hidden activations ρ̂(batch) [hidden, 1]. */
  batchRhoHat: tf.Tensor2D;
}

/**
 * Hand-written backpropagation through the autoencoder (see the module comment) for corrupted or
 * clean inputs `Xin` and targets `X` (both [inputs, N]). With `sparsity`, ρ̂ is `rhoHat` when given
 * (a running average), or `rhoHat(batchMean)` when it is a function (called once, inside the step),
 * or else the batch mean of the hidden activations.
 *
 * @example
 * ```ts
 * const { loss, grads } = autoencoderGradients(ae, X, X, { sparsity: { rho: 0.05, beta: 3 } });
 * ```
 */
export function autoencoderGradients(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  options: {
    sparsity?: SparsityOptions;
    rhoHat?: tf.Tensor | ((batchRhoHat: tf.Tensor) => tf.Tensor);
  } = {},
): AutoencoderGradients {
  checkInputs(ae, Xin, "autoencoderGradients");
  if (!tf.util.arraysEqual(Xin.shape, X.shape)) {
    throw new Error(`autoencoderGradients: inputs [${Xin.shape}] and targets [${X.shape}] differ`);
  }
  if (options.sparsity) checkSparsity(options.sparsity);
  return tf.tidy(() => {
    const n = X.shape[1] ?? 1;
    const U = tf.add(tf.matMul(ae.W, Xin), ae.b);
    const Y = ae.encoder.f(U);
    const Wd = ae.decoderW ?? tf.transpose(ae.W);
    const Xhat = ae.output.activation(tf.add(tf.matMul(Wd, Y), ae.decoderB));
    const reconstruction = ae.output.error(Xhat, X);
    const batchRhoHat = tf.mean(Y, 1, true) as tf.Tensor2D;
    // Δₒ = X̂ − X for the matched pairs; (X̂ − X) ⊙ X̂ ⊙ (1 − X̂) for logistic + squared error.
    const deltaOut = ae.output === logisticSquaredError
      ? tf.mul(tf.sub(Xhat, X), tf.mul(Xhat, tf.sub(1, Xhat)))
      : tf.sub(Xhat, X);
    let back = tf.matMul(Wd, deltaOut, true, false); // W̃ᵀ Δₒ
    let loss: tf.Scalar = reconstruction;
    if (options.sparsity) {
      const { rho, beta } = options.sparsity;
      const given = options.rhoHat;
      const rhoHat = given === undefined
        ? batchRhoHat
        : typeof given === "function"
        ? given(batchRhoHat)
        : given;
      back = tf.add(back, sparsityDelta(rho, beta, rhoHat)); // + β s 1ᵀ (broadcast)
      loss = tf.add(reconstruction, tf.mul(beta, klSparsity(rho, rhoHat)));
    }
    // f′(U), from the Y already computed where f allows (logistic: Y ⊙ (1 − Y)).
    const slope = ae.encoder.derivativeFromOutput?.(Y) ?? ae.encoder.derivative(U);
    const deltaHidden = tf.mul(slope, back); // Δₕ
    const dWdecoder = tf.div(tf.matMul(deltaOut, Y, false, true), n); // (1/N) Δₒ Yᵀ
    const dbDecoder = tf.div(tf.sum(deltaOut, 1, true), n);
    let dW = tf.div(tf.matMul(deltaHidden, Xin, false, true), n); // (1/N) Δₕ Xᵀ
    const db = tf.div(tf.sum(deltaHidden, 1, true), n);
    if (ae.tied) dW = tf.add(dW, tf.transpose(dWdecoder)); // + (1/N) Y Δₒᵀ
    const grads = ae.tied ? [dW, db, dbDecoder] : [dW, db, dWdecoder, dbDecoder];
    return { loss, reconstruction, grads, batchRhoHat };
  });
}

/**
 * The minibatch objective written forwards only (reconstruction error + β Σ KL(ρ ‖ ρ̂(batch))),
 * for automatic differentiation and checks.
 *
 * @example
 * ```ts
 * const E = autoencoderObjective(ae, X, X, { rho: 0.05, beta: 3 });
 * ```
 */
export function autoencoderObjective(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  sparsity?: SparsityOptions,
): tf.Scalar {
  return tf.tidy(() => {
    const Y = encode(ae, Xin);
    const error = ae.output.error(decode(ae, Y), X);
    if (!sparsity || sparsity.beta === 0) return error;
    return tf.add(error, tf.mul(sparsity.beta, klSparsity(sparsity.rho, tf.mean(Y, 1))));
  });
}

/** The same objective in float64 on the host, from parameter arrays (for finite differences). */
function objectiveFloat64(
  ae: Autoencoder,
  params: Float64Array[],
  xin: Float64Array,
  x: Float64Array,
  n: number,
  sparsity?: SparsityOptions,
): number {
  const I = ae.inputSize, H = ae.hiddenSize;
  const [W, b] = params;
  const Wd = ae.tied ? undefined : params[2];
  const bd = params[params.length - 1];
  const f = (u: number) => activate64(ae.encoder, u);
  const Y = new Float64Array(H * n);
  for (let j = 0; j < H; j++) {
    for (let c = 0; c < n; c++) {
      let u = b[j];
      for (let i = 0; i < I; i++) u += W[j * I + i] * xin[i * n + c];
      Y[j * n + c] = f(u);
    }
  }
  let error = 0;
  for (let i = 0; i < I; i++) {
    for (let c = 0; c < n; c++) {
      let v = bd[i];
      for (let j = 0; j < H; j++) v += (Wd ? Wd[i * H + j] : W[j * I + i]) * Y[j * n + c];
      const d = x[i * n + c];
      if (ae.output === regression) {
        error += 0.5 * (v - d) ** 2;
      } else if (ae.output === logisticSquaredError) {
        error += 0.5 * (1 / (1 + Math.exp(-v)) - d) ** 2;
      } else {
        const y = 1 / (1 + Math.exp(-v));
        error -= d * Math.log(Math.max(y, 1e-12)) + (1 - d) * Math.log(Math.max(1 - y, 1e-12));
      }
    }
  }
  error /= n;
  if (sparsity && sparsity.beta > 0) {
    const { rho, beta } = sparsity;
    for (let j = 0; j < H; j++) {
      let q = 0;
      for (let c = 0; c < n; c++) q += Y[j * n + c];
      q /= n;
      error += beta * (rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q)));
    }
  }
  return error;
}

function activate64(f: Activation, u: number): number {
  switch (f.name) {
    case logistic.name:
      return 1 / (1 + Math.exp(-u));
    case "tanh":
      return Math.tanh(u);
    case identity.name:
      return u;
    case "ReLU":
      return Math.max(u, 0);
    case "softplus":
      return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
    default:
      throw new Error(`no float64 version of the activation "${f.name}"`);
  }
}

/** One parameter's agreement in {@linkcode checkAutoencoderGradients}. */
export interface AutoencoderCheckRow {
  /** "W", "b", "W̃" or "b̃". */
  parameter: string;
  /** Its shape, e.g. "4×6". */
  shape: string;
  /** Relative error of the hand gradient against central differences in float64. */
  handVsNumerical: number;
  /** Relative error of the hand gradient against tfjs autodiff of {@linkcode autoencoderObjective}. */
  handVsAutodiff: number;
}

/**
 * Check {@linkcode autoencoderGradients} (ρ̂ = the batch mean) against central differences of the
 * objective recomputed in float64 (ε = 1e-6) and against tfjs autodiff, parameter by parameter.
 * For small autoencoders only (two float64 evaluations per parameter entry).
 *
 * @example
 * ```ts
 * const rows = checkAutoencoderGradients(ae, X, X, { rho: 0.1, beta: 3 });
 * rows.every((r) => r.handVsNumerical < 1e-4); // true
 * ```
 */
export function checkAutoencoderGradients(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  sparsity?: SparsityOptions,
): AutoencoderCheckRow[] {
  const plain = sparsity ? { ...sparsity, averaging: 0 } : undefined;
  const hand = autoencoderGradients(ae, Xin, X, { sparsity: plain });
  const parameters = autoencoderParameters(ae);
  const variables = parameters.map((p) => p.variable);
  const auto = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => autoencoderObjective(ae, Xin, X, plain), variables);
    return variables.map((v) => grads[v.name]);
  });
  const params = variables.map((v) => Float64Array.from(v.dataSync()));
  const xin = Float64Array.from(Xin.dataSync());
  const x = Float64Array.from(X.dataSync());
  const n = X.shape[1] ?? 1;
  const epsilon = 1e-6;
  const names = ae.tied ? ["W", "b", "b̃"] : ["W", "b", "W̃", "b̃"];
  const rows = params.map((p, k): AutoencoderCheckRow => {
    const numerical = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const original = p[i];
      p[i] = original + epsilon;
      const plus = objectiveFloat64(ae, params, xin, x, n, plain);
      p[i] = original - epsilon;
      const minus = objectiveFloat64(ae, params, xin, x, n, plain);
      p[i] = original;
      numerical[i] = (plus - minus) / (2 * epsilon);
    }
    return {
      parameter: names[k],
      shape: variables[k].shape.join("×"),
      handVsNumerical: relativeError(hand.grads[k], numerical),
      handVsAutodiff: relativeError(hand.grads[k], auto[k]),
    };
  });
  tf.dispose([hand.loss, hand.reconstruction, hand.batchRhoHat, ...hand.grads, ...auto]);
  return rows;
}

/** How inputs are corrupted for a denoising autoencoder. */
export type Corruption =
  /** Each input set to 0 with probability `rate` (masking noise). */
  | { kind: "mask"; rate: number }
  /** Gaussian noise N(0, std²) added to each input. */
  | { kind: "gaussian"; std: number };

/**
 * A corrupted copy of X (the caller owns it).
 *
 * @example
 * ```ts
 * const noisy = corrupt(X, { kind: "mask", rate: 0.3 }, rng); // 30 % of the pixels zeroed
 * ```
 */
export function corrupt(X: tf.Tensor, corruption: Corruption, rng: Random): tf.Tensor {
  return tf.tidy(() => {
    if (corruption.kind === "mask") {
      const keep = rng.uniformArray(X.size).map((u) => (u < corruption.rate ? 0 : 1));
      return tf.mul(X, tf.tensor(keep, X.shape));
    }
    return tf.add(X, rng.normalTensor(X.shape, 0, corruption.std));
  });
}

/** Options of {@linkcode autoencoderModel}. */
export interface AutoencoderModelOptions {
  /** Sparse regularisation (default none). */
  sparsity?: SparsityOptions;
  /** Denoising: corrupt the inputs, reconstruct the clean ones (default none). */
  noise?: Corruption;
}

/** An autoencoder as a training {@linkcode Model}, with its running average ρ̂. */
export interface AutoencoderModel extends Model {
  /** The running average ρ̂ of each hidden unit's activation (zeros before the first step). */
  rhoHat(): Float32Array;
  /** Free the running average. */
  dispose(): void;
}

/**
 * An autoencoder as a {@linkcode Model} for `train` (targets D = the clean inputs): hand-written
 * gradients, optional sparsity with ρ̂ as a running average over minibatches (a = 0.9 by default;
 * the first minibatch starts it at its own mean), optional corruption of the inputs.
 * `predict` reconstructs, `error` is the reconstruction error.
 *
 * @example
 * ```ts
 * const model = autoencoderModel(ae, { sparsity: { rho: 0.05, beta: 3 } });
 * await train(model, makeDataset(pixels, pixels, 784, 784), options);
 * model.dispose();
 * ```
 */
export function autoencoderModel(
  ae: Autoencoder,
  options: AutoencoderModelOptions = {},
): AutoencoderModel {
  const sparsity = options.sparsity;
  if (sparsity) checkSparsity(sparsity);
  const a = sparsity?.averaging ?? 0.9;
  let running: tf.Variable | undefined;
  return {
    parameters: autoencoderParameters(ae),
    task: "regression",
    lossAndGradients(X, D, rng) {
      return tf.tidy(() => {
        const Xin = options.noise ? corrupt(X, options.noise, rng) : X;
        // ρ̂ of this step mixes the running average with the batch's own mean activations.
        const rhoHat = (batch: tf.Tensor): tf.Tensor => {
          if (running === undefined) {
            running = tf.variable(batch, false);
          } else {
            running.assign(tf.add(tf.mul(a, running), tf.mul(1 - a, batch)));
          }
          return running;
        };
        const out = autoencoderGradients(ae, Xin, D, {
          sparsity,
          rhoHat: sparsity ? rhoHat : undefined,
        });
        return { loss: out.loss, grads: out.grads };
      });
    },
    predict: (X) => reconstruct(ae, X),
    error: (Y, D) => ae.output.error(Y, D),
    rhoHat: () => running ? Float32Array.from(running.dataSync()) : new Float32Array(ae.hiddenSize),
    dispose() {
      running?.dispose();
      running = undefined;
    },
  };
}

/** Settings of {@linkcode trainAutoencoder}. */
export interface TrainAutoencoderOptions extends AutoencoderModelOptions {
  /** Passes over the data. */
  epochs: number;
  /** Examples per minibatch (default 100). */
  batchSize?: number;
  /** η (default 0.1 for SGD, 0.001 for Adam). */
  learningRate?: number;
  /** μ of SGD (default 0.9). */
  momentum?: number;
  /** "sgd" (with momentum, default) or "adam". */
  optimizer?: "sgd" | "adam";
  /** λ of the weight decay (λ/2)‖W‖² on W and W̃ (default 0). */
  weightDecay?: number;
  /** η per epoch (default constant). */
  schedule?: LearningRateSchedule;
  /** Shuffling and corruption stream. */
  rng: Random;
  /** Progress bar label, or false. */
  progress?: string | false;
  /** Held-out rows to evaluate the reconstruction error on after each epoch. */
  test?: Float32Array;
}

/** What {@linkcode trainAutoencoder} returns. */
export interface AutoencoderTraining {
  /** Reconstruction error per epoch (`trainLoss`, `testLoss`), minibatch objective (`runningLoss`). */
  history: History;
  /** The running average ρ̂ after training (zeros without sparsity). */
  rhoHat: Float32Array;
  /** Training time in seconds (evaluations excluded). */
  seconds: number;
}

/**
 * Train an autoencoder by minibatch SGD with momentum (or Adam) on the rows of `features` (count ×
 * inputSize, row-major, e.g. MNIST pixels), through `train` of chapter 3.
 *
 * @example
 * ```ts
 * const ae = createAutoencoder(784, 100, rng.derive("init"));
 * const { history } = await trainAutoencoder(ae, mnist.train.images, {
 *   epochs: 10, weightDecay: 3e-3, sparsity: { rho: 0.05, beta: 3 }, rng: rng.derive("train"),
 * });
 * ```
 */
export async function trainAutoencoder(
  ae: Autoencoder,
  features: Float32Array,
  options: TrainAutoencoderOptions,
): Promise<AutoencoderTraining> {
  const data = makeDataset(features, features, ae.inputSize, ae.inputSize);
  const test = options.test
    ? makeDataset(options.test, options.test, ae.inputSize, ae.inputSize)
    : undefined;
  const model = autoencoderModel(ae, options);
  const optimizer = options.optimizer === "adam"
    ? new Adam({ learningRate: options.learningRate ?? 1e-3, weightDecay: options.weightDecay })
    : new SGD({
      learningRate: options.learningRate ?? 0.1,
      momentum: options.momentum ?? 0.9,
      weightDecay: options.weightDecay ?? 0,
    });
  try {
    const history = await train(model, data, {
      optimizer,
      epochs: options.epochs,
      batchSize: options.batchSize ?? 100,
      rng: options.rng,
      schedule: options.schedule,
      test,
      progress: options.progress ?? "autoencoder",
    });
    return {
      history,
      rhoHat: model.rhoHat(),
      seconds: history.seconds[history.seconds.length - 1],
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
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
