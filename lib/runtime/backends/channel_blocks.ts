/**
 * Whether the active backend keeps a frozen network's activations in channel blocks (oneDNN's
 * nChw8c / nChw16c, see `lib/runtime/backends/blas/dnnl_conv.ts`), and with which block. A
 * backend that can says so with {@linkcode provideChannelBlock}; the layers (`lib/nn/blocked.ts`)
 * ask {@linkcode channelBlock} and otherwise run on NHWC tensors as usual.
 *
 * @example
 * ```ts
 * const block = channelBlock(); // blas backend, oneDNN at AVX2, COURSE_DNNL_LAYOUT=chain: 8
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

const providers = new Map<string, () => number | undefined>();

/**
 * Register, for the backend named `backendName`, a function giving the channel block its
 * chained kernels use now, or `undefined` when they are off (e.g. no oneDNN, another layout).
 */
export function provideChannelBlock(backendName: string, block: () => number | undefined): void {
  providers.set(backendName, block);
}

/** The active backend's channel block for chained activations, or `undefined` (no chaining). */
export function channelBlock(): number | undefined {
  return providers.get(tf.getBackend())?.();
}
