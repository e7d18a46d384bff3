/**
 * Reading the course's notebooks as data: the `.ipynb` JSON format (the parts the tools use),
 * listing the chapters in order, and finding error outputs in an executed notebook.
 *
 * @module
 */

/** One output of a code cell (nbformat 4). */
export interface CellOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** One cell (nbformat 4). */
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: CellOutput[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

/** A notebook (nbformat 4). */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** Absolute path of the repository's `notebooks/` folder. */
export const NOTEBOOKS_DIR: string = decodeURIComponent(
  new URL("../notebooks/", import.meta.url).pathname,
).replace(/\/$/, "");

/** A cell's source as one string. */
export function sourceOf(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** A stream or text output's text as one string. */
export function textOf(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join("") : value ?? "";
}

/** Read and parse a notebook; a file that is not a notebook gives one clear error. */
export async function readNotebook(path: string): Promise<Notebook> {
  const text = await Deno.readTextFile(path);
  let notebook: Notebook;
  try {
    notebook = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(notebook.cells)) throw new Error(`${path} has no "cells" list`);
  return notebook;
}

/**
 * A notebook's stem: its file name without the folder and `.ipynb`.
 *
 * @example
 * ```ts
 * stemOf("notebooks/02_feedforward.ipynb"); // "02_feedforward"
 * ```
 */
export function stemOf(path: string): string {
  return path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
}

/**
 * The course's notebooks in reading order (file names sort as chapters: `01_…`, `02_…`, `03a_…`),
 * keeping those whose stem contains any of `filters` (all when none are given).
 */
export async function listNotebooks(filters: string[] = []): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(NOTEBOOKS_DIR)) {
    if (entry.isFile && /^\d\d[a-z]?_.*\.ipynb$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const stems = names.map(stemOf);
  const kept = filters.length === 0
    ? stems
    : stems.filter((stem) => filters.some((filter) => stem.includes(filter)));
  return kept.map((stem) => `${NOTEBOOKS_DIR}/${stem}.ipynb`);
}

/** Where a problem was found in a notebook: the cell's position (1-based) and a message. */
export interface CellProblem {
  /** 1-based position among all cells, as a reader counts them. */
  cell: number;
  /** First line of the cell's source, to recognise it. */
  firstLine: string;
  message: string;
}

/**
 * Error outputs saved in an executed notebook. The Deno kernel has reported thrown errors
 * with status "ok", so the runner must look at the outputs, not only the execution status.
 */
export function errorOutputs(notebook: Notebook): CellProblem[] {
  const problems: CellProblem[] = [];
  notebook.cells.forEach((cell, index) => {
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        problems.push(problemAt(notebook, index, `${output.ename}: ${output.evalue}`));
      }
    }
  });
  return problems;
}

/** A {@linkcode CellProblem} for the cell at 0-based `index`. */
export function problemAt(notebook: Notebook, index: number, message: string): CellProblem {
  const cell = notebook.cells[index];
  const firstLine = cell ? sourceOf(cell).split("\n")[0].slice(0, 80) : "";
  return { cell: index + 1, firstLine, message };
}

/** The notebook's title: its first Markdown heading, else the file stem. */
export function titleOf(notebook: Notebook, stem: string): string {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "markdown") continue;
    const heading = sourceOf(cell).match(/^#\s+(.+)$/m);
    if (heading) return heading[1].trim();
  }
  return stem;
}
