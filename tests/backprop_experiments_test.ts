import { assert, assertEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { logistic, tanh } from "../lib/nn/activations.ts";
import {
  gradientNormsAtInit,
  mnistDatasets,
  trainMnistBackprop,
} from "../lib/nn/backprop_experiments.ts";
import { disposeNetwork } from "../lib/nn/network.ts";
import { batchOf } from "../lib/nn/minibatches.ts";

await initBackend();

Deno.test("trainMnistBackprop learns a small MNIST subset and leaves only its network", async () => {
  const data = await mnistDatasets(1000, 300);
  assertEquals([data.train.count, data.train.inputSize, data.train.targetSize], [1000, 784, 10]);
  const before = tf.memory().numTensors;
  const result = await trainMnistBackprop({
    data,
    hidden: [30],
    epochs: 2,
    rng: new Random("small"),
    progress: false,
  });
  assertEquals(result.sizes, [784, 30, 10]);
  assertEquals(result.history.epoch, [0, 1, 2]);
  assert(result.testAccuracy > 0.7, `test accuracy ${result.testAccuracy}`);
  assert(result.history.trainLoss[2] < result.history.trainLoss[0]);
  assertEquals(tf.memory().numTensors, before + 4, "only W⁽¹⁾, b⁽¹⁾, W⁽²⁾, b⁽²⁾ remain");
  disposeNetwork(result.net);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("gradientNormsAtInit: deep logistic gradients vanish towards the input, tanh's do not", async () => {
  const { train } = await mnistDatasets(200, 10);
  const { X, D } = batchOf(train, Int32Array.from({ length: 200 }, (_, i) => i));
  const sizes = [784, 50, 50, 50, 50, 50, 50, 10];
  const before = tf.memory().numTensors;
  const profile = (activation: typeof tanh) =>
    gradientNormsAtInit({ sizes, activation, X, D, rng: new Random("norms"), repeats: 2 });
  const sigmoid = profile(logistic);
  const tangent = profile(tanh);
  assertEquals(sigmoid.length, 7);
  assertEquals(tf.memory().numTensors, before, "no tensors left");
  // Six logistic layers below the output: each shrinks the deltas about fourfold.
  assert(sigmoid[0] / sigmoid[5] < 1e-2, `logistic ratio ${sigmoid[0] / sigmoid[5]}`);
  assert(tangent[0] / tangent[5] > 0.2, `tanh ratio ${tangent[0] / tangent[5]}`);
  tf.dispose([X, D]);
});
