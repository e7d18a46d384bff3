/**
 * Tables of numbers in notebooks: shown as Markdown in Jupyter (so they read like the book's
 * tables and land in the HTML pages), printed as aligned text in scripts.
 *
 * @module
 */
import { jupyter } from "../runtime/session.ts";

/** One table cell: numbers are formatted with `digits` significant digits. */
export type TableCell = string | number | boolean;

/**
 * Display a table with a header row.
 *
 * @example
 * ```ts
 * await showTable(["activation", "max relative error"], [["tanh", 3e-8], ["ReLU", 0]]);
 * ```
 */
export async function showTable(
  headers: string[],
  rows: TableCell[][],
  options: { digits?: number; caption?: string } = {},
): Promise<void> {
  const text = rows.map((row) => row.map((cell) => formatCell(cell, options.digits ?? 4)));
  const api = jupyter();
  if (api) {
    const line = (cells: string[]) =>
      `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
    const markdown = [
      ...(options.caption ? [`**${options.caption}**`, ""] : []),
      line(headers),
      line(headers.map(() => "---")),
      ...text.map(line),
    ].join("\n");
    await api.display({ "text/markdown": markdown, "text/plain": markdown }, { raw: true });
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  if (options.caption) console.log(options.caption);
  console.log(
    [line(headers), line(widths.map((w) => "-".repeat(w))), ...text.map(line)].join("\n"),
  );
}

/** A number with `digits` significant digits (exponent form when very small or large). */
export function formatCell(cell: TableCell, digits = 4): string {
  if (typeof cell !== "number") return String(cell);
  if (Number.isInteger(cell) && Math.abs(cell) < 1e9) return String(cell);
  if (cell !== 0 && (Math.abs(cell) < 1e-3 || Math.abs(cell) >= 1e6)) {
    return cell.toExponential(digits - 1);
  }
  return Number(cell.toPrecision(digits)).toString();
}
