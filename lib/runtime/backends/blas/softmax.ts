/**
 * `CourseSoftmaxCrossEntropy` (see `KERNEL_NAMES.softmaxCrossEntropy`): the softmax output layer,
 * its cross-entropy and the output delta of backpropagation in one kernel, instead of the eleven
 * of the same formulas written with tfjs ops (`softmax`, `crossEntropy` in `lib/nn/losses.ts` and
 * the `sub` of `backward` in `lib/nn/network.ts`), one example per column of u [K, N]:
 *
 *   Y = exp(u − max u) / Σ exp(u − max u)     (per column)
 *   Δ = Y − D
 *   E = −(Σ D ⊙ log max(Y, tiny)) / N
 *
 * Every value is rounded to float32 exactly where the ops store a float32 tensor, the column
 * maximum is taken as the `Max` kernel takes it (the first of equal values, NaN wins), and the
 * sums accumulate in double in the order of the `Sum` kernel (down each column for softmax's
 * denominator; over all entries in row-major order for the error), so the outputs are bit-for-bit
 * those of the ops (tests/dense_kernel_test.ts).
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import {
  asKernelFunc,
  floatValues,
  type KernelArgs,
  numericValues,
  output,
} from "./kernel_util.ts";
import { KERNEL_NAMES } from "../kernel_names.ts";

function softmaxCrossEntropy({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const name = KERNEL_NAMES.softmaxCrossEntropy;
  const u = floatValues(backend, inputs.u);
  const d = inputs.d ? numericValues(backend, inputs.d) : undefined; // one-hot: often a cast
  const [classes, batch] = inputs.u.shape;
  if (
    !u || inputs.u.shape.length !== 2 || classes < 1 || batch < 1 ||
    (inputs.d && (!d || inputs.d.shape.length !== 2 || inputs.d.shape[0] !== classes ||
      inputs.d.shape[1] !== batch))
  ) {
    throw new Error(
      `${name}: expected float32 u [K, N] with K, N ≥ 1 (and targets d of the same shape); got ` +
        `[${inputs.u.shape}]${inputs.d ? `, [${inputs.d.shape}]` : ""}`,
    );
  }
  const f = Math.fround;
  const y = backend.pool.take(u.length);
  for (let c = 0; c < batch; c++) {
    // max(u, 0): the Max kernel keeps the first maximum and lets NaN through.
    let max = u[c];
    for (let i = c; i < u.length; i += batch) if (Number.isNaN(u[i]) || u[i] > max) max = u[i];
    // exp(u − max), each rounded; their column sum in double, then rounded, as Sum's.
    let sum = 0;
    for (let i = c; i < u.length; i += batch) sum += y[i] = f(Math.exp(f(u[i] - max)));
    const total = f(sum);
    for (let i = c; i < u.length; i += batch) y[i] = y[i] / total;
  }
  const shape = [classes, batch];
  if (!d) return [output(backend, shape, y)];
  const tiny = f(attrs?.tiny as number);
  const delta = backend.pool.take(u.length);
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    delta[i] = y[i] - d[i]; // Y − D
    sum += f(d[i] * f(Math.log(Math.max(y[i], tiny)))); // d · log max(y, tiny)
  }
  const error = new Float32Array([-f(sum) / f(batch)]);
  return [output(backend, shape, y), output(backend, shape, delta), output(backend, [], error)];
}

/** The fused softmax cross-entropy kernel of the `blas` backend. */
export const BLAS_SOFTMAX_KERNELS: readonly KernelConfig[] = [
  {
    kernelName: KERNEL_NAMES.softmaxCrossEntropy,
    backendName: "blas",
    kernelFunc: asKernelFunc(softmaxCrossEntropy),
  },
];
