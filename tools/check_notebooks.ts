/**
 * `deno run -A tools/check_notebooks.ts [filters…]` — the checks `deno check` and `deno lint`
 * cannot do on notebooks:
 *
 * 1. every notebook in git carries no outputs and no execution counts;
 * 2. every notebook's code cells type-check: the cells are joined, in order, into a temporary
 *    module beside the notebook (so relative imports resolve) and given to `deno check`; errors
 *    are reported as `notebook.ipynb, cell N, line L`.
 *
 * @module
 */
import { type Cell, listNotebooks, readNotebook, sourceOf } from "./notebook_file.ts";

/** Names of cells that carry outputs or execution counts, as `cell N` (1-based). */
export function cellsWithOutputs(cells: Cell[]): string[] {
  return cells.flatMap((cell, i) =>
    cell.cell_type === "code" && ((cell.outputs?.length ?? 0) > 0 || cell.execution_count != null)
      ? [`cell ${i + 1}`]
      : []
  );
}

/** The code cells joined into one module, with the first line of each cell in the module. */
export function joinCodeCells(cells: Cell[]): { code: string; starts: [number, number][] } {
  const parts: string[] = [];
  const starts: [number, number][] = []; // [first line in module (1-based), cell number]
  let line = 1;
  cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const source = sourceOf(cell).replace(/\s+$/, "");
    starts.push([line, i + 1]);
    parts.push(source);
    line += source.split("\n").length + 1; // the cell plus a blank separator line
  });
  return { code: `${parts.join("\n\n")}\n\nexport {};\n`, starts };
}

/** Type-check one notebook's code cells; returns the problems found (empty when clean). */
export async function typeCheckNotebook(path: string): Promise<string[]> {
  const notebook = await readNotebook(path);
  const { code, starts } = joinCodeCells(notebook.cells);
  const stem = path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
  const temp = path.replace(/[^/]+$/, `.typecheck_${stem}.ts`);
  await Deno.writeTextFile(temp, code);
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", temp],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (result.success) return [];
    const text = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    // deno check prints "at file:///…/.typecheck_<stem>.ts:LINE:COL"; name the cell instead.
    const located = text.replace(
      new RegExp(`file://\\S*\\.typecheck_${stem}\\.ts:(\\d+):(\\d+)`, "g"),
      (_, line: string, column: string) => locate(starts, Number(line), Number(column), stem),
    );
    return [located.split("\nerror: Type checking failed")[0].trim()];
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

function locate(starts: [number, number][], line: number, column: number, stem: string): string {
  let found: [number, number] = starts[0] ?? [1, 1];
  for (const start of starts) if (start[0] <= line) found = start;
  return `${stem}.ipynb, cell ${found[1]}, line ${line - found[0] + 1}:${column}`;
}

async function main(filters: string[]): Promise<number> {
  let failures = 0;
  for (const path of await listNotebooks(filters)) {
    const name = path.replace(/^.*\//, "");
    const withOutputs = cellsWithOutputs((await readNotebook(path)).cells);
    if (withOutputs.length > 0) {
      failures++;
      console.error(
        `${name}: outputs stored in ${withOutputs.join(", ")} (clear them before commit)`,
      );
    }
    const typeErrors = await typeCheckNotebook(path);
    if (typeErrors.length > 0) {
      failures++;
      console.error(`${name}: type errors\n${typeErrors.join("\n")}`);
    }
    if (withOutputs.length === 0 && typeErrors.length === 0) console.log(`${name}: ok`);
  }
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
