import { assert, assertRejects } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { relativeError } from "../lib/nn/gradcheck.ts";
import {
  autoencoderParameters,
  createAutoencoder,
  disposeAutoencoder,
  logisticSquaredError,
} from "../lib/nn/autoencoder.ts";
import { autoencoderObjective } from "../lib/nn/autoencoder_gradients.ts";
import { fullBatchObjective, trainAutoencoderLbfgs } from "../lib/nn/autoencoder_lbfgs.ts";

await initBackend();

for (const tied of [false, true]) {
  Deno.test(`full-batch objective: chunked hand gradient = autodiff of J with decay (${tied ? "tied" : "untied"})`, () => {
    const rng = new Random(`lbfgs-objective/${tied}`);
    const ae = createAutoencoder(9, 4, rng, { tied, output: logisticSquaredError });
    const X = rng.uniformTensor([9, 23]) as tf.Tensor2D;
    const sparsity = { rho: 0.1, beta: 3 }, lambda = 0.01;
    // J by autodiff: the whole-set objective of 05_autoencoder's cell plus (λ/2)‖W‖² on the weights.
    const parameters = autoencoderParameters(ae);
    const variables = parameters.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => {
      const decay = parameters
        .filter((p) => p.role === "weight")
        .map((p) => tf.mul(lambda / 2, tf.sum(tf.square(p.variable))));
      return tf.addN([autoencoderObjective(ae, X, X, sparsity), ...decay]) as tf.Scalar;
    }, variables);
    const expected = new Float32Array(variables.reduce((s, v) => s + v.size, 0));
    let offset = 0;
    for (const v of variables) {
      expected.set(grads[v.name].dataSync(), offset);
      offset += v.size;
    }
    // Chunks of 5 columns (the last one of 3) must give the same J and gradient as one chunk.
    for (const chunk of [5, 100]) {
      const e = fullBatchObjective(ae, X, { weightDecay: lambda, sparsity, chunk });
      const valueError = Math.abs(e.value - value.dataSync()[0]) / value.dataSync()[0];
      assert(valueError < 1e-5, `chunk ${chunk}: J differs by ${valueError}`);
      const gradientError = relativeError(e.gradient, expected);
      assert(gradientError < 1e-4, `chunk ${chunk}: gradient differs by ${gradientError}`);
    }
    tf.dispose([X, value, ...Object.values(grads)]);
    disposeAutoencoder(ae);
  });
}

Deno.test("L-BFGS training lowers J, moves the mean activation to ρ and leaks no tensors", async () => {
  const rng = new Random("lbfgs-training");
  // 200 "images" of 16 pixels: random blobs in [0, 1].
  const features = Float32Array.from(rng.uniformArray(200 * 16), (u) => u * u);
  const ae = createAutoencoder(16, 8, rng.derive("init"), { output: logisticSquaredError });
  const before = tf.memory().numTensors;
  const run = await trainAutoencoderLbfgs(ae, features, {
    iterations: 60,
    weightDecay: 1e-3,
    sparsity: { rho: 0.1, beta: 3 },
    progress: false,
  });
  assert(tf.memory().numTensors === before, `tensors: ${before} → ${tf.memory().numTensors}`);
  assert(run.objective.length === run.iterations + 1, "one J per iteration and the start");
  const first = run.objective[0], last = run.objective[run.objective.length - 1];
  assert(last < 0.5 * first, `J went from ${first} to ${last} only`);
  for (let k = 1; k < run.objective.length; k++) {
    assert(run.objective[k] <= run.objective[k - 1] + 1e-9, `J rose at iteration ${k}`);
  }
  const mean = run.rhoHat.reduce((s, v) => s + v, 0) / run.rhoHat.length;
  assert(Math.abs(mean - 0.1) < 0.03, `mean activation ${mean}, target 0.1`);
  disposeAutoencoder(ae);
});

Deno.test("L-BFGS training rejects rows of the wrong size and a bad iteration count", async () => {
  const ae = createAutoencoder(4, 2, new Random(1));
  await assertRejects(
    () => trainAutoencoderLbfgs(ae, new Float32Array(10), { iterations: 5, progress: false }),
    Error,
    "not rows of 4",
  );
  await assertRejects(
    () => trainAutoencoderLbfgs(ae, new Float32Array(8), { iterations: 0, progress: false }),
    Error,
    "iterations must be a positive integer",
  );
  disposeAutoencoder(ae);
});
