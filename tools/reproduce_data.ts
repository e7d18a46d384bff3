/**
 * The external data of a `deno task reproduce` run, settled before any kernel starts: fetch what
 * the selected notebooks need ({@linkcode NOTEBOOK_DATA}), print one summary line, and say which
 * notebooks still lack required files (they are reported `needs data` and not run).
 *
 * @module
 */
import {
  describeFetch,
  fetchExternalFiles,
  fetchFailures,
  type FetchReport,
  howToGetData,
  missingExternalFiles,
} from "../lib/data/external.ts";
import { dataDownloadsAllowed } from "../lib/runtime/config.ts";
import { dataFor, NOTEBOOK_DATA } from "./notebook_data.ts";

/** Options of {@linkcode prepareExternalData}. */
export interface PrepareOptions {
  /** The fetch function (default `globalThis.fetch`; tests pass their own). */
  fetcher?: typeof fetch;
  /** Where lines go (default `console.log`). */
  log?: (line: string) => void;
}

/**
 * Fetch the missing external files of `stems` (unless `COURSE_DATA_OFFLINE=1`) and return, for
 * each notebook that still lacks a required file, the missing files.
 *
 * @example
 * ```ts
 * const lacking = await prepareExternalData(["06_cnn", "07_style_transfer"]);
 * lacking.get("06_cnn"); // undefined when 06 has its data
 * ```
 */
export async function prepareExternalData(
  stems: readonly string[],
  options: PrepareOptions = {},
): Promise<Map<string, string[]>> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { required, optional } = dataFor(stems);
  const missing = await missingExternalFiles([...required, ...optional]);
  if (missing.length > 0 && dataDownloadsAllowed()) {
    const report: FetchReport = await fetchExternalFiles(missing, { fetcher: options.fetcher });
    log(describeFetch(report));
    for (const line of fetchFailures(report)) log(`  ${line}`);
  } else if (missing.length === 0 && required.length + optional.length > 0) {
    log(
      `external data: all ${required.length + optional.length} file(s) present, nothing to fetch`,
    );
  } else if (missing.length > 0) {
    log(`external data: ${missing.length} file(s) missing; not fetched (COURSE_DATA_OFFLINE=1)`);
  }
  const lacking = new Map<string, string[]>();
  for (const stem of stems) {
    const files = await missingExternalFiles(NOTEBOOK_DATA[stem]?.required ?? []);
    if (files.length > 0) lacking.set(stem, files);
  }
  return lacking;
}

/**
 * The one line for a notebook that was not run for lack of data: which files, and the fix.
 *
 * @example
 * ```ts
 * needsDataLine("06_cnn", ["gatys/tubingen.jpg"]);
 * // "06_cnn: needs data — missing gatys/tubingen.jpg. Run `deno task fetch-data` …"
 * ```
 */
export function needsDataLine(stem: string, missing: readonly string[]): string {
  const files = missing.length <= 3
    ? missing.join(", ")
    : `${missing.length} files (${missing.slice(0, 2).join(", ")}, …)`;
  return `${stem}: needs data — missing ${files}. ${howToGetData()}`;
}
