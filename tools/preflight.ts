/**
 * Checks a runner (`tools/reproduce.ts`) makes once, in its own process, before it starts any
 * kernel: every `COURSE_*` setting is valid, a BLAS library the user named loads, and the
 * automatic fallbacks that will happen (no BLAS found, no browser found) are said once in the
 * terminal, not only inside each executed notebook.
 *
 * It loads no tfjs backend: opening the BLAS library through FFI and closing it is enough to know
 * whether the `blas` backend can start.
 *
 * @module
 */
import { openBlas } from "../lib/runtime/backends/blas/ffi.ts";
import { backendSetting, checkSettings, SettingError } from "../lib/runtime/config.ts";
import { findChromium } from "../lib/viz/chromium.ts";

/** What {@linkcode preflight} found. */
export interface Preflight {
  /** The settings given, by variable (see `checkSettings` in `config.ts`). */
  settings: Record<string, string>;
  /** The BLAS library the `blas` backend will use, or undefined when it cannot start. */
  blas?: string;
  /** One line per automatic fallback, with its reason (empty when nothing falls back). */
  fallbacks: string[];
}

/**
 * Validate the settings and probe BLAS and the browser. Throws a {@linkcode SettingError} (one
 * line) when a setting the user gave cannot work; returns the fallbacks otherwise.
 *
 * @example
 * ```ts
 * const { fallbacks } = preflight();
 * for (const line of fallbacks) console.warn(line);
 * ```
 */
export function preflight(): Preflight {
  const settings = checkSettings();
  const forced = backendSetting();
  const fallbacks: string[] = [];
  let blas: string | undefined;
  if (forced === undefined || forced === "blas") {
    try {
      const library = openBlas();
      blas = library.description;
      library.close();
    } catch (error) {
      if (error instanceof SettingError) throw error;
      const reason = (error as Error).message;
      if (forced === "blas") throw new SettingError(`COURSE_BACKEND=blas cannot start: ${reason}`);
      fallbacks.push(`no BLAS backend (${reason}): notebooks run on WebAssembly or JavaScript`);
    }
  }
  const browser = findChromium();
  if (browser.path === undefined && settings.COURSE_CHROMIUM === undefined) {
    fallbacks.push(`no browser for figure PNGs: ${browser.reason}`);
  }
  return { settings, blas, fallbacks };
}
