/**
 * Same-process A/B of the oneDNN convolutions' activation layout (`dnnlConvLayout`): NHWC
 * primitives, blocked ones with a reorder at each call's ends, and the chain (blocked, kept
 * blocked across the frozen layers, reordered only at the input and the output), alternating
 * them in every round and printing medians, for the bench's (b) conv 3×3 64→64 forward + both
 * gradients (the chain runs it as "blocked": it is no frozen network) and (c) VGG19 to conv5_1
 * step at 256², and (e) the style-transfer loss and gradient of the L-BFGS iteration (its taps
 * read out), with the oneDNN reorders each layout runs per call. Alternation in one process
 * keeps the comparison fair on a busy machine. `ONEDNN_MAX_CPU_ISA=AVX2` shows what an AVX2-only
 * CPU does. At the end, the largest differences of the VGG step's input gradient between layouts.
 *
 * `chain-unfused` is the chain with the bias, the ReLU and its gradient in loops instead of
 * oneDNN's post-ops and ReLU gradient (`dnnlPostOps`).
 *
 * Usage: `deno run -A bench/ab_dnnl_layout.ts [--rounds N]
 * [--layouts nhwc,blocked,chain,chain-unfused] [--only b_conv,c_vgg_step,e_style_grad]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import {
  dnnlConvLayout,
  dnnlPostOps,
  dnnlStats,
  type LayoutSetting,
} from "../lib/runtime/backends/blas/dnnl_conv.ts";
import { Random } from "../lib/runtime/random.ts";
import { median } from "./paired.ts";
import {
  randomStyleObjective,
  randomVggBiases,
  randomVggWeights,
  VGG19_TO_CONV5_1,
  vggForward,
} from "./random_vgg.ts";

function option(name: string): string | undefined {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : undefined;
}
const ROUNDS = Number(option("--rounds") ?? 5);
/** A layout setting, or the chain without post-ops. */
type Variant = LayoutSetting | "chain-unfused";
const LAYOUTS = (option("--layouts") ?? "nhwc,blocked,chain").split(",") as Variant[];

/** Set the layout (and the post-ops) of `variant`. */
function use(variant: Variant): void {
  dnnlConvLayout.activations = variant === "chain-unfused" ? "chain" : variant;
  dnnlPostOps.biasRelu = dnnlPostOps.reluGradient = variant !== "chain-unfused";
}
const ONLY = option("--only")?.split(",");

function time(f: () => tf.Tensor | tf.Tensor[]): number {
  const start = performance.now();
  const out = tf.tidy(f);
  tf.dispose(Array.isArray(out) ? out : [out]);
  return (performance.now() - start) / 1000;
}

console.log(await setupBlas());
console.log(`load: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
const rng = new Random(2);
const x = rng.normalTensor([1, 128, 128, 64]) as tf.Tensor4D;
const w = rng.normalTensor([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
const dy = rng.normalTensor([1, 128, 128, 64]) as tf.Tensor4D;
const convGrads = tf.grads((xs: tf.Tensor, ws: tf.Tensor) =>
  tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, "same")
);
const weights = randomVggWeights(VGG19_TO_CONV5_1, rng);
const biases = randomVggBiases(VGG19_TO_CONV5_1, rng);
const image = rng.uniformTensor([1, 256, 256, 3], 0, 1) as tf.Tensor4D;
const vggGrad = tf.grad((input: tf.Tensor) =>
  vggForward(VGG19_TO_CONV5_1, weights, input as tf.Tensor4D, { pooling: "avg", biases }).sum()
);
// e_style_grad: the loss and gradient evaluation of the bench's e_lbfgs_iter (content loss at
// conv4_2, Gram-matrix style losses at conv1_1 … conv5_1, random targets), without the L-BFGS
// arithmetic, which does not depend on the layout.
const styleObjective = randomStyleObjective(weights, biases, rng, 256);
const styleGrad = styleObjective.lossAndGrad;
const workloads = ([
  ["b_conv", () => convGrads([x, w], dy)],
  ["c_vgg_step", () => vggGrad(image)],
  ["e_style_grad", () => {
    const { value, grad } = styleGrad(image);
    return [value, grad];
  }],
] as [string, () => tf.Tensor | tf.Tensor[]][]).filter(([name]) => ONLY?.includes(name) ?? true);
const layouts = LAYOUTS;
const times = new Map<string, number[]>();
for (let round = -2; round < ROUNDS; round++) {
  for (const [name, f] of workloads) {
    for (const layout of round % 2 ? layouts : [...layouts].reverse()) {
      use(layout);
      const reorders = dnnlStats.reorders;
      const t = time(f);
      if (round < 0) {
        // The first run reorders the filters too; the second shows the activations' reorders.
        if (round === -1) {
          console.log(`${name} ${layout}: ${dnnlStats.reorders - reorders} reorders per run`);
        }
        continue;
      }
      const key = `${name} ${layout}`;
      times.set(key, [...(times.get(key) ?? []), t]);
    }
  }
}
for (const [name] of workloads) {
  const medians = layouts.map((l) => median(times.get(`${name} ${l}`)!));
  const ratios = layouts.slice(1).map((l, i) =>
    `${l}/${layouts[0]} ${(medians[i + 1] / medians[0]).toFixed(2)}`
  );
  if (layouts[0] !== "blocked" && layouts.includes("chain") && layouts.includes("blocked")) {
    const [c, b] = ["chain", "blocked"].map((l) => medians[layouts.indexOf(l as Variant)]);
    ratios.push(`chain/blocked ${(c / b).toFixed(2)}`);
  }
  console.log(
    `${name}: ${layouts.map((l, i) => `${l} ${medians[i].toFixed(4)} s`).join(", ")}; ${
      ratios.join(", ")
    } (medians of ${ROUNDS})`,
  );
}
if (workloads.some(([name]) => name === "c_vgg_step")) {
  const gradients = layouts.map((layout) => {
    use(layout);
    const g = vggGrad(image);
    const values = g.dataSync() as Float32Array;
    g.dispose();
    return values;
  });
  for (let i = 1; i < layouts.length; i++) {
    let diff = 0, scale = 0, squaredDiff = 0, squared = 0;
    for (let k = 0; k < gradients[0].length; k++) {
      const d = gradients[i][k] - gradients[0][k];
      diff = Math.max(diff, Math.abs(d));
      scale = Math.max(scale, Math.abs(gradients[0][k]));
      squaredDiff += d * d;
      squared += gradients[0][k] ** 2;
    }
    console.log(
      `c_vgg_step dx, ${layouts[i]} against ${layouts[0]}: max |difference| ${
        diff.toExponential(2)
      } (max |dx| ${scale.toExponential(2)}), ‖difference‖ / ‖dx‖ ${
        Math.sqrt(squaredDiff / squared).toExponential(2)
      }`,
    );
  }
}
console.log(`impls: ${[...dnnlStats.impls].join("; ")}`);
console.log(`load: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
styleObjective.dispose();
tf.dispose([x, w, dy, image, ...weights, ...biases]);
