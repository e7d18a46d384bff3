/**
 * tfjs's WebGPU backend on this machine's GPU (through Deno's `navigator.gpu`, Vulkan on Linux):
 * does it compute what the CPU computes, and how fast are the bench's workloads on it?
 *
 * 1. **Agreement**: the convolution of workload (b) forward with both gradients, and VGG19's stack
 *    to conv5_1 (random weights, average pooling, the course's frozen layers) forward and the
 *    input gradient of its output's sum, at 64², on `webgpu` and on tfjs's pure-JavaScript `cpu`
 *    backend: the largest difference relative to the largest value, at most 10⁻⁵ (else the
 *    command exits with status 1).
 * 2. **Speed**, medians over `--rounds` runs after one warm-up run, each run ending when every
 *    output has been read back to the CPU (`await tensor.data()`; the GPU works asynchronously):
 *    one tiny kernel and its read-back (the fixed cost of a run); a 1024² and a 4096² matmul; (b) a 3×3 64→64 convolution on 1×128×128×64, forward + both
 *    gradients; (c) VGG19 to conv5_1 at 256² forward + input gradient; (e) the style-transfer
 *    loss and its gradient at 256² (content conv4_2, style conv1_1 … conv5_1, α = 10⁻³, β = 1), the
 *    network evaluation of one L-BFGS iteration of `bench/vs_torch.ts`'s (e), without the
 *    two-loop recursion (CPU work).
 *
 * Deno's WebGPU has no canvas, so tfjs cannot read a WebGPU tensor synchronously (`dataSync`
 * fails inside tfjs); the course's library reads synchronously in many places (the L-BFGS
 * objective, training losses), so the course itself does not run on this backend. The check reads
 * everything asynchronously.
 *
 * A software adapter (Mesa's llvmpipe, where there is no GPU driver) is refused unless
 * `--software` is given (it is ~1000× slower than a GPU; use it with `--rounds 1 --only agree`).
 * Prints a table and writes `out/webgpu.json` (adapter, CPU, Deno and tfjs versions, agreement,
 * medians).
 *
 * Run: `deno run -A bench/webgpu.ts [--rounds N] [--only agree,speed] [--software]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { cpuInfo, cpuName } from "./machine.ts";
import { Random } from "../lib/runtime/random.ts";
import { writeFileAtomic } from "../lib/runtime/files.ts";
import {
  convGradientCase,
  randomStyleObjective,
  randomVggBiases,
  randomVggWeights,
  VGG19_TO_CONV5_1,
  vggStepCase,
} from "./random_vgg.ts";

const { values: ARGS } = parseArgs({
  args: Deno.args,
  strict: true,
  options: {
    rounds: { type: "string", default: "5" },
    only: { type: "string", default: "agree,speed" },
    software: { type: "boolean", default: false },
  },
});
const ROUNDS = Number(ARGS.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new Error(`--rounds must be a positive integer, not "${ARGS.rounds}"`);
}
const PARTS = ARGS.only.split(",");

/** The adapter Deno gives tfjs, or an exit with the reason. */
async function adapterInfo(): Promise<GPUAdapterInfo & { software: boolean }> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new Error("this Deno has no WebGPU (navigator.gpu is undefined)");
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter (no GPU with a Vulkan driver found)");
  const info = adapter.info;
  const software = /llvmpipe|lavapipe|swiftshader/i.test(info.description);
  return Object.assign(info, { software });
}

/** The largest |a − b| relative to the largest |b|. */
function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length}, ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** Every output of `f` read back (each disposed), in order. */
async function readAll(f: () => tf.Tensor[]): Promise<Float32Array[]> {
  const outs = tf.tidy(f);
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

/** The agreement cases: name → outputs, built from seeded inputs on the active backend. */
function agreementCases(): Record<string, () => tf.Tensor[]> {
  const conv = () => {
    const c = convGradientCase(new Random(2), 32);
    const outputs = [c.forward(), ...c.run()];
    c.dispose();
    return outputs;
  };
  const vgg = () => {
    const c = vggStepCase(new Random(3), 64);
    const outputs = [c.forward(), ...c.run()];
    c.dispose();
    return outputs;
  };
  return { "conv 3×3 64→64 (32²) + grads": conv, "VGG19 to conv5_1 (64²) + dx": vgg };
}

/** One speed workload: `setup` on the active backend returns the run (outputs to read back). */
interface SpeedWorkload {
  name: string;
  setup(): { run: () => tf.Tensor[]; dispose: () => void };
}

const SPEED: SpeedWorkload[] = [
  {
    name: "round_trip", // one tiny kernel and its read-back: the fixed cost in every run below
    setup() {
      const one = tf.scalar(1);
      return { run: () => [tf.add(one, 1)], dispose: () => one.dispose() };
    },
  },
  ...[1024, 4096].map((n) => ({
    name: `a_matmul_${n}`,
    setup() {
      const rng = new Random(1);
      const a = rng.normalTensor([n, n]), b = rng.normalTensor([n, n]);
      return { run: () => [tf.matMul(a, b)], dispose: () => tf.dispose([a, b]) };
    },
  })),
  { name: "b_conv", setup: () => convGradientCase(new Random(2), 128) },
  { name: "c_vgg_step", setup: () => vggStepCase(new Random(3), 256) },
  {
    name: "e_style_loss_and_gradient",
    setup() {
      const rng = new Random(5);
      const side = 256;
      const weights = randomVggWeights(VGG19_TO_CONV5_1, rng);
      const biases = randomVggBiases(VGG19_TO_CONV5_1, rng);
      const objective = randomStyleObjective(weights, biases, rng, side);
      const x = rng.uniformTensor([1, side, side, 3], 0, 1);
      return {
        run: () => {
          const { value, grad } = objective.lossAndGrad(x);
          return [value, grad];
        },
        dispose: () => {
          objective.dispose();
          tf.dispose([x, ...weights, ...biases]);
        },
      };
    },
  },
];

/** Float32 with another order of sums: the relative differences seen are ~1e-6 (llvmpipe, H200). */
const AGREEMENT_TOLERANCE = 1e-5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const adapter = await adapterInfo();
const where = `${adapter.description || adapter.vendor} (${adapter.architecture || "?"})`;
if (adapter.software && !ARGS.software) {
  console.error(`the only WebGPU adapter is a software renderer: ${where}; --software uses it`);
  Deno.exit(2);
}
const cpu = cpuInfo();
console.log(`WebGPU adapter: ${where}${adapter.software ? ", software" : ""}`);
console.log(
  `CPU: ${cpu ? cpuName(cpu) : "unknown"}; Deno ${Deno.version.deno}; tfjs ${tf.version.tfjs}`,
);

const agreement: { name: string; outputs: number[]; ok: boolean }[] = [];
if (PARTS.includes("agree")) {
  for (const [name, build] of Object.entries(agreementCases())) {
    await tf.setBackend("cpu");
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node advice
    const expected = await readAll(build);
    await tf.setBackend("webgpu");
    const got = await readAll(build);
    const outputs = got.map((g, i) => relativeDifference(g, expected[i]));
    const ok = outputs.every((d) => d <= AGREEMENT_TOLERANCE); // NaN fails too
    agreement.push({ name, outputs, ok });
    console.log(
      `agreement ${name}: webgpu vs cpu, largest difference / largest value ${
        outputs.map((d) => d.toExponential(1)).join(", ")
      } ${ok ? "ok" : `DIFFERS (more than ${AGREEMENT_TOLERANCE})`}`,
    );
  }
}

const speed: { name: string; median_s: number; runs_s: number[] }[] = [];
if (PARTS.includes("speed")) {
  await tf.setBackend("webgpu");
  for (const workload of SPEED) {
    const { run, dispose } = workload.setup();
    await readAll(run); // warm-up: shaders compiled, buffers allocated
    const runs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const started = performance.now();
      await readAll(run);
      runs.push((performance.now() - started) / 1000);
    }
    dispose();
    speed.push({ name: workload.name, median_s: median(runs), runs_s: runs });
    console.log(
      `${workload.name.padEnd(26)} ${median(runs).toPrecision(3)} s  (runs ${
        runs.map((s) => s.toPrecision(3)).join(" ")
      })`,
    );
  }
}

await Deno.mkdir("out", { recursive: true });
await writeFileAtomic(
  "out/webgpu.json",
  JSON.stringify(
    {
      adapter: {
        vendor: adapter.vendor,
        architecture: adapter.architecture,
        device: adapter.device,
        description: adapter.description,
        software: adapter.software,
      },
      cpu: cpu ? cpuName(cpu) : null,
      deno: Deno.version.deno,
      tfjs: tf.version.tfjs,
      rounds: ROUNDS,
      agreement,
      speed,
    },
    null,
    2,
  ) + "\n",
);
console.log("wrote out/webgpu.json");
if (agreement.some((a) => !a.ok)) Deno.exit(1);
