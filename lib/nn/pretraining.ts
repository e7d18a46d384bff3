/**
 * Greedy layer-wise pretraining (chapter 5): train an autoencoder on the inputs, keep its encoder
 * as the first hidden layer, train a second autoencoder on the first layer's outputs, and so on;
 * then put a randomly initialised output layer on top and fine-tune the whole network with
 * backpropagation (`train` with `backpropModel`, chapter 4's hand-written gradients).
 *
 * {@linkcode runPretrainingExperiment} compares that against the same network trained from a
 * random initialisation, with the same fine-tuning budget, and records each layer's gradient norm
 * at the start of fine-tuning — the question being whether pretraining fixes the vanishing
 * gradient of a deep logistic network.
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
import { SGD } from "../optim/sgd.ts";
import { batchOf, type Dataset } from "./minibatches.ts";
import { backpropModel, type History, train } from "./training.ts";
import {
  type Autoencoder,
  createAutoencoder,
  disposeAutoencoder,
  encodeRows,
  rowsReconstructionError,
} from "./autoencoder.ts";
import type { SparsityOptions } from "./autoencoder_gradients.ts";
import { trainAutoencoder } from "./autoencoder_training.ts";
import type { Corruption } from "./corruption.ts";

/** Settings of {@linkcode pretrainLayers}. */
export interface PretrainOptions {
  /** Epochs per layer. */
  epochs: number;
  /** Minibatch size (default 100). */
  batchSize?: number;
  /** η (default 0.1). */
  learningRate?: number;
  /** μ (default 0.9). */
  momentum?: number;
  /** Weight decay λ (default 0). */
  weightDecay?: number;
  /** Tied weights W̃ = Wᵀ (default false). */
  tied?: boolean;
  /** Sparse regularisation (default none). */
  sparsity?: SparsityOptions;
  /** Denoising corruption (default none). */
  noise?: Corruption;
  /** The stream for initial weights, shuffling and noise. */
  rng: Random;
  /** Progress label prefix, or false (default "pretrain"). */
  progress?: string | false;
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
 * Greedy layer-wise pretraining: one logistic autoencoder (cross-entropy, inputs in [0, 1]) per
 * hidden layer, each trained on the previous layer's outputs. `features` are rows (count ×
 * inputSize); `hidden` the hidden layer sizes.
 *
 * @example
 * ```ts
 * const layers = await pretrainLayers(mnist.train.features, 784, [256, 256], { epochs: 3, rng });
 * layers.map((l) => [l.errorBefore, l.errorAfter]); // the errors fall
 * ```
 */
export async function pretrainLayers(
  features: Float32Array,
  inputSize: number,
  hidden: readonly number[],
  options: PretrainOptions,
): Promise<PretrainedLayer[]> {
  const layers: PretrainedLayer[] = [];
  let input = features;
  let size = inputSize;
  const reportRows = options.reportRows ?? 2000;
  for (let l = 0; l < hidden.length; l++) {
    const rng = options.rng.derive(`layer-${l + 1}`);
    const ae = createAutoencoder(size, hidden[l], rng.derive("init"), { tied: options.tied });
    const sample = input.subarray(0, Math.min(input.length, reportRows * size));
    const errorBefore = rowsReconstructionError(ae, sample);
    const { history, seconds } = await trainAutoencoder(ae, input, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      momentum: options.momentum,
      weightDecay: options.weightDecay,
      sparsity: options.sparsity,
      noise: options.noise,
      rng: rng.derive("train"),
      progress: options.progress === false
        ? false
        : `${options.progress ?? "pretrain"} layer ${l + 1}`,
    });
    layers.push({
      autoencoder: ae,
      errorBefore,
      errorAfter: rowsReconstructionError(ae, sample),
      seconds,
      history,
    });
    if (l + 1 < hidden.length) input = encodeRows(ae, input);
    size = hidden[l];
  }
  return layers;
}

/**
 * A classifier whose hidden layers are the pretrained encoders (copied) and whose softmax output
 * layer is drawn at random (N(0, 1/fanIn)).
 *
 * @example
 * ```ts
 * const net = networkFromPretrained(layers.map((l) => l.autoencoder), 10, rng.derive("top"));
 * ```
 */
export function networkFromPretrained(
  encoders: readonly Autoencoder[],
  classes: number,
  rng: Random,
): Network {
  if (encoders.length === 0) throw new Error("networkFromPretrained: no encoders");
  const sizes = [encoders[0].inputSize, ...encoders.map((e) => e.hiddenSize), classes];
  encoders.forEach((e, l) => {
    if (l > 0 && e.inputSize !== encoders[l - 1].hiddenSize) {
      throw new Error(`networkFromPretrained: encoder ${l + 1} does not fit on encoder ${l}`);
    }
    if (e.encoder !== logistic) throw new Error("networkFromPretrained: encoders must be logistic");
  });
  const net = createNetwork(sizes, logistic, multiclassClassification, rng);
  encoders.forEach((e, l) => {
    net.layers[l].W.assign(e.W);
    net.layers[l].b.assign(e.b);
  });
  return net;
}

/**
 * Per-layer gradient norms of a classifier on the first `count` examples of a data set, by hand
 * backpropagation.
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

/** Settings of {@linkcode runPretrainingExperiment}. */
export interface PretrainingExperimentOptions {
  /** Training and test sets (one-hot targets). */
  data: { train: Dataset; test: Dataset };
  /** Hidden layer sizes, e.g. [256, 256, 256, 256]. */
  hidden: number[];
  /** The seed of this run (initial weights, shuffling). */
  rng: Random;
  /** Autoencoder epochs per layer. */
  pretrainEpochs: number;
  /** Fine-tuning epochs, the same for both arms. */
  finetuneEpochs: number;
  /** η of fine-tuning (default 0.1, momentum 0.9). */
  learningRate?: number;
  /** η of pretraining (default 0.1). */
  pretrainLearningRate?: number;
  /** Minibatch size of both phases (default 100). */
  batchSize?: number;
  /** Denoising corruption in pretraining (default none). */
  noise?: Corruption;
  /** Progress bars (default true). */
  progress?: boolean;
}

/** One arm of the experiment. */
export interface ArmResult {
  /** Loss and accuracy per epoch of fine-tuning (entry 0: before). */
  history: History;
  /** Per-layer gradient norms at the start of fine-tuning. */
  gradientNorms: LayerGradientNorm[];
  /** Test error (1 − accuracy) after fine-tuning. */
  testError: number;
  /** Fine-tuning time in seconds. */
  seconds: number;
}

/** What {@linkcode runPretrainingExperiment} returns. */
export interface PretrainingExperimentResult {
  /** Layer sizes, inputs first. */
  sizes: number[];
  /** Trained from a random initialisation. */
  random: ArmResult;
  /** Fine-tuned after greedy layer-wise pretraining. */
  pretrained: ArmResult;
  /** Reconstruction error of each pretrained layer, before and after its training. */
  layers: { errorBefore: number; errorAfter: number; seconds: number }[];
  /** Pretraining time in seconds (all layers). */
  pretrainSeconds: number;
}

/**
 * One seed of the pretraining experiment: a deep logistic softmax classifier trained (a) from
 * N(0, 1/fanIn) weights and (b) after greedy layer-wise autoencoder pretraining, each fine-tuned
 * by SGD with momentum 0.9 for the same number of epochs. The networks are freed.
 *
 * @example
 * ```ts
 * const r = await runPretrainingExperiment({
 *   data, hidden: [256, 256, 256, 256], rng: randomFor("pretraining"),
 *   pretrainEpochs: 2, finetuneEpochs: 5,
 * });
 * console.log(r.random.testError, r.pretrained.testError);
 * ```
 */
export async function runPretrainingExperiment(
  options: PretrainingExperimentOptions,
): Promise<PretrainingExperimentResult> {
  const { data, hidden, rng } = options;
  const classes = data.train.targetSize;
  const sizes = [data.train.inputSize, ...hidden, classes];
  const progress = options.progress ?? true;
  const finetune = async (net: Network, label: string): Promise<ArmResult> => {
    const gradientNorms = gradientNormsOn(net, data.train);
    const optimizer = new SGD({ learningRate: options.learningRate ?? 0.1, momentum: 0.9 });
    const history = await train(backpropModel(net), data.train, {
      optimizer,
      epochs: options.finetuneEpochs,
      batchSize: options.batchSize ?? 100,
      rng: rng.derive(`finetune-${label}`),
      test: data.test,
      progress: progress ? `fine-tune (${label})` : false,
    });
    optimizer.dispose();
    for (const layer of net.layers) {
      layer.W.dispose();
      layer.b.dispose();
    }
    return {
      history,
      gradientNorms,
      testError: 1 - history.testAccuracy[history.testAccuracy.length - 1],
      seconds: history.seconds[history.seconds.length - 1],
    };
  };
  const random = await finetune(
    createNetwork(sizes, logistic, multiclassClassification, rng.derive("random-init")),
    "random init",
  );
  const layers = await pretrainLayers(data.train.features, data.train.inputSize, hidden, {
    epochs: options.pretrainEpochs,
    batchSize: options.batchSize,
    learningRate: options.pretrainLearningRate,
    noise: options.noise,
    rng: rng.derive("pretrain"),
    progress: progress ? "pretrain" : false,
  });
  const net = networkFromPretrained(
    layers.map((l) => l.autoencoder),
    classes,
    rng.derive("top-layer"),
  );
  for (const l of layers) disposeAutoencoder(l.autoencoder);
  const pretrained = await finetune(net, "pretrained");
  return {
    sizes,
    random,
    pretrained,
    layers: layers.map(({ errorBefore, errorAfter, seconds }) => ({
      errorBefore,
      errorAfter,
      seconds,
    })),
    pretrainSeconds: layers.reduce((s, l) => s + l.seconds, 0),
  };
}
