/**
 * The elementwise kernels of a ReLU network's training step as plain loops over Float32Arrays:
 * `Relu`, `Step` (which tfjs's ReLU gradient multiplies by), and `Add`, `Sub`, `Multiply` for
 * equal shapes, a one-element operand, or a per-channel (last-axis) vector. The cpu backend's
 * broadcasting path converts every index to coordinates and took 120 ms to multiply a 1M-element
 * tensor by a scalar (the gradient of `sum`). Other broadcasts go to the cpu kernels.
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output, runCpu } from "./kernel_util.ts";

function relu({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const xv = floatValues(backend, inputs.x);
  if (!xv) return runCpu("Relu", inputs, backend, attrs);
  const out = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i++) out[i] = xv[i] < 0 ? 0 : xv[i];
  return output(backend, [...inputs.x.shape], out);
}

function step({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const xv = floatValues(backend, inputs.x);
  if (!xv) return runCpu("Step", inputs, backend, attrs);
  const alpha = (attrs?.alpha as number | undefined) ?? 0;
  const out = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i];
    out[i] = v > 0 ? 1 : Number.isNaN(v) ? NaN : alpha;
  }
  return output(backend, [...inputs.x.shape], out);
}

type Op = (a: number, b: number) => number;

const OPS: Record<string, Op> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Multiply: (a, b) => a * b,
};

/** How `b` repeats along `a` (same shape, one element, or one value per last-axis entry). */
function pattern(big: TensorInfo, small: TensorInfo): "same" | "scalar" | "channel" | undefined {
  const n = small.shape.reduce((p, d) => p * d, 1);
  if (small.shape.length > big.shape.length) return undefined;
  if (big.shape.length === small.shape.length && big.shape.every((d, i) => d === small.shape[i])) {
    return "same";
  }
  if (n === 1) return "scalar";
  const last = big.shape[big.shape.length - 1];
  if (n === last && small.shape[small.shape.length - 1] === last) return "channel";
  return undefined;
}

function binary(name: string): (args: KernelArgs) => TensorInfo {
  const op = OPS[name];
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { a, b } = inputs;
    const av = floatValues(backend, a), bv = floatValues(backend, b);
    if (!av || !bv) return runCpu(name, inputs, backend, attrs);
    let kind = pattern(a, b), swapped = false;
    if (!kind) {
      kind = pattern(b, a);
      swapped = true;
    }
    if (!kind) return runCpu(name, inputs, backend, attrs);
    const big = swapped ? bv : av, small = swapped ? av : bv;
    const out = new Float32Array(big.length);
    const f: Op = swapped ? (x, y) => op(y, x) : op; // keep a ∘ b order for Sub
    if (kind === "same") {
      for (let i = 0; i < out.length; i++) out[i] = f(big[i], small[i]);
    } else if (kind === "scalar") {
      const s = small[0];
      for (let i = 0; i < out.length; i++) out[i] = f(big[i], s);
    } else {
      const C = small.length;
      for (let i = 0; i < out.length; i += C) {
        for (let c = 0; c < C; c++) out[i + c] = f(big[i + c], small[c]);
      }
    }
    return output(backend, [...(swapped ? b : a).shape], out);
  };
}

/** Elementwise kernels of the `blas` backend. */
export const BLAS_ELEMENTWISE_KERNELS: readonly KernelConfig[] = [
  { kernelName: "Relu", backendName: "blas", kernelFunc: asKernelFunc(relu) },
  { kernelName: "Step", backendName: "blas", kernelFunc: asKernelFunc(step) },
  ...Object.keys(OPS).map((name) => ({
    kernelName: name,
    backendName: "blas",
    kernelFunc: asKernelFunc(binary(name)),
  })),
];
