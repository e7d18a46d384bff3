/**
 * `deno task fetch-data [--check]` — fetch every external file the course can use (the 21 VGG19
 * files and the paper's six images, ≈ 22 MB) into the external data folder, and verify each
 * file's sha256 against `lib/data/external_files.ts`.
 *
 * - Files already present are kept; missing ones are downloaded from their pinned addresses (or
 *   from `COURSE_DATA_MIRROR`) through `<name>.part`, and renamed into place only when their
 *   sha256 matches. Then every file is verified.
 * - `--check` downloads nothing: it only verifies what is there.
 * - Exit status 0 when every file is present and intact, else 1 (2 for a usage error).
 *
 * @example
 * ```sh
 * deno task fetch-data            # download what is missing, then verify all
 * deno task fetch-data --check    # verify only
 * COURSE_DATA_MIRROR=http://classroom:8000 deno task fetch-data
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  describeFetch,
  EXTERNAL_FILES,
  externalPath,
  FETCHABLE_FILES,
  fetchExternalFiles,
  fetchFailures,
  howToGetData,
  missingExternalFiles,
  sha256File,
} from "../lib/data/external.ts";
import { externalDataDir } from "../lib/runtime/config.ts";

const USAGE = "usage: deno task fetch-data [--check]\n" +
  "  (no flag)  download the missing external files, then verify every one\n" +
  "  --check    only verify what is there (no download)";

/** What {@linkcode checkFiles} found. */
export interface CheckReport {
  ok: string[];
  missing: string[];
  /** Present, but with another sha256. */
  corrupt: string[];
}

/**
 * Verify `paths` (relative, from the table) in the external data folder; nothing is changed.
 *
 * @example
 * ```ts
 * (await checkFiles(FETCHABLE_FILES)).corrupt; // []
 * ```
 */
export async function checkFiles(paths: readonly string[]): Promise<CheckReport> {
  const report: CheckReport = { ok: [], missing: await missingExternalFiles(paths), corrupt: [] };
  for (const key of paths) {
    if (report.missing.includes(key)) continue;
    const good = await sha256File(externalPath(key)) === EXTERNAL_FILES[key].sha256;
    (good ? report.ok : report.corrupt).push(key);
  }
  return report;
}

function describeCheck(report: CheckReport): string {
  const total = report.ok.length + report.missing.length + report.corrupt.length;
  const parts = [`${report.ok.length} of ${total} external files verified in ${externalDataDir()}`];
  if (report.missing.length) {
    const more = report.missing.length > 3 ? `, … (${report.missing.length} in all)` : "";
    parts.push(`missing: ${report.missing.slice(0, 3).join(", ")}${more}`);
  }
  if (report.corrupt.length) {
    parts.push(`wrong sha256 (delete and fetch again): ${report.corrupt.join(", ")}`);
  }
  return parts.join("; ");
}

/** Run the command with `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let check: boolean;
  try {
    const { values } = parseArgs({ args, options: { check: { type: "boolean" } } });
    check = values.check === true;
  } catch (error) {
    console.error(`fetch-data: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!check) {
    const fetched = await fetchExternalFiles(FETCHABLE_FILES);
    console.log(describeFetch(fetched));
    for (const line of fetchFailures(fetched)) console.error(`  ${line}`);
  }
  const report = await checkFiles(FETCHABLE_FILES);
  console.log(describeCheck(report));
  const ok = report.missing.length + report.corrupt.length === 0;
  if (!ok) console.error(howToGetData());
  return ok ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`fetch-data: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
