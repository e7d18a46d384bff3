import { assert, assertEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { classificationDataset } from "../lib/nn/minibatches.ts";
import { disposeNetwork } from "../lib/nn/network.ts";
import { disposeAutoencoder } from "../lib/nn/autoencoder.ts";
import {
  networkFromPretrained,
  pretrainLayers,
  runPretrainingExperiment,
} from "../lib/nn/pretraining.ts";
import { loadMnist, MNIST_PIXELS } from "../lib/data/mnist.ts";

await initBackend();
const mnist = await loadMnist({ trainSize: 600, testSize: 200 });

Deno.test("pretraining a layer lowers its reconstruction error; layers stack", async () => {
  const tensors = tf.memory().numTensors;
  const layers = await pretrainLayers(mnist.train.images, MNIST_PIXELS, [48, 24], {
    epochs: 4,
    learningRate: 0.05,
    rng: new Random(1),
    progress: false,
  });
  assertEquals(layers.map((l) => [l.autoencoder.inputSize, l.autoencoder.hiddenSize]), [
    [784, 48],
    [48, 24],
  ]);
  for (const [i, l] of layers.entries()) {
    assert(
      l.errorAfter < 0.8 * l.errorBefore,
      `layer ${i + 1}: reconstruction error ${l.errorBefore} → ${l.errorAfter}`,
    );
  }
  const net = networkFromPretrained(layers.map((l) => l.autoencoder), 10, new Random(2));
  assertEquals(net.sizes, [784, 48, 24, 10]);
  const same = tf.tidy(() =>
    tf.max(tf.abs(tf.sub(net.layers[1].W, layers[1].autoencoder.W))).dataSync()[0]
  );
  assertEquals(same, 0);
  for (const l of layers) disposeAutoencoder(l.autoencoder);
  disposeNetwork(net);
  assertEquals(tf.memory().numTensors, tensors);
});

Deno.test("the experiment runs both arms with the same budget and reports gradient norms", async () => {
  const data = {
    train: classificationDataset(mnist.train.images, mnist.train.labels, MNIST_PIXELS, 10),
    test: classificationDataset(mnist.test.images, mnist.test.labels, MNIST_PIXELS, 10),
  };
  const tensors = tf.memory().numTensors;
  const r = await runPretrainingExperiment({
    data,
    hidden: [32, 32, 32],
    rng: new Random(3),
    pretrainEpochs: 2,
    finetuneEpochs: 2,
    progress: false,
  });
  assertEquals(tf.memory().numTensors, tensors);
  assertEquals(r.sizes, [784, 32, 32, 32, 10]);
  for (const arm of [r.random, r.pretrained]) {
    assertEquals(arm.history.epoch, [0, 1, 2]);
    assertEquals(arm.gradientNorms.length, 4);
    assert(arm.testError >= 0 && arm.testError <= 1);
  }
  for (const l of r.layers) assert(l.errorAfter < l.errorBefore);
  // Random logistic init: the first layer's gradient is smaller than the last one's.
  const g = r.random.gradientNorms;
  assert(g[0].weightRms < g[g.length - 1].weightRms);
});
