import { assert, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { relu, tanh } from "../lib/nn/activations.ts";
import { multiclassClassification, regression } from "../lib/nn/losses.ts";
import {
  createNetwork,
  disposeNetwork,
  forward,
  networkError,
  parameters,
  predict,
} from "../lib/nn/network.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

Deno.test("forward pass is U = W Z + b 1ᵀ layer by layer, examples as columns", () => {
  const net = createNetwork([3, 4, 2], tanh, regression, new Random(1));
  const X = new Random(2).normalTensor([3, 5]);
  const pass = forward(net, X);
  assertEquals(pass.u.map((u) => u.shape), [[4, 5], [2, 5]]);
  // Column n of the output equals the network applied to example n alone, by plain loops.
  const [W1, b1, W2, b2] = parameters(net).map((v) => v.arraySync() as number[][]);
  const x = X.arraySync() as number[][];
  const y = pass.y.arraySync() as number[][];
  for (let n = 0; n < 5; n++) {
    const hidden = W1.map((row, j) =>
      Math.tanh(row.reduce((s, w, i) => s + w * x[i][n], b1[j][0]))
    );
    const out = W2.map((row, k) => row.reduce((s, w, j) => s + w * hidden[j], b2[k][0]));
    out.forEach((v, k) => assert(Math.abs(v - y[k][n]) < 1e-5, `example ${n}, output ${k}`));
  }
  disposeNetwork(net);
});

Deno.test("softmax output columns sum to one; wrong input shape is a clear error", () => {
  const net = createNetwork([4, 8, 8, 3], relu, multiclassClassification, new Random(3));
  const y = predict(net, new Random(4).normalTensor([4, 10]));
  tf.sum(y, 0).dataSync().forEach((s) => assert(Math.abs(s - 1) < 1e-5));
  assertThrows(() => predict(net, tf.zeros([10, 4])), Error, "one example per column");
  assert(
    Number.isFinite(
      networkError(net, tf.zeros([4, 2]), tf.tensor2d([[1, 0], [0, 1], [0, 0]])).dataSync()[0],
    ),
  );
  disposeNetwork(net);
});

Deno.test("same seed, same weights; predict leaks no tensors", () => {
  const a = createNetwork([5, 6, 1], tanh, regression, new Random(9));
  const b = createNetwork([5, 6, 1], tanh, regression, new Random(9));
  assertEquals(Array.from(a.layers[0].W.dataSync()), Array.from(b.layers[0].W.dataSync()));
  const X = tf.ones([5, 3]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) predict(a, X).dispose();
  assertEquals(tf.memory().numTensors, before);
  disposeNetwork(a);
  disposeNetwork(b);
});
