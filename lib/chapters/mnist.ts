/**
 * MNIST as the chapters train on it: images and one-hot labels as data sets of columns, shared by
 * chapter 4 (backpropagation) and chapter 5b (pretraining).
 *
 * @module
 */
import { loadMnist, MNIST_CLASSES, MNIST_PIXELS } from "../data/mnist.ts";
import { classificationDataset, type Dataset } from "../nn/minibatches.ts";

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
