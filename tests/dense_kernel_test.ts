/**
 * `CourseDenseBackward` (one layer of chapter 4's backpropagation in one kernel) gives bit for bit
 * the numbers of the op-by-op formulas on the `blas` backend, for every slope and odd shapes; and
 * `fastBackward` in `lib/nn/network.ts` returns the bits of chapter 4's `backward` (logistic,
 * tanh, ReLU, softmax output; dropout masks fall back to the ops), leaking no tensors.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import { KERNEL_NAMES } from "../lib/runtime/backends/kernel_names.ts";
import { type Activation, logistic, relu, tanh } from "../lib/nn/activations.ts";
import { backward, createNetwork, dropoutMasks, fastBackward, forward } from "../lib/nn/network.ts";
import { binaryClassification, multiclassClassification, regression } from "../lib/nn/losses.ts";
import { Random } from "../lib/runtime/random.ts";

let hasBlas = true;
try {
  await setupBlas();
} catch {
  hasBlas = false;
}

/** Every element the same bits (NaN equal to NaN), else the first index that differs. */
function sameBits(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shapes`);
  const a = actual.dataSync(), e = expected.dataSync();
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${e[i]}`);
  }
}

Deno.test({
  name: "CourseDenseBackward equals the op-by-op formulas bit for bit, every slope",
  ignore: !hasBlas,
  fn: () => {
    const rng = new Random(21);
    const shapes = [[10, 100, 100], [3, 7, 1], [1, 5, 9], [17, 33, 64]];
    for (const [outs, ins, batch] of shapes) {
      for (const slope of ["none", "logistic", "tanh", "relu"]) {
        tf.tidy(() => {
          const delta = rng.normalTensor([outs, batch]),
            zPrev = rng.uniformTensor([ins, batch], 0, 1);
          const W = rng.normalTensor([outs, ins]);
          const u = rng.normalTensor([ins, batch]);
          const z = slope === "tanh" ? tf.tanh(u) : tf.sigmoid(u);
          const from = slope === "relu" ? u : z;
          const inputs: tf.NamedTensorMap = { delta, zPrev, W };
          if (slope !== "none") inputs.slopeFrom = from;
          const outs3 = tf.engine().runKernel(KERNEL_NAMES.denseBackward, inputs, {
            n: batch,
            slope,
          }) as unknown as tf.Tensor[];
          const what = `${slope} [${outs}, ${ins}, ${batch}]`;
          sameBits(outs3[0], tf.div(tf.matMul(delta, zPrev, false, true), batch), `${what} dW`);
          sameBits(outs3[1], tf.div(tf.sum(delta, 1, true), batch), `${what} db`);
          if (slope === "none") {
            assert.equal(outs3.length, 2);
            return;
          }
          const f: Activation = slope === "logistic" ? logistic : slope === "tanh" ? tanh : relu;
          const s = f.derivativeFromOutput ? f.derivativeFromOutput(z) : f.derivative(u);
          sameBits(outs3[2], tf.mul(s, tf.matMul(W, delta, true, false)), `${what} delta`);
        });
      }
    }
  },
});

Deno.test({
  name: "fastBackward (one CourseDenseBackward kernel a layer) gives backward()'s bits, no leaks",
  ignore: !hasBlas,
  fn: async () => {
    const rng = new Random(22);
    const cases = [
      { sizes: [20, 13, 10], hidden: relu, output: multiclassClassification },
      { sizes: [8, 6, 5, 1], hidden: logistic, output: binaryClassification },
      { sizes: [4, 9, 3], hidden: tanh, output: regression },
    ];
    for (const c of cases) {
      const net = createNetwork(c.sizes, c.hidden, c.output, rng);
      const batch = 31;
      const X = rng.normalTensor([c.sizes[0], batch]);
      const outs = c.sizes[c.sizes.length - 1];
      const labels = rng.permutation(batch).map((i) => i % Math.max(outs, 2));
      const D = c.output === regression
        ? rng.normalTensor([outs, batch])
        : c.output === binaryClassification
        ? tf.tensor2d(labels, [1, batch])
        : tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), outs).transpose().toFloat());
      const masks = dropoutMasks(net, batch, { hidden: 0.5 }, rng);
      for (const m of [undefined, masks]) {
        const pass = forward(net, X, m);
        const before = tf.memory().numTensors;
        let withKernel: tf.Tensor[] = [];
        const profile = await tf.profile(() => {
          withKernel = fastBackward(net, pass, D);
          return withKernel;
        });
        const ran = profile.kernels.filter((k) => k.name === KERNEL_NAMES.denseBackward).length;
        assert.equal(ran, m ? 0 : c.sizes.length - 1, "layers computed by the kernel");
        assert.equal(tf.memory().numTensors, before + withKernel.length, "leaked tensors");
        const ops = backward(net, pass, D); // chapter 4's cell, op by op
        withKernel.forEach((g, i) => sameBits(g, ops[i], `${c.hidden.name} grad ${i}`));
        tf.dispose([...withKernel, ...ops, ...pass.u, ...pass.z.slice(1)]);
      }
      tf.dispose([X, D, ...masks.filter((m) => m !== undefined) as tf.Tensor[]]);
      net.layers.forEach((l) => tf.dispose([l.W, l.b]));
    }
  },
});
