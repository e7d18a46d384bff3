/**
 * Minibatch training of an autoencoder (chapter 5) through chapter 3's `train`: the hand-written
 * gradient of `autoencoder_gradients.ts`, sparsity with ρ̂ as a running average over minibatches
 * (ρ̂ⱼ ← a ρ̂ⱼ + (1 − a) ρ̂ⱼ(batch), as the book suggests), optional corruption of the inputs
 * (denoising), and SGD with momentum and weight decay.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { type Autoencoder, autoencoderParameters, reconstruct } from "./autoencoder.ts";
import {
  checkSparsity,
  fastAutoencoderGradients,
  type SparsityOptions,
} from "./autoencoder_gradients.ts";
import { corrupt, type Corruption } from "./corruption.ts";
import { SGD } from "../optim/sgd.ts";
import { makeDataset } from "./minibatches.ts";
import { type History, type Model, train } from "./training.ts";

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
  // ρ̂ of this step mixes the running average with the batch's own mean activations.
  const runningRhoHat = (batch: tf.Tensor): tf.Tensor => {
    if (running === undefined) {
      running = tf.variable(batch, false);
    } else {
      running.assign(tf.add(tf.mul(a, running), tf.mul(1 - a, batch)));
    }
    return running;
  };
  return {
    parameters: autoencoderParameters(ae),
    task: "regression",
    lossAndGradients(X, D, rng) {
      return tf.tidy(() => {
        const Xin = options.noise ? corrupt(X, options.noise, rng) : X;
        const out = fastAutoencoderGradients(ae, Xin, D, {
          sparsity,
          rhoHat: sparsity ? runningRhoHat : undefined,
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
  /** η (default 0.1). */
  learningRate?: number;
  /** μ of SGD (default 0.9). */
  momentum?: number;
  /** λ of the weight decay (λ/2)‖W‖² on W and W̃ (default 0). */
  weightDecay?: number;
  /** Shuffling and corruption stream. */
  rng: Random;
  /** Progress bar label, or false. */
  progress?: string | false;
}

/** What {@linkcode trainAutoencoder} returns. */
export interface AutoencoderTraining {
  /** Reconstruction error per epoch (`trainLoss`), minibatch objective (`runningLoss`). */
  history: History;
  /** The running average ρ̂ after training (zeros without sparsity). */
  rhoHat: Float32Array;
  /** Training time in seconds (evaluations excluded). */
  seconds: number;
}

/**
 * Train an autoencoder by minibatch SGD with momentum on the rows of `features` (count ×
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
  const model = autoencoderModel(ae, options);
  const optimizer = new SGD({
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
