/**
 * The experiments of chapter 4, as functions that the notebook and scripts call alike:
 * {@linkcode trainMnistBackprop} trains a feedforward network on MNIST with the hand-written
 * backpropagation of `network.ts`, and {@linkcode gradientNormsAtInit} measures how large each
 * layer's gradient is before training (the vanishing gradient problem).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { byMode } from "../runtime/config.ts";
import { Random, randomFor } from "../runtime/random.ts";
import { type Activation, relu } from "./activations.ts";
import { multiclassClassification } from "./losses.ts";
import {
  backpropGradients,
  createNetwork,
  disposeNetwork,
  layerGradientNorms,
  type Network,
} from "./network.ts";
import { SGD } from "../optim/sgd.ts";
import { stepDecay } from "../optim/schedules.ts";
import { classificationDataset, type Dataset } from "./minibatches.ts";
import { backpropModel, type History, train, type TrainingProgress } from "./training.ts";
import { loadMnist, MNIST_CLASSES, MNIST_PIXELS } from "../data/mnist.ts";

/**
 * The first `trainSize` training and `testSize` test images of MNIST as data sets (one-hot
 * targets); all of them by default.
 *
 * @example
 * ```ts
 * const { train, test } = await mnistDatasets(10_000, 2_000);
 * console.log(train.count, train.inputSize, train.targetSize); // 10000 784 10
 * ```
 */
export async function mnistDatasets(
  trainSize?: number,
  testSize?: number,
): Promise<{ train: Dataset; test: Dataset }> {
  const { train, test } = await loadMnist({ trainSize, testSize });
  return {
    train: classificationDataset(train.images, train.labels, MNIST_PIXELS, MNIST_CLASSES),
    test: classificationDataset(test.images, test.labels, MNIST_PIXELS, MNIST_CLASSES),
  };
}

/** Settings of {@linkcode trainMnistBackprop}; every one has a default. */
export interface MnistBackpropOptions {
  /** Units of the hidden layers (default [100]: the network 784-100-10). */
  hidden?: number[];
  /** Hidden activation (default ReLU). */
  activation?: Activation;
  /** σ of the initial weights N(0, σ²) for a layer with `fanIn` inputs (default He: √(2/fanIn)). */
  weightScale?: (fanIn: number) => number;
  /** Training images used, from the start of the 60 000 (default by mode: 10 000 / 60 000). */
  trainSize?: number;
  /** Test images (default 10 000). */
  testSize?: number;
  /** Epochs (default by mode: 5 / 20). */
  epochs?: number;
  /** Minibatch size (default 100). */
  batchSize?: number;
  /** η at the start (default 0.1); halved every `halveEvery` epochs. */
  learningRate?: number;
  /** Epochs between halvings of η (default 5). */
  halveEvery?: number;
  /** Momentum μ (default 0.9). */
  momentum?: number;
  /** Weight decay λ (default 1e-4). */
  weightDecay?: number;
  /** The seed stream (default `randomFor("mnist-backprop")`). */
  rng?: Random;
  /** Already loaded data, to share between runs (default: loaded from `trainSize`, `testSize`). */
  data?: { train: Dataset; test: Dataset };
  /** The progress bar's label, or false. */
  progress?: string | false;
  /** Called now and then during training. */
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
}

/** What {@linkcode trainMnistBackprop} returns. The caller owns the network. */
export interface MnistBackpropResult {
  /** The trained network. */
  net: Network;
  /** Its layer sizes, e.g. [784, 100, 10]. */
  sizes: number[];
  /** Loss and accuracy per epoch on the training and test sets. */
  history: History;
  /** Training and test set sizes used. */
  trainSize: number;
  testSize: number;
  /** Test accuracy after the last epoch. */
  testAccuracy: number;
  /** Training time (evaluations excluded), in seconds. */
  seconds: number;
  /** Wall-clock time of the whole run, evaluations included, in seconds. */
  wallSeconds: number;
}

/**
 * Train a feedforward classifier on MNIST with the hand-written backpropagation
 * ({@linkcode backpropModel}): minibatch SGD with momentum and weight decay, η halved every few
 * epochs, train and test loss/accuracy after every epoch.
 *
 * @example
 * ```ts
 * const result = await trainMnistBackprop({ hidden: [100], epochs: 20, trainSize: 60_000 });
 * console.log(result.testAccuracy); // ≈ 0.98
 * disposeNetwork(result.net);
 * ```
 */
export async function trainMnistBackprop(
  options: MnistBackpropOptions = {},
): Promise<MnistBackpropResult> {
  const started = performance.now();
  const data = options.data ??
    await mnistDatasets(
      options.trainSize ?? byMode({ quick: 10_000, full: 60_000 }),
      options.testSize ?? 10_000,
    );
  const rng = options.rng ?? randomFor("mnist-backprop");
  const sizes = [MNIST_PIXELS, ...(options.hidden ?? [100]), MNIST_CLASSES];
  const net = createNetwork(
    sizes,
    options.activation ?? relu,
    multiclassClassification,
    rng.derive("init"),
    options.weightScale ?? ((fanIn) => Math.sqrt(2 / fanIn)),
  );
  const learningRate = options.learningRate ?? 0.1;
  const optimizer = new SGD({
    learningRate,
    momentum: options.momentum ?? 0.9,
    weightDecay: options.weightDecay ?? 1e-4,
  });
  const history = await train(backpropModel(net), data.train, {
    optimizer,
    schedule: stepDecay(learningRate, 0.5, options.halveEvery ?? 5),
    epochs: options.epochs ?? byMode({ quick: 5, full: 20 }),
    batchSize: options.batchSize ?? 100,
    rng: rng.derive("train"),
    test: data.test,
    progress: options.progress ?? `MNIST ${sizes.join("-")}`,
    onProgress: options.onProgress,
  });
  optimizer.dispose();
  return {
    net,
    sizes,
    history,
    trainSize: data.train.count,
    testSize: data.test.count,
    testAccuracy: history.testAccuracy[history.testAccuracy.length - 1],
    seconds: history.seconds[history.seconds.length - 1],
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Settings of {@linkcode gradientNormsAtInit}. */
export interface GradientNormOptions {
  /** Layer sizes, inputs first (e.g. [784, 100, …, 100, 10]). */
  sizes: number[];
  /** Hidden activation. */
  activation: Activation;
  /** σ of the initial weights for a layer with `fanIn` inputs (default 1/√fanIn). */
  weightScale?: (fanIn: number) => number;
  /** Examples X [inputs, N] and one-hot targets D [classes, N] (one minibatch). */
  X: tf.Tensor;
  D: tf.Tensor;
  /** Independent initialisations averaged over (default 3). */
  repeats?: number;
  /** The seed stream of the initialisations. */
  rng: Random;
}

/**
 * How large the gradient of each layer is at initialisation: the root-mean-square entry of
 * ∂E/∂W⁽ˡ⁾ (by hand backpropagation on the minibatch X, D) for l = 1 … L, the geometric mean
 * over `repeats` random initialisations of a softmax classifier.
 *
 * @example
 * ```ts
 * const rms = gradientNormsAtInit({ sizes: [784, ...Array(9).fill(100), 10], activation: logistic, X, D, rng });
 * rms[0] / rms[rms.length - 1]; // ≪ 1: the first layers barely learn
 * ```
 */
export function gradientNormsAtInit(options: GradientNormOptions): number[] {
  const repeats = options.repeats ?? 3;
  const logSums = new Array(options.sizes.length - 1).fill(0);
  for (let r = 0; r < repeats; r++) {
    const net = createNetwork(
      options.sizes,
      options.activation,
      multiclassClassification,
      options.rng.derive(`init-${r}`),
      options.weightScale,
    );
    const { loss, grads } = backpropGradients(net, options.X, options.D);
    layerGradientNorms(grads).forEach((n, l) => logSums[l] += Math.log(n.weightRms));
    tf.dispose([loss, ...grads]);
    disposeNetwork(net);
  }
  return logSums.map((s) => Math.exp(s / repeats));
}
