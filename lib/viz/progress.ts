/**
 * A progress bar for long loops: step/total, current metrics, rate, elapsed time and ETA.
 *
 * Where it draws (chosen automatically, or forced with `mode` or `COURSE_PROGRESS`):
 * - **jupyter**: one output updated in place (`display_data` with a `transient.display_id`, then
 *   `update_display_data`, sent with `Deno.jupyter.broadcast`), as HTML with a text fallback;
 * - **tty**: one terminal line redrawn with a carriage return;
 * - **plain** (stdout is a file or pipe, e.g. CI logs): a full line now and then (every 10 s by
 *   default), so logs stay readable;
 * - **silent**: nothing.
 * Updates are throttled (at most 5 a second by default) and {@linkcode ProgressBar.done} always
 * writes a final line.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar({ total: epochs * batches, label: "training" });
 * for (let step = 1; step <= epochs * batches; step++) {
 *   const loss = trainStep();
 *   bar.update(step, { loss });
 * }
 * await bar.done();
 * ```
 *
 * @module
 */
import { jupyter } from "../runtime/session.ts";
import { type ProgressSetting, progressSetting } from "../runtime/config.ts";

/** Where a progress bar draws; see the module documentation. */
export type ProgressMode = ProgressSetting;

/** Values shown next to the bar, e.g. `{ loss: 0.25, acc: "91%" }`. */
export type ProgressMetrics = Record<string, number | string>;

/** Sends one Jupyter message (the signature of `Deno.jupyter.broadcast`). */
export type JupyterSend = (msgType: string, content: Record<string, unknown>) => Promise<void>;

/** Options of {@linkcode ProgressBar}. */
export interface ProgressOptions {
  /** Number of steps in the loop. */
  total: number;
  /** Shown before the counts (default none). */
  label?: string;
  /** Where to draw (default: Jupyter inside the kernel, else tty or plain by stdout). */
  mode?: ProgressMode;
  /** Least time between two drawn updates, ms (default 200: at most 5 a second). */
  minIntervalMs?: number;
  /** In plain mode, least time between two lines, ms (default 10 000). */
  plainIntervalMs?: number;
  /** Characters in the bar (default 24). */
  barWidth?: number;
  /** Clock in ms (default `performance.now`); inject one in tests. */
  now?: () => number;
  /** Terminal/log writer (default: standard output). */
  write?: (text: string) => void;
  /** Jupyter message sender (default `Deno.jupyter.broadcast`). */
  send?: JupyterSend;
}

/** What one progress line is made of. */
export interface ProgressState {
  step: number;
  total: number;
  /** Seconds since the bar was created. */
  elapsedSeconds: number;
  label?: string;
  metrics?: ProgressMetrics;
  barWidth?: number;
  /** The loop stopped before `total` (interrupted, diverged): no ETA. */
  stopped?: boolean;
}

/**
 * Format seconds as `m:ss` or `h:mm:ss`.
 *
 * @example
 * ```ts
 * formatDuration(65);   // "1:05"
 * formatDuration(3725); // "1:02:05"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

function formatValue(value: number | string): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const a = Math.abs(value);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? value.toExponential(3) : value.toPrecision(4);
}

/**
 * Steps per second and the estimated seconds left, or undefined before any time has passed.
 *
 * @example
 * ```ts
 * progressRate({ step: 50, total: 200, elapsedSeconds: 10 }); // { perSecond: 5, etaSeconds: 30 }
 * ```
 */
export function progressRate(
  state: ProgressState,
): { perSecond: number; etaSeconds: number } | undefined {
  if (state.elapsedSeconds <= 0 || state.step <= 0) return undefined;
  const perSecond = state.step / state.elapsedSeconds;
  return { perSecond, etaSeconds: Math.max(0, state.total - state.step) / perSecond };
}

/**
 * One progress line, e.g.
 * `training  50/200 [██████░░░░░░░░░░░░░░░░░░]  25% | loss 0.2500 | 5.00 it/s | 0:10 elapsed | ETA 0:30`.
 * A loop that stopped early (`stopped`) shows no ETA.
 *
 * @example
 * ```ts
 * formatProgress({ step: 50, total: 200, elapsedSeconds: 10, metrics: { loss: 0.25 } });
 * ```
 */
export function formatProgress(state: ProgressState): string {
  return progressParts(state).join(" | ");
}

/**
 * The pieces of a progress line (counts with bar and percent, each metric, rate, elapsed, ETA),
 * which {@linkcode formatProgress} joins with " | ", and the HTML bar lays out so that they wrap
 * between pieces in a narrow output.
 *
 * @example
 * ```ts
 * progressParts({ step: 1, total: 2, elapsedSeconds: 1, barWidth: 2 });
 * // ["1/2 [█░]  50%", "1.00 it/s", "0:01 elapsed", "ETA 0:01"]
 * ```
 */
export function progressParts(state: ProgressState): string[] {
  const { step, total } = state;
  const fraction = total > 0 ? Math.min(1, Math.max(0, step / total)) : 0;
  const width = state.barWidth ?? 24;
  const filled = Math.round(fraction * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const digits = String(total).length;
  const parts = [
    `${state.label ? state.label + "  " : ""}${String(step).padStart(digits)}/${total} [${bar}] ${
      String(Math.floor(fraction * 100)).padStart(3)
    }%`,
  ];
  for (const [key, value] of Object.entries(state.metrics ?? {})) {
    parts.push(`${key} ${formatValue(value)}`);
  }
  const rate = progressRate(state);
  if (rate === undefined) parts.push("– it/s");
  else if (rate.perSecond >= 1) parts.push(`${rate.perSecond.toFixed(2)} it/s`);
  else parts.push(`${(1 / rate.perSecond).toFixed(2)} s/it`);
  parts.push(`${formatDuration(state.elapsedSeconds)} elapsed`);
  if (step < total && !state.stopped) {
    parts.push(`ETA ${rate === undefined ? "?" : formatDuration(rate.etaSeconds)}`);
  }
  return parts;
}

/**
 * The HTML of a bar in Jupyter: a `<progress>` element and the line's pieces (without the text
 * bar) in a wrapping flex row, each piece kept on one line, so that the whole bar fits the output
 * area's width however narrow it is (nothing is cut off at the right edge).
 *
 * @example
 * ```ts
 * progressHtml({ step: 50, total: 200, elapsedSeconds: 10, label: "training" });
 * ```
 */
export function progressHtml(state: ProgressState): string {
  const percent = state.total > 0 ? Math.min(100, (100 * state.step) / state.total) : 0;
  const [head, ...rest] = progressParts(state);
  const piece = (text: string) => `<span style="white-space: pre">${escapeHtml(text)}</span>`;
  return `<div style="display: flex; flex-wrap: wrap; align-items: center; ` +
    `gap: 0.1em 0.6em; max-width: 100%; font-family: monospace">` +
    `<progress value="${percent.toFixed(1)}" max="100" style="flex: 0 1 16em; min-width: 6em">` +
    `</progress>` +
    [head.replace(/ \[[█░]*\]/, ""), ...rest.map((part) => `| ${part}`)].map(piece).join("") +
    `</div>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function stdoutWriter(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

function detectMode(): ProgressMode {
  const forced = progressSetting();
  if (forced !== undefined) return forced;
  if (jupyter() !== undefined) return "jupyter";
  try {
    return Deno.stdout.isTerminal() ? "tty" : "plain";
  } catch {
    return "plain";
  }
}

/**
 * A throttled progress bar; see the module documentation.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar({ total: 100, label: "epoch 1" });
 * for (let i = 1; i <= 100; i++) bar.update(i, { loss: 1 / i });
 * await bar.done();
 * ```
 */
export class ProgressBar {
  readonly total: number;
  readonly mode: ProgressMode;
  #options: ProgressOptions;
  #now: () => number;
  #write: (text: string) => void;
  #send: JupyterSend | undefined;
  #start: number;
  #step = 0;
  #metrics: ProgressMetrics = {};
  #lastDrawn = -Infinity;
  #displayed = false;
  #finished = false;
  #displayId = `progress-${crypto.randomUUID()}`;
  #messages: Promise<void> = Promise.resolve();

  /** Start a bar; the clock starts now. */
  constructor(options: ProgressOptions) {
    if (!(options.total >= 0)) throw new Error(`total must be ≥ 0, got ${options.total}`);
    this.total = options.total;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#write = options.write ?? stdoutWriter;
    this.mode = options.mode ?? detectMode();
    const api = jupyter();
    this.#send = options.send ??
      (api ? (type, content) => api.broadcast(type, content) : undefined);
    if (this.mode === "jupyter" && this.#send === undefined) this.mode = "plain";
    this.#start = this.#now();
  }

  /** The current line (what the next draw shows). */
  get text(): string {
    return formatProgress(this.#state(this.#finished));
  }

  #state(final: boolean): ProgressState {
    return {
      step: this.#step,
      total: this.total,
      elapsedSeconds: (this.#now() - this.#start) / 1000,
      label: this.#options.label,
      metrics: this.#metrics,
      barWidth: this.#options.barWidth,
      stopped: final && this.#step < this.total,
    };
  }

  /**
   * Record that `step` steps are done (1-based: the last is `total`), with optional metrics
   * (they are kept until replaced). Draws at most every `minIntervalMs`.
   */
  update(step: number, metrics?: ProgressMetrics): void {
    if (this.#finished) return;
    this.#step = step;
    if (metrics !== undefined) this.#metrics = { ...this.#metrics, ...metrics };
    const now = this.#now();
    if (now - this.#lastDrawn < (this.#options.minIntervalMs ?? 200)) return;
    if (this.mode === "plain" && this.#displayed) {
      if (now - this.#lastDrawn < (this.#options.plainIntervalMs ?? 10_000)) return;
    }
    this.#lastDrawn = now;
    this.#draw(false);
  }

  /** One more step: `update(step + 1, metrics)`. */
  tick(metrics?: ProgressMetrics): void {
    this.update(this.#step + 1, metrics);
  }

  /**
   * Draw the final line (whatever the throttle says) and wait until every Jupyter message has
   * been sent. Later updates are ignored.
   */
  async done(metrics?: ProgressMetrics): Promise<void> {
    if (this.#finished) return await this.#messages;
    if (metrics !== undefined) this.#metrics = { ...this.#metrics, ...metrics };
    this.#finished = true;
    this.#draw(true);
    await this.#messages;
  }

  #draw(final: boolean): void {
    const state = this.#state(final);
    const line = formatProgress(state);
    switch (this.mode) {
      case "silent":
        break;
      case "tty":
        this.#write(`\r${line}\x1b[K${final ? "\n" : ""}`);
        break;
      case "plain":
        this.#write(`${line}\n`);
        break;
      case "jupyter": {
        const content = {
          data: { "text/plain": line, "text/html": progressHtml(state) },
          metadata: {},
          transient: { display_id: this.#displayId },
        };
        const type = this.#displayed ? "update_display_data" : "display_data";
        const send = this.#send!;
        this.#messages = this.#messages.then(() => send(type, content)).catch(() => {});
        break;
      }
    }
    this.#displayed = true;
  }
}
