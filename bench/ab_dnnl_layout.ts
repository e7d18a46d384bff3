/**
 * Same-process A/B of the oneDNN convolutions' activation layout (`dnnlConvLayout`): NHWC
 * primitives against blocked ones with a reorder at each call's ends, alternating the two in
 * every round and printing medians, for the bench's (b) conv 3×3 64→64 forward + both gradients
 * and (c) VGG19 to conv5_1 step at 256². Alternation in one process keeps the comparison fair on
 * a busy machine. `ONEDNN_MAX_CPU_ISA=AVX2` shows what an AVX2-only CPU does.
 *
 * Usage: `deno run -A bench/ab_dnnl_layout.ts [--rounds N]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import {
  type ActivationLayout,
  dnnlConvLayout,
  dnnlStats,
} from "../lib/runtime/backends/blas/dnnl_conv.ts";
import { Random } from "../lib/runtime/random.ts";
import { randomVggBiases, randomVggWeights, VGG19_TO_CONV5_1, vggForward } from "./random_vgg.ts";

const roundsAt = Deno.args.indexOf("--rounds");
const ROUNDS = roundsAt >= 0 ? Number(Deno.args[roundsAt + 1]) : 5;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

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
const workloads: [string, () => tf.Tensor | tf.Tensor[]][] = [
  ["b_conv", () => convGrads([x, w], dy)],
  ["c_vgg_step", () => vggGrad(image)],
];
const layouts: ActivationLayout[] = ["nhwc", "blocked"];
const times = new Map<string, number[]>();
for (let round = -1; round < ROUNDS; round++) {
  for (const [name, f] of workloads) {
    for (const layout of round % 2 ? layouts : [...layouts].reverse()) {
      dnnlConvLayout.activations = layout;
      const reorders = dnnlStats.reorders;
      const t = time(f);
      if (round < 0) {
        console.log(
          `${name} ${layout}: ${dnnlStats.reorders - reorders} reorders in a warm-up run`,
        );
        continue;
      }
      const key = `${name} ${layout}`;
      times.set(key, [...(times.get(key) ?? []), t]);
    }
  }
}
for (const [name] of workloads) {
  const [a, b] = layouts.map((l) => median(times.get(`${name} ${l}`)!));
  console.log(
    `${name}: nhwc ${a.toFixed(4)} s, blocked ${b.toFixed(4)} s, blocked/nhwc ${
      (b / a).toFixed(2)
    } (medians of ${ROUNDS})`,
  );
}
console.log(`impls: ${[...dnnlStats.impls].join("; ")}`);
console.log(`load: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
tf.dispose([x, w, dy, image, ...weights, ...biases]);
