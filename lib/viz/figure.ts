/**
 * What every figure shares, whether a plot or an image: where its PNG is saved, how it is shown
 * in Jupyter, and one-time notices. `plot.ts` and `image.ts` both use it, so figure files are
 * named and written in exactly one place.
 *
 * Figure files go to `<outDir()>/figures/<currentNotebook()>-<name>.png` (see
 * `lib/runtime/config.ts` and `lib/runtime/session.ts`).
 *
 * @example
 * ```ts
 * const path = await saveFigurePng("weights", pngBytes); // out/figures/script-weights.png
 * await displayBundle({ "image/png": toBase64(pngBytes), "text/plain": path });
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { outDir } from "../runtime/config.ts";
import { writeErrorMessage, writeFileAtomic } from "../runtime/files.ts";
import { currentNotebook, jupyter } from "../runtime/session.ts";

/** A figure as plain JSON (what plotly and Jupyter receive), with size and style defaults. */
export interface FigureJson {
  data: unknown[];
  layout: Record<string, unknown>;
}

/**
 * Absolute path of the PNG for figure `name` of the current notebook. `name` must be a plain
 * file stem (letters, digits, `_`, `-`, `.`).
 *
 * @example
 * ```ts
 * figurePath("loss"); // "<repo>/out/figures/02_feedforward-loss.png"
 * ```
 */
export function figurePath(name: string): string {
  if (!/^[\w.-]+$/.test(name)) {
    throw new Error(`figure name "${name}" must be a plain file stem (letters, digits, _ - .)`);
  }
  return `${outDir()}/figures/${currentNotebook()}-${name}.png`;
}

/**
 * Write PNG bytes as figure `name` (creating the folder) and return the file's path. The write is
 * atomic (a temporary file renamed into place): the file is the old figure or the new one, never
 * part of one. Throws `cannot save figure "<name>" to <path>: <reason>` (e.g. no space left on
 * device).
 *
 * @example
 * ```ts
 * const path = await saveFigurePng("grid", encodePng(grid));
 * ```
 */
export async function saveFigurePng(name: string, png: Uint8Array): Promise<string> {
  const path = figurePath(name);
  try {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await writeFileAtomic(path, png);
  } catch (error) {
    const reason = writeErrorMessage(error).replace(/^cannot write \S+: /, "");
    throw new Error(`cannot save figure "${name}" to ${path}: ${reason}`);
  }
  return path;
}

/**
 * Base64 text of bytes, as Jupyter wants for `image/png`.
 *
 * @example
 * ```ts
 * toBase64(new Uint8Array([1, 2, 3])); // "AQID"
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Show one output made of several representations (a MIME bundle) when running inside Jupyter;
 * does nothing elsewhere. Returns whether something was displayed.
 *
 * @example
 * ```ts
 * await displayBundle({ "text/plain": "hello", "text/html": "<b>hello</b>" });
 * ```
 */
export async function displayBundle(bundle: Deno.jupyter.MediaBundle): Promise<boolean> {
  const api = jupyter();
  if (api === undefined) return false;
  await api.display(bundle, { raw: true });
  return true;
}

const noticesGiven = new Set<string>();

/**
 * Print `message` on one line the first time `key` is seen in this process (later calls with
 * the same key print nothing). Returns whether it printed.
 *
 * @example
 * ```ts
 * noticeOnce("no-chromium", "static PNGs are off: no Chromium found");
 * ```
 */
export function noticeOnce(key: string, message: string): boolean {
  if (noticesGiven.has(key)) return false;
  noticesGiven.add(key);
  console.log(message);
  return true;
}
