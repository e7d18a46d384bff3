/**
 * Chapter 5's autoencoder gradient on the `blas` backend's fused kernels gives bit for bit the
 * numbers of the chapter's cell (`autoencoderGradients`, op by op): `CourseLogisticOutput` (a
 * logistic output's error and delta, both pairs, planted 0, 1, out-of-range and non-finite
 * outputs, binary targets),
 * `CourseDenseBackward` with the sparsity column added before the slope, and
 * `fastAutoencoderGradients` as training calls it (plain, sparse, a running ρ̂, denoising inputs),
 * leaking no tensors; tied weights and the identity output fall back to the cell.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertSameBits, blasAvailable } from "./tensor_bits.ts";
import { KERNEL_NAMES } from "../lib/runtime/backends/kernel_names.ts";
import { logistic } from "../lib/nn/activations.ts";
import {
  binaryClassification,
  binaryCrossEntropy,
  regression,
  squaredError,
} from "../lib/nn/losses.ts";
import {
  type Autoencoder,
  createAutoencoder,
  decode,
  disposeAutoencoder,
  encode,
  logisticSquaredError,
} from "../lib/nn/autoencoder.ts";
import {
  type AutoencoderGradients,
  autoencoderGradients,
  fastAutoencoderGradients,
} from "../lib/nn/autoencoder_gradients.ts";
import { Random } from "../lib/runtime/random.ts";

const hasBlas = await blasAvailable();

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor[] {
  return tf.engine().runKernel(
    name,
    inputs,
    attrs as Record<string, string>,
  ) as unknown as tf.Tensor[];
}

/** Both pairs of `CourseLogisticOutput` against the ops on outputs y and targets d, bit for bit. */
function assertLogisticOutputMatchesOps(
  y: Float32Array,
  d: Float32Array,
  shape: number[],
  what: string,
) {
  tf.tidy(() => {
    const Y = tf.tensor2d(y, shape as [number, number]);
    const D = tf.tensor2d(d, shape as [number, number]);
    const [ce, ceError] = runKernel(KERNEL_NAMES.logisticOutput, { y: Y, d: D }, {
      pair: "crossEntropy",
      tiny: 1e-12,
    });
    assertSameBits(ce, tf.sub(Y, D), `${what} cross-entropy delta`);
    assertSameBits(ceError, binaryCrossEntropy(Y, D), `${what} cross-entropy`);
    const [sq, sqError] = runKernel(KERNEL_NAMES.logisticOutput, { y: Y, d: D }, {
      pair: "squaredError",
    });
    assertSameBits(sq, tf.mul(tf.sub(Y, D), tf.mul(Y, tf.sub(1, Y))), `${what} squared delta`);
    assertSameBits(sqError, squaredError(Y, D), `${what} squared error`);
  });
}

Deno.test({
  name: "CourseLogisticOutput equals the error and the output delta op by op, both pairs",
  ignore: !hasBlas,
  fn: () => {
    const rng = new Random(31);
    const cases = [
      { rows: 784, batch: 50, targets: "uniform" },
      { rows: 3, batch: 1, targets: "uniform" },
      { rows: 10, batch: 7, targets: "uniform" },
      { rows: 784, batch: 20, targets: "binary" },
    ];
    for (const { rows, batch, targets } of cases) {
      const [y, d] = tf.tidy(() => [
        tf.sigmoid(rng.normalTensor([rows, batch], 0, 4)).dataSync() as Float32Array,
        rng.uniformTensor([rows, batch]).dataSync() as Float32Array,
      ]);
      // outputs at exactly 0 and 1 (log max(·, tiny) matters), targets 0 and 1
      if (y.length > 8) [y[0], y[1], d[3], d[4]] = [0, 1, 0, 1];
      if (targets === "binary") {
        // MNIST-like targets, mostly exactly 0 or 1 (the kernel then takes one logarithm), and
        // outputs outside (0, 1) against each
        for (let i = 0; i < d.length; i++) d[i] = d[i] < 0.8 ? 0 : d[i] < 0.9 ? 1 : d[i];
        [0, 1, 1.5, -0.5, -0, 1e-30, 3e38].forEach((v, k) => {
          [y[2 * k], d[2 * k], y[2 * k + 1], d[2 * k + 1]] = [v, 0, v, 1];
        });
      }
      assertLogisticOutputMatchesOps(y, d, [rows, batch], `[${rows}, ${batch}], ${targets}`);
    }
    // one output that is not finite at a time (any one makes the error NaN — or not, where
    // 0 · log(±∞) is NaN but the kernel skipped it), against a target 0, 1 and in between
    for (const v of [NaN, Infinity, -Infinity]) {
      for (const target of [0, 1, 0.25]) {
        const y = new Float32Array([0.5, v, 0.25, 0.75]), d = new Float32Array([1, target, 0, 0.5]);
        assertLogisticOutputMatchesOps(y, d, [2, 2], `y = ${v} against ${target}`);
      }
    }
  },
});

Deno.test({
  name: "CourseLogisticOutput names what is wrong with its inputs",
  ignore: !hasBlas,
  fn: () => {
    const y = tf.zeros([4, 3]), d = tf.zeros([4, 2]);
    assert.throws(
      () => runKernel(KERNEL_NAMES.logisticOutput, { y, d }, { pair: "squaredError" }),
      /CourseLogisticOutput: expected float32 y and d of one shape \[K, N\].*\[4,3\], \[4,2\]/,
    );
    assert.throws(
      () => runKernel(KERNEL_NAMES.logisticOutput, { y, d: y }, { pair: "hinge" }),
      /unknown pair "hinge"/,
    );
    tf.dispose([y, d]);
  },
});

Deno.test({
  name: "CourseDenseBackward adds backShift before the slope, as the sparse autoencoder's cell",
  ignore: !hasBlas,
  fn: () => {
    const rng = new Random(32);
    for (const [outs, ins, batch] of [[784, 100, 60], [5, 3, 1]]) {
      tf.tidy(() => {
        const delta = rng.normalTensor([outs, batch]), zPrev = rng.uniformTensor([ins, batch]);
        const W = rng.normalTensor([outs, ins]), shift = rng.normalTensor([ins, 1]);
        const [dW, db, back] = runKernel(KERNEL_NAMES.denseBackward, {
          delta,
          zPrev,
          W,
          slopeFrom: zPrev,
          backShift: shift,
        }, { n: batch, slope: "logistic" });
        const what = `[${outs}, ${ins}, ${batch}]`;
        assertSameBits(dW, tf.div(tf.matMul(delta, zPrev, false, true), batch), `${what} dW`);
        assertSameBits(db, tf.div(tf.sum(delta, 1, true), batch), `${what} db`);
        const expected = tf.mul(
          logistic.derivativeFromOutput!(zPrev),
          tf.add(tf.matMul(W, delta, true, false), shift),
        );
        assertSameBits(back, expected, `${what} shifted delta`);
      });
    }
  },
});

/** The tensors of one gradient evaluation, in a fixed order. */
function allOf(out: AutoencoderGradients): tf.Tensor[] {
  return [out.loss, out.reconstruction, ...out.grads, out.batchRhoHat];
}

/** Runs `fastAutoencoderGradients` and counts the fused kernels it ran. */
async function fastWithCount(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  options: Parameters<typeof fastAutoencoderGradients>[3],
): Promise<{ out: AutoencoderGradients; fused: number }> {
  let out: AutoencoderGradients | undefined;
  const profile = await tf.profile(() => {
    out = fastAutoencoderGradients(ae, Xin, X, options);
    return allOf(out);
  });
  const names: string[] = [
    KERNEL_NAMES.denseForward,
    KERNEL_NAMES.denseBackward,
    KERNEL_NAMES.logisticOutput,
  ];
  return { out: out!, fused: profile.kernels.filter((k) => names.includes(k.name)).length };
}

Deno.test({
  name: "fastAutoencoderGradients gives autoencoderGradients' bits and leaks nothing",
  ignore: !hasBlas,
  fn: async () => {
    const rng = new Random(33);
    const batch = 37;
    const X = rng.uniformTensor([20, batch]);
    const Xin = tf.tidy(() =>
      tf.mul(X, tf.cast(tf.greater(rng.uniformTensor([20, batch]), 0.3), "float32"))
    );
    const running = tf.variable(tf.fill([7, 1], 0.2), false);
    const cases = [
      { output: logisticSquaredError, options: {} },
      { output: logisticSquaredError, options: { sparsity: { rho: 0.1, beta: 3 } } },
      { output: binaryClassification, options: { sparsity: { rho: 0.05, beta: 0.5 } } },
      {
        output: binaryClassification,
        options: { sparsity: { rho: 0.1, beta: 3 }, rhoHat: () => running },
      },
      { output: binaryClassification, options: {}, denoising: true },
    ];
    for (const c of cases) {
      const ae = createAutoencoder(20, 7, rng, { output: c.output });
      const input = c.denoising ? Xin : X;
      const before = tf.memory().numTensors;
      const { out: fast, fused } = await fastWithCount(ae, input, X, c.options);
      const what = `${c.output.problem}${c.options.sparsity ? ", sparse" : ""}`;
      assert.equal(fused, 5, `${what}: fused kernels run`);
      const distinct = new Set(allOf(fast)).size; // without sparsity, loss is the reconstruction
      assert.equal(tf.memory().numTensors, before + distinct, `${what}: leaked tensors`);
      const cell = autoencoderGradients(ae, input, X, c.options);
      const names = ["loss", "reconstruction", "dW", "db", "dW̃", "db̃", "ρ̂"];
      allOf(fast).forEach((t, i) => assertSameBits(t, allOf(cell)[i], `${what} ${names[i]}`));
      tf.dispose([...allOf(fast), ...allOf(cell)]);
      disposeAutoencoder(ae);
    }
    tf.dispose([X, Xin, running]);
  },
});

Deno.test({
  name: "fastAutoencoderGradients takes the hidden activations given, and checks their shape",
  ignore: !hasBlas,
  fn: async () => {
    const rng = new Random(35);
    const X = rng.uniformTensor([20, 23]);
    for (const output of [logisticSquaredError, binaryClassification]) {
      const ae = createAutoencoder(20, 7, rng, { output });
      const options = { sparsity: { rho: 0.1, beta: 3 } };
      const hidden = encode(ae, X);
      const { out: given, fused } = await fastWithCount(ae, X, X, { ...options, hidden });
      assert.equal(fused, 4, `${output.problem}: the encoder's kernel is not run again`);
      const cell = autoencoderGradients(ae, X, X, options);
      allOf(given).forEach((t, i) => assertSameBits(t, allOf(cell)[i], `tensor ${i}`));
      assert.ok(!hidden.isDisposed, "the caller's hidden activations are left to the caller");
      const wrong = tf.slice(hidden, [0, 0], [7, 22]);
      assert.throws(
        () => fastAutoencoderGradients(ae, X, X, { hidden: wrong }),
        /hidden activations \[7,22\] are not \[7, 23\]/,
      );
      tf.dispose([...allOf(given), ...allOf(cell), hidden, wrong]);
      disposeAutoencoder(ae);
    }
    X.dispose();
  },
});

Deno.test({
  name: "fastAutoencoderGradients runs the cell for tied weights and the identity output",
  ignore: !hasBlas,
  fn: async () => {
    const rng = new Random(34);
    const X = rng.uniformTensor([12, 9]);
    for (const options of [{ tied: true }, { output: regression }]) {
      const ae = createAutoencoder(12, 5, rng, options);
      const { out: fast, fused } = await fastWithCount(ae, X, X, {});
      assert.equal(fused, 0, `${JSON.stringify(Object.keys(options))}: no fused kernel`);
      const cell = autoencoderGradients(ae, X, X);
      allOf(fast).forEach((t, i) => assertSameBits(t, allOf(cell)[i], `fallback tensor ${i}`));
      tf.dispose([...allOf(fast), ...allOf(cell)]);
      disposeAutoencoder(ae);
    }
    X.dispose();
  },
});

Deno.test({
  name: "encode and decode run one fused kernel a layer with the ops' bits, the ops under a tape",
  ignore: !hasBlas,
  fn: async () => {
    const rng = new Random(35);
    const X = rng.uniformTensor([15, 11]);
    for (const output of [logisticSquaredError, binaryClassification, regression]) {
      const ae = createAutoencoder(15, 6, rng, { output });
      const before = tf.memory().numTensors;
      let Y: tf.Tensor | undefined, Xhat: tf.Tensor | undefined;
      const profile = await tf.profile(() => {
        Y = encode(ae, X);
        Xhat = decode(ae, Y);
        return [Y, Xhat];
      });
      const fused = profile.kernels.filter((k) => k.name === KERNEL_NAMES.denseForward).length;
      assert.equal(fused, output === regression ? 1 : 2, `${output.problem}: fused layers`);
      assert.equal(tf.memory().numTensors, before + 2, `${output.problem}: leaked tensors`);
      tf.tidy(() => {
        const opsY = tf.sigmoid(tf.add(tf.matMul(ae.W, X), ae.b));
        const V = tf.add(tf.matMul(ae.decoderW!, opsY), ae.decoderB);
        assertSameBits(Y!, opsY, `${output.problem} Y`);
        assertSameBits(Xhat!, output === regression ? V : tf.sigmoid(V), `${output.problem} X̂`);
      });
      // under a tape the ops run, so autodiff through encode and decode still works
      const { value, grads } = tf.variableGrads(
        () => tf.sum(decode(ae, encode(ae, X))),
        [ae.W, ae.decoderW!],
      );
      assert.ok(Number.isFinite(value.dataSync()[0]) && Object.keys(grads).length === 2);
      tf.dispose([Y!, Xhat!, value, ...Object.values(grads)]);
      disposeAutoencoder(ae);
    }
    X.dispose();
  },
});
