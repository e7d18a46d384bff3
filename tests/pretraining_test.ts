import { assert, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { classificationDataset } from "../lib/nn/minibatches.ts";
import { createNetwork, disposeNetwork } from "../lib/nn/network.ts";
import { logistic, tanh } from "../lib/nn/activations.ts";
import { multiclassClassification } from "../lib/nn/losses.ts";
import { createAutoencoder, disposeAutoencoder } from "../lib/nn/autoencoder.ts";
import { gradientNormsOn, networkFromPretrained, pretrainLayers } from "../lib/nn/pretraining.ts";
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

Deno.test("gradient norms of a deep random logistic network shrink towards the input", () => {
  const data = classificationDataset(mnist.train.images, mnist.train.labels, MNIST_PIXELS, 10);
  const net = createNetwork(
    [784, 32, 32, 32, 10],
    logistic,
    multiclassClassification,
    new Random(3),
  );
  const tensors = tf.memory().numTensors;
  const norms = gradientNormsOn(net, data, 200);
  assertEquals(tf.memory().numTensors, tensors);
  assertEquals(norms.map((n) => n.layer), [1, 2, 3, 4]);
  // The vanishing gradient: f' ≤ 1/4 per logistic layer, so the first layer's gradient is the smallest.
  assert(norms[0].weightRms < norms[3].weightRms, `${norms.map((n) => n.weightRms)}`);
  // Nothing was updated: the same call gives the same numbers.
  assertEquals(gradientNormsOn(net, data, 200), norms);
  disposeNetwork(net);
});

Deno.test("networkFromPretrained refuses encoders that do not stack or are not logistic", () => {
  const rng = new Random(4);
  const a = createAutoencoder(6, 4, rng), b = createAutoencoder(5, 3, rng);
  const c = createAutoencoder(4, 3, rng, { encoder: tanh });
  assertThrows(() => networkFromPretrained([], 2, rng), Error, "no encoders");
  assertThrows(() => networkFromPretrained([a, b], 2, rng), Error, "encoder 2 does not fit");
  assertThrows(() => networkFromPretrained([a, c], 2, rng), Error, "logistic");
  [a, b, c].forEach(disposeAutoencoder);
});
