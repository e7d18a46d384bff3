/**
 * The numbers a notebook reports, kept where the prose can be checked against them.
 *
 * A notebook states results in its Markdown ("98.19 % test accuracy in full mode"). So that such a
 * sentence cannot drift from what the code computes, the cell that computes the number also
 * records it: `recordResults({ test_accuracy_pct: 98.19… })`. Each call rewrites
 * `<out>/results/<notebook>.<mode>.json` (atomically) with every result recorded so far in this
 * run. `deno task reproduce --full` copies a complete run's file into the committed table
 * `data/full_mode_results.json`, and the tests compare each number quoted in Markdown (marked
 * `<!-- full: name -->` or `<!-- quick: name -->` right after it) with the recorded value.
 *
 * @example
 * ```ts
 * await recordResults({ test_accuracy_pct: 100 * accuracy, epochs });
 * ```
 *
 * @module
 */
import { mode, outDir } from "./config.ts";
import { writeFileAtomic } from "./files.ts";
import { currentNotebook } from "./session.ts";

/** A result's name: lower-case words joined by `_` (it appears in Markdown markers). */
export const RESULT_NAME = /^[a-z][a-z0-9_]*$/;

/** The file a notebook's run writes its results to: `<out>/results/<notebook>.<mode>.json`. */
export interface ResultsFile {
  notebook: string;
  mode: "quick" | "full";
  results: Record<string, number>;
}

const recorded = new Map<string, number>();
let recordedFor = "";

/**
 * Record named results of this run. Names follow {@linkcode RESULT_NAME}; values must be finite
 * numbers. A name recorded again takes the new value. Returns nothing, so that a cell ending with
 * the call displays nothing.
 *
 * @example
 * ```ts
 * await recordResults({ gradient_ratio: ratio });
 * ```
 */
export async function recordResults(results: Record<string, number>): Promise<void> {
  const notebook = currentNotebook();
  const runMode = mode();
  for (const [name, value] of Object.entries(results)) {
    if (!RESULT_NAME.test(name)) {
      throw new Error(
        `result name "${name}" must be lower-case words joined by _ (e.g. test_error)`,
      );
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new Error(`result ${name} of ${notebook} is ${value}, not a finite number`);
    }
  }
  const key = `${notebook}.${runMode}`;
  if (key !== recordedFor) {
    recorded.clear();
    recordedFor = key;
  }
  for (const [name, value] of Object.entries(results)) recorded.set(name, value);
  const dir = `${outDir()}/results`;
  await Deno.mkdir(dir, { recursive: true });
  const file: ResultsFile = {
    notebook,
    mode: runMode,
    results: Object.fromEntries([...recorded].sort(([a], [b]) => a.localeCompare(b))),
  };
  await writeFileAtomic(`${dir}/${key}.json`, JSON.stringify(file, null, 2) + "\n");
}

/** Path of the results a run of `notebook` in `runMode` wrote under the output folder `out`. */
export function resultsPath(out: string, notebook: string, runMode: "quick" | "full"): string {
  return `${out}/results/${notebook}.${runMode}.json`;
}
