import { assertEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { mnistDatasets } from "../lib/chapters/mnist.ts";
import { batchOf } from "../lib/nn/minibatches.ts";

await initBackend();

Deno.test("mnistDatasets: the first images as columns of 784 pixels with one-hot targets", async () => {
  const { train, test } = await mnistDatasets(1000, 300);
  assertEquals([train.count, train.inputSize, train.targetSize], [1000, 784, 10]);
  assertEquals([test.count, test.inputSize, test.targetSize], [300, 784, 10]);
  const { X, D } = batchOf(train, Int32Array.from({ length: 50 }, (_, i) => i));
  assertEquals([X.shape, D.shape], [[784, 50], [10, 50]]);
  // Every target column is one-hot, and the pixels are scaled into [0, 1].
  assertEquals(Array.from(tf.tidy(() => tf.sum(D, 0)).dataSync()), new Array(50).fill(1));
  const [low, high] = tf.tidy(() => [tf.min(X).dataSync()[0], tf.max(X).dataSync()[0]]);
  assertEquals([low >= 0, high <= 1, high > 0.5], [true, true, true]);
  tf.dispose([X, D]);
});
