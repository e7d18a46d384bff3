/**
 * A notebook's figures in `out/figures/` as one set: the folder keeps the figures of the
 * notebook's last complete run. Before a run, {@linkcode setAsideFigures} moves the previous
 * `<stem>-*.png` into `.previous-<stem>/`; after a successful run {@linkcode keepNewFigures}
 * deletes them (so figures the notebook no longer makes are gone); after a failed run (a cell
 * error, a full disk) {@linkcode restoreFigures} deletes the new, possibly partial set and moves
 * the previous one back. Renames within one folder: no copying, no space needed. A runner that was
 * killed midway leaves `.previous-<stem>/`, which the next {@linkcode setAsideFigures} restores
 * first.
 *
 * @example
 * ```ts
 * await setAsideFigures("out/figures", "02_feedforward");
 * const ok = await runTheNotebook();
 * await (ok ? keepNewFigures : restoreFigures)("out/figures", "02_feedforward");
 * ```
 *
 * @module
 */
import { pathExists } from "../lib/runtime/files.ts";

function previousDir(figuresDir: string, stem: string): string {
  return `${figuresDir}/.previous-${stem}`;
}

async function figuresOf(dir: string, stem: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(`${stem}-`) && entry.name.endsWith(".png")) {
        names.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/**
 * Move the figures of `stem` out of the way before a run (restoring first a set left aside by an
 * interrupted run, which is the last complete one).
 */
export async function setAsideFigures(figuresDir: string, stem: string): Promise<void> {
  const previous = previousDir(figuresDir, stem);
  if (await pathExists(previous)) await restoreFigures(figuresDir, stem);
  await Deno.mkdir(previous, { recursive: true });
  for (const name of await figuresOf(figuresDir, stem)) {
    await Deno.rename(`${figuresDir}/${name}`, `${previous}/${name}`);
  }
}

/** After a successful run: the new figures stay, the previous set is deleted. */
export async function keepNewFigures(figuresDir: string, stem: string): Promise<void> {
  await Deno.remove(previousDir(figuresDir, stem), { recursive: true }).catch(() => {});
}

/** After a failed run: the new figures are deleted and the previous set moved back. */
export async function restoreFigures(figuresDir: string, stem: string): Promise<void> {
  const previous = previousDir(figuresDir, stem);
  if (!(await pathExists(previous))) return;
  for (const name of await figuresOf(figuresDir, stem)) await Deno.remove(`${figuresDir}/${name}`);
  for (const name of await figuresOf(previous, stem)) {
    await Deno.rename(`${previous}/${name}`, `${figuresDir}/${name}`);
  }
  await Deno.remove(previous, { recursive: true });
}
