/**
 * The training loop of chapter 3: epochs of shuffled minibatches, one optimiser step per batch,
 * the learning rate from a schedule, and a history of the loss and accuracy on the training (and
 * test) set after every epoch.
 *
 * Anything with parameters, a minibatch loss with gradients and a prediction is a {@linkcode Model}:
 * a feedforward {@linkcode Network} with autodiff gradients and optional dropout
 * ({@linkcode networkModel}), the same network with chapter 4's hand-written backpropagation
 * ({@linkcode backpropModel}), or the exercises' single-layer models with hand-written gradients
 * (`linear_models.ts`).
 *
 * @module
 */
import { beginInterruptibleLoop, checkpoint, Interrupted } from "../runtime/interrupt.ts";
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import {
  dropoutMasks,
  fastLossAndGradients,
  type Network,
  networkParameters,
  predict,
} from "./network.ts";
import type { Optimizer, Parameter } from "../optim/optimizer.ts";
import type { SGD } from "../optim/sgd.ts";
import type { LearningRateSchedule } from "../optim/schedules.ts";
import { dropout } from "./dropout.ts";
import { checkPrediction, OUTPUT_LAYERS } from "./losses.ts";
import { batchOf, type Dataset, minibatches } from "./minibatches.ts";
import { ProgressBar } from "../viz/progress.ts";

/** What the outputs mean, and so how accuracy is measured. */
export type Task = "regression" | "binary" | "multiclass";

/** A trainable model: minibatches are columns, X [inputs, B], D [targets, B]. */
export interface Model {
  /** The parameters, in the order of the gradients. */
  readonly parameters: readonly Parameter[];
  /** Regression (no accuracy), two classes (one output, threshold 0.5) or several (arg max). */
  readonly task: Task;
  /**
   * The minibatch error E and its gradients ∂E/∂θ (same order as `parameters`), in training mode
   * (with dropout, if any). `rng` draws the training-time randomness. The caller owns the tensors.
   */
  lossAndGradients(X: tf.Tensor2D, D: tf.Tensor2D, rng: Random): {
    loss: tf.Scalar;
    grads: tf.Tensor[];
  };
  /** The outputs Y [outputs, B] in evaluation mode. The caller owns the tensor. */
  predict(X: tf.Tensor2D): tf.Tensor2D;
  /** E(Y, D), the mean over the columns. */
  error(Y: tf.Tensor, D: tf.Tensor): tf.Scalar;
}

/** Dropout rates of a network (0 = none). */
export interface DropoutRates {
  /** Rate on the input units (the book suggests ≈0.2). */
  input?: number;
  /** Rate on every hidden layer's units (≈0.5). */
  hidden?: number;
}

function taskOf(net: Network): Task {
  const problem = net.output.problem;
  if (problem.startsWith("regression")) return "regression";
  if (problem.startsWith("binary")) return "binary";
  return "multiclass";
}

/**
 * A {@linkcode Network} as a {@linkcode Model}: gradients by tfjs autodiff (chapter 4 derives
 * them by hand), optional dropout on the inputs and hidden units during training.
 *
 * @example
 * ```ts
 * const net = createNetwork([784, 100, 10], relu, multiclassClassification, rng);
 * const model = networkModel(net, { dropout: { input: 0.2, hidden: 0.5 } });
 * ```
 */
export function networkModel(net: Network, options: { dropout?: DropoutRates } = {}): Model {
  const inputRate = options.dropout?.input ?? 0;
  const hiddenRate = options.dropout?.hidden ?? 0;
  const parameters = networkParameters(net);
  const variables = parameters.map((p) => p.variable);
  const forwardTrain = (X: tf.Tensor, rng: Random): tf.Tensor => {
    let z = inputRate > 0 ? dropout(X, inputRate, rng) : X;
    net.layers.forEach((layer) => {
      const u = tf.add(tf.matMul(layer.W, z), layer.b);
      if (layer.activation) {
        z = layer.activation.f(u);
        if (hiddenRate > 0) z = dropout(z, hiddenRate, rng);
      } else {
        z = net.output.activation(u); // the output layer: no dropout
      }
    });
    return z;
  };
  return {
    parameters,
    task: taskOf(net),
    lossAndGradients(X, D, rng) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => net.output.error(forwardTrain(X, rng), D),
          variables,
        );
        return { loss: value, grads: variables.map((v) => grads[v.name]) };
      });
    },
    predict: (X) => predict(net, X) as tf.Tensor2D,
    error: (Y, D) => net.output.error(Y, D),
  };
}

/**
 * A {@linkcode Network} as a {@linkcode Model} whose gradients come from chapter 4's hand-written
 * backpropagation (`backward` in `network.ts`) instead of autodiff; otherwise the same as
 * {@linkcode networkModel}, dropout included (the masks of the forward pass are reused in the
 * backward pass). Only the matched output/error pairs are supported.
 *
 * @example
 * ```ts
 * const net = createNetwork([784, 100, 10], relu, multiclassClassification, rng);
 * const history = await train(backpropModel(net), trainSet, options);
 * ```
 */
export function backpropModel(net: Network, options: { dropout?: DropoutRates } = {}): Model {
  const rates = { input: options.dropout?.input ?? 0, hidden: options.dropout?.hidden ?? 0 };
  const withDropout = rates.input > 0 || rates.hidden > 0;
  if (!OUTPUT_LAYERS.includes(net.output)) {
    throw new Error(
      `backpropModel: the output layer "${net.output.problem}" is not one of the matched pairs`,
    );
  }
  const evaluation = networkModel(net);
  return {
    parameters: evaluation.parameters,
    task: evaluation.task,
    lossAndGradients(X, D, rng) {
      return tf.tidy(() => {
        const masks = withDropout ? dropoutMasks(net, X.shape[1], rates, rng) : undefined;
        return fastLossAndGradients(net, X, D, masks); // forward, error, backward; fused kernels
      });
    },
    predict: evaluation.predict,
    error: evaluation.error,
  };
}

/** The error and accuracy of a model on a data set. */
export interface Evaluation {
  /** Mean error over all examples. */
  loss: number;
  /** Fraction classified correctly (NaN for regression). */
  accuracy: number;
}

/**
 * Number of columns classified correctly: for one output, y > 0.5 against d; for several, the
 * arg max of y against the arg max of d.
 *
 * @example
 * ```ts
 * correctCount(tf.tensor2d([[0.9, 0.2]]), tf.tensor2d([[1, 1]]), "binary"); // 1
 * ```
 */
export function correctCount(Y: tf.Tensor, D: tf.Tensor, task: Task): number {
  checkPrediction("correctCount", Y, D);
  if (task === "regression") return NaN;
  return tf.tidy(() => {
    const hits = task === "binary"
      ? tf.equal(tf.greater(Y, 0.5), tf.greater(D, 0.5))
      : tf.equal(tf.argMax(Y, 0), tf.argMax(D, 0));
    return tf.sum(tf.cast(hits, "float32")).dataSync()[0];
  });
}

/**
 * The confusion matrix: entry [i][j] counts examples of true class i predicted as class j.
 *
 * @example
 * ```ts
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (actual.length !== predicted.length) {
    throw new Error(`confusionMatrix: ${actual.length} labels but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const [a, p] = [actual[i], predicted[i]];
    if (
      !(Number.isInteger(a) && a >= 0 && a < classes && Number.isInteger(p) && p >= 0 &&
        p < classes)
    ) {
      throw new Error(
        `confusionMatrix: example ${i} has class ${a}, prediction ${p}; classes are 0…${
          classes - 1
        }`,
      );
    }
    m[a][p]++;
  }
  return m;
}

/**
 * The model's mean error and accuracy on a whole data set, in chunks of `chunk` examples.
 *
 * @example
 * ```ts
 * const { loss, accuracy } = evaluate(model, testSet);
 * ```
 */
export function evaluate(model: Model, data: Dataset, chunk = 2000): Evaluation {
  if (data.count === 0) throw new Error("evaluate: the data set is empty (0 examples)");
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new Error(`evaluate: chunk must be a positive integer, not ${chunk}`);
  }
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.count; start += chunk) {
    const end = Math.min(start + chunk, data.count);
    const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    const { X, D } = batchOf(data, indices);
    const Y = model.predict(X);
    lossSum += tf.tidy(() => model.error(Y, D).dataSync()[0]) * (end - start);
    correct += correctCount(Y, D, model.task);
    tf.dispose([X, D, Y]);
  }
  return { loss: lossSum / data.count, accuracy: correct / data.count };
}

/** What {@linkcode train} records: one entry per epoch, entry 0 before training. */
export interface History {
  /** 0, 1, …, epochs. */
  epoch: number[];
  /** Error on the whole training set after each epoch (evaluation mode). */
  trainLoss: number[];
  /** Accuracy on the training set (NaN for regression). */
  trainAccuracy: number[];
  /** Error on the test set (empty without one). */
  testLoss: number[];
  /** Accuracy on the test set (empty without one). */
  testAccuracy: number[];
  /** Mean of the minibatch errors during each epoch (NaN at entry 0). */
  runningLoss: number[];
  /** η used in each epoch (NaN at entry 0). */
  learningRate: number[];
  /** Training time so far in seconds, evaluations excluded. */
  seconds: number[];
  /** Optimiser steps so far. */
  steps: number[];
}

/** Progress after each step, for progress bars. */
export interface TrainingProgress {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** Steps done in all epochs. */
  step: number;
  /** Steps in all epochs. */
  totalSteps: number;
  /** The last minibatch error. */
  loss: number;
}

/**
 * Training stopped because a minibatch error was not a finite number (a learning rate too large,
 * or bad data); the message names the step and the learning rate.
 */
export class TrainingDiverged extends Error {
  /** The error that stopped training, its step within the epoch, η, and the epoch if known. */
  constructor(
    readonly error: number,
    readonly step: number,
    readonly learningRate: number,
    readonly epoch?: number,
  ) {
    super(
      `training diverged: the minibatch error is ${error} at ` +
        `${epoch === undefined ? "" : `epoch ${epoch}, `}step ${step} ` +
        `(learning rate ${learningRate}); try a smaller learning rate or check the data`,
    );
    this.name = "TrainingDiverged";
  }
}

// @saved-from notebooks/03a_linear_regression.ipynb — edit it there, then `deno task save-cells`
/** Settings of one epoch of {@linkcode sgdEpoch}. */
export interface EpochOptions {
  /** Examples per minibatch; the last one of the epoch may be smaller. */
  batchSize: number;
  /** Visit the examples in a new order drawn from this stream; without it, in data-set order. */
  shuffle?: Random;
  /** The stream for training-time randomness, such as dropout masks (chapter 3). */
  noise: Random;
  /** Called after every step with its number (0, 1, …) and its minibatch error. */
  afterStep?: (step: number, error: number) => void | Promise<void>;
}

/**
 * One epoch of minibatch SGD: for each minibatch the error E and its gradients, then one step of
 * the optimiser. Returns the mean minibatch error of the epoch; throws, naming the step, when E
 * is not a finite number.
 */
export async function sgdEpoch(
  model: Model,
  data: Dataset,
  optimizer: Optimizer,
  options: EpochOptions,
): Promise<number> {
  let errorSum = 0;
  const batches = minibatches(data, { batchSize: options.batchSize, rng: options.shuffle });
  for (const { X, D, step } of batches) {
    const { loss, grads } = model.lossAndGradients(X, D, options.noise); // E, ∂E/∂θ
    const error = loss.dataSync()[0];
    const size = X.shape[1];
    if (Number.isFinite(error)) optimizer.step(model.parameters, grads); // θ ← θ − η ∂E/∂θ
    tf.dispose([X, D, loss, ...grads]);
    if (!Number.isFinite(error)) throw new TrainingDiverged(error, step, optimizer.learningRate);
    errorSum += error * size;
    await options.afterStep?.(step, error);
  }
  return errorSum / data.count;
}
// @end-saved

/** Settings of {@linkcode train}. */
export interface TrainOptions {
  /** The optimiser (its learning rate is overwritten by `schedule`, if given). */
  optimizer: SGD | Optimizer;
  /** Passes over the training set. */
  epochs: number;
  /** Examples per minibatch (the training set size gives full-batch gradient descent). */
  batchSize: number;
  /** The stream for shuffling and dropout. */
  rng: Random;
  /** Visit the examples in a new random order every epoch (default true). */
  shuffle?: boolean;
  /** η per epoch (default: the optimiser's learning rate throughout). */
  schedule?: LearningRateSchedule;
  /** A test set to evaluate after every epoch. */
  test?: Dataset;
  /**
   * The progress bar's label (default "training"), or false for no bar. The bar shows the step,
   * the epoch and the last minibatch error (`lib/viz/progress.ts`).
   */
  progress?: string | false;
  /** Called after every `progressEvery` steps; awaited. */
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  /** Call `onProgress` every this many steps (default: about 100 times per run). */
  progressEvery?: number;
}

/**
 * Train a model by minibatch SGD and record its history. Throws, naming the epoch and step, when
 * the minibatch error becomes NaN or infinite (a learning rate too large, or bad data). Creates no
 * lasting tensors besides the optimiser's velocities.
 *
 * @example
 * ```ts
 * const history = await train(model, trainSet, {
 *   optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
 *   epochs: 10, batchSize: 100, rng: randomFor("train"), test: testSet,
 * });
 * console.log(history.testAccuracy.at(-1));
 * ```
 */
export async function train(model: Model, data: Dataset, options: TrainOptions): Promise<History> {
  const { optimizer, epochs, batchSize, rng } = options;
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new Error(`train: epochs must be a non-negative integer, not ${epochs}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`train: batchSize must be a positive integer, not ${batchSize}`);
  }
  if (data.count === 0) throw new Error("train: the training set is empty (0 examples)");
  if (options.test?.count === 0) throw new Error("train: the test set is empty (0 examples)");
  const shuffleRng = options.shuffle === false ? undefined : rng.derive("shuffle");
  const dropoutRng = rng.derive("dropout");
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const every = options.progressEvery ?? Math.max(1, Math.ceil(totalSteps / 100));
  const history: History = {
    epoch: [],
    trainLoss: [],
    trainAccuracy: [],
    testLoss: [],
    testAccuracy: [],
    runningLoss: [],
    learningRate: [],
    seconds: [],
    steps: [],
  };
  const record = (epoch: number, running: number, rate: number, seconds: number) => {
    const onTrain = evaluate(model, data);
    history.epoch.push(epoch);
    history.trainLoss.push(onTrain.loss);
    history.trainAccuracy.push(onTrain.accuracy);
    if (options.test) {
      const onTest = evaluate(model, options.test);
      history.testLoss.push(onTest.loss);
      history.testAccuracy.push(onTest.accuracy);
    }
    history.runningLoss.push(running);
    history.learningRate.push(rate);
    history.seconds.push(seconds);
    history.steps.push(epoch * stepsPerEpoch);
  };
  record(0, NaN, NaN, 0);
  beginInterruptibleLoop();
  const bar = options.progress === false || totalSteps === 0
    ? undefined
    : new ProgressBar({ total: totalSteps, label: options.progress ?? "training" });
  let seconds = 0;
  let done = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (options.schedule) optimizer.learningRate = options.schedule(epoch - 1);
    let started = performance.now();
    const afterStep = async (step: number, error: number) => {
      done++;
      bar?.update(done, { epoch: `${epoch}/${epochs}`, loss: error });
      if (options.onProgress && (done % every === 0 || done === totalSteps)) {
        seconds += (performance.now() - started) / 1000; // progress display is not training time
        await options.onProgress({ epoch, epochs, step: done, totalSteps, loss: error });
        started = performance.now();
      }
      // Yield now and then (the bar is sent while training runs); stop here on Interrupt.
      await checkpoint(() => `epoch ${epoch}, step ${step + 1} of ${stepsPerEpoch}`);
    };
    let running: number;
    try {
      running = await sgdEpoch(model, data, optimizer, {
        batchSize,
        shuffle: shuffleRng,
        noise: dropoutRng,
        afterStep,
      });
    } catch (error) {
      if (error instanceof Interrupted) await bar?.done({ interrupted: error.where });
      if (!(error instanceof TrainingDiverged)) throw error;
      await bar?.done({ epoch, loss: error.error });
      throw new TrainingDiverged(error.error, error.step, error.learningRate, epoch);
    }
    seconds += (performance.now() - started) / 1000;
    record(epoch, running, optimizer.learningRate, seconds);
  }
  await bar?.done({ "train loss": history.trainLoss[history.trainLoss.length - 1] });
  return history;
}
