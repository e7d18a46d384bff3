/**
 * Calling the course's fused kernels (`KERNEL_NAMES`) from the library: whether they can run here,
 * and running one that has several outputs. The fused kernels have no gradients, so under a
 * gradient tape (`tf.grad`, `tf.variableGrads`) the callers run their op-by-op formulas instead.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * True when the active backend has every one of `kernels` and no gradient tape is recording.
 *
 * @example
 * ```ts
 * if (fusedKernelsReady(KERNEL_NAMES.denseForward)) { ... } // else the ops
 * ```
 */
export function fusedKernelsReady(...kernels: string[]): boolean {
  const backend = tf.getBackend();
  return !tf.engine().isTapeOn() &&
    kernels.every((kernel) => tf.getKernel(kernel, backend) !== undefined);
}

/**
 * Runs kernel `name` and returns its outputs as tensors (the caller owns them).
 *
 * @example
 * ```ts
 * const [U, Z] = runFusedKernel(KERNEL_NAMES.denseForward, { W, b, zPrev }, { activation: "relu" });
 * ```
 */
export function runFusedKernel(
  name: string,
  inputs: tf.NamedTensorMap,
  attrs: Record<string, string | number | undefined>,
): tf.Tensor[] {
  return tf.engine().runKernel(
    name,
    inputs,
    attrs as Record<string, string | number>,
  ) as unknown as tf.Tensor[];
}
