/**
 * Full-batch training of an autoencoder by L-BFGS, as in the UFLDL sparse-autoencoder exercise
 * that the book's figure 5-6 follows. The objective is the whole training set's
 *
 *   J(θ) = (1/N) Σₙ E(xₙ, x̂ₙ) + (λ/2)(‖W‖² + ‖W̃‖²) + β Σⱼ KL(ρ ‖ ρ̂ⱼ),   ρ̂ⱼ = (1/N) Σₙ yⱼₙ,
 *
 * with ρ̂ the exact mean over all N examples (no running average is needed: every evaluation
 * sees the whole set). Its gradient is {@linkcode autoencoderGradients}'s, the cell of
 * `05_autoencoder`, accumulated over chunks of columns in two passes: the first computes ρ̂
 * from the hidden activations, the second backpropagates each chunk with that ρ̂ and adds the
 * chunk's share (its size / N). The weight decay's gradient λW is added last. {@linkcode minimizeLbfgs} (chapter 7's L-BFGS,
 * written for style transfer) then minimises J over the flat vector of all parameters.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { minimizeLbfgs, type StopReason } from "../optim/lbfgs.ts";
import { ProgressBar } from "../viz/progress.ts";
import { type Autoencoder, autoencoderParameters, encode } from "./autoencoder.ts";
import {
  fastAutoencoderGradients,
  klSparsity,
  type SparsityOptions,
} from "./autoencoder_gradients.ts";

/** Options of {@linkcode trainAutoencoderLbfgs}. */
export interface LbfgsAutoencoderOptions {
  /** L-BFGS iterations (each one or a few evaluations of J over the whole set). */
  iterations: number;
  /** λ of the weight decay (λ/2)(‖W‖² + ‖W̃‖²) (default 0; the biases are not decayed). */
  weightDecay?: number;
  /** Sparse regularisation β Σ KL(ρ ‖ ρ̂) with ρ̂ the mean over the whole set (default none). */
  sparsity?: Pick<SparsityOptions, "rho" | "beta">;
  /** Examples per chunk of the evaluation (default 10 000); does not change the result. */
  chunk?: number;
  /** Progress bar label, or false for none. */
  progress?: string | false;
}

/** What {@linkcode trainAutoencoderLbfgs} returns. */
export interface LbfgsAutoencoderTraining {
  /** J after each iteration (the first entry is J at the start). */
  objective: number[];
  /** The reconstruction error (mean over the set, without penalties) at the end. */
  reconstruction: number;
  /** ρ̂ⱼ over the whole set at the end. */
  rhoHat: Float32Array;
  /** Iterations and objective evaluations used. */
  iterations: number;
  /** Evaluations of J (each a pass over the whole set). */
  evaluations: number;
  /** Why L-BFGS stopped. */
  reason: StopReason;
  /** Wall-clock seconds. */
  seconds: number;
}

/** J and its gradient over the set, for the parameters currently in `ae`. */
interface FullBatchEvaluation {
  value: number;
  reconstruction: number;
  gradient: Float32Array;
  rhoHat: Float32Array;
}

/**
 * Evaluate J(θ) and ∇J over all columns of `X` [inputs, N] for the autoencoder's current
 * parameters (see the module comment). The gradient is flat, in the order of
 * {@linkcode autoencoderParameters}.
 *
 * @example
 * ```ts
 * const { value, gradient } = fullBatchObjective(ae, X, { weightDecay: 3e-3 });
 * ```
 */
export function fullBatchObjective(
  ae: Autoencoder,
  X: tf.Tensor2D,
  options: Pick<LbfgsAutoencoderOptions, "weightDecay" | "sparsity" | "chunk"> = {},
): FullBatchEvaluation {
  const n = X.shape[1];
  const chunk = options.chunk ?? 10_000;
  const lambda = options.weightDecay ?? 0;
  const parameters = autoencoderParameters(ae);
  // With one chunk (n ≤ chunk) that chunk is X itself, not a copy, and pass 1's hidden
  // activations are kept for pass 2 instead of computed again.
  const oneChunk = n <= chunk;
  const columns = (start: number) =>
    oneChunk ? X : tf.slice(X, [0, start], [ae.inputSize, Math.min(chunk, n - start)]);

  // Pass 1: ρ̂ⱼ = mean activation over every example.
  let keptHidden: tf.Tensor | undefined;
  const rhoHat = tf.tidy(() => {
    let sum: tf.Tensor = tf.zeros([ae.hiddenSize, 1]);
    for (let start = 0; start < n; start += chunk) {
      const Y = encode(ae, columns(start));
      if (oneChunk) keptHidden = tf.keep(Y);
      sum = tf.add(sum, tf.sum(Y, 1, true));
    }
    return tf.div(sum, n) as tf.Tensor2D;
  });

  // Pass 2: each chunk's gradient with that ρ̂, weighted by its share of the examples.
  let reconstruction = 0;
  const totals = parameters.map((p) => tf.zerosLike(p.variable) as tf.Tensor);
  for (let start = 0; start < n; start += chunk) {
    const Xc = columns(start);
    const share = Xc.shape[1] / n;
    const out = fastAutoencoderGradients(ae, Xc, Xc, {
      sparsity: options.sparsity ? { ...options.sparsity, averaging: 0 } : undefined,
      rhoHat: () => rhoHat,
      hidden: keptHidden,
    });
    reconstruction += share * out.reconstruction.dataSync()[0];
    out.grads.forEach((g, k) => {
      const next = tf.tidy(() => tf.add(totals[k], tf.mul(g, share)));
      totals[k].dispose();
      totals[k] = next;
    });
    if (Xc !== X) Xc.dispose();
    tf.dispose([out.loss, out.reconstruction, out.batchRhoHat, ...out.grads]);
  }
  keptHidden?.dispose();

  let value = reconstruction;
  if (options.sparsity) {
    const penalty = klSparsity(options.sparsity.rho, rhoHat);
    value += options.sparsity.beta * penalty.dataSync()[0];
    penalty.dispose();
  }
  const size = parameters.reduce((s, p) => s + p.variable.size, 0);
  const gradient = new Float32Array(size);
  let offset = 0;
  parameters.forEach((p, k) => {
    const g = totals[k].dataSync();
    if (p.role === "weight" && lambda > 0) {
      const w = p.variable.dataSync();
      let squares = 0;
      for (let i = 0; i < w.length; i++) {
        squares += w[i] * w[i];
        gradient[offset + i] = g[i] + lambda * w[i];
      }
      value += 0.5 * lambda * squares;
    } else {
      gradient.set(g, offset);
    }
    offset += g.length;
  });
  const rho = Float32Array.from(rhoHat.dataSync());
  tf.dispose([rhoHat, ...totals]);
  return { value, reconstruction, gradient, rhoHat: rho };
}

/** Copy a flat parameter vector into the autoencoder's variables. */
function assignFlat(ae: Autoencoder, x: Float64Array): void {
  let offset = 0;
  for (const { variable } of autoencoderParameters(ae)) {
    const values = Float32Array.from(x.subarray(offset, offset + variable.size));
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    offset += variable.size;
  }
}

/** The autoencoder's parameters as one flat vector. */
function flatParameters(ae: Autoencoder): Float64Array {
  const parameters = autoencoderParameters(ae);
  const x = new Float64Array(parameters.reduce((s, p) => s + p.variable.size, 0));
  let offset = 0;
  for (const { variable } of parameters) {
    x.set(variable.dataSync(), offset);
    offset += variable.size;
  }
  return x;
}

/**
 * Train `ae` in place on the rows of `features` (count × inputSize, row-major, e.g. MNIST
 * pixels) by minimising the full-batch objective J with L-BFGS (Wolfe line search).
 * Throws if J becomes NaN, naming the iteration.
 *
 * @example
 * ```ts
 * const ae = createAutoencoder(784, 100, rng, { output: logisticSquaredError });
 * const run = await trainAutoencoderLbfgs(ae, mnist.train.images, {
 *   iterations: 400, weightDecay: 3e-3, sparsity: { rho: 0.1, beta: 3 },
 * });
 * run.objective.at(-1); // J at the end
 * ```
 */
export async function trainAutoencoderLbfgs(
  ae: Autoencoder,
  features: Float32Array,
  options: LbfgsAutoencoderOptions,
): Promise<LbfgsAutoencoderTraining> {
  const count = features.length / ae.inputSize;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(
      `trainAutoencoderLbfgs: ${features.length} values are not rows of ${ae.inputSize}`,
    );
  }
  if (!(Number.isInteger(options.iterations) && options.iterations >= 1)) {
    throw new Error(
      `trainAutoencoderLbfgs: iterations must be a positive integer, not ${options.iterations}`,
    );
  }
  const started = performance.now();
  const X = tf.tidy(() =>
    tf.transpose(tf.tensor2d(features, [count, ae.inputSize])) as tf.Tensor2D
  );
  const bar = options.progress === false
    ? undefined
    : new ProgressBar({ total: options.iterations, label: options.progress ?? "L-BFGS" });
  let last: FullBatchEvaluation | undefined;
  try {
    const result = await minimizeLbfgs(
      (x) => {
        assignFlat(ae, x);
        last = fullBatchObjective(ae, X, options);
        if (!Number.isFinite(last.value)) {
          throw new Error(
            `trainAutoencoderLbfgs: the objective became ${last.value}; ` +
              `lower the initial weights or check the data for NaN`,
          );
        }
        return { value: last.value, gradient: last.gradient };
      },
      flatParameters(ae),
      {
        maxIterations: options.iterations,
        onIteration: ({ iteration, value }) => {
          bar?.update(iteration, { J: value.toFixed(5) });
        },
      },
    );
    assignFlat(ae, result.x);
    const final = fullBatchObjective(ae, X, options);
    return {
      objective: result.values,
      reconstruction: final.reconstruction,
      rhoHat: final.rhoHat,
      iterations: result.iterations,
      evaluations: result.evaluations + 1,
      reason: result.reason,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await bar?.done();
    X.dispose();
  }
}
