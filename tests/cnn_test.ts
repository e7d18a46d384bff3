/**
 * lib/nn/cnn.ts: the chapter's CNN (lib/chapters/cnn.ts) has the parameter count worked out in the notebook, plugs into
 * the training loop's Model interface (shapes, no leaked tensors), and a few SGD steps on a small
 * MNIST subset lower its error.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import {
  cnnForward,
  cnnModel,
  cnnParameterCount,
  createCnn,
  disposeCnn,
  firstLayerMaps,
} from "../lib/nn/cnn.ts";
import { MNIST_CNN_SPEC } from "../lib/chapters/cnn.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import { batchOf, classificationDataset } from "../lib/nn/minibatches.ts";
import { SGD } from "../lib/optim/sgd.ts";

await initBackend();

Deno.test("the MNIST CNN: 215 370 parameters, output and feature-map shapes, no leaks", () => {
  const before = tf.memory().numTensors;
  const cnn = createCnn(MNIST_CNN_SPEC, new Random(1));
  assertEquals(cnnParameterCount(cnn), 416 + 12_832 + 200_832 + 1_290);
  const x = tf.zeros([3, 28, 28, 1]) as tf.Tensor4D;
  const logits = cnnForward(cnn, x);
  const maps = firstLayerMaps(cnn, x);
  assertEquals(logits.shape, [3, 10]);
  assertEquals(maps.shape, [3, 28, 28, 16]);
  tf.dispose([x, logits, maps]);
  disposeCnn(cnn);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("cnnModel: gradients match the parameters, and SGD steps lower the error", async () => {
  const mnist = await loadMnist({ trainSize: 256, testSize: 1 });
  const data = classificationDataset(mnist.train.images, mnist.train.labels, 784, 10);
  const cnn = createCnn(MNIST_CNN_SPEC, new Random(2));
  const model = cnnModel(cnn);
  const optimizer = new SGD({ learningRate: 0.05, momentum: 0.9 });
  const { X, D } = batchOf(data, Int32Array.from({ length: 256 }, (_, i) => i));
  const rng = new Random(3);
  const before = tf.memory().numTensors;
  const errors: number[] = [];
  for (let step = 0; step < 8; step++) {
    const { loss, grads } = model.lossAndGradients(X, D, rng);
    grads.forEach((g, i) => assertEquals(g.shape, model.parameters[i].variable.shape));
    errors.push(loss.dataSync()[0]);
    optimizer.step(model.parameters, grads);
    tf.dispose([loss, ...grads]);
  }
  const Y = model.predict(X);
  assertEquals(Y.shape, [10, 256]);
  Y.dispose();
  // The optimiser's velocities are the only new tensors.
  assertEquals(tf.memory().numTensors, before + model.parameters.length);
  assert(errors[7] < 0.7 * errors[0], `error ${errors[0]} → ${errors[7]}`);
  tf.dispose([X, D]);
  optimizer.dispose();
  disposeCnn(cnn);
});
