/**
 * Notebooks are stored in git without outputs, while a working copy may keep them: Jupyter
 * autosaves what a reader ran, and that is normal.
 *
 * - `deno task setup-git` installs a git "clean" filter (`.gitattributes` names it for
 *   `notebooks/*.ipynb`): whatever the working copy holds, `git add` stores the notebook with
 *   its outputs and execution counts removed.
 * - `deno run --allow-read tools/strip_outputs.ts < in.ipynb > out.ipynb` is that filter.
 * - `deno run -A tools/strip_outputs.ts --in-place notebooks/*.ipynb` clears the working copies.
 *
 * The tests check what git stores ({@linkcode storedNotebook}), not the working copy.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../lib/runtime/config.ts";
import type { Notebook } from "./notebook_file.ts";

/** The name of the git filter in `.gitattributes` and in the repository's git config. */
export const FILTER_NAME = "course-notebook";

/**
 * A notebook's text without outputs and execution counts, in the layout the course stores
 * (nbformat's: one-space indent, keys in their order, a final newline). Text that is not a
 * notebook is returned unchanged, so the filter never loses a file.
 *
 * @example
 * ```ts
 * stripOutputs('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}');
 * ```
 */
export function stripOutputs(text: string): string {
  let notebook: Notebook;
  try {
    notebook = JSON.parse(text);
  } catch {
    return text;
  }
  if (!Array.isArray(notebook?.cells)) return text;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
    if (cell.metadata) {
      // What front ends record about a run, not about the cell.
      for (const key of ["execution", "collapsed", "scrolled"]) delete cell.metadata[key];
    }
  }
  return `${JSON.stringify(notebook, null, 1)}\n`;
}

/**
 * The text git stores for a notebook (the staged version: what the next commit holds), or
 * `undefined` when `path` is not in a git checkout or not tracked.
 *
 * @example
 * ```ts
 * const stored = await storedNotebook("notebooks/02_feedforward.ipynb");
 * ```
 */
export async function storedNotebook(path: string): Promise<string | undefined> {
  const relative = path.startsWith(`${REPO_ROOT}/`) ? path.slice(REPO_ROOT.length + 1) : path;
  try {
    const result = await new Deno.Command("git", {
      args: ["cat-file", "blob", `:${relative}`],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    return result.success ? new TextDecoder().decode(result.stdout) : undefined;
  } catch {
    return undefined; // no git on this machine
  }
}

/** Install the clean filter in the repository's git config (what `deno task setup-git` runs). */
export async function installFilter(): Promise<void> {
  const run = async (...args: string[]) => {
    const result = await new Deno.Command("git", { args, cwd: REPO_ROOT, stderr: "piped" })
      .output();
    if (!result.success) {
      throw new Error(
        `git ${args.join(" ")} failed: ${new TextDecoder().decode(result.stderr).trim()}`,
      );
    }
  };
  await run(
    "config",
    `filter.${FILTER_NAME}.clean`,
    `"${Deno.execPath()}" run --allow-read tools/strip_outputs.ts`,
  );
  await run("config", `filter.${FILTER_NAME}.smudge`, "cat");
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { "in-place": { type: "boolean", default: false }, install: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.install) {
    await installFilter();
    console.log(
      `git filter "${FILTER_NAME}" installed: notebooks are stored without outputs ` +
        `(your working copies keep theirs)`,
    );
  } else if (values["in-place"]) {
    for (const path of positionals) {
      const text = await Deno.readTextFile(path);
      const stripped = stripOutputs(text);
      if (stripped !== text) {
        await Deno.writeTextFile(`${path}.tmp`, stripped);
        await Deno.rename(`${path}.tmp`, path);
        console.log(`cleared ${path}`);
      }
    }
  } else {
    if (positionals.length > 0) {
      console.error("strip_outputs: file arguments need --in-place (the filter reads stdin)");
      Deno.exit(2);
    }
    await Deno.stdout.write(
      new TextEncoder().encode(stripOutputs(await readAll(Deno.stdin.readable))),
    );
  }
}
