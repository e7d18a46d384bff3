/**
 * Small helpers shared by the BLAS backend's kernels: reading Float32 data, making outputs and
 * handing a case the fast path does not cover back to the pure-JS cpu kernel.
 *
 * @module
 */
import {
  getKernel,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { Blas } from "./ffi.ts";
import type { BufferPool } from "./buffers.ts";
import type { Dnnl } from "./dnnl_ffi.ts";

/** What the BLAS kernels need of their backend: the cpu backend's storage and an open BLAS. */
export interface BlasHost extends MathBackendCPU {
  /** The opened BLAS library. */
  readonly blas: Blas;
  /** Recycled output buffers: take outputs from here (see `buffers.ts`). */
  readonly pool: BufferPool;
  /** oneDNN for the convolutions, when it was found (else they use im2col + sgemm). */
  readonly dnnl?: Dnnl;
}

/** The arguments tfjs passes to a kernel function, with the backend typed. */
export interface KernelArgs {
  /** The kernel's named inputs (optional ones, such as a fused bias, may be absent). */
  inputs: Record<string, TensorInfo>;
  /** The BLAS backend running the kernel. */
  backend: BlasHost;
  /** The kernel's attributes. */
  attrs?: NamedAttrMap;
}

/** The Float32Array behind a tensor, or `undefined` if it is not plain float32 data. */
export function floatValues(backend: BlasHost, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== "float32") return undefined;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : undefined;
}

/**
 * The numbers behind a float32 tensor, whatever array holds them (a cast from int32 may share the
 * int32 tensor's `Int32Array`), or `undefined` for other dtypes and string data.
 */
export function numericValues(backend: BlasHost, t: TensorInfo): ArrayLike<number> | undefined {
  if (t.dtype !== "float32") return undefined;
  const values = backend.data.get(t.dataId)?.values;
  return ArrayBuffer.isView(values) && !(values instanceof DataView)
    ? values as unknown as ArrayLike<number>
    : undefined;
}

/** Register `values` (already computed) as a new float32 tensor of `shape` in the backend. */
export function output(backend: BlasHost, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, "float32", values);
}

/** Run the cpu backend's kernel `name` on this backend (its data store is the same). */
export function runCpu(
  name: string,
  inputs: NamedTensorInfoMap,
  backend: BlasHost,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = getKernel(name, "cpu");
  if (!config) throw new Error(`the cpu backend has no kernel ${name}`);
  const result = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(result)) throw new Error(`kernel ${name} returned several outputs`);
  return result;
}

/** Adapt a typed kernel function to tfjs's `KernelFunc` signature. */
export function asKernelFunc(f: (args: KernelArgs) => TensorInfo | TensorInfo[]): KernelFunc {
  return f as unknown as KernelFunc;
}

/** The number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
