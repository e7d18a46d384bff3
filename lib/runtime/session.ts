/**
 * Where the code is running: inside the Deno Jupyter kernel or a plain script, and which
 * notebook (if any) has announced itself with `startNotebook`.
 *
 * @module
 */

let notebookName: string | undefined;

/** True inside `deno jupyter` (a kernel), false in `deno run` / `deno test`. */
export function inJupyter(): boolean {
  try {
    // Reading `Deno.jupyter` throws outside the kernel.
    return typeof Deno.jupyter?.display === "function";
  } catch {
    return false;
  }
}

/** The Jupyter API when inside the kernel, otherwise undefined. */
export function jupyter(): typeof Deno.jupyter | undefined {
  return inJupyter() ? Deno.jupyter : undefined;
}

/** Record the running notebook's name (e.g. "02_feedforward"); figure files are named after it. */
export function setCurrentNotebook(name: string): void {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`notebook name "${name}" must be a plain file stem`);
  notebookName = name;
}

/** The running notebook's name, or "script" when none was recorded. */
export function currentNotebook(): string {
  return notebookName ?? "script";
}
