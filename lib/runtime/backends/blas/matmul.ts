/**
 * Matrix products through BLAS sgemm: `BatchMatMul` and `_FusedMatMul` (product, bias,
 * activation). Non-float32 inputs go to the cpu kernels.
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { finishFused, fusedTail } from "./activation.ts";
import {
  asKernelFunc,
  type BlasHost,
  floatValues,
  type KernelArgs,
  runCpu,
} from "./kernel_util.ts";

/** The operands and result of a (batched) product, as sgemm sees them. */
interface Product {
  outShape: number[];
  batchA: number;
  batchB: number;
  batch: number;
  m: number;
  n: number;
  k: number;
}

function describe(a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): Product {
  const ra = a.shape.length, rb = b.shape.length;
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`,
    );
  }
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1);
  const batchB = outerB.reduce((p, d) => p * d, 1);
  const outer = broadcastShapes(outerA, outerB);
  return {
    outShape: [...outer, m, n],
    batchA,
    batchB,
    batch: Math.max(batchA, batchB),
    m,
    n,
    k,
  };
}

function broadcastShapes(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`Operands could not be broadcast together with shapes ${a} and ${b}.`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * The raw product of a and b (batched, transposes applied) in a buffer from the pool, or
 * `undefined` when the inputs are not float32.
 */
export function multiply(
  backend: BlasHost,
  a: TensorInfo,
  b: TensorInfo,
  transA: boolean,
  transB: boolean,
): { shape: number[]; values: Float32Array } | undefined {
  const av = floatValues(backend, a), bv = floatValues(backend, b);
  if (!av || !bv) return undefined;
  const p = describe(a, b, transA, transB);
  const { m, n, k } = p;
  const out = backend.pool.take(p.batch * m * n);
  const lda = transA ? m : k, ldb = transB ? k : n;
  const blas = backend.blas;
  if (p.batchB === 1 && !transA) {
    // Every A shares one B: stack the A matrices into one tall product.
    blas.sgemm(false, transB, p.batch * m, n, k, 1, av, lda, bv, ldb, 0, out, n);
  } else {
    for (let i = 0; i < p.batch; i++) {
      const aOff = (i % p.batchA) * m * k, bOff = (i % p.batchB) * k * n;
      blas.sgemm(
        transA,
        transB,
        m,
        n,
        k,
        1,
        av.subarray(aOff),
        lda,
        bv.subarray(bOff),
        ldb,
        0,
        out.subarray(i * m * n),
        n,
      );
    }
  }
  return { shape: p.outShape, values: out };
}

function batchMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  const transA = Boolean(attrs?.transposeA), transB = Boolean(attrs?.transposeB);
  const product = multiply(backend, a, b, transA, transB);
  if (!product) return runCpu("BatchMatMul", inputs, backend, attrs);
  return backend.makeTensorInfo(product.shape, "float32", product.values);
}

function fusedMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  const transA = Boolean(attrs?.transposeA), transB = Boolean(attrs?.transposeB);
  const product = multiply(backend, a, b, transA, transB);
  if (!product) return runCpu("_FusedMatMul", inputs, backend, attrs);
  return finishFused(backend, product.shape, product.values, fusedTail(inputs, attrs));
}

/** `BatchMatMul` (every `tf.matMul`) for the `blas` backend. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: "BatchMatMul",
  backendName: "blas",
  kernelFunc: asKernelFunc(batchMatMul),
};

/** `_FusedMatMul` (`tf.fused.matMul`: product, bias, activation) for the `blas` backend. */
export const fusedMatMulConfig: KernelConfig = {
  kernelName: "_FusedMatMul",
  backendName: "blas",
  kernelFunc: asKernelFunc(fusedMatMul),
};
