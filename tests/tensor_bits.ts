/**
 * What the tests of the `blas` backend's fused kernels share: whether the backend starts here, and
 * the bit-for-bit comparison of two tensors.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";

/** Registers the `blas` backend; false where no BLAS library can be opened (tests then skip). */
export async function blasAvailable(): Promise<boolean> {
  try {
    await setupBlas();
    return true;
  } catch {
    return false;
  }
}

/** Every element the same bits (NaN equal to NaN), else fails naming the first that differs. */
export function assertSameBits(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  nodeAssert.deepEqual(actual.shape, expected.shape, `${what}: shapes`);
  const a = actual.dataSync(), e = expected.dataSync();
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) {
      nodeAssert.fail(`${what}: element ${i} is ${a[i]}, expected ${e[i]}`);
    }
  }
}
