/**
 * Long loops stop cleanly on Kernel → Interrupt at a step boundary, and hand the event loop a
 * turn while they run (so progress bars update live).
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  beginInterruptibleLoop,
  checkpoint,
  Interrupted,
  requestInterruptForTesting,
  YIELD_INTERVAL_MS,
} from "../lib/runtime/interrupt.ts";
import { createNetwork, disposeNetwork } from "../lib/nn/network.ts";
import { tanh } from "../lib/nn/activations.ts";
import { regression } from "../lib/nn/losses.ts";
import { makeDataset } from "../lib/nn/minibatches.ts";
import { SGD } from "../lib/optim/sgd.ts";
import { networkModel, train } from "../lib/nn/training.ts";
import { minimizeLbfgs } from "../lib/optim/lbfgs.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

const rng = new Random(3);
const data = makeDataset(rng.uniformArray(2000, -1, 1), rng.uniformArray(1000, -1, 1), 2, 1);

Deno.test("train stops at the step boundary after an interrupt, naming it, with consistent weights and no leaked tensors", async () => {
  const net = createNetwork([2, 8, 1], tanh, regression, new Random(1));
  const before = tf.memory().numTensors;
  const error = await assertRejects(
    () =>
      train(networkModel(net), data, {
        optimizer: new SGD({ learningRate: 0.1 }),
        epochs: 5,
        batchSize: 100,
        rng: new Random(2),
        progress: false,
        progressEvery: 1,
        onProgress: (p) => {
          if (p.epoch === 2 && p.step === 13) requestInterruptForTesting(); // epoch 2, step 3
        },
      }),
    Interrupted,
  );
  assertEquals((error as Interrupted).where, "epoch 2, step 3 of 10");
  assertEquals(tf.memory().numTensors, before);
  assert(net.layers.every((l) => l.W.dataSync().every(Number.isFinite)));
  disposeNetwork(net);
});

Deno.test("an interrupt that arrived before a loop began does not stop it", async () => {
  requestInterruptForTesting();
  const net = createNetwork([2, 4, 1], tanh, regression, new Random(1));
  const history = await train(networkModel(net), data, {
    optimizer: new SGD({ learningRate: 0.1 }),
    epochs: 1,
    batchSize: 100,
    rng: new Random(2),
    progress: false,
  });
  assertEquals(history.epoch, [0, 1]);
  disposeNetwork(net);
});

Deno.test("L-BFGS stops after the iteration during which the interrupt came", async () => {
  const quadratic = (x: Float64Array) => ({
    value: x.reduce((s, v, i) => s + (i + 1) * v * v, 0),
    gradient: x.map((v, i) => 2 * (i + 1) * v),
  });
  const error = await assertRejects(
    () =>
      minimizeLbfgs(quadratic, new Float64Array(20).fill(1), {
        gradientTolerance: 0,
        valueTolerance: 0,
        onIteration: (info) => {
          if (info.iteration === 3) requestInterruptForTesting();
        },
      }),
    Interrupted,
  );
  assert((error as Interrupted).where.startsWith("L-BFGS iteration 3 "), (error as Error).message);
});

Deno.test("a loop that checks in hands the event loop a turn about every 100 ms", async () => {
  beginInterruptibleLoop();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = performance.now();
  while (performance.now() - started < 6 * YIELD_INTERVAL_MS) {
    const t = performance.now();
    while (performance.now() - t < 5) { /* 5 ms of work that never awaits */ }
    await checkpoint(() => "busy loop");
  }
  clearInterval(timer);
  assert(ticks >= 3, `the timer ran ${ticks} times during 600 ms of work`);
});

Deno.test("an interrupt reads as one line, not a stack trace", () => {
  const error = new Interrupted("epoch 2, step 3 of 10");
  assertEquals(
    error.stack,
    "Interrupted: interrupted at epoch 2, step 3 of 10 (Kernel → Interrupt); the state after that step is kept",
  );
});
