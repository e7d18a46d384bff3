/**
 * The first call of every notebook: records the notebook's name (figures are saved under it),
 * checks every `COURSE_*` setting (`config.ts`), starts the fastest backend, and prints the mode,
 * backend and seed the results come from.
 *
 * @module
 */
import { watchInterrupts } from "./interrupt.ts";
import { jupyter, setCurrentNotebook } from "./session.ts";
import * as tf from "@tensorflow/tfjs";
import { baseSeed, checkSettings, type Mode, mode } from "./config.ts";
import { type BackendInfo, initBackend } from "./backend.ts";

/** The settings a notebook runs under. */
export interface NotebookContext {
  /** The notebook's file stem, e.g. "02_feedforward". */
  name: string;
  mode: Mode;
  backend: BackendInfo;
  seed: number;
}

/**
 * Announce a notebook and prepare its run. Prints one line, e.g.
 * `02_feedforward · mode quick · backend wasm (WebAssembly with SIMD, 1 thread) · seed 1 · tfjs 4.22.0`.
 *
 * @example
 * ```ts
 * const ctx = await startNotebook("02_feedforward");
 * ```
 */
export async function startNotebook(name: string): Promise<NotebookContext> {
  checkSettings(); // a bad COURSE_* setting fails this first cell, not a later one
  setCurrentNotebook(name);
  if (jupyter() !== undefined) watchInterrupts(); // Kernel → Interrupt stops long loops cleanly
  const backend = await initBackend();
  const context = { name, mode: mode(), backend, seed: baseSeed() };
  console.log(
    `${name} · mode ${context.mode} · backend ${backend.summary} · seed ${context.seed} · ` +
      `tfjs ${tf.version.tfjs}`,
  );
  return context;
}
