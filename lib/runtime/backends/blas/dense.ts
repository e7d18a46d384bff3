/**
 * `CourseDenseBackward` (see `KERNEL_NAMES.denseBackward`): one layer of chapter 4's hand-written
 * backpropagation in one kernel instead of nine (two products, a sum, two divisions, the slope's
 * one or two elementwise ops and its product with the back-propagated error):
 *
 *   ∂E/∂W = (Δ Zᵀ)/n,   ∂E/∂b = (Δ 1)/n,   Δ′ = f′ ⊙ (Wᵀ Δ)
 *
 * with f′ from the layer below's output z (logistic z(1 − z), tanh 1 − z²) or input u (ReLU
 * [u > 0]). The products are the same sgemm calls as `BatchMatMul`'s, the sum accumulates in
 * double as `Sum`'s, and every other value is rounded to float32 where the op-by-op version stores
 * a float32 tensor, so the outputs are bit-for-bit those of the ops.
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output } from "./kernel_util.ts";
import { KERNEL_NAMES } from "../kernel_names.ts";

/** The slopes the kernel computes, named as the attribute `slope` gives them. */
export type DenseSlope = "logistic" | "tanh" | "relu" | "none";

function denseBackward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const name = KERNEL_NAMES.denseBackward;
  const slope = (attrs?.slope as DenseSlope | undefined) ?? "none";
  const delta = floatValues(backend, inputs.delta), zPrev = floatValues(backend, inputs.zPrev);
  const w = floatValues(backend, inputs.W);
  const from = inputs.slopeFrom ? floatValues(backend, inputs.slopeFrom) : undefined;
  const [outs, batch] = inputs.delta.shape, [ins] = inputs.zPrev.shape;
  if (
    !delta || !zPrev || !w || inputs.delta.shape.length !== 2 || inputs.zPrev.shape[1] !== batch ||
    inputs.W.shape[0] !== outs || inputs.W.shape[1] !== ins ||
    (slope !== "none" && (!from || from.length !== ins * batch))
  ) {
    throw new Error(
      `${name}: expected float32 delta [out, N], zPrev [in, N], W [out, in] (and slopeFrom ` +
        `[in, N]); got [${inputs.delta.shape}], [${inputs.zPrev.shape}], [${inputs.W.shape}]`,
    );
  }
  const f = Math.fround;
  const n = f(attrs?.n as number);
  const blas = backend.blas;
  // ∂E/∂W = (Δ Zᵀ)/n: matMul(Δ, Z, false, true) as BatchMatMul calls it, then RealDiv.
  const dW = backend.pool.take(outs * ins);
  blas.sgemm(false, true, outs, ins, batch, 1, delta, batch, zPrev, batch, 0, dW, ins);
  for (let i = 0; i < dW.length; i++) dW[i] = dW[i] / n;
  // ∂E/∂b = (Δ 1)/n: Sum over the columns in double, stored as float32, then RealDiv.
  const db = backend.pool.take(outs);
  for (let o = 0; o < outs; o++) {
    let sum = 0;
    for (let c = o * batch, end = c + batch; c < end; c++) sum += delta[c];
    db[o] = f(sum) / n;
  }
  const result = [output(backend, [outs, ins], dW), output(backend, [outs, 1], db)];
  if (slope === "none") return result;
  // Δ′ = f′ ⊙ (WᵀΔ): matMul(W, Δ, true, false), the slope's ops, Multiply.
  const back = backend.pool.take(ins * batch);
  blas.sgemm(true, false, ins, batch, outs, 1, w, ins, delta, batch, 0, back, batch);
  const z = from!;
  switch (slope) {
    case "logistic": // mul(z, sub(1, z))
      for (let i = 0; i < back.length; i++) back[i] = f(z[i] * f(1 - z[i])) * back[i];
      break;
    case "tanh": // sub(1, square(z))
      for (let i = 0; i < back.length; i++) back[i] = f(1 - f(z[i] * z[i])) * back[i];
      break;
    case "relu": // cast(greater(u, 0), "float32")
      for (let i = 0; i < back.length; i++) back[i] = (z[i] > 0 ? 1 : 0) * back[i];
      break;
    default:
      throw new Error(`${name}: unknown slope "${slope}"`);
  }
  result.push(output(backend, [ins, batch], back));
  return result;
}

/** The fused backpropagation kernel of the `blas` backend. */
export const BLAS_DENSE_KERNELS: readonly KernelConfig[] = [
  {
    kernelName: KERNEL_NAMES.denseBackward,
    backendName: "blas",
    kernelFunc: asKernelFunc(denseBackward),
  },
];
