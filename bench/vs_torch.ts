/**
 * The course's tfjs backend against PyTorch on the same machine, in the same run (issue 9):
 *
 * - `a_matmul`: a 1024² matmul;
 * - `b_conv`: a 3×3 64→64 convolution on 1×128×128×64, forward + both gradients for a given dy;
 * - `c_vgg_step`: VGG19's conv stack to relu5_1 (random weights and biases, 2×2 average pooling
 *   as in Gatys et al.) at 256², forward + backward of the output's sum w.r.t. the input image;
 *   each layer is the course's frozen layer (`frozenConvBiasRelu`, as `Vgg19.features` runs it),
 *   torch's is `relu(conv2d(x, w, b))`;
 * - `d_mlp_epoch`: one MNIST epoch of a 784-100-10 ReLU MLP, batch 100, softmax cross-entropy,
 *   plain SGD (η = 0.1), as the course trains it in 04 and 05b: `sgdEpoch` with `backpropModel`
 *   (chapter 4's forward and hand-written backward, one fused kernel a layer on `blas`) and the
 *   course's `SGD` (one fused kernel a parameter);
 * - `d_mlp_epoch_autodiff`: the same epoch with `networkModel`'s gradients (tfjs autodiff through
 *   `tf.variableGrads`), as 03 and 03d train; the torch peer of both is the same autograd loop
 *   (`x @ w1` on row-major batches: the same products, transposed);
 * - `e_lbfgs_iter`: one L-BFGS iteration of the style transfer at 256² in steady state (issue 8),
 *   see below.
 *
 * `e_lbfgs_iter` optimises the network input x (1×256×256×3, n = 196 608 values, kept as a
 * `Float64Array` as `lib/vision/style_transfer.ts` does) through the same random VGG19 stack as
 * `c_vgg_step` (same He-initialised weights, small random biases, average pooling, to conv5_1).
 * The loss is α·L_content + β·Σ_l w_l E_l with α = 1e-3, β = 1: L_content = ½Σ(F − P)² at
 * conv4_2, E_l = Σ(G − A)²/(4N²M²) at conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 (w_l = 1/5),
 * G = XᵀX the Gram matrix of the layer's maps as an M×N matrix (layer names: after the ReLU, as
 * in `lib/vision/vgg19.ts`). The targets P (a random "photo") and A (a random "painting") are
 * computed once in setup. One timed run is exactly:
 *
 * 1. one loss + gradient evaluation as `evaluateGatysLoss` (`lib/vision/style_objective.ts`)
 *    does it: x → Float32 input tensor, `tf.valueAndGrad` through the network and the course's
 *    loss ops
 *    (`lib/vision/style_losses.ts`, whose hand-derived backward passes take the same matrix
 *    products as autodiff's), value and gradient read back, the gradient widened to a
 *    `Float64Array` (as `minimizeLbfgs` does);
 * 2. the two-loop recursion `lbfgsDirection` of `lib/optim/lbfgs.ts` over a full memory of
 *    m = 20 pairs (s, y), filled in setup with random pairs (s ~ N(0, 0.01²), y = s + ½ε with
 *    ε ~ N(0, 0.01²), so yᵀs > 0) and never changed, so that every run does the whole 20-pair
 *    work;
 * 3. the update x ← x + 10⁻³·p without a line search (deterministic, comparable work).
 *
 * The torch peer does the same with float32 tensors for the network, float64 vectors for x, s, y
 * and the recursion, and `loss.backward()` for the gradient. Everything but the network is O(n)
 * or O(m·n) and small: the time is the network's forward + backward plus the Gram products.
 *
 * PyTorch runs the same workloads in `bench/torch_peer.py`, kept alive as a child process; the
 * two are timed in alternating blocks, workload by workload, so that both see the same machine
 * load (torch's OpenMP threads wait passively, see {@linkcode TorchPeer.start}). Prints a table
 * and writes `out/bench.json`: `{"machine", "workloads"}`, the machine (CPU model, vector
 * extensions, oneDNN's ISA, load) and a list of `{"name", "tfjs_s", "torch_s", "ratio",
 * "paired_ratio", "round_ratios", "backend", "floor_s"}`: ratio = tfjs / torch of the medians over
 * all runs, paired_ratio the median over rounds of each round's ratio (`bench/paired.ts`: on a
 * machine whose speed drifts between rounds, the pairs are what the alternation is for). Without
 * torch it says "torch not installed" and reports tfjs alone (the torch fields null).
 *
 * Run: `deno task bench` or `deno run -A bench/vs_torch.ts [--only a_matmul,b_conv]
 * [--threads N] [--rounds N] [--profile] [--floor] [--no-torch]`. Threads (default: the logical
 * cores) set both `COURSE_BLAS_THREADS` and `torch.set_num_threads`. `--profile` adds the kernels
 * that take the most time in one tfjs run of each workload; `--floor` times the workload's matrix
 * products (every workload's) as raw sgemm calls (`bench/sgemm_floor.ts`) in the same rounds, to show how much of
 * the tfjs time BLAS itself takes (blas backend only). The Python used is `COURSE_TORCH_PYTHON`, else
 * `/usr/bin/python3` where it exists (Debian's torch lives there), else `python3`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { dnnlIsa } from "../lib/runtime/backends/blas/backend.ts";
import { hugePageSummary } from "../lib/runtime/huge_pages.ts";
import { cpuInfo, cpuName, torchPython } from "./machine.ts";
import { Random } from "../lib/runtime/random.ts";
import { readLines } from "../lib/runtime/lines.ts";
import { loadMnist, MNIST_CLASSES, MNIST_PIXELS } from "../lib/data/mnist.ts";
import { classificationDataset } from "../lib/nn/minibatches.ts";
import { createNetwork, disposeNetwork } from "../lib/nn/network.ts";
import { relu } from "../lib/nn/activations.ts";
import { multiclassClassification } from "../lib/nn/losses.ts";
import { heNormal } from "../lib/nn/initializers.ts";
import { backpropModel, networkModel, sgdEpoch } from "../lib/nn/training.ts";
import { SGD } from "../lib/optim/sgd.ts";
import { gemmFlops, timeGemms, WORKLOAD_GEMMS } from "./sgemm_floor.ts";
import { median, pairedRatio } from "./paired.ts";
import {
  convGradientCase,
  randomStyleObjective,
  randomVggBiases,
  randomVggWeights,
  VGG19_TO_CONV5_1,
  vggStepCase,
} from "./random_vgg.ts";
import { lbfgsDirection } from "../lib/optim/lbfgs.ts";

/** One line of `out/bench.json`. */
export interface BenchRecord {
  /**
   * Workload name (`a_matmul`, `b_conv`, `c_vgg_step`, `d_mlp_epoch`, `d_mlp_epoch_autodiff`,
   * `e_lbfgs_iter`).
   */
  name: string;
  /** Median seconds per run in tfjs. */
  tfjs_s: number;
  /** Median seconds per run in PyTorch, or null when torch is not installed. */
  torch_s: number | null;
  /** tfjs_s / torch_s (below 1: tfjs is faster), or null without torch. */
  ratio: number | null;
  /**
   * The paired ratio: the median over rounds of each round's tfjs median / torch median
   * (`bench/paired.ts`), robust to a machine whose speed drifts between rounds; null without torch.
   */
  paired_ratio: number | null;
  /** Each round's tfjs median / torch median, in order, or null without torch. */
  round_ratios: number[] | null;
  /** The tfjs backend that ran. */
  backend: string;
  /** Median seconds of the workload's matrix products as raw sgemm calls (`--floor`), or null. */
  floor_s: number | null;
}

/** `out/bench.json`: the machine, then one record per workload. */
export interface BenchReport {
  /** CPU model, vector extensions, oneDNN's instruction set, threads and load at the start. */
  machine: {
    cpu: string;
    vector_extensions: string[];
    onednn_isa: string | null;
    logical_cores: number;
    threads: number;
    load_average: number[];
    /** The THP mode and the `GLIBC_TUNABLES` the bench started with (`hugePageSummary`). */
    pages: string;
  };
  /** The workloads' medians. */
  workloads: BenchRecord[];
}

/** A workload: `setup` builds its data once and returns one timed run. */
interface Workload {
  name: string;
  /** Runs per timing block. */
  runs: number;
  setup(): Promise<{ run: () => Promise<void>; dispose: () => void }>;
}

/** The command line; an unknown flag is an error (`strict`). */
const { values: ARGS } = parseArgs({
  args: Deno.args,
  strict: true,
  options: {
    only: { type: "string" },
    threads: { type: "string" },
    rounds: { type: "string" },
    profile: { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
  },
});

function positiveInteger(flag: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${flag} must be a positive integer, not "${value}"`);
  }
  return n;
}

const threads = positiveInteger("threads", ARGS.threads, navigator.hardwareConcurrency || 2);
Deno.env.set("COURSE_BLAS_THREADS", String(threads));
const rounds = positiveInteger("rounds", ARGS.rounds, 3);
const only = ARGS.only?.split(",");

/** `e_lbfgs_iter`'s settings (see the module notes; the objective's: `STYLE_OBJECTIVE`). */
const STYLE = { side: 256, memory: 20, step: 1e-3 } as const;

/**
 * Run `f` in a tidy and dispose its outputs. The CPU backends compute synchronously, so the
 * outputs are not read back (torch's side does not read its results either; and reading hands the
 * buffer to user code, which keeps the blas backend from recycling it). `e_lbfgs_iter` reads its
 * gradient inside `f` on purpose, because the course's style transfer does.
 */
async function settle(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const out = tf.tidy(f);
  tf.dispose(Array.isArray(out) ? out : [out]);
  await Promise.resolve();
}

/**
 * One epoch of the course's MNIST training as the notebooks run it (`sgdEpoch` of
 * `lib/nn/training.ts`): a 784-100-10 ReLU network with softmax outputs (`createNetwork`, He
 * normal weights, zero biases), shuffled minibatches of 100 columns, the minibatch error and
 * gradients from `backpropModel` (chapter 4's hand-written backpropagation, fused kernels where
 * the backend has them: 04, 05b) or `networkModel` (tfjs autodiff through `tf.variableGrads`:
 * 03, 03d), and the course's `SGD` (η = 0.1), reading each minibatch error as `sgdEpoch` does.
 */
async function mlpEpoch(
  gradients: "backprop" | "autodiff",
): Promise<{ run: () => Promise<void>; dispose: () => void }> {
  const { train } = await loadMnist();
  const data = classificationDataset(train.images, train.labels, MNIST_PIXELS, MNIST_CLASSES);
  const rng = new Random(4);
  const net = createNetwork(
    [MNIST_PIXELS, 100, MNIST_CLASSES],
    relu,
    multiclassClassification,
    rng.derive("init"),
    heNormal,
  );
  const model = gradients === "backprop" ? backpropModel(net) : networkModel(net);
  const optimizer = new SGD({ learningRate: 0.1 });
  const options = { batchSize: 100, shuffle: rng.derive("order"), noise: rng.derive("noise") };
  return {
    run: async () => {
      await sgdEpoch(model, data, optimizer, options);
    },
    dispose: () => disposeNetwork(net),
  };
}

const WORKLOADS: Workload[] = [
  {
    name: "a_matmul",
    runs: 5,
    setup() {
      const rng = new Random(1);
      const a = rng.normalTensor([1024, 1024]), b = rng.normalTensor([1024, 1024]);
      return Promise.resolve({
        run: () => settle(() => tf.matMul(a, b)),
        dispose: () => tf.dispose([a, b]),
      });
    },
  },
  {
    name: "b_conv",
    runs: 3,
    setup() {
      const conv = convGradientCase(new Random(2), 128);
      return Promise.resolve({ run: () => settle(conv.run), dispose: conv.dispose });
    },
  },
  {
    name: "c_vgg_step",
    runs: 2,
    setup() {
      const vgg = vggStepCase(new Random(3), 256);
      return Promise.resolve({ run: () => settle(vgg.run), dispose: vgg.dispose });
    },
  },
  { name: "d_mlp_epoch", runs: 1, setup: () => mlpEpoch("backprop") },
  { name: "d_mlp_epoch_autodiff", runs: 1, setup: () => mlpEpoch("autodiff") },
  {
    name: "e_lbfgs_iter",
    runs: 2,
    setup() {
      const rng = new Random(5);
      const { side, memory, step } = STYLE;
      const n = 3 * side * side;
      const weights = randomVggWeights(VGG19_TO_CONV5_1, rng);
      const biases = randomVggBiases(VGG19_TO_CONV5_1, rng);
      const objective = randomStyleObjective(weights, biases, rng, side);
      const lossAndGrad = objective.lossAndGrad;
      const x = Float64Array.from(rng.uniformArray(n, 0, 1));
      const s: Float64Array[] = [], y: Float64Array[] = [];
      for (let k = 0; k < memory; k++) {
        const sk = Float64Array.from(rng.normalArray(n, 0, 0.01));
        const noise = rng.normalArray(n, 0, 0.01);
        const yk = sk.map((v, i) => v + 0.5 * noise[i]);
        let sy = 0;
        for (let i = 0; i < n; i++) sy += sk[i] * yk[i];
        if (!(sy > 0)) throw new Error(`e_lbfgs_iter: pair ${k} has yᵀs = ${sy}`);
        s.push(sk);
        y.push(yk);
      }
      const run = () =>
        settle(() => {
          const input = tf.tensor4d(Float32Array.from(x), [1, side, side, 3]);
          const { value, grad } = lossAndGrad(input);
          if (!Number.isFinite(value.dataSync()[0])) {
            throw new Error("e_lbfgs_iter: loss not finite");
          }
          const gradient = Float64Array.from(grad.dataSync());
          const p = lbfgsDirection(gradient, s, y);
          for (let i = 0; i < n; i++) x[i] += step * p[i];
          return [];
        });
      return Promise.resolve({
        run,
        dispose: () => {
          objective.dispose();
          tf.dispose([...weights, ...biases]);
        },
      });
    },
  },
];

/** The PyTorch peer process, answering one block of runs per request. */
class TorchPeer {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  /** e.g. "torch 1.13.0a0, 2 threads". */
  readonly description: string;

  private constructor(
    child: Deno.ChildProcess,
    lines: AsyncIterator<string>,
    description: string,
  ) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = lines;
    this.description = description;
  }

  /**
   * Start the peer, or return why it cannot run ("torch not installed: …"). Its OpenMP threads
   * wait passively unless `OMP_WAIT_POLICY` says otherwise: with the default busy-waiting, an MLP
   * epoch took torch 27–34 s instead of 2 s on 2 threads while other processes loaded the machine.
   */
  static async start(threads: number): Promise<TorchPeer | string> {
    const python = torchPython();
    const ompWaitPolicy = Deno.env.get("OMP_WAIT_POLICY") ?? "PASSIVE";
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(python, {
        args: [
          new URL("./torch_peer.py", import.meta.url).pathname,
          "--serve",
          "--threads",
          String(threads),
        ],
        env: { OMP_WAIT_POLICY: ompWaitPolicy },
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
    } catch (error) {
      return `torch not installed (${python} did not start: ${(error as Error).message})`;
    }
    const lines = readLines(child.stdout);
    const first = await lines.next();
    const header = first.done ? { error: "the peer ended at once" } : JSON.parse(first.value);
    if (header.error) {
      await child.stdin.close().catch(() => {});
      await child.status;
      return String(header.error).startsWith("torch not installed")
        ? String(header.error)
        : `torch not installed (${header.error})`;
    }
    return new TorchPeer(
      child,
      lines,
      `torch ${header.torch}, ${header.threads} threads, OMP_WAIT_POLICY=${ompWaitPolicy}`,
    );
  }

  /** Time `runs` runs of a workload (the first request per workload also warms it up). */
  async time(name: string, runs: number): Promise<number[]> {
    await this.#writer.write(new TextEncoder().encode(`${name} ${runs}\n`));
    const line = await this.#lines.next();
    if (line.done) throw new Error("the torch peer ended early");
    const answer = JSON.parse(line.value);
    if (answer.error) throw new Error(`torch peer: ${answer.error}`);
    return answer.runs_s as number[];
  }

  /** End the peer. */
  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

async function timeTfjs(run: () => Promise<void>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push((performance.now() - start) / 1000);
  }
  return times;
}

async function profileTfjs(name: string, run: () => Promise<void>): Promise<void> {
  const byKernel = new Map<string, number>();
  const info = await tf.profile(async () => {
    await run();
  });
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
  }
  const total = [...byKernel.values()].reduce((p, v) => p + v, 0);
  console.log(`  profile of one tfjs ${name}: kernel time ${(total / 1000).toFixed(3)} s`);
  for (const [kernel, ms] of [...byKernel].sort((p, q) => q[1] - p[1]).slice(0, 10)) {
    console.log(
      `    ${kernel.padEnd(26)} ${(ms / 1000).toFixed(3)} s  ${(100 * ms / total).toFixed(1)}%`,
    );
  }
}

const backend = await initBackend();
const peer = ARGS["no-torch"] ? "torch not requested (--no-torch)" : await TorchPeer.start(threads);
console.log(`tfjs backend: ${backend.summary}`);
console.log(
  typeof peer === "string" ? peer : `peer: ${peer.description}`,
);
const cpu = cpuInfo();
const machine: BenchReport["machine"] = {
  cpu: cpu ? cpuName(cpu) : "unknown",
  vector_extensions: cpu?.vectorExtensions ?? [],
  onednn_isa: backend.name === "blas" ? dnnlIsa() ?? null : null,
  logical_cores: navigator.hardwareConcurrency,
  threads,
  load_average: Deno.loadavg(),
  pages: hugePageSummary(),
};
console.log(
  `machine: ${machine.cpu} (${machine.vector_extensions.join(" ") || "extensions unknown"}), ` +
    `${machine.logical_cores} logical cores, ${Deno.build.target}; ${threads} threads each; ` +
    `oneDNN ISA ${machine.onednn_isa ?? "— (not used)"}; ${machine.pages}; load ${
      machine.load_average.map((v) => v.toFixed(2)).join(" ")
    }`,
);

const records: BenchRecord[] = [];
for (const workload of WORKLOADS) {
  if (only && !only.includes(workload.name)) continue;
  const { run, dispose } = await workload.setup();
  try {
    await run(); // warm-up
  } catch (error) {
    // e.g. the wasm backend has no Conv2DBackpropFilter kernel.
    const reason = (error as Error).message.split("\n")[0];
    console.log(
      `${workload.name.padEnd(20)} skipped: tfjs ${backend.name} cannot run it (${reason})`,
    );
    dispose();
    continue;
  }
  const tfjsRounds: number[][] = [], torchRounds: number[][] = [], floorTimes: number[] = [];
  const gemms = ARGS.floor && backend.name === "blas" ? WORKLOAD_GEMMS[workload.name] : undefined;
  for (let r = 0; r < rounds; r++) {
    tfjsRounds.push(await timeTfjs(run, workload.runs));
    if (typeof peer !== "string") torchRounds.push(await peer.time(workload.name, workload.runs));
    if (gemms) floorTimes.push(timeGemms(gemms, workload.runs));
  }
  const tfjsTimes = tfjsRounds.flat(), torchTimes = torchRounds.flat();
  const paired = torchRounds.length ? pairedRatio(tfjsRounds, torchRounds) : null;
  const floorS = gemms ? median(floorTimes) : null;
  if (gemms) {
    const floor = median(floorTimes), flops = gemmFlops(gemms);
    console.log(
      `  ${workload.name}: its sgemm calls alone ${floor.toFixed(4)} s (${
        (flops / floor / 1e9).toFixed(0)
      } GFLOP/s), ${(100 * floor / median(tfjsTimes)).toFixed(0)}% of the tfjs median`,
    );
  }
  if (ARGS.profile) await profileTfjs(workload.name, run);
  dispose();
  const tfjsS = median(tfjsTimes);
  const torchS = torchTimes.length ? median(torchTimes) : null;
  records.push({
    name: workload.name,
    tfjs_s: tfjsS,
    torch_s: torchS,
    ratio: torchS === null ? null : tfjsS / torchS,
    paired_ratio: paired?.ratio ?? null,
    round_ratios: paired?.roundRatios ?? null,
    backend: backend.name,
    floor_s: floorS,
  });
  const r = records[records.length - 1];
  console.log(
    `${r.name.padEnd(20)} tfjs ${r.tfjs_s.toFixed(4).padStart(8)} s   torch ${
      r.torch_s === null ? "       —" : r.torch_s.toFixed(4).padStart(8)
    } s   ratio ${r.ratio === null ? "   —" : r.ratio.toFixed(2).padStart(5)}   paired ${
      r.paired_ratio === null ? "   —" : r.paired_ratio.toFixed(2).padStart(5)
    }   ${r.backend}` +
      (r.round_ratios ? `   (by round ${r.round_ratios.map((q) => q.toFixed(2)).join(" ")})` : "") +
      `   (tfjs runs ${tfjsTimes.map((t) => t.toFixed(3)).join(" ")}${
        torchTimes.length ? `; torch runs ${torchTimes.map((t) => t.toFixed(3)).join(" ")}` : ""
      })`,
  );
}
if (typeof peer !== "string") await peer.close();

console.log("\nworkload              tfjs median   torch median   ratio   paired   backend");
for (const r of records) {
  const fixed = (q: number | null, width: number) =>
    q === null ? "—".padStart(width) : q.toFixed(2).padStart(width);
  console.log(
    `${r.name.padEnd(21)} ${r.tfjs_s.toFixed(4).padStart(9)} s  ${
      r.torch_s === null ? "     —     " : `${r.torch_s.toFixed(4).padStart(9)} s`
    }  ${fixed(r.ratio, 6)}   ${fixed(r.paired_ratio, 6)}   ${r.backend}`,
  );
}
console.log(
  "ratio: the two medians over all runs; paired: the median over rounds of each round's ratio " +
    "(the rounds alternate, so a machine that speeds up or slows down between rounds moves both " +
    "sides of a pair together)",
);
await Deno.mkdir(new URL("../out/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../out/bench.json", import.meta.url),
  JSON.stringify({ machine, workloads: records } satisfies BenchReport, null, 2) + "\n",
);
console.log("wrote out/bench.json");
Deno.exit(0); // a wasm fallback's worker threads would otherwise keep the process alive
