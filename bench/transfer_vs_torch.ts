/**
 * One whole style transfer in the course and in PyTorch on the same machine (issue 20's "real
 * job"): the paper's objective at `--size` px (long side, default 256), `--iterations` L-BFGS
 * iterations (default 100) from white noise, photo and painting from the paper's images (default
 * the Neckarfront and *The Starry Night*, figure 2C's pair, α/β = 10⁻³ by the course's balance
 * rule).
 *
 * The course side is exactly what the figure notebooks run: `prepareGatysFigure` (VGG19 with
 * average pooling, normalised on the six images), `alphaFor(1e-3)` and `styleTransfer`. Everything
 * that run depends on is then written to a temporary folder — the normalised kernels and biases,
 * the photo and the painting as network inputs, the white-noise start, α, β, the layers and the
 * L-BFGS settings — and `bench/torch_transfer.py` runs the same objective from the same start
 * with `torch.optim.LBFGS` (history 20, strong Wolfe line search: PyTorch's own optimiser, so the
 * paths differ after the first steps; the losses reached are printed to show both did the job).
 * PyTorch's first step would be g/‖g‖₁, too small to change this float32 loss at all (its line
 * search then gives up after one iteration), so the peer optimises x/s with s = ‖g₀‖₁/‖g₀‖∞,
 * which makes its first trial step the course's (the largest pixel moves by one grey level).
 * Both sides are timed from the targets to the last iteration and use the same thread count; the
 * runs alternate (course, PyTorch, PyTorch, course, …) so both see the same machine.
 *
 * Prints one line per run and the medians of seconds per evaluation, and writes
 * `out/transfer_bench.json` (`{"machine", "settings", "runs"}`).
 *
 * Usage: `deno run -A bench/transfer_vs_torch.ts [--size 256] [--iterations 100] [--rounds 1]
 * [--photo tubingen] [--painting starry_night] [--threads N]`. Needs the external data (VGG19,
 * the paper's images) and, for the PyTorch side, Debian's `python3-torch` (or
 * `COURSE_TORCH_PYTHON`); without torch it times the course alone.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/runtime/backend.ts";
import { outDir } from "../lib/runtime/config.ts";
import { writeFileAtomic } from "../lib/runtime/files.ts";
import {
  GATYS_IMAGES,
  type GatysImage,
  prepareGatysFigure,
} from "../lib/chapters/gatys_figures.ts";
import { VGG19_LAYERS, vggPreprocess } from "../lib/vision/vgg19.ts";
import { resolveTargetSpec } from "../lib/vision/style_objective.ts";
import { styleTransfer, whiteNoise } from "../lib/vision/style_transfer.ts";
import { cpuInfo, cpuName, torchPython } from "./machine.ts";
import { median } from "./paired.ts";

/** One timed run of either side. */
interface TransferRun {
  side: "course" | "torch";
  /** Targets and L-BFGS, wall clock. */
  seconds: number;
  evaluations: number;
  iterations: number;
  /** The objective at the start and at the final image. */
  loss_start: number;
  loss: number;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "256" },
    iterations: { type: "string", default: "100" },
    rounds: { type: "string", default: "1" },
    photo: { type: "string", default: "tubingen" },
    painting: { type: "string", default: "starry_night" },
    threads: { type: "string" },
  },
});
const size = Number(values.size), iterations = Number(values.iterations);
const rounds = Number(values.rounds);
for (const name of [values.photo, values.painting]) {
  if (!(name in GATYS_IMAGES)) {
    throw new Error(`unknown image "${name}": one of ${Object.keys(GATYS_IMAGES).join(", ")}`);
  }
}
const threads = Number(values.threads ?? navigator.hardwareConcurrency);
if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`--threads: not a count`);
Deno.env.set("COURSE_BLAS_THREADS", String(threads)); // the course's side, as torch's below
console.log(`tfjs backend: ${(await initBackend()).summary}`);

const setup = await prepareGatysFigure(size);
const photo = setup.images[values.photo as GatysImage];
const painting = setup.images[values.painting as GatysImage];
const [height, width] = photo.shape;
const alpha = setup.alphaFor(1e-3);
const spec = resolveTargetSpec({ content: photo, style: painting, contentWeight: alpha });
console.log(
  `${values.photo} ${width}×${height} with ${values.painting}'s style, α = ${
    alpha.toPrecision(4)
  }, β = 1, ${iterations} L-BFGS iterations from white noise, ${threads} threads each`,
);

/** Write what PyTorch needs into a fresh temporary folder (see bench/torch_transfer.py). */
async function exportRun(folder: string): Promise<void> {
  const last = Math.max(...spec.layers.map((l) => VGG19_LAYERS.indexOf(l)));
  const layerOrder = VGG19_LAYERS.slice(0, last + 1);
  const parts: Float32Array[] = [];
  const arrays: Record<string, { offset: number; shape: number[] }> = {};
  let offset = 0;
  const add = (name: string, t: tf.Tensor) => {
    arrays[name] = { offset, shape: t.shape };
    parts.push(t.dataSync() as Float32Array);
    offset += t.size;
  };
  let conv = 0;
  for (const name of layerOrder) {
    if (!name.startsWith("conv")) continue;
    const c = setup.vgg.convs[conv++];
    if (c.name !== name) throw new Error(`VGG19's conv ${conv} is ${c.name}, expected ${name}`);
    add(`${name}/kernel`, c.kernel);
    add(`${name}/bias`, c.bias);
  }
  const inputs = [vggPreprocess(photo), vggPreprocess(painting)];
  add("photo", inputs[0]);
  add("painting", inputs[1]);
  tf.dispose(inputs);
  const blob = new Float32Array(offset);
  parts.reduce((at, p) => (blob.set(p, at), at + p.length), 0);
  await Deno.writeFile(`${folder}/arrays.bin`, new Uint8Array(blob.buffer));
  const x0 = whiteNoise(height, width); // styleTransfer's start (noise 4, COURSE_SEED)
  await Deno.writeFile(`${folder}/x0.bin`, new Uint8Array(x0.buffer));
  await Deno.writeTextFile(
    `${folder}/spec.json`,
    JSON.stringify({
      height,
      width,
      layer_order: layerOrder,
      content_layer: spec.contentLayer,
      style_layers: spec.styleLayers,
      style_layer_weights: spec.styleLayerWeights,
      alpha: spec.alpha,
      beta: spec.beta,
      iterations,
      max_evaluations: Math.floor(2.5 * iterations + 20), // minimizeLbfgs's default
      memory: 20, // minimizeLbfgs's default
      threads,
      arrays,
    }),
  );
}

async function courseRun(): Promise<TransferRun> {
  const result = await styleTransfer(setup.vgg, {
    content: photo,
    style: painting,
    contentWeight: alpha,
    iterations,
    progress: false,
  });
  const { history, seconds } = result;
  result.dispose();
  return {
    side: "course",
    seconds,
    evaluations: history.at(-1)!.evaluations,
    iterations: history.at(-1)!.iteration,
    loss_start: history[0].total,
    loss: history.at(-1)!.total,
  };
}

async function torchRun(folder: string): Promise<TransferRun | string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(torchPython(), {
      args: [new URL("./torch_transfer.py", import.meta.url).pathname, folder],
      env: { OMP_WAIT_POLICY: "PASSIVE" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    return `torch not installed (${torchPython()} did not start: ${(error as Error).message})`;
  }
  const text = new TextDecoder().decode(output.stdout).trim();
  const line = text.split("\n").at(-1) ?? "";
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line);
  } catch {
    const errors = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`bench/torch_transfer.py did not report a run: ${errors || text}`);
  }
  if (typeof parsed.error === "string") return parsed.error;
  return { side: "torch", ...parsed } as unknown as TransferRun;
}

function show(run: TransferRun): void {
  console.log(
    `${run.side.padEnd(6)} ${run.seconds.toFixed(1).padStart(6)} s  ${
      String(run.evaluations).padStart(4)
    } evaluations (${run.iterations} iterations)  ${
      (run.seconds / run.evaluations).toFixed(3)
    } s/evaluation  loss ${run.loss_start.toPrecision(4)} → ${run.loss.toPrecision(4)}`,
  );
}

const folder = await Deno.makeTempDir({ prefix: "transfer_vs_torch_" });
const runs: TransferRun[] = [];
let torchMissing: string | undefined;
try {
  await exportRun(folder);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["course", "torch"] : ["torch", "course"];
    for (const side of order) {
      if (side === "torch" && torchMissing) continue;
      const run = side === "course" ? await courseRun() : await torchRun(folder);
      if (typeof run === "string") {
        torchMissing = run;
        console.log(run);
        continue;
      }
      runs.push(run);
      show(run);
    }
  }
} finally {
  await Deno.remove(folder, { recursive: true });
}

const perEvaluation = (side: string) =>
  median(runs.filter((r) => r.side === side).map((r) => r.seconds / r.evaluations));
const course = perEvaluation("course");
const torch = torchMissing ? undefined : perEvaluation("torch");
console.log(
  `seconds per evaluation (median): course ${course.toFixed(3)}${
    torch === undefined ? "" : `, PyTorch ${torch.toFixed(3)}, ratio ${(course / torch).toFixed(2)}`
  }`,
);
const cpu = cpuInfo();
await Deno.mkdir(outDir(), { recursive: true });
await writeFileAtomic(
  `${outDir()}/transfer_bench.json`,
  JSON.stringify(
    {
      machine: {
        cpu: cpu && cpuName(cpu),
        vector_extensions: cpu?.vectorExtensions,
        load: Deno.loadavg(),
      },
      settings: {
        photo: values.photo,
        painting: values.painting,
        width,
        height,
        alpha,
        iterations,
        threads,
      },
      runs,
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${outDir()}/transfer_bench.json`);
setup.dispose();
