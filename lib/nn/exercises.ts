/**
 * The three exercises of chapter 3 as functions that run them end to end — data, model with
 * hand-written gradients, minibatch SGD — and return what the notebooks show and the tests check.
 * Sizes default by mode (`byMode`); every random draw comes from a named seeded stream.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { byMode } from "../runtime/config.ts";
import { type Random, randomFor } from "../runtime/random.ts";
import { logisticRegressionData, type SyntheticData } from "../data/synthetic.ts";
import { type IrisData, loadIris, splitIris } from "../data/iris.ts";
import { createLinearModel, type LinearModel } from "./linear_models.ts";
import { classificationDataset, type Dataset } from "./minibatches.ts";
import { SGD } from "../optim/sgd.ts";
import { exponentialDecay } from "../optim/schedules.ts";
import { fitStandardizer, standardize, type Standardizer } from "./standardize.ts";
import { type History, train, type TrainingProgress } from "./training.ts";

/** Options shared by the exercises. */
export interface ExerciseOptions {
  /** Passes over the training data (default by mode). */
  epochs?: number;
  /** η at epoch 0. */
  learningRate?: number;
  /** Seed stream (default: a stream named after the exercise). */
  rng?: Random;
  /** The progress bar's label, or false for none (default: the exercise's name). */
  progress?: string | false;
  /** Called now and then during training. */
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
}

/** What exercise 3b returns. */
export interface LogisticRegressionResult {
  data: SyntheticData;
  model: LinearModel;
  history: History;
  /** Learned boundary w₁x₁ + w₂x₂ + b = 0. */
  boundary: { w1: number; w2: number; b: number };
  /** Training accuracy after the last epoch. */
  accuracy: number;
  /** Fraction of class 1. */
  positiveFraction: number;
  /** Accuracy of always answering the majority class. */
  majorityBaseline: number;
  /** Accuracy of the true boundary x₂ > x₁ + 1 on the same (noisy) labels. */
  trueBoundaryAccuracy: number;
}

/**
 * Exercise 3b: logistic regression on 200 points, d = 1 if x₂ > x₁ + 1 + ε; batches of 20,
 * cross-entropy, hand-written gradients.
 *
 * @example
 * ```ts
 * const { accuracy, majorityBaseline } = await logisticRegressionExercise();
 * ```
 */
export async function logisticRegressionExercise(
  options: ExerciseOptions = {},
): Promise<LogisticRegressionResult> {
  const rng = options.rng ?? randomFor("exercise-3b");
  const data = logisticRegressionData(rng.derive("data"));
  const model = createLinearModel(2, 1, "logistic", rng.derive("init"), 0);
  const learningRate = options.learningRate ?? 1;
  const history = await train(model, data, {
    optimizer: new SGD({ learningRate }),
    schedule: exponentialDecay(learningRate, 0.995),
    epochs: options.epochs ?? byMode({ quick: 300, full: 1000 }),
    batchSize: 20,
    rng: rng.derive("train"),
    onProgress: options.onProgress,
    progress: options.progress ?? "exercise 3b",
  });
  const [w1, w2] = model.W.dataSync();
  const b = model.b.dataSync()[0];
  let positives = 0, trueHits = 0;
  for (let n = 0; n < data.count; n++) {
    const d = data.targets[n];
    positives += d;
    const truePrediction = data.features[2 * n + 1] > data.features[2 * n] + 1 ? 1 : 0;
    trueHits += truePrediction === d ? 1 : 0;
  }
  const positiveFraction = positives / data.count;
  return {
    data,
    model,
    history,
    boundary: { w1, w2, b },
    accuracy: history.trainAccuracy[history.trainAccuracy.length - 1],
    positiveFraction,
    majorityBaseline: Math.max(positiveFraction, 1 - positiveFraction),
    trueBoundaryAccuracy: trueHits / data.count,
  };
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
  for (let i = 0; i < actual.length; i++) m[actual[i]][predicted[i]]++;
  return m;
}

/** What exercise 3c returns. */
export interface SoftmaxIrisResult {
  train: Dataset;
  test: Dataset;
  /** Labels of the test flowers. */
  testLabels: Uint8Array;
  /** Statistics measured on the training flowers. */
  standardizer: Standardizer;
  model: LinearModel;
  history: History;
  /** Test accuracy after the last epoch. */
  testAccuracy: number;
  /** Predicted class of each test flower. */
  testPredictions: Int32Array;
  /** confusion[true][predicted] on the test set. */
  confusion: number[][];
}

/**
 * Exercise 3c: softmax regression 4 → 3 on Fisher's Iris: stratified seeded 80/20 split,
 * standardisation with the training statistics, cross-entropy, hand-written gradient, batches of 10.
 *
 * @example
 * ```ts
 * const { testAccuracy, confusion } = await softmaxIrisExercise();
 * ```
 */
export async function softmaxIrisExercise(
  options: ExerciseOptions & { iris?: IrisData } = {},
): Promise<SoftmaxIrisResult> {
  const rng = options.rng ?? randomFor("exercise-3c");
  const iris = options.iris ?? await loadIris();
  const split = splitIris(iris, { testFraction: 0.2, random: rng.derive("split") });
  const standardizer = fitStandardizer(split.train.features, 4);
  const trainSet = classificationDataset(
    standardize(standardizer, split.train.features),
    split.train.labels,
    4,
    3,
  );
  const testSet = classificationDataset(
    standardize(standardizer, split.test.features),
    split.test.labels,
    4,
    3,
  );
  const model = createLinearModel(4, 3, "softmax", rng.derive("init"), 0.01);
  const learningRate = options.learningRate ?? 0.1;
  const history = await train(model, trainSet, {
    optimizer: new SGD({ learningRate }),
    schedule: exponentialDecay(learningRate, 0.99),
    epochs: options.epochs ?? byMode({ quick: 100, full: 300 }),
    batchSize: 10,
    rng: rng.derive("train"),
    test: testSet,
    onProgress: options.onProgress,
    progress: options.progress ?? "exercise 3c",
  });
  const testPredictions = tf.tidy(() => {
    const X = tf.transpose(tf.tensor2d(testSet.features, [testSet.count, 4])) as tf.Tensor2D;
    return tf.argMax(model.predict(X), 0).dataSync() as Int32Array;
  });
  return {
    train: trainSet,
    test: testSet,
    testLabels: split.test.labels,
    standardizer,
    model,
    history,
    testAccuracy: history.testAccuracy[history.testAccuracy.length - 1],
    testPredictions,
    confusion: confusionMatrix(split.test.labels, testPredictions, 3),
  };
}
