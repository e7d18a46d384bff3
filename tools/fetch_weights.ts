/**
 * `deno task fetch-weights [--dir <folder>] [--check]` — download the VGG19 weight files the course
 * needs (`model.json` and the 20 shards holding the convolution layers) from where they are
 * published, and verify every file's sha256 against the table in `lib/data/external.ts`.
 *
 * - Files already present with the right sha256 are kept; others are downloaded to `<name>.part`,
 *   checked, and only then renamed into place, so a failed download never leaves a bad file.
 * - `--check` only verifies what is there (no network).
 * - `--dir` picks the folder (default `<COURSE_DATA_DIR>/vgg19_uint8_tfjs`).
 * - Without network access it stops with one message saying where to get the files by hand.
 *
 * `model_notop.json` in the developers' data folder is derived from `model.json` there and is not
 * published; `lib/vision/vgg19.ts` does not need it.
 *
 * @example
 * ```sh
 * deno task fetch-weights                  # download into data/external/vgg19_uint8_tfjs
 * deno task fetch-weights --check          # verify only
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { EXTERNAL_FILES, externalPath, sha256File } from "../lib/data/external.ts";
import { VGG19_DIR } from "../lib/vision/vgg19.ts";

/** Files in the folder that are derived locally, not published (never downloaded). */
const DERIVED = new Set(["model_notop.json"]);

/** One file to fetch: its name in the folder, size, sha256 and published URL. */
export interface WeightFile {
  name: string;
  bytes: number;
  sha256: string;
  url: string;
}

/**
 * The published address of a file, from the repository page recorded in `lib/data/external.ts`
 * (`https://github.com/<owner>/<repo>/tree/<commit>/<folder>` → raw.githubusercontent.com).
 *
 * @example
 * ```ts
 * rawUrl("https://github.com/a/b/tree/0123abc/models/x", "model.json");
 * // "https://raw.githubusercontent.com/a/b/0123abc/models/x/model.json"
 * ```
 */
export function rawUrl(treeUrl: string, name: string): string {
  const m = /^https:\/\/github\.com\/([^/]+)\/([^/]+)\/tree\/([0-9a-f]{40})\/(.+?)\/?$/.exec(
    treeUrl,
  );
  if (!m) throw new Error(`fetch-weights: cannot turn ${treeUrl} into a download address`);
  return `https://raw.githubusercontent.com/${m[1]}/${m[2]}/${m[3]}/${m[4]}/${name}`;
}

/**
 * The VGG19 files to fetch, in order: `model.json`, then the shards (from the sha256 table).
 *
 * @example
 * ```ts
 * weightFiles().length; // 21
 * ```
 */
export function weightFiles(): WeightFile[] {
  const prefix = `${VGG19_DIR}/`;
  return Object.entries(EXTERNAL_FILES)
    .filter(([key]) => key.startsWith(prefix) && !DERIVED.has(key.slice(prefix.length)))
    .map(([key, info]) => {
      const name = key.slice(prefix.length);
      return { name, bytes: info.bytes, sha256: info.sha256, url: rawUrl(info.url, name) };
    });
}

/** What {@linkcode verifyWeights} found. */
export interface WeightsReport {
  ok: string[];
  missing: string[];
  /** Present, but with another sha256. */
  corrupt: string[];
}

/**
 * Check every file of {@linkcode weightFiles} in `dir` against its sha256 (nothing is changed).
 *
 * @example
 * ```ts
 * const report = await verifyWeights("data/external/vgg19_uint8_tfjs");
 * console.log(report.missing.length === 0 && report.corrupt.length === 0);
 * ```
 */
export async function verifyWeights(dir: string): Promise<WeightsReport> {
  const report: WeightsReport = { ok: [], missing: [], corrupt: [] };
  for (const file of weightFiles()) {
    const path = `${dir}/${file.name}`;
    try {
      if (!(await Deno.stat(path)).isFile) throw new Deno.errors.NotFound(path);
    } catch {
      report.missing.push(file.name);
      continue;
    }
    (await sha256File(path) === file.sha256 ? report.ok : report.corrupt).push(file.name);
  }
  return report;
}

/** Options of {@linkcode fetchWeights}. */
export interface FetchWeightsOptions {
  /** Target folder (created if needed). */
  dir: string;
  /** The fetch function (default `globalThis.fetch`; tests pass a local one). */
  fetcher?: typeof fetch;
  /** Called with one line per file. */
  log?: (line: string) => void;
}

/**
 * Download every missing or corrupt file of {@linkcode weightFiles} into `dir` and verify it.
 * Returns the final report; throws one message when the network cannot be reached or a download
 * does not match its sha256.
 *
 * @example
 * ```ts
 * await fetchWeights({ dir: externalPath("vgg19_uint8_tfjs") });
 * ```
 */
export async function fetchWeights(options: FetchWeightsOptions): Promise<WeightsReport> {
  const { dir } = options;
  const fetcher = options.fetcher ?? fetch;
  const log = options.log ?? (() => {});
  const before = await verifyWeights(dir);
  const todo = weightFiles().filter((f) => !before.ok.includes(f.name));
  if (todo.length > 0) await Deno.mkdir(dir, { recursive: true });
  for (const file of todo) {
    const path = `${dir}/${file.name}`;
    let bytes: Uint8Array;
    try {
      const response = await fetcher(file.url);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new Error(
        `fetch-weights: cannot download ${file.url} (${(error as Error).message}). ` +
          `This machine may be offline or unable to reach GitHub. Download the files listed in ` +
          `lib/data/external.ts (model.json and group1-shard1of138.bin … group1-shard20of138.bin) ` +
          `by hand from ${file.url.slice(0, file.url.lastIndexOf("/") + 1)} into ${dir}, or set ` +
          `COURSE_DATA_DIR to a folder that has ${VGG19_DIR}/; then run ` +
          `\`deno task fetch-weights --check\`.`,
      );
    }
    const part = `${path}.part`;
    await Deno.writeFile(part, bytes);
    const sum = await sha256File(part);
    if (sum !== file.sha256 || bytes.length !== file.bytes) {
      await Deno.remove(part);
      throw new Error(
        `fetch-weights: ${file.url} does not match the course's record (sha256 ${sum}, ` +
          `${bytes.length} bytes; expected ${file.sha256}, ${file.bytes} bytes). Nothing was ` +
          `written for it.`,
      );
    }
    await Deno.rename(part, path);
    log(`downloaded and verified ${file.name} (${file.bytes} bytes)`);
  }
  return await verifyWeights(dir);
}

function describe(report: WeightsReport, dir: string): string {
  const total = report.ok.length + report.missing.length + report.corrupt.length;
  const parts = [`${report.ok.length} of ${total} VGG19 files verified in ${dir}`];
  if (report.missing.length) parts.push(`missing: ${report.missing.join(", ")}`);
  if (report.corrupt.length) parts.push(`wrong sha256: ${report.corrupt.join(", ")}`);
  return parts.join("; ");
}

if (import.meta.main) {
  const usage = "usage: deno task fetch-weights [--dir <folder>] [--check]";
  let check: boolean, dir: string;
  try {
    // strict: an unknown flag (e.g. --dirr) or a stray argument is an error, not ignored
    const { values } = parseArgs({
      args: Deno.args,
      strict: true,
      options: { dir: { type: "string" }, check: { type: "boolean", default: false } },
    });
    check = values.check;
    dir = values.dir ?? externalPath(VGG19_DIR);
    if (dir === "") throw new Error("--dir must name a folder");
  } catch (error) {
    console.error(`fetch-weights: ${(error as Error).message}\n${usage}`);
    Deno.exit(2);
  }
  try {
    const report = check
      ? await verifyWeights(dir)
      : await fetchWeights({ dir, log: (line) => console.log(line) });
    console.log(describe(report, dir));
    Deno.exit(report.missing.length + report.corrupt.length === 0 ? 0 : 1);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
