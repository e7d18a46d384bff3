/**
 * Writing output files so that a reader never sees half of one: {@linkcode writeFileAtomic} writes
 * a temporary file in the same folder and renames it over the target, so the target is either the
 * previous complete file or the new complete one — also when the disk fills up or the process is
 * killed midway. Errors are one line naming the file and the cause ({@linkcode writeErrorMessage}).
 *
 * @example
 * ```ts
 * await writeFileAtomic("out/html/index.html", "<!doctype html>…");
 * ```
 *
 * @module
 */

/**
 * A short reason for a failed write: "no space left on device" for a full disk, else the
 * system's message without Deno's `(os error N)` and path suffixes.
 *
 * @example
 * ```ts
 * writeErrorMessage(new Error("No space left on device (os error 28): write 'x'")); // "no space left on device"
 * ```
 */
export function writeErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  if (code === "ENOSPC" || /os error 28\b|no space left/i.test(message)) {
    return "no space left on device";
  }
  if (code === "EDQUOT" || /os error 122\b/.test(message)) return "disk quota exceeded";
  const plain = message.replace(/\s*\(os error \d+\)/, "").replace(/:\s*\w+ '.*'$/, "").trim();
  return plain.charAt(0).toLowerCase() + plain.slice(1);
}

let counter = 0;

/**
 * Write `data` to `path` atomically: into `.<name>.<pid>-<n>.tmp` beside it, flushed, then renamed
 * over `path`. The folder must exist. On failure the temporary file is removed, `path` keeps its
 * previous content, and the error reads `cannot write <path>: <reason>`.
 *
 * @example
 * ```ts
 * await writeFileAtomic(`${dir}/figure.png`, pngBytes);
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const temp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${Deno.pid}-${++counter}.tmp`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o666 });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(`cannot write ${path}: ${writeErrorMessage(error)}`);
  }
}

/**
 * Whether a file or folder exists at `path` (any error reading it counts as "no").
 *
 * @example
 * ```ts
 * if (await pathExists("out/html/index.html")) console.log("built");
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
