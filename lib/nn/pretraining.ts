/**
 * Greedy layer-wise pretraining (chapter 5): train an autoencoder on the inputs, keep its encoder
 * as the first hidden layer, train a second autoencoder on the first layer's outputs, and so on;
 * then put a randomly initialised output layer on top ({@linkcode networkFromPretrained}) and
 * fine-tune the whole network with backpropagation. {@linkcode pretrainLayers} and
 * {@linkcode networkFromPretrained} are cells of `05b_pretraining`, copied here by
 * `deno task save-cells`; the experiment (both arms, several seeds) is written in that notebook.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { logistic } from "./activations.ts";
import { multiclassClassification } from "./losses.ts";
import {
  backpropGradients,
  createNetwork,
  type LayerGradientNorm,
  layerGradientNorms,
  type Network,
} from "./network.ts";
import { batchOf, type Dataset } from "./minibatches.ts";
import type { History } from "./training.ts";
import {
  type Autoencoder,
  createAutoencoder,
  encodeRows,
  rowsReconstructionError,
} from "./autoencoder.ts";
import { trainAutoencoder, type TrainAutoencoderOptions } from "./autoencoder_training.ts";

/** Settings of {@linkcode pretrainLayers}: each layer's autoencoder training, and two more. */
export interface PretrainOptions extends TrainAutoencoderOptions {
  /** The stream for initial weights, shuffling and noise (one derived stream per layer). */
  rng: Random;
  /** Progress label prefix ("… layer l"), or false (default "pretrain"). */
  progress?: string | false;
  /** Tied weights W̃ = Wᵀ (default false). */
  tied?: boolean;
  /** Rows on which the reconstruction errors are reported (default: the first 2 000). */
  reportRows?: number;
}

/** One pretrained layer. The caller owns the autoencoder. */
export interface PretrainedLayer {
  /** The autoencoder; its encoder (W, b) is the hidden layer. */
  autoencoder: Autoencoder;
  /** Reconstruction error of its input before training (random weights). */
  errorBefore: number;
  /** … and after. */
  errorAfter: number;
  /** Training time in seconds. */
  seconds: number;
  /** Its history (reconstruction error per epoch). */
  history: History;
}

/**
 * Throws unless the encoders stack (each one's input size is the previous one's hidden size) and
 * are logistic, as the classifier of {@linkcode networkFromPretrained} needs.
 *
 * @example
 * ```ts
 * checkEncoderStack(layers.map((l) => l.autoencoder)); // 784→256, 256→256, … is fine
 * ```
 */
export function checkEncoderStack(encoders: readonly Autoencoder[]): void {
  if (encoders.length === 0) throw new Error("networkFromPretrained: no encoders");
  encoders.forEach((e, l) => {
    if (l > 0 && e.inputSize !== encoders[l - 1].hiddenSize) {
      throw new Error(`networkFromPretrained: encoder ${l + 1} does not fit on encoder ${l}`);
    }
    if (e.encoder !== logistic) throw new Error("networkFromPretrained: encoders must be logistic");
  });
}

/**
 * Per-layer gradient norms of a classifier on the first `count` examples of a data set, by hand
 * backpropagation (nothing is updated).
 *
 * @example
 * ```ts
 * gradientNormsOn(net, trainSet).map((n) => n.weightRms); // input side first
 * ```
 */
export function gradientNormsOn(net: Network, data: Dataset, count = 1000): LayerGradientNorm[] {
  const { X, D } = batchOf(
    data,
    Int32Array.from({ length: Math.min(count, data.count) }, (_, i) => i),
  );
  const { loss, grads } = backpropGradients(net, X, D);
  const norms = layerGradientNorms(grads);
  tf.dispose([X, D, loss, ...grads]);
  return norms;
}

// @saved-from notebooks/05b_pretraining.ipynb — edit it there, then `deno task save-cells`
/** Greedy layer-wise pretraining: one autoencoder per hidden layer, on the rows `features`. */
export async function pretrainLayers(
  features: Float32Array,
  inputSize: number,
  hidden: readonly number[],
  options: PretrainOptions,
): Promise<PretrainedLayer[]> {
  const layers: PretrainedLayer[] = [];
  let input = features; // X⁽ˡ⁻¹⁾, one example per row
  let size = inputSize;
  for (const [l, units] of hidden.entries()) {
    const rng = options.rng.derive(`layer-${l + 1}`);
    const ae = createAutoencoder(size, units, rng.derive("init"), { tied: options.tied });
    const sample = input.subarray(0, Math.min(input.length, (options.reportRows ?? 2000) * size));
    const errorBefore = rowsReconstructionError(ae, sample);
    // 1. the autoencoder learns to reconstruct X⁽ˡ⁻¹⁾
    const { history, seconds } = await trainAutoencoder(ae, input, {
      ...options,
      rng: rng.derive("train"),
      progress: options.progress === false
        ? false
        : `${options.progress ?? "pretrain"} layer ${l + 1}`,
    });
    // 2. its encoder (W, b) is hidden layer l
    const errorAfter = rowsReconstructionError(ae, sample);
    layers.push({ autoencoder: ae, errorBefore, errorAfter, seconds, history });
    // 3. X⁽ˡ⁾ = f(W X⁽ˡ⁻¹⁾ + b 1ᵀ) is the next layer's data
    if (l + 1 < hidden.length) input = encodeRows(ae, input);
    size = units;
  }
  return layers;
}

/** A classifier: the encoders' (W, b) copied as hidden layers, a random softmax layer on top. */
export function networkFromPretrained(
  encoders: readonly Autoencoder[],
  classes: number,
  rng: Random,
): Network {
  checkEncoderStack(encoders);
  const sizes = [encoders[0].inputSize, ...encoders.map((e) => e.hiddenSize), classes];
  const net = createNetwork(sizes, logistic, multiclassClassification, rng);
  encoders.forEach((e, l) => {
    net.layers[l].W.assign(e.W); // W⁽ˡ⁾ = W of autoencoder l
    net.layers[l].b.assign(e.b); // b⁽ˡ⁾ = b of autoencoder l
  });
  return net;
}
// @end-saved
