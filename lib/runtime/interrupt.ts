/**
 * Long loops that a reader can watch and stop: Jupyter's Kernel → Interrupt (SIGINT to the kernel)
 * ends a training run or an optimisation at the next step boundary, and the loop hands the event
 * loop a turn every ~100 ms, so that progress bars and plots update while it runs.
 *
 * The Deno kernel does not stop a running cell by itself; a SIGINT listener
 * ({@linkcode watchInterrupts}, installed by `startNotebook`) only takes note, and each loop calls
 * {@linkcode checkpoint} between steps: it yields when ~100 ms have passed and throws
 * {@linkcode Interrupted} — naming where the loop stopped — when an interrupt was asked for. The
 * step that was running completes first, so the model and every tensor are left consistent: the
 * next cell can use the partial result, or the cell can be run again.
 *
 * Outside a notebook nothing is installed, and Ctrl-C ends a script as usual.
 *
 * @example
 * ```ts
 * beginInterruptibleLoop();
 * for (let step = 0; step < steps; step++) {
 *   takeOneStep();
 *   await checkpoint(() => `step ${step + 1} of ${steps}`);
 * }
 * ```
 *
 * @module
 */

/** The loop was stopped by Kernel → Interrupt (or SIGINT) at a step boundary. */
export class Interrupted extends Error {
  /** `where`: the loop's own description of how far it got, e.g. "epoch 7, step 3". */
  constructor(readonly where: string) {
    super(`interrupted at ${where} (Kernel → Interrupt); the state after that step is kept`);
    this.name = "Interrupted";
    // A reader asked for this stop: one line, not a stack of the loop's internals.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** How often a loop hands the event loop a turn, ms. */
export const YIELD_INTERVAL_MS = 100;

let requested = false;
let watching = false;
let lastYield = performance.now();

/**
 * Listen for SIGINT (what Jupyter's Interrupt sends to the kernel) and turn it into a request that
 * the next {@linkcode checkpoint} honours. Idempotent; does nothing where signals cannot be
 * listened to (Windows, no permission).
 *
 * @example
 * ```ts
 * watchInterrupts(); // startNotebook() calls this in a Jupyter kernel
 * ```
 */
export function watchInterrupts(): void {
  if (watching) return;
  try {
    Deno.addSignalListener("SIGINT", () => {
      requested = true;
    });
    watching = true;
  } catch {
    // No signal support here: loops still yield, they just cannot be interrupted.
  }
}

/**
 * Start a loop: forget an interrupt that arrived before it (e.g. while a previous cell ran code
 * that cannot be stopped).
 */
export function beginInterruptibleLoop(): void {
  requested = false;
  lastYield = performance.now();
}

/**
 * Between two steps of a loop: give the event loop a turn if {@linkcode YIELD_INTERVAL_MS} has
 * passed since the last one (so that progress bars and plots are sent), then throw
 * {@linkcode Interrupted} if an interrupt was asked for. `where` describes the point reached; it
 * is only called when needed.
 *
 * @throws Interrupted after Kernel → Interrupt
 */
export async function checkpoint(where: () => string): Promise<void> {
  const now = performance.now();
  if (now - lastYield >= YIELD_INTERVAL_MS) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
  }
  if (requested) {
    requested = false;
    throw new Interrupted(where());
  }
}

/** For tests: act as if SIGINT had arrived. */
export function requestInterruptForTesting(): void {
  requested = true;
}
