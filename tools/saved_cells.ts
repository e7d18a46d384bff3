/**
 * `deno task save-cells [--check]` — one source for the code a chapter teaches.
 *
 * A chapter shows its algorithm in a code cell that starts with a marker line naming a library
 * module, e.g. `// @save lib/nn/training.ts`. The reader runs that cell where the derivation is; later
 * chapters import the same code from the module. This tool copies every marked cell (without
 * the marker line) into its module, between the lines
 *
 * ```
 * // @saved-from notebooks/03a_linear_regression.ipynb — edit it there, then `deno task save-cells`
 * …the cell's code…
 * // @end-saved
 * ```
 *
 * A module holds its saved regions in reading order (notebooks sorted by name, cells top to
 * bottom), after a hand-written head (module comment, imports) and before or between any
 * hand-written code. Exercise markers (`// BEGIN EXERCISE <id>: <task>` … `// END EXERCISE`,
 * see `exercise_regions.ts`) are dropped: the module holds the plain reference solution. With `--check` nothing is written and any difference is an error: a region
 * edited in the module instead of the notebook, a marked cell not yet copied, or a region whose
 * cell is gone. `tests/saved_cells_test.ts` runs the check, so a copy cannot drift.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { REPO_ROOT } from "../lib/runtime/config.ts";
import { listNotebooks, readNotebook, sourceOf } from "./notebook_file.ts";
import { withoutExerciseMarkers } from "./exercise_regions.ts";

/** The marker a cell starts with: `// @save <module path relative to the repository>`. */
export const SAVE_MARKER = /^\/\/ @save (lib\/[\w/.-]+\.ts)[ \t]*$/;
const BEGIN = /^\/\/ @saved-from (notebooks\/[\w.-]+\.ipynb)\b.*$/;
const END = "// @end-saved";

/** One marked cell: which notebook and cell it is in, where it goes, and its code. */
export interface SavedCell {
  /** The notebook, relative to the repository (`notebooks/…ipynb`). */
  notebook: string;
  /** 1-based position of the cell among all cells, as a reader counts them. */
  cell: number;
  /** The target module, relative to the repository (`lib/…ts`). */
  module: string;
  /**
   * The cell's code without the marker line, without exercise markers (`// BEGIN EXERCISE …`,
   * `// END EXERCISE`: lib holds the plain reference solution) and without trailing blank lines.
   */
  code: string;
}

/** A saved region as found in a module. */
interface Region {
  notebook: string;
  code: string;
}

/**
 * The marked cells of one notebook, top to bottom.
 *
 * @example
 * ```ts
 * savedCellsOf("notebooks/03a_linear_regression.ipynb", cells);
 * // [{ notebook: "notebooks/03a_…", cell: 9, module: "lib/nn/training.ts", code: "export function …" }]
 * ```
 */
export function savedCellsOf(
  notebook: string,
  cells: { cell_type: string; source: string | string[] }[],
): SavedCell[] {
  const saved: SavedCell[] = [];
  cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const [first, ...rest] = sourceOf(cell as Parameters<typeof sourceOf>[0]).split("\n");
    const marker = SAVE_MARKER.exec(first);
    if (marker === null) {
      if (/@save\b/.test(first)) {
        throw new Error(
          `${notebook}, cell ${index + 1}: malformed marker "${first}" ` +
            `(expected "// @save lib/<path>.ts")`,
        );
      }
      return;
    }
    saved.push({
      notebook,
      cell: index + 1,
      module: marker[1],
      code: withoutExerciseMarkers(rest.join("\n"), `${notebook}, cell ${index + 1}`)
        .replace(/\s+$/, ""),
    });
  });
  return saved;
}

/** The head line of a region copied from `notebook`. */
export function regionHead(notebook: string): string {
  return `// @saved-from ${notebook} — edit it there, then \`deno task save-cells\``;
}

/**
 * Split a module into hand-written parts and saved regions. Throws on an unterminated region.
 */
function parseModule(path: string, text: string): { parts: (string | Region)[] } {
  const lines = text.split("\n");
  const parts: (string | Region)[] = [];
  let plain: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]);
    if (begin === null) {
      plain.push(lines[i]);
      continue;
    }
    const end = lines.indexOf(END, i + 1);
    if (end < 0) throw new Error(`${path}, line ${i + 1}: "@saved-from" without "${END}"`);
    parts.push(plain.join("\n"));
    plain = [];
    parts.push({ notebook: begin[1], code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  parts.push(plain.join("\n"));
  return { parts };
}

/**
 * The module's text with its saved regions replaced by `cells` (in order). Regions beyond the
 * cells are removed; cells beyond the regions are appended at the end of the module.
 */
export function withSavedCells(path: string, text: string, cells: SavedCell[]): string {
  const { parts } = parseModule(path, text);
  const out: string[] = [];
  let next = 0;
  for (const part of parts) {
    if (typeof part === "string") {
      out.push(part);
    } else if (next < cells.length) {
      const cell = cells[next++];
      out.push(`${regionHead(cell.notebook)}\n${cell.code}\n${END}`);
    } else if (out.length > 0 && out[out.length - 1] === "") {
      out.pop(); // drop the blank line that separated the removed region
    }
  }
  let result = out.join("\n");
  for (const cell of cells.slice(next)) {
    result = `${result.replace(/\n*$/, "\n\n")}${
      regionHead(cell.notebook)
    }\n${cell.code}\n${END}\n`;
  }
  return result;
}

/** One module whose saved regions differ from their cells. */
export interface SavedCellDrift {
  module: string;
  message: string;
}

/** Where the first difference between two texts is, as `line N: "a" vs "b"`. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split("\n"), b = actual.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}: the notebook gives ${JSON.stringify(a[i] ?? "<end>")}, ` +
        `the module has ${JSON.stringify(b[i] ?? "<end>")}`;
    }
  }
  return "no difference";
}

/**
 * Copy every marked cell of the course's notebooks (or of `notebooks`, absolute paths under
 * `root`) into its module (or, with `check`, only compare). Returns the modules that differed:
 * with `check` those are errors; without, they were rewritten.
 *
 * @example
 * ```ts
 * const drifts = await syncSavedCells({ check: true }); // [] when every copy is current
 * ```
 */
export async function syncSavedCells(
  options: { check: boolean; root?: string; notebooks?: string[] },
): Promise<SavedCellDrift[]> {
  const root = options.root ?? REPO_ROOT;
  const byModule = new Map<string, SavedCell[]>();
  for (const path of options.notebooks ?? await listNotebooks()) {
    const notebook = relative(root, path);
    for (const cell of savedCellsOf(notebook, (await readNotebook(path)).cells)) {
      byModule.set(cell.module, [...(byModule.get(cell.module) ?? []), cell]);
    }
  }
  // Modules that hold regions but whose cells are all gone must be checked too.
  for await (const module of modulesWithRegions(`${root}/lib`)) {
    const key = relative(root, module);
    if (!byModule.has(key)) byModule.set(key, []);
  }
  const drifts: SavedCellDrift[] = [];
  for (const [module, cells] of byModule) {
    const path = `${root}/${module}`;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      text = "";
    }
    const wanted = withSavedCells(module, text, cells);
    if (wanted === text) continue;
    const regions = parseModule(module, text).parts.filter((p): p is Region =>
      typeof p !== "string"
    );
    let message: string;
    if (regions.length !== cells.length) {
      message = `${cells.length} marked cell(s) (${
        cells.map((c) => `${c.notebook} cell ${c.cell}`).join(", ") || "none"
      }) but ${regions.length} saved region(s) in the module`;
    } else {
      const i = cells.findIndex((c, k) =>
        c.code !== regions[k].code || c.notebook !== regions[k].notebook
      );
      message = i < 0
        ? "the module's layout around its saved regions differs"
        : `region ${i + 1} differs from ${cells[i].notebook}, cell ${cells[i].cell}: ` +
          firstDifference(cells[i].code, regions[i].code);
    }
    drifts.push({ module, message });
    if (!options.check) await Deno.writeTextFile(path, wanted);
  }
  return drifts;
}

async function* modulesWithRegions(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* modulesWithRegions(path);
    else if (
      entry.name.endsWith(".ts") && /^\/\/ @saved-from /m.test(await Deno.readTextFile(path))
    ) {
      yield path;
    }
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { check: { type: "boolean", default: false } },
    strict: true,
  });
  const drifts = await syncSavedCells({ check: values.check });
  for (const drift of drifts) {
    console.log(`${values.check ? "differs" : "updated"}: ${drift.module}: ${drift.message}`);
  }
  if (values.check && drifts.length > 0) {
    console.log("Edit the notebook cell, then run `deno task save-cells` to copy it.");
    Deno.exit(1);
  }
  if (!values.check) console.log(`save-cells: ${drifts.length} module(s) updated`);
}
