/**
 * `Transpose` of float32 tensors by plain loops: the cpu kernel converts every index to
 * coordinates and back, and took 12 ms to turn a [784, 64] batch of MNIST columns into the
 * [64, 784] rows of a CNN's input (chapter 6) — longer than the network's first convolution.
 * Axes that stay neighbours in the same order are merged first, so the common cases are a 2-D
 * transpose (done in square tiles, so that reads and writes both stay in cache) or a copy.
 * It only moves values, so the result is the cpu kernel's exactly. Other dtypes go to the cpu
 * kernel.
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output, runCpu } from "./kernel_util.ts";

/** Tile edge of the 2-D transpose (32 × 32 floats: 4 KiB read and 4 KiB written per tile). */
const TILE = 32;

/**
 * The transposition with merged axes: `dims[k]` is the size of merged input axis k, and `order`
 * lists the merged input axes in output order (dropping axes of size 1).
 */
export function mergedPermutation(
  shape: readonly number[],
  perm: readonly number[],
): { dims: number[]; order: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  // Runs of consecutive input axes in the output order become one axis.
  const runs: number[][] = [];
  for (const axis of kept) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === axis - 1) last.push(axis);
    else runs.push([axis]);
  }
  const byInput = [...runs].sort((a, b) => a[0] - b[0]);
  const dims = byInput.map((run) => run.reduce((p, axis) => p * shape[axis], 1));
  const order = runs.map((run) => byInput.indexOf(run));
  return { dims, order };
}

/** out = in transposed, for in [rows, cols] → out [cols, rows]. */
export function transpose2d(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let r = r0; r < r1; r++) {
        const from = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = x[from + c];
      }
    }
  }
}

function transpose({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  const xv = floatValues(backend, x);
  const perm = attrs?.perm as number[] | undefined;
  if (!xv || !perm) return runCpu("Transpose", inputs, backend, attrs);
  const shape = perm.map((axis) => x.shape[axis]);
  const out = backend.pool.take(xv.length);
  const { dims, order } = mergedPermutation(x.shape, perm);
  if (order.length <= 1) out.set(xv); // nothing moves
  else if (order.length === 2) transpose2d(xv, dims[0], dims[1], out);
  else {
    // Odometer over the output in order, reading with the input strides of each output axis.
    const inputStrides = new Array<number>(dims.length);
    for (let k = dims.length - 1, s = 1; k >= 0; k--) {
      inputStrides[k] = s;
      s *= dims[k];
    }
    const sizes = order.map((k) => dims[k]), strides = order.map((k) => inputStrides[k]);
    const last = order.length - 1, n = sizes[last], step = strides[last];
    const index = new Array<number>(last).fill(0);
    let from = 0;
    for (let o = 0; o < out.length; o += n) {
      for (let i = 0, at = from; i < n; i++, at += step) out[o + i] = xv[at];
      for (let axis = last - 1; axis >= 0; axis--) {
        from += strides[axis];
        if (++index[axis] < sizes[axis]) break;
        from -= strides[axis] * sizes[axis];
        index[axis] = 0;
      }
    }
  }
  return output(backend, shape, out);
}

/** The transposition kernel of the `blas` backend. */
export const BLAS_TRANSPOSE_KERNELS: readonly KernelConfig[] = [
  { kernelName: "Transpose", backendName: "blas", kernelFunc: asKernelFunc(transpose) },
];
