/**
 * The WebAssembly backend of TensorFlow.js (XNNPACK kernels with SIMD), its binaries loaded from
 * the project's `node_modules` so nothing is fetched at run time.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

const WASM_DIST = new URL(
  "../../../node_modules/@tensorflow/tfjs-backend-wasm/dist/",
  import.meta.url,
);

/**
 * Make `wasm` the active tfjs backend (single-threaded, SIMD) and describe it.
 * Throws if the binaries are missing or WebAssembly fails to start.
 */
export async function setupWasm(): Promise<string> {
  const binary = new URL("tfjs-backend-wasm-simd.wasm", WASM_DIST);
  try {
    await Deno.stat(binary);
  } catch {
    throw new Error(`wasm binaries not found at ${WASM_DIST.pathname} (run \`deno install\`)`);
  }
  // tfjs thinks it runs in Node under Deno and would pick the threaded build's worker path.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  setWasmPaths(WASM_DIST.href);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  return `WebAssembly${simd ? " with SIMD" : " without SIMD"}, 1 thread`;
}
