/**
 * For tests that need external data: whether it is in the external data folder, and a test name
 * that says why the test is skipped when it is not. Tests never download (`deno task test` sets
 * `COURSE_DATA_OFFLINE=1`); `deno task test` counts these skips and, with `COURSE_REQUIRE_DATA=1`
 * (CI), fails on them.
 *
 * @module
 */
import { externalDataDir } from "../lib/runtime/config.ts";
import { FETCH_COMMAND, missingExternalFiles } from "../lib/data/external.ts";
import { NEEDS_DATA_MARK } from "../tools/notebook_data.ts";

/** Why a test needing `paths` is skipped, or undefined when they are all present. */
export async function missingDataReason(paths: readonly string[]): Promise<string | undefined> {
  const missing = await missingExternalFiles(paths);
  if (missing.length === 0) return undefined;
  const what = missing.length === 1 ? missing[0] : `${missing.length} files (${missing[0]}, …)`;
  return `${NEEDS_DATA_MARK}: ${what} not in ${externalDataDir()}; run \`${FETCH_COMMAND}\` ` +
    `or set COURSE_DATA_DIR`;
}

/**
 * `Deno.test` options for a test that needs `paths`: its name, with the reason appended when it
 * is skipped, and `ignore`.
 *
 * @example
 * ```ts
 * Deno.test({ ...await needsData("reads the photo", ["gatys/tubingen.jpg"]), fn: async () => {} });
 * ```
 */
export async function needsData(
  name: string,
  paths: readonly string[],
): Promise<{ name: string; ignore: boolean }> {
  const reason = await missingDataReason(paths);
  return reason === undefined
    ? { name, ignore: false }
    : { name: `${name} [skipped: ${reason}]`, ignore: true };
}
