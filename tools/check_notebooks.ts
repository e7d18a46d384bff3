/**
 * `deno run -A tools/check_notebooks.ts [filters…]` — the checks `deno check` and `deno lint`
 * cannot do on notebooks:
 *
 * 1. every notebook as git stores it carries no outputs and no execution counts (working copies
 *    may: `deno task setup-git` installs the filter that strips them on `git add`);
 * 2. every notebook's code cells type-check: the cells are joined, in order, into a temporary
 *    module beside the notebook (so relative imports resolve) and given to `deno check`; errors
 *    are reported as `notebook.ipynb, cell N, line L`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Cell, listNotebooks, readNotebook, sourceOf, stemOf } from "./notebook_file.ts";
import { storedNotebook, stripOutputs } from "./strip_outputs.ts";

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
  return (await typeCheckNotebooks([path])).get(path) ?? [];
}

/**
 * Type-check the code cells of several notebooks in one `deno check` run (one process is much
 * faster than one per notebook); returns the problems per notebook path (only those with some).
 */
export async function typeCheckNotebooks(paths: string[]): Promise<Map<string, string[]>> {
  const modules = await Promise.all(paths.map(async (path) => {
    const { code, starts } = joinCodeCells((await readNotebook(path)).cells);
    const stem = stemOf(path);
    const temp = path.replace(/[^/]+$/, `.typecheck_${stem}.ts`);
    await Deno.writeTextFile(temp, code);
    return { path, stem, temp, starts };
  }));
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", ...modules.map((m) => m.temp)],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const problems = new Map<string, string[]>();
    if (result.success) return problems;
    const text = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    // Diagnostics are separated by blank lines; each ends "at file:///…/.typecheck_<stem>.ts:L:C".
    const diagnostics = text.split("\nerror: Type checking failed")[0].split(/\n\n(?=TS\d+ )/);
    for (const diagnostic of diagnostics) {
      const owner = modules.find((m) => diagnostic.includes(`.typecheck_${m.stem}.ts:`)) ??
        modules[0];
      const located = diagnostic.replace(
        new RegExp(`file://\\S*\\.typecheck_${owner.stem}\\.ts:(\\d+):(\\d+)`, "g"),
        (_, line: string, column: string) =>
          locate(owner.starts, Number(line), Number(column), owner.stem),
      );
      problems.set(owner.path, [...(problems.get(owner.path) ?? []), located.trim()]);
    }
    return problems;
  } finally {
    await Promise.all(modules.map((m) => Deno.remove(m.temp).catch(() => {})));
  }
}

function locate(starts: [number, number][], line: number, column: number, stem: string): string {
  let found: [number, number] = starts[0] ?? [1, 1];
  for (const start of starts) if (start[0] <= line) found = start;
  return `${stem}.ipynb, cell ${found[1]}, line ${line - found[0] + 1}:${column}`;
}

async function main(filters: string[]): Promise<number> {
  const paths = await listNotebooks(filters);
  const typeErrors = await typeCheckNotebooks(paths);
  let failures = 0;
  for (const path of paths) {
    const name = path.replace(/^.*\//, "");
    const stored = await storedNotebook(path);
    const withOutputs = stored === undefined
      ? cellsWithOutputs((await readNotebook(path)).cells)
      : stripOutputs(stored) === stored
      ? []
      : cellsWithOutputs(JSON.parse(stored).cells);
    const errors = typeErrors.get(path) ?? [];
    if (withOutputs.length > 0) {
      console.error(
        `${name}: staged with outputs in ${withOutputs.join(", ")} (run \`deno task setup-git\` ` +
          `once, then stage it again)`,
      );
    }
    if (errors.length > 0) console.error(`${name}: type errors\n${errors.join("\n\n")}`);
    if (withOutputs.length > 0 || errors.length > 0) failures++;
    else console.log(`${name}: ok`);
  }
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) {
  // no flags: an argument starting with "-" is a mistake, not a filter
  const { positionals } = parseArgs({ args: Deno.args, strict: true, allowPositionals: true });
  Deno.exit(await main(positionals));
}
