import { assert, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  allColumns,
  classificationDataset,
  makeDataset,
  minibatches,
  subsetOf,
} from "../lib/nn/minibatches.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

// 7 examples, 2 features (n, 10n), target n.
const data = makeDataset(
  Float32Array.from({ length: 14 }, (_, k) => (k % 2 === 0 ? k / 2 : 10 * ((k - 1) / 2))),
  Float32Array.from({ length: 7 }, (_, n) => n),
  2,
  1,
);

Deno.test("minibatches are columns of the chosen examples and cover each example once", () => {
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const { X, D, indices } of minibatches(data, { batchSize: 3, rng: new Random(1) })) {
    assertEquals(X.shape, [2, indices.length]);
    const x = X.arraySync();
    const d = D.dataSync();
    indices.forEach((n, j) => {
      assertEquals([x[0][j], x[1][j], d[j]], [n, 10 * n, n]);
      seen.push(n);
    });
    sizes.push(indices.length);
    tf.dispose([X, D]);
  }
  assertEquals(sizes, [3, 3, 1]);
  assertEquals([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert(seen.join() !== "0,1,2,3,4,5,6", "shuffled");
  const ordered = [...minibatches(data, { batchSize: 7 })];
  assertEquals(Array.from(ordered[0].indices), [0, 1, 2, 3, 4, 5, 6]);
  tf.dispose([ordered[0].X, ordered[0].D]);
});

Deno.test("minibatches repeat with the seed; datasets are checked", () => {
  const order = (seed: number) =>
    [...minibatches(data, { batchSize: 2, rng: new Random(seed) })].flatMap((b) => {
      tf.dispose([b.X, b.D]);
      return Array.from(b.indices);
    });
  assertEquals(order(5), order(5));
  assertThrows(() => makeDataset(new Float32Array(5), new Float32Array(2), 2, 1), Error, "same");
  assertThrows(() => [...minibatches(data, { batchSize: 0 })], Error, "batchSize");
});

Deno.test("batches read from typed arrays: memory stays flat and only the batch is copied", () => {
  const before = tf.memory().numTensors;
  for (const { X, D } of minibatches(data, { batchSize: 2, rng: new Random(2) })) {
    assertEquals(X.size, X.shape[1] * 2);
    tf.dispose([X, D]);
  }
  assertEquals(tf.memory().numTensors, before);
  const { X, D } = allColumns(subsetOf(data, [6, 0]));
  assertEquals(X.arraySync(), [[6, 0], [60, 0]]);
  tf.dispose([X, D]);
  const c = classificationDataset(new Float32Array([1, 2]), [1, 0], 1, 2);
  assertEquals(Array.from(c.targets), [0, 1, 1, 0]);
});

Deno.test("on blas a batch's columns go into a recycled buffer, and every value is written", () => {
  const backend = tf.engine().backend as unknown as { pool?: { hits: number } };
  if (tf.getBackend() !== "blas" || !backend.pool) return; // other backends allocate afresh
  // 2 000 examples of 784 features: a batch of 100 is above the pool's smallest size.
  const width = 784, count = 2000;
  const features = Float32Array.from({ length: width * count }, (_, i) => (i % 997) / 997);
  const big = makeDataset(features, new Float32Array(count), width, 1);
  const before = backend.pool.hits;
  for (const { X, D, indices } of minibatches(big, { batchSize: 100, rng: new Random(3) })) {
    const x = X.dataSync(); // reading it hands the buffer to us: never recycled
    indices.forEach((n, j) => {
      for (const k of [0, 391, 783]) assertEquals(x[k * 100 + j], features[n * width + k]);
    });
    tf.dispose([X, D]);
  }
  assertEquals(backend.pool.hits, before, "read batches are not recycled");
  for (const { X, D } of minibatches(big, { batchSize: 100 })) tf.dispose([X, D]);
  assert(backend.pool.hits >= before + 19, `batch buffers recycled: ${backend.pool.hits - before}`);
});
