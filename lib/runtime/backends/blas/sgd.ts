/**
 * `CourseSgdStep` (see `SGD_STEP_KERNEL` in `lib/optim/sgd.ts`): one SGD update of a
 * parameter in a single pass over its values, instead of the four or five elementwise kernels
 * (and as many output arrays) of the same formula written with tfjs ops:
 *
 *   g′ = g + λ w,   v′ = μ v − η g′,   w′ = w + v′     (without momentum: w′ = w + (−η) g′)
 *
 * Every intermediate is rounded to float32 (`Math.fround`) exactly where the op-by-op version
 * stores a float32 tensor, and the scalars are float32 as tfjs makes them, so the results are
 * bit-for-bit those of the ops. For a 784×500 weight matrix the ops take about four passes of
 * 392 000 values each; this takes one.
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output } from "./kernel_util.ts";
import { KERNEL_NAMES } from "../kernel_names.ts";

/** The kernel's name, shared with `lib/optim/sgd.ts` (see `kernel_names.ts`). */
export const SGD_STEP_KERNEL_NAME: string = KERNEL_NAMES.sgdStep;

function sgdStep({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const wv = floatValues(backend, inputs.w), gv = floatValues(backend, inputs.g);
  const vv = inputs.v ? floatValues(backend, inputs.v) : undefined;
  if (!wv || !gv || wv.length !== gv.length || (inputs.v && vv?.length !== wv.length)) {
    throw new Error(
      `${SGD_STEP_KERNEL_NAME}: w, g (and v) must be float32 tensors of one size; got ` +
        `[${inputs.w.shape}], [${inputs.g.shape}]${inputs.v ? `, [${inputs.v.shape}]` : ""}`,
    );
  }
  const f = Math.fround;
  const eta = f(attrs?.learningRate as number), mu = f(attrs?.momentum as number);
  const lambda = f((attrs?.weightDecay as number | undefined) ?? 0);
  const shape = [...inputs.w.shape];
  const w = backend.pool.take(wv.length);
  if (vv) {
    const v = backend.pool.take(wv.length);
    for (let i = 0; i < wv.length; i++) {
      const g = lambda ? f(gv[i] + f(lambda * wv[i])) : gv[i];
      const next = f(f(mu * vv[i]) - f(eta * g));
      v[i] = next;
      w[i] = wv[i] + next;
    }
    return [output(backend, shape, w), output(backend, [...inputs.v.shape], v)];
  }
  const minusEta = f(-(attrs?.learningRate as number));
  for (let i = 0; i < wv.length; i++) {
    const g = lambda ? f(gv[i] + f(lambda * wv[i])) : gv[i];
    w[i] = wv[i] + f(minusEta * g);
  }
  return [output(backend, shape, w)];
}

/** The fused SGD kernel of the `blas` backend. */
export const BLAS_SGD_KERNELS: readonly KernelConfig[] = [
  { kernelName: SGD_STEP_KERNEL_NAME, backendName: "blas", kernelFunc: asKernelFunc(sgdStep) },
];
