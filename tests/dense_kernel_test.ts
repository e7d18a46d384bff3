/**
 * The fused kernels of chapter 4's network on the `blas` backend give bit for bit the numbers of
 * the op-by-op formulas, for every activation, odd shapes and planted special values (NaN, ±0,
 * ±∞): `CourseDenseForward` (product, bias, activation), `CourseDenseBackward` (one layer of
 * backpropagation) and `CourseSoftmaxCrossEntropy` (softmax, its error and Y − D). And
 * `fastForward`, `fastBackward`, `fastLossAndGradients`, `predict` and `networkError` in
 * `lib/nn/network.ts` return the bits of chapter 4's `forward` and `backward` cells (logistic,
 * tanh, ReLU, the three output layers; dropout masks and other activations fall back to the
 * ops), leaking no tensors.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertSameBits, blasAvailable } from "./tensor_bits.ts";
import { KERNEL_NAMES } from "../lib/runtime/backends/kernel_names.ts";
import { type Activation, logistic, relu, softplus, tanh } from "../lib/nn/activations.ts";
import {
  backward,
  createNetwork,
  dropoutMasks,
  fastBackward,
  fastForward,
  fastLossAndGradients,
  forward,
  type ForwardPass,
  networkError,
  predict,
} from "../lib/nn/network.ts";
import {
  binaryClassification,
  crossEntropy,
  multiclassClassification,
  regression,
  softmax,
  softmaxCrossEntropy,
} from "../lib/nn/losses.ts";
import { Random } from "../lib/runtime/random.ts";

const hasBlas = await blasAvailable();

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
          assertSameBits(
            outs3[0],
            tf.div(tf.matMul(delta, zPrev, false, true), batch),
            `${what} dW`,
          );
          assertSameBits(outs3[1], tf.div(tf.sum(delta, 1, true), batch), `${what} db`);
          if (slope === "none") {
            assert.equal(outs3.length, 2);
            return;
          }
          const f: Activation = slope === "logistic" ? logistic : slope === "tanh" ? tanh : relu;
          const s = f.derivativeFromOutput ? f.derivativeFromOutput(z) : f.derivative(u);
          assertSameBits(outs3[2], tf.mul(s, tf.matMul(W, delta, true, false)), `${what} delta`);
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
        withKernel.forEach((g, i) => assertSameBits(g, ops[i], `${c.hidden.name} grad ${i}`));
        tf.dispose([...withKernel, ...ops, ...pass.u, ...pass.z.slice(1)]);
      }
      tf.dispose([X, D, ...masks.filter((m) => m !== undefined) as tf.Tensor[]]);
      net.layers.forEach((l) => tf.dispose([l.W, l.b]));
    }
  },
});

/** Normal values with a few special ones planted: NaN, ±0, ±∞, huge and tiny magnitudes. */
function withSpecials(rng: Random, shape: [number, number], scale: number): tf.Tensor2D {
  const values = rng.normalTensor(shape).mul(scale).dataSync() as Float32Array;
  const specials = [NaN, -0, 0, Infinity, -Infinity, 3e38, -3e38, 1e-40, -1e-40, 88.7, -104];
  if (values.length > 4 * specials.length) {
    specials.forEach((v, k) => values[(k * 7919) % values.length] = v);
  }
  return tf.tensor2d(values, shape);
}

Deno.test({
  name: "CourseDenseForward equals matMul + add + the activation's op bit for bit",
  ignore: !hasBlas,
  fn: () => {
    const rng = new Random(23);
    const shapes = [[100, 784, 100], [10, 100, 100], [3, 7, 1], [1, 5, 9], [17, 33, 64]];
    const activations: [string, (u: tf.Tensor) => tf.Tensor][] = [
      ["relu", relu.f],
      ["logistic", logistic.f],
      ["tanh", tanh.f],
      ["identity", (u) => u],
    ];
    for (const [outs, ins, batch] of shapes) {
      for (const [activation, f] of activations) {
        tf.tidy(() => {
          const W = rng.normalTensor([outs, ins]).mul(4 / Math.sqrt(ins));
          const b = withSpecials(rng, [outs, 1], 1);
          const zPrev = withSpecials(rng, [ins, batch], 1);
          const result = tf.engine().runKernel(
            KERNEL_NAMES.denseForward,
            { W, b, zPrev },
            { activation },
          ) as unknown as tf.Tensor[];
          const what = `${activation} [${outs}, ${ins}, ${batch}]`;
          const u = tf.add(tf.matMul(W, zPrev), b);
          assertSameBits(result[0], u, `${what} U`);
          assert.equal(result.length, activation === "identity" ? 1 : 2, `${what} outputs`);
          if (activation !== "identity") assertSameBits(result[1], f(u), `${what} Z`);
        });
      }
    }
    // The same on inputs of every sign, with planted NaN, ±∞ and ±0 reaching the activation.
    tf.tidy(() => {
      const W = tf.tensor2d([[1, 0], [-1, 0], [0, 1], [0, -1]]);
      const zPrev = tf.tensor2d([[NaN, -0, 0, Infinity, -Infinity, 30, -30, 1e-30]]).concat(
        tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]]),
      );
      const b = tf.zeros([4, 1]);
      for (const [activation, f] of activations.slice(0, 3)) {
        const [u, z] = tf.engine().runKernel(
          KERNEL_NAMES.denseForward,
          { W, b, zPrev },
          { activation },
        ) as unknown as tf.Tensor[];
        const expectedU = tf.add(tf.matMul(W, zPrev), b);
        assertSameBits(u, expectedU, `${activation} specials U`);
        assertSameBits(z, f(expectedU), `${activation} specials Z`);
      }
    });
  },
});

Deno.test({
  name: "CourseDenseForward rejects an unknown activation and mismatched shapes, naming them",
  ignore: !hasBlas,
  fn: () => {
    tf.tidy(() => {
      const W = tf.ones([3, 4]), b = tf.zeros([3, 1]), zPrev = tf.ones([4, 2]);
      const run = (inputs: tf.NamedTensorMap, activation: string) =>
        tf.engine().runKernel(KERNEL_NAMES.denseForward, inputs, { activation });
      assert.throws(() => run({ W, b, zPrev }, "softplus"), /unknown activation "softplus"/);
      assert.throws(
        () => run({ W, b: tf.zeros([3]), zPrev }, "relu"),
        /CourseDenseForward: expected .*got \[3,4\], \[3\], \[4,2\]/,
      );
      assert.throws(
        () => run({ W, b, zPrev: tf.ones([5, 2]) }, "relu"),
        /CourseDenseForward: expected/,
      );
    });
  },
});

/** One-hot targets [classes, batch] for labels drawn from `rng`. */
function oneHotColumns(rng: Random, classes: number, batch: number): tf.Tensor2D {
  const values = new Float32Array(classes * batch);
  for (let c = 0; c < batch; c++) values[rng.int(classes) * batch + c] = 1;
  return tf.tensor2d(values, [classes, batch]);
}

Deno.test({
  name: "CourseSoftmaxCrossEntropy equals softmax, crossEntropy and Y − D bit for bit",
  ignore: !hasBlas,
  fn: () => {
    const rng = new Random(24);
    const shapes: [number, number][] = [[10, 100], [10, 1000], [1, 5], [3, 1], [7, 33]];
    for (const [classes, batch] of shapes) {
      for (const scale of [1, 8, 60]) {
        tf.tidy(() => {
          const u = rng.normalTensor([classes, batch]).mul(scale);
          const d = oneHotColumns(rng, classes, batch);
          const what = `[${classes}, ${batch}] scale ${scale}`;
          const fused = softmaxCrossEntropy(u, d);
          const y = softmax(u);
          assertSameBits(fused.y, y, `${what} Y`);
          assertSameBits(fused.delta!, tf.sub(y, d), `${what} Y − D`);
          assertSameBits(fused.loss!, crossEntropy(y, d), `${what} E`);
          assertSameBits(softmaxCrossEntropy(u).y, y, `${what} Y without targets`);
        });
      }
    }
    // Ties (the first maximum), ±0, NaN, ±∞ and a probability that underflows to 0 (log floored).
    tf.tidy(() => {
      const u = tf.tensor2d([
        [0, -0, 5, NaN, Infinity, -200, 1, 3],
        [-0, 0, 5, 1, 2, 200, 1, 3],
        [0, 0, -1, 2, -Infinity, 0, 1, 3],
      ]);
      const d = tf.tensor2d([[1, 0, 0, 1, 0, 1, 0, 0], [0, 1, 1, 0, 0, 0, 1, 0], [
        0,
        0,
        0,
        0,
        1,
        0,
        0,
        1,
      ]]);
      const fused = softmaxCrossEntropy(u, d);
      const y = softmax(u);
      assertSameBits(fused.y, y, "specials Y");
      assertSameBits(fused.delta!, tf.sub(y, d), "specials Y − D");
      assertSameBits(fused.loss!, crossEntropy(y, d), "specials E");
      // Targets cast from int32 (tfjs shares the int32 data): the same numbers.
      const cast = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 2, 0, 1, 2], "int32"), 3).transpose()
        .toFloat();
      const fromCast = softmaxCrossEntropy(u, cast);
      assertSameBits(fromCast.delta!, tf.sub(y, cast), "cast targets Y − D");
      assertSameBits(fromCast.loss!, crossEntropy(y, cast), "cast targets E");
    });
  },
});

Deno.test({
  name: "fastForward and fastLossAndGradients give forward's pass, the error and backward's bits",
  ignore: !hasBlas,
  fn: async () => {
    const rng = new Random(25);
    const cases = [
      { sizes: [20, 13, 10], hidden: relu, output: multiclassClassification },
      { sizes: [8, 6, 5, 1], hidden: logistic, output: binaryClassification },
      { sizes: [4, 9, 3], hidden: tanh, output: regression },
      { sizes: [6, 5, 3], hidden: softplus, output: multiclassClassification }, // op by op
    ];
    for (const c of cases) {
      const net = createNetwork(c.sizes, c.hidden, c.output, rng);
      const batch = 31;
      const X = rng.normalTensor([c.sizes[0], batch]);
      const outs = c.sizes[c.sizes.length - 1];
      const D = c.output === regression
        ? rng.normalTensor([outs, batch])
        : c.output === binaryClassification
        ? tf.tidy(() => tf.cast(tf.greater(rng.normalTensor([1, batch]), 0), "float32"))
        : oneHotColumns(rng, outs, batch);
      const masks = dropoutMasks(net, batch, { input: 0.2, hidden: 0.5 }, rng);
      const fusable = c.hidden !== softplus;
      for (const m of [undefined, masks]) {
        const what = `${c.hidden.name}/${c.output.problem}${m ? " dropout" : ""}`;
        type Reference = { pass: ForwardPass; loss: tf.Scalar; grads: tf.Tensor[] };
        const reference = tf.tidy(() => {
          const pass = forward(net, X, m);
          const grads = backward(net, pass, D);
          return { pass, loss: c.output.error(pass.y, D), grads } as unknown as tf.TensorContainer;
        }) as unknown as Reference;
        const before = tf.memory().numTensors;
        let fast: { loss: tf.Scalar; grads: tf.Tensor[] } | undefined;
        const profile = await tf.profile(() => {
          fast = fastLossAndGradients(net, X, D, m);
          return [fast.loss, ...fast.grads];
        });
        const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
        const layers = c.sizes.length - 1;
        // Softplus layers run op by op; the output layer is still one kernel.
        assert.equal(count(KERNEL_NAMES.denseForward), fusable ? layers : 1, `${what} forward`);
        const softmaxRuns = c.output === multiclassClassification ? 1 : 0;
        assert.equal(count(KERNEL_NAMES.softmaxCrossEntropy), softmaxRuns, `${what} softmax`);
        assert.equal(
          count(KERNEL_NAMES.denseBackward),
          fusable && !m ? layers : 0,
          `${what} backward`,
        );
        assert.equal(tf.memory().numTensors, before + 1 + fast!.grads.length, `${what} leaks`);
        assertSameBits(fast!.loss, reference.loss, `${what} loss`);
        fast!.grads.forEach((g, i) => assertSameBits(g, reference.grads[i], `${what} grad ${i}`));
        const pass = fastForward(net, X, m);
        pass.u.forEach((u, i) => assertSameBits(u, reference.pass.u[i], `${what} U${i + 1}`));
        pass.z.forEach((z, i) => assertSameBits(z, reference.pass.z[i], `${what} Z${i}`));
        assertSameBits(predict(net, X), tf.tidy(() => forward(net, X).y), `${what} predict`);
        assertSameBits(
          networkError(net, X, D),
          c.output.error(forward(net, X).y, D),
          `${what} error`,
        );
        tf.dispose([fast!.loss, ...fast!.grads, reference.loss, ...reference.grads]);
        tf.dispose([...reference.pass.u, ...reference.pass.z.slice(1)]);
        tf.dispose([...pass.u, ...pass.z.slice(1)]);
      }
      tf.dispose([X, D, ...masks.filter((m) => m !== undefined) as tf.Tensor[]]);
      net.layers.forEach((l) => tf.dispose([l.W, l.b]));
    }
  },
});

Deno.test({
  name: "on a backend without the kernels (cpu), the fast functions run chapter 4's ops",
  fn: async () => {
    const previous = tf.getBackend();
    await tf.setBackend("cpu");
    // The cpu backend greets its first use in Deno with advice to install tfjs-node.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    try {
      const rng = new Random(26);
      const net = createNetwork([12, 7, 4], relu, multiclassClassification, rng);
      const X = rng.normalTensor([12, 9]), D = oneHotColumns(rng, 4, 9);
      let fast: { loss: tf.Scalar; grads: tf.Tensor[] } | undefined;
      const profile = await tf.profile(() => {
        fast = fastLossAndGradients(net, X, D);
        return [fast.loss, ...fast.grads];
      });
      const course = profile.kernels.filter((k) => k.name.startsWith("Course"));
      assert.deepEqual(course.map((k) => k.name), [], "course kernels on cpu");
      tf.tidy(() => {
        const pass = forward(net, X);
        assertSameBits(fast!.loss, multiclassClassification.error(pass.y, D), "cpu loss");
        backward(net, pass, D).forEach((g, i) =>
          assertSameBits(fast!.grads[i], g, `cpu grad ${i}`)
        );
      });
      tf.dispose([fast!.loss, ...fast!.grads, X, D]);
      net.layers.forEach((l) => tf.dispose([l.W, l.b]));
    } finally {
      await tf.setBackend(previous);
    }
  },
});

Deno.test({
  name: "networkError under a gradient tape runs the ops: autodiff through it works as before",
  ignore: !hasBlas,
  fn: () => {
    const rng = new Random(27);
    const net = createNetwork([5, 4, 3], tanh, multiclassClassification, rng);
    const X = rng.normalTensor([5, 6]), D = oneHotColumns(rng, 3, 6);
    const variables = net.layers.flatMap((l) => [l.W, l.b]);
    const viaNetworkError = tf.variableGrads(() => networkError(net, X, D), variables);
    const viaForward = tf.variableGrads(
      () => multiclassClassification.error(forward(net, X).y, D),
      variables,
    );
    assertSameBits(viaNetworkError.value, viaForward.value, "value");
    for (const v of variables) {
      assertSameBits(viaNetworkError.grads[v.name], viaForward.grads[v.name], `∂E/∂${v.name}`);
    }
    tf.dispose([viaNetworkError.value, viaForward.value, X, D]);
    tf.dispose([...Object.values(viaNetworkError.grads), ...Object.values(viaForward.grads)]);
    net.layers.forEach((l) => tf.dispose([l.W, l.b]));
  },
});
