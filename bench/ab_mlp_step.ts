/**
 * Same-process A/B of one training step of workload (d) — a 784-100-10 ReLU network with softmax
 * outputs, a minibatch of 100 columns, SGD with η = 0.1 — computed three ways that give the same
 * numbers bit for bit (tests/dense_kernel_test.ts, tests/sgd_test.ts):
 *
 * - `ops`: chapter 4's `forward` and `backward` cells, the error and `sgdUpdate` op by op (about
 *   50 kernels);
 * - `main`: `forward` and the error op by op, `fastBackward` (one `CourseDenseBackward` a layer)
 *   and `SGD` (one `CourseSgdStep` a parameter): the course's step before the fused forward;
 * - `fused`: `fastLossAndGradients` (one `CourseDenseForward` a layer, the softmax, its error and
 *   Y − D in one `CourseSoftmaxCrossEntropy`, one `CourseDenseBackward` a layer) and `SGD`: what
 *   `backpropModel` and `sgdEpoch` run now.
 *
 * Each step reads the minibatch error back, as `sgdEpoch` does. The variants run in alternating
 * blocks of `--steps` steps (default 200), `--rounds` rounds (default 7); printed: the median
 * milliseconds per step of each, the load average before and after, and the kernels per step.
 *
 * Run: `deno run -A bench/ab_mlp_step.ts [--steps N] [--rounds N]` (blas backend).
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { relu } from "../lib/nn/activations.ts";
import { multiclassClassification } from "../lib/nn/losses.ts";
import { heNormal } from "../lib/nn/initializers.ts";
import {
  backward,
  createNetwork,
  disposeNetwork,
  fastBackward,
  fastLossAndGradients,
  forward,
  type Network,
  networkParameters,
} from "../lib/nn/network.ts";
import { SGD, sgdUpdate } from "../lib/optim/sgd.ts";

const { values: ARGS } = parseArgs({
  args: Deno.args,
  strict: true,
  options: { steps: { type: "string" }, rounds: { type: "string" } },
});
const steps = Number(ARGS.steps ?? 200), rounds = Number(ARGS.rounds ?? 7);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(rounds) && rounds > 0)) {
  throw new Error(`--steps and --rounds must be positive integers, not ${steps}, ${rounds}`);
}

console.log(await setupBlas());
const rng = new Random(20);
const batch = 100, eta = 0.1;
const X = rng.uniformTensor([784, batch], 0, 1);
const labels = new Float32Array(10 * batch);
for (let c = 0; c < batch; c++) labels[rng.int(10) * batch + c] = 1;
const D = tf.tensor2d(labels, [10, batch]);

/** One step's error and gradients, three ways. */
type Gradients = (net: Network) => { loss: tf.Scalar; grads: tf.Tensor[] };

const opsGradients: Gradients = (net) =>
  tf.tidy(() => {
    const pass = forward(net, X);
    return { loss: net.output.error(pass.y, D), grads: backward(net, pass, D) };
  });
const mainGradients: Gradients = (net) =>
  tf.tidy(() => {
    const pass = forward(net, X);
    return { loss: net.output.error(pass.y, D), grads: fastBackward(net, pass, D) };
  });
const fusedGradients: Gradients = (net) => fastLossAndGradients(net, X, D);

interface Variant {
  name: string;
  net: Network;
  step: () => void;
}

function variant(name: string, gradients: Gradients, fusedSgd: boolean): Variant {
  const net = createNetwork(
    [784, 100, 10],
    relu,
    multiclassClassification,
    new Random(4),
    heNormal,
  );
  const params = networkParameters(net);
  const optimizer = new SGD({ learningRate: eta });
  const step = () => {
    const { loss, grads } = gradients(net);
    loss.dataSync();
    if (fusedSgd) optimizer.step(params, grads);
    else {
      tf.tidy(() =>
        params.forEach(({ variable }, i) =>
          variable.assign(sgdUpdate(variable, grads[i], undefined, eta, 0, 0).w)
        )
      );
    }
    tf.dispose([loss, ...grads]);
  };
  return { name, net, step };
}

const variants = [
  variant("ops", opsGradients, false),
  variant("main", mainGradients, true),
  variant("fused", fusedGradients, true),
];
const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
const loadBefore = load();
for (const v of variants) for (let i = 0; i < 20; i++) v.step(); // warm-up
const times = new Map(variants.map((v) => [v.name, [] as number[]]));
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const start = performance.now();
    for (let i = 0; i < steps; i++) v.step();
    times.get(v.name)!.push((performance.now() - start) / steps);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kernelsPerStep = async (v: Variant) =>
  (await tf.profile(() => {
    v.step();
  })).kernels.length;
console.log(
  `load average before ${loadBefore}, after ${load()}; ${rounds} rounds × ${steps} steps`,
);
for (const v of variants) {
  const ms = times.get(v.name)!;
  console.log(
    `${v.name.padEnd(6)} ${median(ms).toFixed(3)} ms/step (median; rounds ${
      ms.map((t) => t.toFixed(3)).join(" ")
    }), ${await kernelsPerStep(v)} kernels/step`,
  );
}
// The three networks took the same steps from the same start: their weights agree bit for bit.
const weights = variants.map((v) => v.net.layers[0].W.dataSync());
const same = weights.every((w) => w.every((x, i) => Object.is(x, weights[0][i])));
console.log(`weights after all steps identical across the variants: ${same}`);
variants.forEach((v) => disposeNetwork(v.net));
tf.dispose([X, D]);
