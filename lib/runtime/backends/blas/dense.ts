/**
 * The dense layer of chapter 4's network in the book's matrix form, each direction in one kernel:
 *
 * - `CourseDenseForward` (see `KERNEL_NAMES.denseForward`): U = W Z⁽ˡ⁻¹⁾ + b 1ᵀ and Z = f(U) for
 *   f = ReLU, logistic, tanh or the identity — one sgemm, then one pass adding the bias and
 *   applying f, instead of a product, a broadcast `Add` and the activation's op (each allocating
 *   its output). The identity returns U alone (the op-by-op version's `clone` shares U's data).
 * - `CourseDenseBackward` (see `KERNEL_NAMES.denseBackward`): one layer of the hand-written
 *   backpropagation instead of nine kernels (two products, a sum, two divisions, the slope's one
 *   or two elementwise ops and its product with the back-propagated error):
 *
 *   ∂E/∂W = (Δ Zᵀ)/n,   ∂E/∂b = (Δ 1)/n,   Δ′ = f′ ⊙ (Wᵀ Δ + s 1ᵀ)
 *
 *   with f′ from the layer below's output z (logistic z(1 − z), tanh 1 − z²) or input u (ReLU
 *   [u > 0]), and s an optional column (`backShift` [in, 1]; the sparsity term β s of chapter 5's
 *   autoencoder, added as `Add` broadcasts it).
 *
 * The products are the same sgemm calls as `BatchMatMul`'s, the sum accumulates in double as
 * `Sum`'s, and every other value is rounded to float32 where the op-by-op version stores a float32
 * tensor (ReLU is `Math.max(u, 0)`, as the `Maximum` kernel of `tf.maximum(u, 0)` computes it;
 * logistic 1/(1 + e⁻ᵘ) as the `Sigmoid` kernel; tanh `Math.tanh`), so the outputs are bit-for-bit
 * those of the ops (tests/dense_kernel_test.ts).
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import {
  asKernelFunc,
  type BlasHost,
  floatValues,
  type KernelArgs,
  numericValues,
  output,
  runCpu,
  sizeOf,
} from "./kernel_util.ts";
import { logisticInto } from "./fast_exp.ts";
import { multiply } from "./matmul.ts";
import { KERNEL_NAMES } from "../kernel_names.ts";

/** The slopes the kernel computes, named as the attribute `slope` gives them. */
export type DenseSlope = "logistic" | "tanh" | "relu" | "none";

/** The activations `CourseDenseForward` applies, named as its attribute `activation` gives them. */
export type DenseActivation = "logistic" | "tanh" | "relu" | "identity";

const DENSE_ACTIVATIONS: readonly string[] = ["logistic", "tanh", "relu", "identity"];

function denseForward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const name = KERNEL_NAMES.denseForward;
  const activation = attrs?.activation as DenseActivation;
  if (!DENSE_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `${name}: unknown activation "${activation}" (${DENSE_ACTIVATIONS.join(", ")})`,
    );
  }
  const b = numericValues(backend, inputs.b);
  const [outs, ins] = inputs.W.shape, [, batch] = inputs.zPrev.shape;
  if (
    !b || inputs.W.dtype !== "float32" || inputs.zPrev.dtype !== "float32" ||
    inputs.W.shape.length !== 2 || inputs.zPrev.shape.length !== 2 ||
    inputs.zPrev.shape[0] !== ins || inputs.b.shape.length !== 2 || inputs.b.shape[0] !== outs ||
    inputs.b.shape[1] !== 1
  ) {
    throw new Error(
      `${name}: expected float32 W [out, in], b [out, 1], zPrev [in, N]; got ` +
        `[${inputs.W.shape}], [${inputs.b.shape}], [${inputs.zPrev.shape}]`,
    );
  }
  // U = W Z exactly as the BatchMatMul kernel computes matMul(W, Z), into U's buffer.
  const u = product(backend, inputs.W, inputs.zPrev);
  // U += b 1ᵀ, rounded to float32 by the store as Add's is.
  for (let o = 0; o < outs; o++) {
    const bias = b[o];
    for (let c = o * batch, end = c + batch; c < end; c++) u[c] = u[c] + bias;
  }
  const shape = [outs, batch];
  if (activation === "identity") return [output(backend, shape, u)];
  const z = backend.pool.take(u.length);
  switch (activation) {
    case "relu": // tf.maximum(u, 0): the Maximum kernel's Math.max (NaN stays, −0 gives +0)
      for (let i = 0; i < u.length; i++) z[i] = Math.max(u[i], 0);
      break;
    case "logistic": // tf.sigmoid: the Sigmoid kernel's formula, bit for bit
      logisticInto(u, z);
      break;
    case "tanh":
      for (let i = 0; i < u.length; i++) z[i] = Math.tanh(u[i]);
      break;
  }
  return [output(backend, shape, u), output(backend, shape, z)];
}

function denseBackward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const name = KERNEL_NAMES.denseBackward;
  const slope = (attrs?.slope as DenseSlope | undefined) ?? "none";
  const delta = floatValues(backend, inputs.delta), zPrev = floatValues(backend, inputs.zPrev);
  const w = floatValues(backend, inputs.W);
  const from = inputs.slopeFrom ? floatValues(backend, inputs.slopeFrom) : undefined;
  const shift = inputs.backShift ? floatValues(backend, inputs.backShift) : undefined;
  const [outs, batch] = inputs.delta.shape, [ins] = inputs.zPrev.shape;
  if (
    !delta || !zPrev || !w || inputs.delta.shape.length !== 2 || inputs.zPrev.shape[1] !== batch ||
    inputs.W.shape[0] !== outs || inputs.W.shape[1] !== ins ||
    (slope !== "none" && (!from || from.length !== ins * batch)) ||
    (inputs.backShift && (!shift || shift.length !== ins || slope === "none"))
  ) {
    throw new Error(
      `${name}: expected float32 delta [out, N], zPrev [in, N], W [out, in] (and slopeFrom ` +
        `[in, N], backShift [in, 1] with a slope); got [${inputs.delta.shape}], ` +
        `[${inputs.zPrev.shape}], [${inputs.W.shape}]`,
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
  // Δ′ = f′ ⊙ (WᵀΔ + s 1ᵀ): matMul(W, Δ, true, false), Add, the slope's ops, Multiply.
  const back = backend.pool.take(ins * batch);
  blas.sgemm(true, false, ins, batch, outs, 1, w, ins, delta, batch, 0, back, batch);
  if (shift) {
    for (let r = 0; r < ins; r++) {
      const s = shift[r];
      for (let c = r * batch, end = c + batch; c < end; c++) back[c] = back[c] + s;
    }
  }
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

/**
 * The product a b as the `BatchMatMul` kernel computes it: sgemm on float32 arrays, else (data
 * held in another array, e.g. a cast from int32) the cpu kernel, copied into a pooled buffer.
 */
function product(backend: BlasHost, a: TensorInfo, b: TensorInfo): Float32Array {
  const fast = multiply(backend, a, b, false, false);
  if (fast) return fast.values;
  const slow = runCpu("BatchMatMul", { a, b }, backend, { transposeA: false, transposeB: false });
  const values = backend.pool.take(sizeOf(slow.shape));
  values.set(backend.data.get(slow.dataId)!.values as Float32Array);
  backend.disposeIntermediateTensorInfo(slow);
  return values;
}

/** The fused dense-layer kernels of the `blas` backend (forward and backpropagation). */
export const BLAS_DENSE_KERNELS: readonly KernelConfig[] = [
  {
    kernelName: KERNEL_NAMES.denseForward,
    backendName: "blas",
    kernelFunc: asKernelFunc(denseForward),
  },
  {
    kernelName: KERNEL_NAMES.denseBackward,
    backendName: "blas",
    kernelFunc: asKernelFunc(denseBackward),
  },
];
