/**
 * The threaded WebAssembly backend of TensorFlow.js (XNNPACK with SIMD and a pthread pool) made
 * to start under Deno. Used when no system BLAS is found.
 *
 * Four things stand in the way, and are handled here:
 * 1. Emscripten's pthread pool creates classic workers, which Deno refuses (and, because it
 *    thinks it runs in Node, first swaps in `worker_threads.Worker`, whose path check fails).
 *    While the backend starts, `globalThis.Worker` is a shim that ignores reassignment and turns
 *    classic worker requests into workers running `wasm_pthread_worker.ts`.
 * 2. tfjs reports no multithread support when it detects Node: the flag is set to true.
 * 3. The thread count is capped at half the logical cores reported by `node:os`: more cores are
 *    reported while the backend starts, and `setThreadsCount` asks for the real number.
 * 4. Web workers would keep a script's process alive (and `terminate()` cannot interrupt a
 *    thread blocked in a wait), so the pthreads are `node:worker_threads` workers, unref'd:
 *    scripts exit on their own, without `Deno.exit()`.
 *
 * Needs `--allow-read` (the .wasm file) and `--allow-sys` (core count).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import { wasmThreadsSetting } from "../config.ts";

const WASM_DIST = new URL(
  "../../../node_modules/@tensorflow/tfjs-backend-wasm/dist/",
  import.meta.url,
);
const BOOTSTRAP = new URL("./wasm_pthread_worker.ts", import.meta.url);

const RealWorker = globalThis.Worker;

/**
 * What Emscripten's glue (in "node mode") sees as a pthread worker: a `node:worker_threads`
 * worker running our bootstrap module, unref'd so it never keeps the process alive.
 */
class PthreadWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly #worker: NodeWorker;
  readonly #listeners = new Map<string, ((value: unknown) => void)[]>();
  #pending: [unknown, Transferable[]][] | null = [];

  constructor(scriptUrl: string) {
    this.#worker = new NodeWorker(BOOTSTRAP);
    this.#worker.unref();
    this.#worker.on("message", (data: unknown) => {
      const listeners = this.#listeners.get("message");
      if (listeners?.length) { for (const f of listeners) f(data); }
      else this.onmessage?.({ data });
    });
    this.#worker.on("error", (error: unknown) => {
      const listeners = this.#listeners.get("error");
      if (listeners?.length) { for (const f of listeners) f(error); }
      else this.onerror?.(error);
    });
    // The glue's pthread script is a blob URL; send its text ahead of any other message.
    fetch(scriptUrl).then((r) => r.text()).then((text) => {
      this.#worker.postMessage({ shimScript: text, shimUrl: scriptUrl });
      for (const [message, transfer] of this.#pending ?? []) {
        this.#worker.postMessage(message, transfer as never);
      }
      this.#pending = null;
    });
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    if (this.#pending) this.#pending.push([message, transfer]);
    else this.#worker.postMessage(message, transfer as never);
  }

  on(event: string, listener: (value: unknown) => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  unref(): void {}

  ref(): void {}

  terminate(): void {
    void this.#worker.terminate();
  }
}

/** `new Worker(...)` as seen by the glue: module workers pass through, classic ones are shimmed. */
function ShimWorker(url: string | URL, options?: WorkerOptions): Worker | PthreadWorker {
  if (options?.type === "module") return new RealWorker(url, options);
  return new PthreadWorker(String(url));
}

/** Replace `globalThis.Worker` by the shim, ignoring assignments, until `restore` is called. */
function installWorkerShim(): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => ShimWorker,
    set: () => {},
  });
  return () => {
    if (descriptor) Object.defineProperty(globalThis, "Worker", descriptor);
  };
}

/** The number of wasm threads to ask for: `COURSE_WASM_THREADS`, else the logical cores. */
export function wasmThreads(): number {
  return wasmThreadsSetting() ?? Math.max(1, navigator.hardwareConcurrency || 1);
}

/**
 * Make the threaded `wasm` backend active and describe it. Throws if threads or SIMD are
 * unavailable, or the pool does not start (the single-thread `wasm` setup remains possible only
 * if this throws before the backend is initialised).
 */
export async function setupWasmThreaded(): Promise<string> {
  const binary = new URL("tfjs-backend-wasm-threaded-simd.wasm", WASM_DIST);
  try {
    await Deno.stat(binary);
  } catch {
    throw new Error(`threaded wasm binary not found at ${binary.pathname} (run \`deno install\`)`);
  }
  if (typeof SharedArrayBuffer === "undefined") throw new Error("no SharedArrayBuffer");
  if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) throw new Error("no wasm SIMD");
  const threads = wasmThreads();
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setWasmPaths(WASM_DIST.href);
  setThreadsCount(threads);
  const restoreWorker = installWorkerShim();
  const cpus = os.cpus;
  const doubled = () => {
    const real = cpus();
    return [...real, ...real];
  };
  (os as { cpus: () => os.CpuInfo[] }).cpus = doubled;
  try {
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  } finally {
    (os as { cpus: () => os.CpuInfo[] }).cpus = cpus;
    restoreWorker();
  }
  const { getThreadsCount } = await import("@tensorflow/tfjs-backend-wasm");
  const actual = getThreadsCount();
  return `WebAssembly with SIMD, ${actual} thread${actual === 1 ? "" : "s"} (XNNPACK)`;
}
