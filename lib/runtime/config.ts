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
 * | `COURSE_DATA_MIRROR` | none                | base URL that replaces every external file's origin |
 * | `COURSE_DATA_OFFLINE` | `0`                 | `1`: never download a missing external file     |
 * | `COURSE_REQUIRE_DATA` | `0`                 | `1`: a test skipped for missing data is a failure (CI) |
 *
 * @module
 */

/** The two sizes every experiment comes in. */
export type Mode = "quick" | "full";

/** Absolute path of the repository root (the folder holding `deno.json`). */
export const REPO_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname)
  .replace(/\/$/, "");

/** Absolute path of the committed small data (`data/`). */
export const COMMITTED_DATA_DIR: string = `${REPO_ROOT}/data`;

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
    throw new Error(`COURSE_MODE must be "quick" or "full", not "${value}"`);
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
  if (!Number.isInteger(seed)) throw new Error(`COURSE_SEED must be an integer, not "${value}"`);
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
    throw new Error(
      `COURSE_PROGRESS must be "jupyter", "tty", "plain" or "silent", not "${value}"`,
    );
  }
  return value as ProgressSetting;
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
    throw new Error(
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
  throw new Error(`${name} must be 1 or 0, not "${value}"`);
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
