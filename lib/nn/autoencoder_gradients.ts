/**
 * The sparse autoencoder's objective and its gradient, written by hand in the book's matrix form
 * (one example per column). Both are cells of `05_autoencoder` (§5.3), copied here by
 * `deno task save-cells`; the derivation is there.
 *
 *   J = E(X̂, X) + β Σⱼ KL(ρ ‖ ρ̂ⱼ),    ρ̂ⱼ = (1/N) Σₙ yⱼₙ
 *   Δₒ = X̂ − X                          (matched pairs; ⊙ X̂(1 − X̂) for logistic + squared error)
 *   Δₕ = f′(U) ⊙ (W̃ᵀ Δₒ + β s 1ᵀ),      sⱼ = −ρ/ρ̂ⱼ + (1 − ρ)/(1 − ρ̂ⱼ)
 *   ∂J/∂W̃ = (1/N) Δₒ Yᵀ,  ∂J/∂b̃ = (1/N) Δₒ 1,  ∂J/∂W = (1/N) Δₕ Xᵀ (+ (1/N) Y Δₒᵀ when tied),
 *   ∂J/∂b = (1/N) Δₕ 1
 *
 * Weight decay (λ/2)‖W‖² is the optimiser's (SGD's `weightDecay`), or added by the full-batch
 * objective of `autoencoder_lbfgs.ts`.
 *
 * Training runs {@linkcode fastAutoencoderGradients}: the same numbers bit for bit, computed with
 * the `blas` backend's fused kernels (each layer's product, bias and logistic in one, the output's
 * error and delta in one, each layer's backpropagation in one) where it can.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import { fusedKernelsReady, runFusedKernel } from "../runtime/backends/fused.ts";
import { logistic } from "./activations.ts";
import { binaryClassification, type OutputLayer, TINY } from "./losses.ts";
import {
  type Autoencoder,
  checkAutoencoderColumns,
  decode,
  encode,
  logisticSquaredError,
} from "./autoencoder.ts";

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

/**
 * Throws unless ρ ∈ (0, 1), β ≥ 0 and a ∈ [0, 1).
 *
 * @example
 * ```ts
 * checkSparsity({ rho: 0.05, beta: 3 }); // fine
 * ```
 */
export function checkSparsity(s: SparsityOptions): void {
  if (!(s.rho > 0 && s.rho < 1)) throw new Error(`sparsity: rho must be in (0, 1), not ${s.rho}`);
  if (!(s.beta >= 0)) throw new Error(`sparsity: beta must be ≥ 0, not ${s.beta}`);
  const a = s.averaging ?? 0;
  if (!(a >= 0 && a < 1)) throw new Error(`sparsity: averaging must be in [0, 1), not ${a}`);
}

/** What {@linkcode autoencoderGradients} returns; the caller owns the tensors. */
export interface AutoencoderGradients {
  /** Reconstruction error + β Σ KL(ρ ‖ ρ̂) (ρ̂ as used in the gradient). */
  loss: tf.Scalar;
  /** The reconstruction error alone. */
  reconstruction: tf.Scalar;
  /** ∂J/∂θ in the order of `autoencoderParameters`: W, b, W̃ (untied only), b̃. */
  grads: tf.Tensor[];
  /** The batch's mean hidden activations ρ̂(batch) [hidden, 1]. */
  batchRhoHat: tf.Tensor2D;
}

// @saved-from notebooks/05_autoencoder.ipynb — edit it there, then `deno task save-cells`
/** Σⱼ KL(ρ ‖ ρ̂ⱼ) over the hidden units, ρ̂ clipped to [1e-6, 1 − 1e-6]. */
export function klSparsity(rho: number, rhoHat: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.clipByValue(rhoHat, 1e-6, 1 - 1e-6);
    return tf.sum(
      tf.add(
        tf.mul(rho, tf.log(tf.div(rho, q))), // ρ log(ρ/ρ̂)
        tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, q)))), // + (1 − ρ) log((1 − ρ)/(1 − ρ̂))
      ),
    );
  });
}

/** J = E(X̂, X) + β Σⱼ KL(ρ ‖ ρ̂ⱼ) with ρ̂ the batch mean, forwards only (for autodiff). */
export function autoencoderObjective(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  sparsity?: SparsityOptions,
): tf.Scalar {
  return tf.tidy(() => {
    const Y = encode(ae, Xin); // Y = f(W X + b 1ᵀ)
    const error = ae.output.error(decode(ae, Y), X); // E(X̂, X), X̂ = f̃(W̃ Y + b̃ 1ᵀ)
    if (!sparsity || sparsity.beta === 0) return error;
    return tf.add(error, tf.mul(sparsity.beta, klSparsity(sparsity.rho, tf.mean(Y, 1))));
  });
}
// @end-saved

// @saved-from notebooks/05_autoencoder.ipynb — edit it there, then `deno task save-cells`
/** ∂(β KL(ρ ‖ ρ̂ⱼ))/∂ρ̂ⱼ = β sⱼ = β(−ρ/ρ̂ⱼ + (1 − ρ)/(1 − ρ̂ⱼ)), same shape as ρ̂. */
export function sparsityDelta(rho: number, beta: number, rhoHat: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const q = tf.clipByValue(rhoHat, 1e-6, 1 - 1e-6);
    return tf.mul(beta, tf.add(tf.div(-rho, q), tf.div(1 - rho, tf.sub(1, q))));
  });
}

/**
 * Backpropagation through the autoencoder by hand, for inputs Xin (clean, or corrupted when
 * denoising) and targets X, both [inputs, N]. With `sparsity`, ρ̂ is the batch mean, or what
 * `rhoHat` makes of it (a running average, the whole set's mean). The caller owns the tensors.
 */
export function autoencoderGradients(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  options: { sparsity?: SparsityOptions; rhoHat?: (batchRhoHat: tf.Tensor) => tf.Tensor } = {},
): AutoencoderGradients {
  checkAutoencoderColumns("autoencoderGradients", ae, Xin, X);
  if (options.sparsity) checkSparsity(options.sparsity);
  return tf.tidy(() => {
    const n = X.shape[1] ?? 1;
    const U = tf.add(tf.matMul(ae.W, Xin), ae.b); // U = W X + b 1ᵀ
    const Y = ae.encoder.f(U); // Y = f(U)
    const Wd = ae.decoderW ?? tf.transpose(ae.W); // W̃, or Wᵀ when tied
    const Xhat = ae.output.activation(tf.add(tf.matMul(Wd, Y), ae.decoderB)); // X̂ = f̃(W̃ Y + b̃ 1ᵀ)
    const reconstruction = ae.output.error(Xhat, X);
    const batchRhoHat = tf.mean(Y, 1, true) as tf.Tensor2D; // ρ̂ⱼ = (1/N) Σₙ yⱼₙ
    const deltaOut = ae.output === logisticSquaredError
      ? tf.mul(tf.sub(Xhat, X), tf.mul(Xhat, tf.sub(1, Xhat))) // (X̂ − X) ⊙ X̂(1 − X̂)
      : tf.sub(Xhat, X); // Δₒ = X̂ − X
    let back = tf.matMul(Wd, deltaOut, true, false); // W̃ᵀ Δₒ
    let loss: tf.Scalar = reconstruction;
    if (options.sparsity) {
      const { rho, beta } = options.sparsity;
      const rhoHat = options.rhoHat?.(batchRhoHat) ?? batchRhoHat;
      back = tf.add(back, sparsityDelta(rho, beta, rhoHat)); // + β s 1ᵀ
      loss = tf.add(reconstruction, tf.mul(beta, klSparsity(rho, rhoHat))); // E + β Σ KL
    }
    const slope = ae.encoder.derivativeFromOutput?.(Y) ?? ae.encoder.derivative(U); // f′(U)
    const deltaHidden = tf.mul(slope, back); // Δₕ = f′(U) ⊙ (W̃ᵀ Δₒ + β s 1ᵀ)
    const dWd = tf.div(tf.matMul(deltaOut, Y, false, true), n); // ∂J/∂W̃ = (1/N) Δₒ Yᵀ
    const dbd = tf.div(tf.sum(deltaOut, 1, true), n); // ∂J/∂b̃ = (1/N) Δₒ 1
    let dW = tf.div(tf.matMul(deltaHidden, Xin, false, true), n); // ∂J/∂W = (1/N) Δₕ Xᵀ
    const db = tf.div(tf.sum(deltaHidden, 1, true), n); // ∂J/∂b = (1/N) Δₕ 1
    if (ae.tied) dW = tf.add(dW, tf.transpose(dWd)); // tied: + ((1/N) Δₒ Yᵀ)ᵀ
    const grads = ae.tied ? [dW, db, dbd] : [dW, db, dWd, dbd];
    return { loss, reconstruction, grads, batchRhoHat };
  });
}
// @end-saved

/** The output layers `CourseLogisticOutput` computes, by the name of its attribute `pair`. */
const FUSED_OUTPUTS = new Map<OutputLayer, string>([
  [binaryClassification, "crossEntropy"],
  [logisticSquaredError, "squaredError"],
]);

/** Whether {@linkcode fastAutoencoderGradients} can use the fused kernels for `ae` here. */
function fusable(ae: Autoencoder, Xin: tf.Tensor, X: tf.Tensor): boolean {
  return !ae.tied && ae.encoder === logistic && FUSED_OUTPUTS.has(ae.output) &&
    Xin.dtype === "float32" && X.dtype === "float32" &&
    fusedKernelsReady(
      KERNEL_NAMES.denseForward,
      KERNEL_NAMES.denseBackward,
      KERNEL_NAMES.logisticOutput,
    );
}

/**
 * {@linkcode autoencoderGradients} — chapter 5's cell — with the `blas` backend's fused kernels:
 * `CourseDenseForward` for each layer's W z + b and logistic, `CourseLogisticOutput` for the
 * error and Δₒ, `CourseDenseBackward` for each layer's gradients and Δₕ (the sparsity term
 * added before the slope). The same numbers bit for bit (tests/autoencoder_kernels_test.ts), in
 * about half the passes over the [inputs, N] output. Tied weights, other activations and outputs,
 * other backends and calls under a gradient tape run the cell itself. `options.hidden` may give
 * Y = f(W Xin + b 1ᵀ) when the caller has it already (`encode(ae, Xin)`, the same kernel and bits):
 * it is then not computed again. The caller owns the tensors.
 *
 * @example
 * ```ts
 * const { loss, grads } = fastAutoencoderGradients(ae, X, X, { sparsity: { rho: 0.05, beta: 3 } });
 * ```
 */
export function fastAutoencoderGradients(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  options: {
    sparsity?: SparsityOptions;
    rhoHat?: (batchRhoHat: tf.Tensor) => tf.Tensor;
    hidden?: tf.Tensor;
  } = {},
): AutoencoderGradients {
  if (!fusable(ae, Xin, X)) return autoencoderGradients(ae, Xin, X, options);
  checkAutoencoderColumns("autoencoderGradients", ae, Xin, X);
  if (options.sparsity) checkSparsity(options.sparsity);
  return tf.tidy(() => {
    const n = X.shape[1] ?? 1;
    const logisticLayer = { activation: "logistic" };
    // Y = f(W X + b 1ᵀ), then X̂ = f̃(W̃ Y + b̃ 1ᵀ): one kernel a layer (U, V are not kept)
    const hidden = options.hidden;
    if (hidden && (hidden.shape[0] !== ae.hiddenSize || hidden.shape[1] !== n)) {
      throw new Error(
        `fastAutoencoderGradients: hidden activations [${hidden.shape}] are not ` +
          `[${ae.hiddenSize}, ${n}] (hidden units, examples)`,
      );
    }
    const [, Y] = hidden ? [undefined, hidden] : runFusedKernel(
      KERNEL_NAMES.denseForward,
      { W: ae.W, b: ae.b, zPrev: Xin },
      logisticLayer,
    );
    const Wd = ae.decoderW!;
    const [, Xhat] = runFusedKernel(
      KERNEL_NAMES.denseForward,
      { W: Wd, b: ae.decoderB, zPrev: Y },
      logisticLayer,
    );
    // Δₒ and E(X̂, X) in one pass over the output
    const [deltaOut, reconstruction] = runFusedKernel(KERNEL_NAMES.logisticOutput, {
      y: Xhat,
      d: X,
    }, {
      pair: FUSED_OUTPUTS.get(ae.output),
      tiny: TINY,
    });
    const batchRhoHat = tf.mean(Y, 1, true) as tf.Tensor2D;
    let loss = reconstruction as tf.Scalar;
    const back: tf.NamedTensorMap = { delta: deltaOut, zPrev: Y, W: Wd, slopeFrom: Y };
    if (options.sparsity) {
      const { rho, beta } = options.sparsity;
      const rhoHat = options.rhoHat?.(batchRhoHat) ?? batchRhoHat;
      back.backShift = sparsityDelta(rho, beta, rhoHat);
      loss = tf.add(reconstruction, tf.mul(beta, klSparsity(rho, rhoHat)));
    }
    // ∂J/∂W̃ = (1/N) Δₒ Yᵀ, ∂J/∂b̃ = (1/N) Δₒ 1, Δₕ = f′(U) ⊙ (W̃ᵀ Δₒ + β s 1ᵀ)
    const [dWd, dbd, deltaHidden] = runFusedKernel(KERNEL_NAMES.denseBackward, back, {
      n,
      slope: "logistic",
    });
    // ∂J/∂W = (1/N) Δₕ Xᵀ, ∂J/∂b = (1/N) Δₕ 1
    const [dW, db] = runFusedKernel(
      KERNEL_NAMES.denseBackward,
      { delta: deltaHidden, zPrev: Xin, W: ae.W },
      { n, slope: "none" },
    );
    return {
      loss,
      reconstruction: reconstruction as tf.Scalar,
      grads: [dW, db, dWd, dbd],
      batchRhoHat,
    };
  });
}
