/**
 * Chooses the fastest TensorFlow.js backend that works on this machine, once per process.
 *
 * Candidates are tried fastest first: `blas` (the system BLAS through Deno's FFI), `wasm-threaded`
 * (XNNPACK on all cores), `wasm` (one thread), `cpu` (pure JavaScript). The first that starts is
 * used; when faster ones were skipped, one line on stderr says which backend runs and why.
 * `COURSE_BACKEND=<name>` forces one (and fails with a clear message if it cannot start).
 *
 * Both wasm candidates are tfjs's `wasm` backend (`tf.getBackend()` says "wasm"); only one of
 * them can start in a process.
 *
 * @example
 * ```ts
 * const backend = await initBackend();
 * console.log(backend.summary); // "blas (system BLAS through FFI: OpenBLAS 0.3.21 …, 2 threads; …)"
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BlasBackend, setupBlas } from "./backends/blas/backend.ts";
import { setupWasm } from "./backends/wasm.ts";
import { setupWasmThreaded } from "./backends/wasm_threaded.ts";
import { BACKEND_CHOICES, type BackendChoice, backendSetting, SettingError } from "./config.ts";

/** The names of the backends the course can run on, fastest first. */
export const BACKEND_NAMES: typeof BACKEND_CHOICES = BACKEND_CHOICES;

/** One of {@linkcode BACKEND_NAMES}. */
export type BackendName = BackendChoice;

/** The backend in use and how it was chosen. */
export interface BackendInfo {
  /** The course's name for the backend. */
  name: BackendName;
  /** What it is, e.g. "WebAssembly with SIMD, 1 thread". */
  details: string;
  /** The faster candidates that could not start, with the reason. */
  skipped: { name: BackendName; reason: string }[];
  /** One line for people: name, details and skipped candidates. */
  summary: string;
}

type Setup = () => Promise<string>;

const SETUPS: Record<BackendName, Setup> = {
  blas: setupBlas,
  "wasm-threaded": setupWasmThreaded,
  wasm: setupWasm,
  cpu: async () => {
    if (!(await tf.setBackend("cpu"))) throw new Error("tf.setBackend('cpu') returned false");
    // The cpu backend greets its first use in Node (and Deno) with advice to install tfjs-node,
    // which cannot install here; its `firstUse` flag silences that.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    return "pure JavaScript, slow";
  },
};

let chosen: Promise<BackendInfo> | undefined;

/**
 * Start the best backend (or the one named by `COURSE_BACKEND`) and return what runs.
 * Later calls return the same answer without starting anything again.
 */
export function initBackend(): Promise<BackendInfo> {
  chosen ??= choose(backendSetting());
  return chosen;
}

async function choose(forced: BackendName | undefined): Promise<BackendInfo> {
  const candidates: readonly BackendName[] = forced ? [forced] : BACKEND_NAMES;
  const skipped: BackendInfo["skipped"] = [];
  for (const name of candidates) {
    try {
      const details = await SETUPS[name]();
      await tf.ready();
      const info = { name, details, skipped, summary: summarise(name, details, skipped) };
      if (skipped.length) {
        const reasons = skipped.map((s) => `${s.name} skipped: ${s.reason}`).join("; ");
        const slow = name === "cpu" ? "warning: the slow pure-JavaScript cpu backend runs" : "";
        console.warn(`tfjs backend ${name} (${details}) — ${reasons}${slow ? `. ${slow}` : ""}`);
      }
      return info;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // a setting the user gave (COURSE_BLAS_LIB, COURSE_BLAS_THREADS, …) must work: no fallback
      if (error instanceof SettingError) throw error;
      if (forced) throw new SettingError(`COURSE_BACKEND=${forced} could not start: ${reason}`);
      skipped.push({ name, reason });
    }
  }
  throw new Error(`no tfjs backend could start: ${JSON.stringify(skipped)}`);
}

function summarise(name: string, details: string, skipped: BackendInfo["skipped"]): string {
  const notes = skipped.map((s) => `${s.name} skipped: ${s.reason}`);
  return `${name} (${details})${notes.length ? ` [${notes.join("; ")}]` : ""}`;
}

/**
 * Room for the values of one new float32 tensor of n elements, to fill completely and then hand
 * to `tf.tensor` at once: on the `blas` backend a recycled buffer from its pool (it goes back when
 * that tensor is disposed; fresh memory costs page faults of ~3 ms per MiB, see
 * `backends/blas/buffers.ts`), elsewhere a new array. Its contents are undefined.
 *
 * @example
 * ```ts
 * const values = tensorValues(784 * 100);
 * values.fill(0.5);
 * const X = tf.tensor2d(values, [784, 100]); // dispose X, and the buffer is reused
 * ```
 */
export function tensorValues(n: number): Float32Array {
  const backend = tf.engine().backend;
  return backend instanceof BlasBackend ? backend.pool.take(n) : new Float32Array(n);
}
