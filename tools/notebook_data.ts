/**
 * The one place that says which external files each notebook needs, keyed by notebook stem.
 * `deno task reproduce` fetches them before starting any kernel and marks a notebook whose
 * `required` files are still missing `needs data` instead of running it; `optional` files are
 * fetched when possible, and the notebook runs without them (saying so itself, e.g. 05's note).
 * `tests/notebook_data_test.ts` checks this table against what the notebooks import.
 *
 * @module
 */
import { GATYS_FILES, PATCH_FILES, VGG19_FILES } from "../lib/data/external.ts";

/**
 * Words in the name of every test skipped for missing external data (`tests/external_data.ts`):
 * `deno task test` counts such skips, and fails on them with `COURSE_REQUIRE_DATA=1`.
 */
export const NEEDS_DATA_MARK = "needs external data";

/** The external files one notebook uses. */
export interface NotebookData {
  /** Without these the notebook cannot run. */
  required: readonly string[];
  /** Fetched when possible; the notebook runs without them and says what it used instead. */
  optional: readonly string[];
}

const STYLE_TRANSFER: NotebookData = { required: [...VGG19_FILES, ...GATYS_FILES], optional: [] };

/** External data per notebook stem; a notebook not listed needs none. */
export const NOTEBOOK_DATA: Readonly<Record<string, NotebookData>> = {
  "05_autoencoder": { required: [], optional: PATCH_FILES },
  "06_cnn": { required: [...VGG19_FILES, "gatys/tubingen.jpg"], optional: [] },
  "07_style_transfer": STYLE_TRANSFER,
  "07a_gatys_figure_1": STYLE_TRANSFER,
  "07b_gatys_figure_2": STYLE_TRANSFER,
  "07c_gatys_figure_3": STYLE_TRANSFER,
};

/**
 * The external files of some notebooks, each once, in table order.
 *
 * @example
 * ```ts
 * dataFor(["06_cnn", "07_style_transfer"]).required.length; // 27
 * ```
 */
export function dataFor(stems: readonly string[]): { required: string[]; optional: string[] } {
  const required = new Set<string>(), optional = new Set<string>();
  for (const stem of stems) {
    for (const path of NOTEBOOK_DATA[stem]?.required ?? []) required.add(path);
    for (const path of NOTEBOOK_DATA[stem]?.optional ?? []) optional.add(path);
  }
  for (const path of required) optional.delete(path);
  return { required: [...required], optional: [...optional] };
}
