/**
 * The `blas` tfjs backend: the pure-JS cpu backend with its heavy kernels (matrix products,
 * convolutions, …) replaced by calls into the system BLAS through Deno's FFI.
 *
 * Every kernel of the cpu backend is registered for `blas` too, so any op works and gradients
 * come from tfjs's registered gradient configs; the overrides only change how the numbers are
 * computed. Kernel outputs come from a pool of recycled buffers (`buffers.ts`; at most
 * `COURSE_BLAS_POOL_MB`, default 1024, MiB kept unused), since fresh memory costs page faults.
 * Convolutions go to oneDNN where `libdnnl.so.2` loads (`dnnl_ffi.ts`; `COURSE_DNNL=0` turns it
 * off), else to im2col + sgemm; the description says which.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * // "system BLAS through FFI: OpenBLAS 0.3.21 (libopenblas.so.0, Haswell kernels), 2 threads; …"
 * const description = await setupBlas();
 * tf.matMul(tf.ones([512, 512]), tf.ones([512, 512])).print();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getKernelsForBackend, type KernelConfig, registerKernel } from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { BackendValues, DataId, DataType } from "@tensorflow/tfjs-core";
import { type Blas, openBlas } from "./ffi.ts";
import { BufferPool } from "./buffers.ts";
import { type Dnnl, openDnnl } from "./dnnl_ffi.ts";
import type { BlasHost } from "./kernel_util.ts";
import { batchMatMulConfig, fusedMatMulConfig } from "./matmul.ts";
import { BLAS_CONV_KERNELS } from "./conv.ts";
import { BLAS_POOL_KERNELS } from "./pool.ts";
import { BLAS_ELEMENTWISE_KERNELS } from "./elementwise.ts";
import { BLAS_REDUCE_KERNELS } from "./reduce.ts";
import { BLAS_SGD_KERNELS } from "./sgd.ts";
import { BLAS_DENSE_KERNELS } from "./dense.ts";
import { BLAS_SOFTMAX_KERNELS } from "./softmax.ts";
import { BLAS_LOGISTIC_OUTPUT_KERNELS } from "./logistic_output.ts";
import { BLAS_TRANSPOSE_KERNELS } from "./transpose.ts";
import { BLAS_BLOCKED_KERNELS } from "./blocked.ts";
import { chainBlock } from "./dnnl_conv.ts";
import { provideChannelBlock } from "../channel_blocks.ts";

/** The tfjs name of the backend. */
export const BLAS_BACKEND_NAME = "blas";

/** The kernels computed differently from the cpu backend (all others are shared with it). */
export const BLAS_KERNELS: readonly KernelConfig[] = [
  batchMatMulConfig,
  fusedMatMulConfig,
  ...BLAS_CONV_KERNELS,
  ...BLAS_POOL_KERNELS,
  ...BLAS_ELEMENTWISE_KERNELS,
  ...BLAS_REDUCE_KERNELS,
  ...BLAS_SGD_KERNELS,
  ...BLAS_DENSE_KERNELS,
  ...BLAS_SOFTMAX_KERNELS,
  ...BLAS_LOGISTIC_OUTPUT_KERNELS,
  ...BLAS_TRANSPOSE_KERNELS,
  ...BLAS_BLOCKED_KERNELS,
];

/**
 * The cpu backend's storage and kernels, with an open BLAS library for the heavy ones and a pool
 * of recycled output buffers (see `buffers.ts`: storing, reading and disposing data keep the
 * pool's counts).
 */
export class BlasBackend extends MathBackendCPU implements BlasHost {
  /** The opened BLAS library. */
  readonly blas: Blas;
  /** Output buffers recycled between kernels. */
  readonly pool: BufferPool;
  /** oneDNN for the convolutions, if it was found. */
  readonly dnnl?: Dnnl;

  /** A backend computing with `blas` (and `dnnl`'s convolutions), recycling outputs through `pool`. */
  constructor(blas: Blas, pool: BufferPool = new BufferPool(), dnnl?: Dnnl) {
    super();
    this.blas = blas;
    this.pool = pool;
    this.dnnl = dnnl;
    // The cpu backend greets its first use in Deno with advice to install tfjs-node.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** Store data (as the cpu backend does) and count the pooled buffer it refers to. */
  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    const dataId = super.write(values, shape, dtype);
    this.pool.adopt(values);
    return dataId;
  }

  /** Take data moved from another backend, counting its buffer like {@linkcode write}. */
  override move(
    dataId: DataId,
    values: BackendValues,
    shape: number[],
    dtype: DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.pool.adopt(values);
  }

  /** Read data for user code; its buffer is never recycled afterwards. */
  override readSync(dataId: DataId): BackendValues {
    const entry = this.data.get(dataId);
    if (entry) this.pool.expose(entry.values);
    return super.readSync(dataId);
  }

  /** Dispose data; when it is deleted, its buffer may go back to the pool. */
  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.get(dataId);
    const released = super.disposeData(dataId, force);
    if (entry && !this.data.has(dataId)) this.pool.release(entry.values);
    return released;
  }

  /** Release the pool's unused buffers. */
  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}

let kernelsRegistered = false;

/** Register every cpu kernel for `blas`, then the BLAS overrides (once per process). */
export function registerBlasKernels(): void {
  if (kernelsRegistered) return;
  const overridden = new Set(BLAS_KERNELS.map((k) => k.kernelName));
  for (const config of getKernelsForBackend("cpu")) {
    if (overridden.has(config.kernelName)) continue;
    registerKernel({ ...config, backendName: BLAS_BACKEND_NAME });
  }
  for (const config of BLAS_KERNELS) registerKernel(config);
  kernelsRegistered = true;
}

let opened: Blas | undefined;
let dnnlOpened: Dnnl | string = "not tried";

/** The instruction set of oneDNN's kernels ("avx2", "avx512_core", …), if oneDNN was opened. */
export function dnnlIsa(): string | undefined {
  return typeof dnnlOpened === "string" ? undefined : dnnlOpened.isa;
}

/**
 * Open the system BLAS, register the `blas` backend and make it the active one.
 * Returns one line describing the library; throws one clear line if no BLAS can be opened.
 */
export async function setupBlas(): Promise<string> {
  if (!opened) {
    opened = openBlas();
    registerBlasKernels();
    const blas = opened;
    dnnlOpened = openDnnl();
    const dnnl = typeof dnnlOpened === "string" ? undefined : dnnlOpened;
    tf.registerBackend(BLAS_BACKEND_NAME, () => new BlasBackend(blas, new BufferPool(), dnnl), 0);
    // Frozen networks keep activations in channel blocks where oneDNN runs them so (dnnl_conv.ts).
    provideChannelBlock(BLAS_BACKEND_NAME, () => dnnl && chainBlock(dnnl.isa));
  }
  if (!(await tf.setBackend(BLAS_BACKEND_NAME))) {
    throw new Error(`tf.setBackend('${BLAS_BACKEND_NAME}') returned false`);
  }
  const convs = typeof dnnlOpened === "string"
    ? `convolutions im2col + sgemm (no oneDNN: ${dnnlOpened})`
    : `convolutions ${dnnlOpened.description}`;
  return `system BLAS through FFI: ${opened.description}; ${convs}; other kernels pure JavaScript`;
}
