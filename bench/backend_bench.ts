/**
 * Speed of the course's tfjs backend on the heavy operations: a 1024² matmul, a 3×3 64→64
 * convolution on 1×128×128×64 (forward, and forward + both gradients), and VGG19's conv stack
 * with random weights at 256² (forward, and forward + backward).
 *
 * Run: `deno run -A bench/backend_bench.ts [--profile]` (choose the backend with
 * `COURSE_BACKEND=blas|wasm-threaded|wasm|cpu`; threads with `COURSE_BLAS_THREADS` /
 * `COURSE_WASM_THREADS`). `--profile` adds the kernels that take the most time in one VGG19
 * forward + backward pass. Prints seconds per run and GFLOP/s (multiply-adds count as 2 flops).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { randomVggWeights, VGG19_ALL, vggForward } from "./random_vgg.ts";

interface Row {
  name: string;
  seconds: number;
  gflop: number;
}

async function time(f: () => tf.Tensor | tf.Tensor[], repeats: number): Promise<number> {
  const run = async () => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    for (const t of list) await t.data();
    tf.dispose(list);
  };
  await run(); // warm-up
  const start = performance.now();
  for (let i = 0; i < repeats; i++) await run();
  return (performance.now() - start) / 1000 / repeats;
}

/** Forward multiply-add flops of the stack on a size×size image. */
function vggFlops(size: number): number {
  let flops = 0, channels = 3, side = size;
  for (const block of VGG19_ALL) {
    for (const out of block) {
      flops += 2 * side * side * 9 * channels * out;
      channels = out;
    }
    side = Math.floor(side / 2);
  }
  return flops;
}

/** Max pooling after every block, as in the classifier. */
const MAX_POOLED = { pooling: "max", poolLast: true } as const;

const info = await initBackend();
console.log(`backend: ${info.summary}`);
const rng = new Random(1);
const rows: Row[] = [];

{
  const n = 1024;
  const a = rng.normalTensor([n, n]), b = rng.normalTensor([n, n]);
  rows.push({
    name: "matmul 1024²",
    seconds: await time(() => tf.matMul(a, b), 10),
    gflop: 2 * n ** 3 / 1e9,
  });
  tf.dispose([a, b]);
}
{
  const x = rng.normalTensor([1, 128, 128, 64]) as tf.Tensor4D;
  const w = rng.normalTensor([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
  const flops = 2 * 128 * 128 * 64 * 64 * 9 / 1e9;
  rows.push({
    name: "conv 3×3 64→64 128² fwd",
    seconds: await time(() => tf.conv2d(x, w, 1, "same"), 5),
    gflop: flops,
  });
  const loss = (xs: tf.Tensor, ws: tf.Tensor) =>
    tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, "same").square().sum();
  if (tf.getBackend() !== "wasm") {
    rows.push({
      name: "conv 3×3 64→64 128² fwd+bwd",
      seconds: await time(() => tf.grads(loss)([x, w]), 5),
      gflop: 3 * flops,
    });
  } else {
    const dx = (xs: tf.Tensor) => loss(xs, w);
    rows.push({
      name: "conv fwd+bwd (dx only: wasm has no dW)",
      seconds: await time(() => tf.grad(dx)(x), 3),
      gflop: 2 * flops,
    });
  }
  tf.dispose([x, w]);
}
{
  const size = 256;
  const x = rng.uniformTensor([1, size, size, 3], 0, 1) as tf.Tensor4D;
  const weights = randomVggWeights(VGG19_ALL, rng);
  const flops = vggFlops(size) / 1e9;
  rows.push({
    name: "VGG19 convs 256² fwd",
    seconds: await time(() => vggForward(VGG19_ALL, weights, x, MAX_POOLED), 2),
    gflop: flops,
  });
  const dx = tf.grad((xs: tf.Tensor) =>
    vggForward(VGG19_ALL, weights, xs as tf.Tensor4D, MAX_POOLED).sum()
  );
  // The first layer's dx is a 3-channel backprop, counted like the others.
  rows.push({
    name: "VGG19 convs 256² fwd+bwd (dx)",
    seconds: await time(() => dx(x), 2),
    gflop: 2 * flops,
  });
  if (tf.getBackend() !== "wasm") {
    const all = tf.grads((xs: tf.Tensor, ...ws: tf.Tensor[]) =>
      vggForward(VGG19_ALL, ws as tf.Tensor4D[], xs as tf.Tensor4D, MAX_POOLED).sum()
    );
    rows.push({
      name: "VGG19 convs 256² fwd+bwd (dx, dW)",
      seconds: await time(() => all([x, ...weights]), 2),
      gflop: 3 * flops,
    });
  }
  if (Deno.args.includes("--profile")) {
    const profile = await tf.profile(() => {
      const out = dx(x);
      out.dataSync();
      return out;
    });
    const byKernel = new Map<string, number>();
    for (const k of profile.kernels) {
      const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
    }
    const total = [...byKernel.values()].reduce((p, v) => p + v, 0);
    console.log(`profile of one VGG19 fwd+bwd (dx), kernel time ${(total / 1000).toFixed(2)} s:`);
    for (const [name, ms] of [...byKernel].sort((p, q) => q[1] - p[1]).slice(0, 12)) {
      console.log(
        `  ${name.padEnd(24)} ${(ms / 1000).toFixed(3)} s  ${(100 * ms / total).toFixed(1)}%`,
      );
    }
  }
  tf.dispose([x, ...weights]);
}

for (const r of rows) {
  console.log(
    `${r.name.padEnd(42)} ${r.seconds.toFixed(4).padStart(9)} s  ${
      (r.gflop / r.seconds).toFixed(1).padStart(7)
    } GFLOP/s`,
  );
}
