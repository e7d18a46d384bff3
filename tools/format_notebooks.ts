/**
 * `deno run -A tools/format_notebooks.ts [--check] [filters…]` — formats the code cells of the
 * notebooks with `deno fmt`, or with `--check` lists the cells that are not formatted.
 *
 * Why not `deno fmt` on the `.ipynb` files: Deno 2.9.6's `deno fmt --check` reports every
 * notebook with a Markdown cell as unformatted on a fresh checkout (with an empty diff, and
 * `deno fmt` then rewrites identical bytes), so notebooks are excluded from `deno fmt` in
 * deno.json and their code cells are formatted here, as TypeScript, with the project's settings.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { listNotebooks, type Notebook, readNotebook, sourceOf } from "./notebook_file.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

/** A code cell whose formatted source differs from its stored source. */
export interface UnformattedCell {
  notebook: string;
  /** 1-based position among all cells. */
  cell: number;
  formatted: string;
}

/** Format every code cell of `paths` in one `deno fmt` run; returns the cells that changed. */
export async function formatCodeCells(paths: string[]): Promise<UnformattedCell[]> {
  const dir = await Deno.makeTempDir({ prefix: "format-notebooks-" });
  try {
    const cells: { notebook: string; cell: number; file: string; source: string }[] = [];
    for (const notebook of paths) {
      (await readNotebook(notebook)).cells.forEach((cell, i) => {
        if (cell.cell_type !== "code") return;
        const file = `${dir}/${cells.length}.ts`;
        cells.push({ notebook, cell: i + 1, file, source: sourceOf(cell) });
      });
    }
    await Promise.all(cells.map((c) => Deno.writeTextFile(c.file, `${c.source}\n`)));
    if (cells.length > 0) {
      const result = await new Deno.Command(Deno.execPath(), {
        args: ["fmt", "--quiet", `--config=${REPO_ROOT}/deno.json`, dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!result.success) {
        throw new Error(
          `deno fmt failed on notebook cells:\n${new TextDecoder().decode(result.stderr)}`,
        );
      }
    }
    const changed: UnformattedCell[] = [];
    for (const c of cells) {
      const formatted = (await Deno.readTextFile(c.file)).replace(/\n$/, "");
      if (formatted !== c.source) changed.push({ notebook: c.notebook, cell: c.cell, formatted });
    }
    return changed;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Replace the sources of `changed` cells in their notebooks (nbformat's line-list layout). */
export async function writeFormatted(changed: UnformattedCell[]): Promise<void> {
  const byNotebook = Map.groupBy(changed, (c) => c.notebook);
  for (const [path, cells] of byNotebook) {
    const text = await Deno.readTextFile(path);
    const notebook: Notebook = JSON.parse(text);
    for (const c of cells) {
      const lines = c.formatted.split("\n");
      notebook.cells[c.cell - 1].source = lines.map((line, i) =>
        i < lines.length - 1 ? `${line}\n` : line
      );
    }
    const indent = /^\{\n( +)"/.exec(text)?.[1] ?? " ";
    await Deno.writeTextFile(path, `${JSON.stringify(notebook, null, indent)}\n`);
  }
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true, // an unknown flag is an error
    allowPositionals: true,
    options: { check: { type: "boolean", default: false } },
  });
  const check = values.check;
  const paths = await listNotebooks(positionals);
  const changed = await formatCodeCells(paths);
  if (check) {
    for (const c of changed) {
      console.error(`${c.notebook.replace(/^.*\//, "")}, cell ${c.cell}: not formatted`);
    }
    if (changed.length > 0) {
      console.error("run `deno task fmt` to format the notebooks' code cells");
    }
    return changed.length === 0 ? 0 : 1;
  }
  await writeFormatted(changed);
  for (const path of new Set(changed.map((c) => c.notebook))) console.log(path);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
