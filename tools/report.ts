/**
 * What `deno task reproduce` records about one notebook's run. Its own module so that the runner
 * (`reproduce.ts`) and the index page (`index_page.ts`) share it without importing each other.
 *
 * @module
 */
import type { CellProblem } from "./notebook_file.ts";

/** What happened to one notebook. */
export interface NotebookReport {
  /** File stem, e.g. `02_feedforward`. */
  stem: string;
  /** The notebook's first heading. */
  title: string;
  /** Wall-clock seconds of the run (both runs, when it was run again). */
  seconds: number;
  /** Number of code cells. */
  cells: number;
  /** True when every cell ran without error and every output was written. */
  ok: boolean;
  /** Where and why it failed. */
  problems: CellProblem[];
  /** How often Jupyter itself failed and the notebook was run again in a fresh kernel (0 or 1). */
  reruns: number;
  /** External files it needs that are missing: it was not run (`needs data`). */
  needsData?: string[];
}
