/**
 * Data sets as typed arrays and the minibatches cut from them (chapter 3).
 *
 * A {@linkcode Dataset} keeps its examples as row-major typed arrays (N rows of features, N rows
 * of targets), the loaders' format. A minibatch is built as the book lays it out — **one example
 * per column**, X of shape [inputs, B] and D of shape [targets, B] — by copying only the B chosen
 * rows out of the typed arrays. No tensor of the whole data set is sliced per batch (on the wasm
 * backend that copied the whole tensor every time).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { oneHot } from "../data/tensors.ts";
import { tensorValues } from "../runtime/backend.ts";

/** Examples as row-major typed arrays. */
export interface Dataset {
  /** count × inputSize values. */
  readonly features: Float32Array;
  /** count × targetSize values (one-hot rows for classes, 0/1 for two classes). */
  readonly targets: Float32Array;
  /** Number of examples N. */
  readonly count: number;
  /** Features per example. */
  readonly inputSize: number;
  /** Target values per example. */
  readonly targetSize: number;
}

/**
 * A checked {@linkcode Dataset} from feature and target rows.
 *
 * @example
 * ```ts
 * const data = makeDataset(new Float32Array([1, 2, 3]), new Float32Array([0, 1, 1]), 1, 1);
 * ```
 */
export function makeDataset(
  features: Float32Array,
  targets: Float32Array,
  inputSize: number,
  targetSize: number,
): Dataset {
  for (const [name, size] of [["inputSize", inputSize], ["targetSize", targetSize]] as const) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`makeDataset: ${name} must be a positive integer, not ${size}`);
    }
  }
  const count = features.length / inputSize;
  if (!Number.isInteger(count) || targets.length !== count * targetSize) {
    throw new Error(
      `makeDataset: ${features.length} feature values (rows of ${inputSize}) and ` +
        `${targets.length} target values (rows of ${targetSize}) do not describe the same examples`,
    );
  }
  return { features, targets, count, inputSize, targetSize };
}

/**
 * A classification data set: targets are the one-hot rows of `labels`.
 *
 * @example
 * ```ts
 * const iris = await loadIris();
 * const data = classificationDataset(iris.features, iris.labels, 4, 3);
 * ```
 */
export function classificationDataset(
  features: Float32Array,
  labels: ArrayLike<number>,
  inputSize: number,
  classes: number,
): Dataset {
  return makeDataset(features, oneHot(labels, classes), inputSize, classes);
}

/**
 * The examples at `indices`, copied into a new data set.
 *
 * @example
 * ```ts
 * const small = subsetOf(data, Int32Array.from({ length: 100 }, (_, i) => i));
 * ```
 */
export function subsetOf(data: Dataset, indices: ArrayLike<number>): Dataset {
  const features = new Float32Array(indices.length * data.inputSize);
  const targets = new Float32Array(indices.length * data.targetSize);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    if (!Number.isInteger(i) || i < 0 || i >= data.count) {
      throw new Error(`subsetOf: index ${i} is not in 0…${data.count - 1}`);
    }
    features.set(
      data.features.subarray(i * data.inputSize, (i + 1) * data.inputSize),
      j * data.inputSize,
    );
    targets.set(
      data.targets.subarray(i * data.targetSize, (i + 1) * data.targetSize),
      j * data.targetSize,
    );
  }
  return makeDataset(features, targets, data.inputSize, data.targetSize);
}

/** One minibatch: B examples as columns. The tensors belong to the caller. */
export interface Minibatch {
  /** Inputs [inputSize, B]. */
  readonly X: tf.Tensor2D;
  /** Targets [targetSize, B]. */
  readonly D: tf.Tensor2D;
  /** Which examples (row numbers in the data set). */
  readonly indices: Int32Array;
  /** 0, 1, 2, … within the epoch. */
  readonly step: number;
}

/** Rows `rows` of a row-major [count, width] array, transposed into a [width, B] column tensor. */
function columnsOf(values: Float32Array, width: number, rows: ArrayLike<number>): tf.Tensor2D {
  const b = rows.length;
  const out = tensorValues(width * b); // every element is written below
  for (let j = 0; j < b; j++) {
    const offset = rows[j] * width;
    for (let k = 0; k < width; k++) out[k * b + j] = values[offset + k];
  }
  return tf.tensor2d(out, [width, b]);
}

/**
 * The examples at `indices` as column tensors X [inputSize, B] and D [targetSize, B]; the caller
 * owns them.
 *
 * @example
 * ```ts
 * const { X, D } = batchOf(data, [0, 5, 9]); // X: [inputSize, 3]
 * ```
 */
export function batchOf(
  data: Dataset,
  indices: ArrayLike<number>,
): { X: tf.Tensor2D; D: tf.Tensor2D } {
  return {
    X: columnsOf(data.features, data.inputSize, indices),
    D: columnsOf(data.targets, data.targetSize, indices),
  };
}

/**
 * All examples as column tensors X [inputSize, N] and D [targetSize, N]; the caller owns them.
 *
 * @example
 * ```ts
 * const { X, D } = allColumns(testSet);
 * ```
 */
export function allColumns(data: Dataset): { X: tf.Tensor2D; D: tf.Tensor2D } {
  return batchOf(data, Int32Array.from({ length: data.count }, (_, i) => i));
}

/** Options of {@linkcode minibatches}. */
export interface MinibatchOptions {
  /** Examples per batch B; the last batch of an epoch may be smaller. */
  batchSize: number;
  /** Shuffle with this stream (a new permutation per call); without it, data-set order. */
  rng?: Random;
}

/**
 * One epoch's minibatches: the examples in a random order (when `rng` is given), cut into batches
 * of `batchSize` columns. Each batch copies only its own rows; dispose X and D after use.
 *
 * @example
 * ```ts
 * for (const { X, D } of minibatches(train, { batchSize: 100, rng: randomFor("shuffle") })) {
 *   // … one SGD step …
 *   tf.dispose([X, D]);
 * }
 * ```
 */
export function* minibatches(data: Dataset, options: MinibatchOptions): Generator<Minibatch> {
  const { batchSize, rng } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`minibatches: batchSize must be a positive integer, not ${batchSize}`);
  }
  const order = rng
    ? rng.permutation(data.count)
    : Int32Array.from({ length: data.count }, (_, i) => i);
  for (let start = 0, step = 0; start < data.count; start += batchSize, step++) {
    const indices = order.subarray(start, Math.min(start + batchSize, data.count));
    yield { ...batchOf(data, indices), indices, step };
  }
}
