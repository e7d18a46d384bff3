/**
 * The course's own kernels are named in one module: every kernel the `blas` backend adds beyond
 * tfjs's own names is listed in `KERNEL_NAMES`, and every listed name is registered for `blas`.
 */
import assert from "node:assert/strict";
import { getKernelsForBackend } from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { BLAS_KERNELS, registerBlasKernels } from "../lib/runtime/backends/blas/backend.ts";
import { KERNEL_NAMES } from "../lib/runtime/backends/kernel_names.ts";

Deno.test("custom kernel names come from kernel_names.ts and are all registered for blas", () => {
  registerBlasKernels();
  const cpu = new Set(getKernelsForBackend("cpu").map((k) => k.kernelName));
  const custom = BLAS_KERNELS.map((k) => k.kernelName).filter((name) => !cpu.has(name));
  const listed: string[] = Object.values(KERNEL_NAMES);
  assert.deepEqual([...custom].sort(), [...listed].sort());
  const blas = new Set(getKernelsForBackend("blas").map((k) => k.kernelName));
  for (const name of listed) assert.ok(blas.has(name), `${name} is not registered for blas`);
});
