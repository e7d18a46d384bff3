/**
 * The large external files (VGG19 weights, the paper's images): where they are on this machine,
 * fetching a missing one from its published origin, and checking that a copy is intact.
 *
 * They are never committed. They are read from one folder, {@linkcode externalDataDir} in
 * `lib/runtime/config.ts` (`COURSE_DATA_DIR`, default `<repo>/data/external`). A known file that is
 * missing is downloaded on first use from its pinned address in `external_files.ts` (or from
 * `<COURSE_DATA_MIRROR>/<path>`), with a progress bar, through `<name>.part`, and renamed into
 * place only when its sha256 matches. Every known file's sha256 is checked once per process
 * before it is used, so a corrupt or different copy is rejected by name. `COURSE_DATA_OFFLINE=1`
 * forbids downloads (the tests set it).
 *
 * @example
 * ```ts
 * const photo = await externalFile("gatys/tubingen.jpg", "the content photo");
 * const model = await externalFile("vgg19_uint8_tfjs", "VGG19 weights"); // a folder: all its files
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  dataDirSetting,
  dataDownloadsAllowed,
  dataMirror,
  externalDataDir,
} from "../runtime/config.ts";
import { ProgressBar } from "../viz/progress.ts";
import { DownloadError, downloadFile, type DownloadOptions } from "./download.ts";
import { EXTERNAL_FILES, type ExternalFileInfo } from "./external_files.ts";

export {
  EXTERNAL_FILES,
  type ExternalFileInfo,
  FETCHABLE_FILES,
  GATYS_FILES,
  PATCH_FILES,
  rawUrl,
  VGG19_FILES,
  VGG19_FOLDER,
} from "./external_files.ts";

/** The environment variable that names the external data folder. */
export const DATA_DIR_ENV = "COURSE_DATA_DIR";

/** The one command that fetches and checks every external file ahead of time. */
export const FETCH_COMMAND = "deno task fetch-data";

/** Options of {@linkcode externalFile}. */
export interface ExternalFileOptions {
  /**
   * Check the sha256 of the file (or of every known file in the folder) against
   * {@linkcode EXTERNAL_FILES} or `sha256` (default: true for files in the table).
   */
  verify?: boolean;
  /** The expected sha256 (hex) of a single file, for files not in the table; implies `verify`. */
  sha256?: string;
}

/**
 * The absolute path of a file or folder in the external data folder, whether or not it exists.
 *
 * @example
 * ```ts
 * externalPath("gatys/tubingen.jpg"); // "<repo>/data/external/gatys/tubingen.jpg"
 * ```
 */
export function externalPath(relativePath: string): string {
  const clean = relativePath.replace(/^\.\//, "").replace(/\/+$/, "");
  if (clean === "" || clean.startsWith("/") || clean.split("/").includes("..")) {
    throw new Error(
      `externalPath: "${relativePath}" must be a path inside the external data folder ` +
        `(relative, without "..")`,
    );
  }
  return `${externalDataDir()}/${clean}`;
}

/**
 * Where a known file is downloaded from: `<COURSE_DATA_MIRROR>/<path>` when a mirror is set, else
 * its pinned published address; undefined for a file that is not published.
 *
 * @example
 * ```ts
 * sourceOf("gatys/shipwreck.jpg"); // "https://raw.githubusercontent.com/jcjohnson/…/shipwreck.jpg"
 * ```
 */
export function sourceOf(relativePath: string): string | undefined {
  const info = EXTERNAL_FILES[relativePath];
  if (info?.download === undefined) return undefined;
  const mirror = dataMirror();
  return mirror === undefined ? info.download : `${mirror}/${relativePath}`;
}

/**
 * Resolve a file or folder in the external data folder and return its absolute path. A known file
 * that is missing is fetched first (unless `COURSE_DATA_OFFLINE=1`); a file still missing, or one
 * whose sha256 differs, gives one error naming it, {@linkcode DATA_DIR_ENV}, where the original is
 * published and the command that fetches it. For a folder, every known file inside it must be
 * there. sha256 sums are checked once per process for each file.
 *
 * @param relativePath e.g. `"gatys/tubingen.jpg"` or `"vgg19_uint8_tfjs"`
 * @param description what the file is for, shown in the error (default: from the table)
 * @throws Error when the path, or a known file in the folder, is missing, or a checksum differs
 *
 * @example
 * ```ts
 * const path = await externalFile("gatys/starry_night.jpg", "style image");
 * const bytes = await Deno.readFile(path);
 * ```
 */
export async function externalFile(
  relativePath: string,
  description?: string,
  options: ExternalFileOptions = {},
): Promise<string> {
  const path = externalPath(relativePath);
  const relative = path.slice(externalDataDir().length + 1);
  // The files this path stands for; in a folder with published files, only those (a derived
  // file such as model_notop.json is never required).
  const inside = Object.keys(EXTERNAL_FILES).filter((key) =>
    key === relative || key.startsWith(`${relative}/`)
  );
  const published = inside.filter((key) => EXTERNAL_FILES[key].download !== undefined);
  const known = published.length > 0 ? published : inside;
  const stat = await statOrUndefined(path);
  if (stat?.isDirectory === true || (stat === undefined && known.length > 1)) {
    if (options.sha256 !== undefined) {
      throw new Error(`externalFile: a sha256 was given, but ${path} is a folder`);
    }
    await fetchMissing(known, description);
    if (options.verify ?? true) {
      for (const key of known) {
        await verifySha256(`${externalDataDir()}/${key}`, EXTERNAL_FILES[key].sha256, key);
      }
    }
    return path;
  }
  if (stat === undefined) {
    if (known.length === 0) throw missingError([relative], description);
    await fetchMissing(known, description);
  }
  const expected = options.sha256 ??
    ((options.verify ?? true) ? EXTERNAL_FILES[relative]?.sha256 : undefined);
  if (options.verify === true && expected === undefined) {
    throw new Error(
      `externalFile: cannot verify ${path}: no sha256 is known for it (pass options.sha256)`,
    );
  }
  if (expected !== undefined) await verifySha256(path, expected, relative);
  return path;
}

/** The relative paths among `paths` that are not in the external data folder (no download). */
export async function missingExternalFiles(paths: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const key of paths) {
    if ((await statOrUndefined(externalPath(key)))?.isFile !== true) missing.push(key);
  }
  return missing;
}

/** What {@linkcode fetchExternalFiles} did. */
export interface FetchReport {
  /** Files downloaded and verified. */
  fetched: string[];
  /** Their total size in bytes. */
  bytes: number;
  /** Files that could not be fetched, each with one line saying why. */
  failed: { path: string; message: string }[];
  /** Where they came from: the mirror, or the hosts of the published addresses. */
  from: string[];
}

/** Options of {@linkcode fetchExternalFiles}. */
export interface FetchOptions extends Pick<DownloadOptions, "fetcher"> {
  /** Show a progress bar in bytes (default true; `lib/viz/progress.ts` picks where it draws). */
  progress?: boolean;
}

/**
 * Download every file of `paths` (relative, from {@linkcode EXTERNAL_FILES}) that is missing,
 * one after another, with one progress bar over all their bytes; a failure is recorded and the
 * others are still fetched. Present files are left alone (their sha256 is checked on use).
 *
 * @example
 * ```ts
 * const report = await fetchExternalFiles(VGG19_FILES);
 * console.log(describeFetch(report));
 * ```
 */
export async function fetchExternalFiles(
  paths: readonly string[],
  options: FetchOptions = {},
): Promise<FetchReport> {
  const report: FetchReport = { fetched: [], bytes: 0, failed: [], from: [] };
  const todo = await missingExternalFiles(paths);
  const mirror = dataMirror();
  const total = todo.reduce((sum, key) => sum + (EXTERNAL_FILES[key]?.bytes ?? 0), 0);
  // Drawn from the first byte received, so that a run that cannot connect shows no empty bar.
  let bar: ProgressBar | undefined;
  const progress = (kB: number, file: string) => {
    if (options.progress === false) return;
    bar ??= new ProgressBar({ total: Math.ceil(total / 1024), label: "fetching (kB)" });
    bar.update(kB, { file });
  };
  let done = 0;
  const unreachable = new Map<string, string>(); // host → the error that said so
  for (const key of todo) {
    const info = EXTERNAL_FILES[key];
    const url = sourceOf(key);
    const host = url === undefined ? "" : new URL(url).host;
    if (unreachable.has(host)) {
      report.failed.push({ path: key, message: `${key}: not tried, ${unreachable.get(host)}` });
      continue;
    }
    if (info === undefined || url === undefined) {
      report.failed.push({
        path: key,
        message: `${key} is not published, so it cannot be fetched: ` +
          (info === undefined ? "it is not in lib/data/external_files.ts" : `see ${info.url}`),
      });
      continue;
    }
    try {
      await downloadFile(
        { name: key, url, path: externalPath(key), bytes: info.bytes, sha256: info.sha256 },
        {
          fetcher: options.fetcher,
          onBytes: (n) => progress(Math.floor((done + n) / 1024), key),
        },
      );
      done += info.bytes;
      report.fetched.push(key);
      report.bytes += info.bytes;
      const origin = mirror ?? host;
      if (!report.from.includes(origin)) report.from.push(origin);
    } catch (error) {
      report.failed.push({ path: key, message: (error as Error).message });
      if (error instanceof DownloadError && error.kind === "network") {
        unreachable.set(host, `${host} could not be reached`);
      }
    }
  }
  if (report.failed.length === 0) bar?.update(bar.total);
  await (bar as ProgressBar | undefined)?.done();
  return report;
}

/**
 * One line about a {@linkcode FetchReport}: what was fetched, how many MB, from where.
 *
 * @example
 * ```ts
 * describeFetch(report); // "external data: fetched 27 files (22.0 MB) from raw.githubusercontent.com"
 * ```
 */
export function describeFetch(report: FetchReport): string {
  const mb = (report.bytes / 1e6).toFixed(1);
  const nothing = report.failed.length === 0 ? "nothing to fetch" : "fetched nothing";
  const parts = report.fetched.length === 0 ? [`external data: ${nothing}`] : [
    `external data: fetched ${report.fetched.length} file(s) (${mb} MB) from ` +
    `${report.from.join(", ")} into ${externalDataDir()}`,
  ];
  if (report.failed.length > 0) {
    parts.push(`${report.failed.length} file(s) could not be fetched`);
  }
  return parts.join("; ");
}

/**
 * The failures of a {@linkcode FetchReport}, at most `max` lines, then how many more.
 *
 * @example
 * ```ts
 * for (const line of fetchFailures(report)) console.error(`  ${line}`);
 * ```
 */
export function fetchFailures(report: FetchReport, max = 3): string[] {
  const tried = report.failed.filter((f) => !f.message.includes(": not tried, "));
  const lines = tried.slice(0, max).map((f) => f.message);
  const rest = report.failed.length - lines.length;
  if (rest > 0) lines.push(`… and ${rest} more file(s) not fetched`);
  return lines;
}

/**
 * How to get missing external data, in one sentence: the command, the mirror and folder variables.
 *
 * @example
 * ```ts
 * console.log(`missing: gatys/tubingen.jpg. ${howToGetData()}`);
 * ```
 */
export function howToGetData(): string {
  const dir = externalDataDir();
  const setting = dataDirSetting();
  const mirror = dataMirror();
  const fetch = mirror === undefined
    ? `Run \`${FETCH_COMMAND}\` (needs the internet), or set COURSE_DATA_MIRROR to a copy ` +
      `served over HTTP`
    : `Check that COURSE_DATA_MIRROR=${mirror} serves a copy of the data folder (or unset it to ` +
      `fetch from the published origins) and run \`${FETCH_COMMAND}\``;
  return `${fetch}, or set ${DATA_DIR_ENV} to a folder that holds the files ` +
    `(now ${setting === undefined ? `unset: ${dir}` : `"${setting}"`}); see data/README.md.`;
}

/**
 * The sha256 of a file as lower-case hex.
 *
 * @example
 * ```ts
 * await sha256File(await externalFile("gatys/tubingen.jpg")); // "e67d1869…"
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/**
 * Check that a file's sha256 is `expected`; remembered per process (by path, size and
 * modification time), so checking again is free.
 *
 * @param known the file's path in {@linkcode EXTERNAL_FILES}, to say in the error where to get it
 * @throws Error naming the file, both sums, and where to get the original
 *
 * @example
 * ```ts
 * await verifySha256("/data/x.bin", "e3b0c442…"); // throws if the sum differs
 * ```
 */
export async function verifySha256(
  path: string,
  expected: string,
  known?: string,
): Promise<void> {
  const stat = await Deno.stat(path);
  const key = `${path}\0${stat.size}\0${stat.mtime?.getTime()}\0${expected.toLowerCase()}`;
  if (verified.has(key)) return;
  const actual = await sha256File(path);
  if (actual !== expected.toLowerCase()) {
    const info: ExternalFileInfo | undefined = known === undefined
      ? undefined
      : EXTERNAL_FILES[known];
    throw new Error(
      `External file ${path} is corrupt or a different version: its sha256 is ${actual}, ` +
        `expected ${expected.toLowerCase()}.` +
        (info === undefined ? "" : ` Delete it and run \`${FETCH_COMMAND}\`, or get the ` +
          `original from ${info.download ?? info.url} (${info.publisher}).`),
    );
  }
  verified.add(key);
}

const verified = new Set<string>();
const inFlight = new Map<string, Promise<FetchReport>>();

/** Fetch the missing ones of `known` (once at a time per file), or throw the missing-data error. */
async function fetchMissing(known: string[], description: string | undefined): Promise<void> {
  let missing = await missingExternalFiles(known);
  if (missing.length === 0) return;
  const fetchable = missing.filter((key) => EXTERNAL_FILES[key].download !== undefined);
  const failures: string[] = [];
  if (dataDownloadsAllowed() && fetchable.length > 0) {
    const id = fetchable.join("\0");
    const pending = inFlight.get(id) ?? fetchExternalFiles(fetchable);
    inFlight.set(id, pending);
    try {
      const report = await pending;
      failures.push(...report.failed.map((f) => f.message));
      if (report.fetched.length > 0) console.log(describeFetch(report));
    } finally {
      inFlight.delete(id);
    }
    missing = await missingExternalFiles(known);
  }
  if (missing.length > 0) throw missingError(missing, description, failures[0]);
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`External file ${path}: cannot be read (${(error as Error).message})`);
  }
}

function missingError(
  missing: string[],
  description: string | undefined,
  failure?: string,
): Error {
  const dir = externalDataDir();
  // For a folder, describe it by the first known file inside it.
  const known = Object.keys(EXTERNAL_FILES)
    .find((key) => key === missing[0] || key.startsWith(`${missing[0]}/`));
  const first = known === undefined ? undefined : EXTERNAL_FILES[known];
  const what = description ?? first?.description;
  const paths = missing.length === 1
    ? `${dir}/${missing[0]}`
    : `${missing.length} files in ${dir}: ${missing.slice(0, 3).join(", ")}` +
      (missing.length > 3 ? ", …" : "");
  const setting = dataDirSetting();
  const variable = setting === undefined
    ? `${DATA_DIR_ENV} is not set (default used)`
    : `${DATA_DIR_ENV} is "${setting}"`;
  const origin = first === undefined
    ? "This path is not in the course's table of external files (lib/data/external_files.ts)."
    : `The original is published at ${first.url} (${first.publisher}; licence: ${first.licence}).`;
  const why = failure !== undefined
    ? ` Fetching failed: ${failure}.`
    : first?.download !== undefined && !dataDownloadsAllowed()
    ? " It was not fetched: COURSE_DATA_OFFLINE=1 forbids downloads."
    : "";
  return new Error(
    `External data missing: ${paths}` + (what ? ` (${what})` : "") + `.${why} ` +
      `External files are read from ${dir}; ${variable}. ` +
      (first?.download !== undefined ? howToGetData() + " " : "") + origin,
  );
}
