/**
 * The floor under the tfjs workloads of `bench/vs_torch.ts`: the same matrix products as raw
 * `cblas_sgemm` calls through FFI on preallocated buffers (no tfjs, no im2col, no allocation),
 * so that the benchmark can say how much of each workload is BLAS time and how much is ours.
 *
 * @module
 */
import { type Blas, openBlas } from "../lib/runtime/backends/blas/ffi.ts";

/** One sgemm: C[m×n] = op(A)·B with K = k; `transA` as in the conv's dW product. */
export interface Gemm {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  /** How many times the workload computes this product (default 1). */
  times?: number;
}

/** VGG19's layers up to conv5_1 as [side, in channels, out channels]. */
const VGG_LAYERS: readonly [number, number, number][] = [
  [256, 3, 64],
  [256, 64, 64],
  [128, 64, 128],
  [128, 128, 128],
  [64, 128, 256],
  [64, 256, 256],
  [64, 256, 256],
  [64, 256, 256],
  [32, 256, 512],
  [32, 512, 512],
  [32, 512, 512],
  [32, 512, 512],
  [16, 512, 512],
];

/** Forward and dx products of the VGG19 step (im2col formulation). */
const VGG_STEP: readonly Gemm[] = VGG_LAYERS.flatMap(([side, c, o]) => [
  { m: side * side, n: o, k: 9 * c, transA: false }, // forward
  { m: side * side, n: c, k: 9 * o, transA: false }, // dx
]);

/** The style layers' maps (conv1_1 … conv5_1) at 256² as [side, channels]. */
const STYLE_MAPS: readonly [number, number][] = [
  [256, 64],
  [128, 128],
  [64, 256],
  [32, 512],
  [16, 512],
];

/**
 * 600 minibatches of 100: two layer products forward, dW and dX of the output layer, dW of the
 * hidden one (products with a transposed B are timed with the same m, n, k untransposed).
 */
const MLP_EPOCH: readonly Gemm[] = [
  { m: 100, n: 100, k: 784, transA: false, times: 600 },
  { m: 100, n: 10, k: 100, transA: false, times: 600 },
  { m: 100, n: 10, k: 100, transA: true, times: 600 },
  { m: 100, n: 100, k: 10, transA: false, times: 600 },
  { m: 784, n: 100, k: 100, transA: true, times: 600 },
];

/** The products each workload computes with sgemm (im2col formulation of the convolutions). */
export const WORKLOAD_GEMMS: Readonly<Record<string, readonly Gemm[]>> = {
  a_matmul: [{ m: 1024, n: 1024, k: 1024, transA: false }],
  b_conv: [
    { m: 128 * 128, n: 64, k: 9 * 64, transA: false }, // forward
    { m: 128 * 128, n: 64, k: 9 * 64, transA: false }, // dx (a forward conv of dy)
    { m: 9 * 64, n: 64, k: 128 * 128, transA: true }, // dW
  ],
  c_vgg_step: VGG_STEP,
  d_mlp_epoch: MLP_EPOCH,
  d_mlp_epoch_autodiff: MLP_EPOCH,
  // The VGG step, plus each style layer's Gram matrix FᵀF and its gradient F·S.
  e_lbfgs_iter: [
    ...VGG_STEP,
    ...STYLE_MAPS.flatMap(([side, c]) => [
      { m: c, n: c, k: side * side, transA: true },
      { m: side * side, n: c, k: c, transA: false },
    ]),
  ],
};

/** Seconds for one pass over `gemms`, the median of `runs` (buffers allocated beforehand). */
export function timeGemms(gemms: readonly Gemm[], runs: number, blas: Blas = openBlas()): number {
  const buffers = gemms.map((g) => ({
    a: new Float32Array(g.m * g.k).fill(0.5),
    b: new Float32Array(g.k * g.n).fill(0.25),
    c: new Float32Array(g.m * g.n),
  }));
  const pass = () => {
    gemms.forEach((g, i) => {
      const { a, b, c } = buffers[i];
      for (let t = 0; t < (g.times ?? 1); t++) {
        blas.sgemm(g.transA, false, g.m, g.n, g.k, 1, a, g.transA ? g.m : g.k, b, g.n, 0, c, g.n);
      }
    });
  };
  pass();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    pass();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((p, q) => p - q);
  return times[times.length >> 1];
}

/** Multiply-add flops of a list of products. */
export function gemmFlops(gemms: readonly Gemm[]): number {
  return gemms.reduce((sum, g) => sum + 2 * g.m * g.n * g.k * (g.times ?? 1), 0);
}
