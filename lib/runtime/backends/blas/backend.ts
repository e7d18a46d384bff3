/**
 * The `blas` tfjs backend: the pure-JS cpu backend with its heavy kernels (matrix products,
 * convolutions, …) replaced by calls into the system BLAS through Deno's FFI.
 *
 * Every kernel of the cpu backend is registered for `blas` too, so any op works and gradients
 * come from tfjs's registered gradient configs; the overrides only change how the numbers are
 * computed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const description = await setupBlas(); // "OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads"
 * tf.matMul(tf.ones([512, 512]), tf.ones([512, 512])).print();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getKernelsForBackend, type KernelConfig, registerKernel } from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { type Blas, openBlas } from "./ffi.ts";
import type { BlasHost } from "./kernel_util.ts";
import { batchMatMulConfig, fusedMatMulConfig } from "./matmul.ts";
import { BLAS_CONV_KERNELS } from "./conv.ts";
import { BLAS_POOL_KERNELS } from "./pool.ts";
import { BLAS_ELEMENTWISE_KERNELS } from "./elementwise.ts";

/** The tfjs name of the backend. */
export const BLAS_BACKEND_NAME = "blas";

/** The kernels computed differently from the cpu backend (all others are shared with it). */
export const BLAS_KERNELS: readonly KernelConfig[] = [
  batchMatMulConfig,
  fusedMatMulConfig,
  ...BLAS_CONV_KERNELS,
  ...BLAS_POOL_KERNELS,
  ...BLAS_ELEMENTWISE_KERNELS,
];

/** The cpu backend's storage and kernels, with an open BLAS library for the heavy ones. */
export class BlasBackend extends MathBackendCPU implements BlasHost {
  /** The opened BLAS library. */
  readonly blas: Blas;

  /** A backend computing with `blas`. */
  constructor(blas: Blas) {
    super();
    this.blas = blas;
    // The cpu backend greets its first use in Deno with advice to install tfjs-node.
    (this as unknown as { firstUse: boolean }).firstUse = false;
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

/**
 * Open the system BLAS, register the `blas` backend and make it the active one.
 * Returns one line describing the library; throws one clear line if no BLAS can be opened.
 */
export async function setupBlas(): Promise<string> {
  if (!opened) {
    opened = openBlas();
    registerBlasKernels();
    const blas = opened;
    tf.registerBackend(BLAS_BACKEND_NAME, () => new BlasBackend(blas), 0);
  }
  if (!(await tf.setBackend(BLAS_BACKEND_NAME))) {
    throw new Error(`tf.setBackend('${BLAS_BACKEND_NAME}') returned false`);
  }
  return `system BLAS through FFI: ${opened.description}; other kernels pure JavaScript`;
}
