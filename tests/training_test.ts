import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { createNetwork, disposeNetwork } from "../lib/nn/network.ts";
import { tanh } from "../lib/nn/activations.ts";
import { binaryClassification, regression } from "../lib/nn/losses.ts";
import { makeDataset } from "../lib/nn/minibatches.ts";
import { SGD } from "../lib/optim/sgd.ts";
import { stepDecay } from "../lib/optim/schedules.ts";
import { correctCount, evaluate, networkModel, train } from "../lib/nn/training.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

/** 200 points in the plane, class 1 inside the circle of radius 0.7. */
function circle(seed: number) {
  const rng = new Random(seed);
  const features = rng.uniformArray(400, -1, 1);
  const targets = Float32Array.from(
    { length: 200 },
    (_, n) => (Math.hypot(features[2 * n], features[2 * n + 1]) < 0.7 ? 1 : 0),
  );
  return makeDataset(features, targets, 2, 1);
}

async function run(seed: number, dropoutRate = 0) {
  const net = createNetwork([2, 16, 1], tanh, binaryClassification, new Random(seed));
  const model = networkModel(net, { dropout: { hidden: dropoutRate } });
  const opt = new SGD({ learningRate: 0.5, momentum: 0.9 });
  const history = await train(model, circle(1), {
    optimizer: opt,
    epochs: 40,
    batchSize: 20,
    rng: new Random(seed + 1),
    progress: false,
    schedule: stepDecay(0.5, 0.5, 20),
    test: circle(2),
  });
  opt.dispose();
  disposeNetwork(net);
  return history;
}

Deno.test("a small network learns a circle; the history has one entry per epoch plus the start", async () => {
  const history = await run(1);
  assertEquals(history.epoch.length, 41);
  assertEquals(history.testAccuracy.length, 41);
  assert(history.trainLoss[40] < history.trainLoss[0] / 3, `${history.trainLoss}`);
  assert(history.testAccuracy[40] > 0.9, `test accuracy ${history.testAccuracy[40]}`);
  assertEquals(history.learningRate[1], 0.5);
  assertEquals(history.learningRate[40], 0.25);
  assert(history.seconds[40] > history.seconds[1]);
});

Deno.test("training is deterministic for a seed, with and without dropout", async () => {
  assertEquals((await run(3)).trainLoss, (await run(3)).trainLoss);
  const a = await run(4, 0.3);
  assertEquals(a.trainLoss, (await run(4, 0.3)).trainLoss);
  assert(a.trainLoss.join() !== (await run(4)).trainLoss.join(), "dropout changes training");
});

Deno.test("tf.memory().numTensors does not grow across training steps", async () => {
  const net = createNetwork([2, 8, 1], tanh, binaryClassification, new Random(5));
  const model = networkModel(net, { dropout: { input: 0.1, hidden: 0.5 } });
  const opt = new SGD({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3, maxNorm: 3 });
  const counts: number[] = [];
  await train(model, circle(1), {
    optimizer: opt,
    epochs: 3,
    batchSize: 25,
    rng: new Random(6),
    onProgress: () => {
      counts.push(tf.memory().numTensors);
    },
    progressEvery: 1,
  });
  // After the first step the velocities exist; from then on the count is constant.
  assert(counts.length === 24 && counts.slice(1).every((c) => c === counts[1]), `${counts}`);
  opt.dispose();
  disposeNetwork(net);
});

Deno.test("a NaN error stops training with the epoch and step named", async () => {
  const rng = new Random(7);
  const x = rng.uniformArray(100, -10, 10);
  const data = makeDataset(x, x.map((v) => 100 * v), 1, 1);
  const net = createNetwork([1, 4, 1], tanh, regression, rng);
  await assertRejects(
    () =>
      train(networkModel(net), data, {
        optimizer: new SGD({ learningRate: 10 }),
        epochs: 50,
        batchSize: 10,
        rng,
      }),
    Error,
    "at epoch",
  );
  disposeNetwork(net);
});

Deno.test("accuracy counts thresholded and arg-max predictions", () => {
  assertEquals(correctCount(tf.tensor2d([[0.9, 0.2, 0.6]]), tf.tensor2d([[1, 1, 0]]), "binary"), 1);
  assertEquals(
    correctCount(
      tf.tensor2d([[0.7, 0.1], [0.3, 0.9]]),
      tf.tensor2d([[1, 1], [0, 0]]),
      "multiclass",
    ),
    1,
  );
  const net = createNetwork([2, 3, 1], tanh, binaryClassification, new Random(8));
  const e = evaluate(networkModel(net), circle(3), 7); // chunks of 7 agree with one pass
  const f = evaluate(networkModel(net), circle(3));
  assert(Math.abs(e.loss - f.loss) < 1e-5 && e.accuracy === f.accuracy);
});

Deno.test("evaluation and training refuse an empty set; accuracy refuses mismatched shapes", async () => {
  const net = createNetwork([2, 3, 1], tanh, binaryClassification, new Random(8));
  const model = networkModel(net);
  const none = makeDataset(new Float32Array(0), new Float32Array(0), 2, 1);
  assertThrows(() => evaluate(model, none), Error, "evaluate: the data set is empty (0 examples)");
  assertThrows(() => evaluate(model, circle(3), 0), Error, "chunk must be a positive integer");
  const options = {
    optimizer: new SGD({ learningRate: 0.1 }),
    epochs: 1,
    batchSize: 10,
    rng: new Random(1),
    progress: false as const,
  };
  await assertRejects(() => train(model, none, options), Error, "train: the training set is empty");
  await assertRejects(
    () => train(model, circle(1), { ...options, test: none }),
    Error,
    "the test set is empty",
  );
  assertThrows(
    () => correctCount(tf.ones([1, 3]), tf.ones([1, 1]), "binary"),
    Error,
    "correctCount: prediction shape [1,3] and target shape [1,1] differ",
  );
  options.optimizer.dispose();
  disposeNetwork(net);
});
