/**
 * Tables of numbers in notebooks. In Jupyter a table is sent as HTML (what the front ends and the
 * HTML pages show) with Markdown and plain text beside it; in scripts it is printed as aligned
 * text.
 *
 * The HTML is laid out for formulas: text and formula columns are left-aligned, number columns
 * right-aligned, and a cell with `$…$` math never wraps (MathJax typesets it on one line; a
 * Markdown table instead inherits the front end's right alignment and lets a formula wrap over
 * several lines). The table sizes its columns to their content (`table-layout: auto`: the HTML
 * pages' style sheet otherwise fixes column widths, and MathJax then breaks formulas to fit).
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
    const markdown = tableMarkdown(headers, rows, text, options.caption);
    await api.display({
      "text/html": tableHtml(headers, rows, text, options.caption),
      "text/markdown": markdown,
      "text/plain": markdown,
    }, { raw: true });
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

/** Whether column `i` holds only numbers (it is then right-aligned). */
function numericColumn(rows: TableCell[][], i: number): boolean {
  return rows.length > 0 && rows.every((row) => typeof row[i] === "number");
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The Markdown of a table (sent beside the HTML): text columns left-aligned, number columns
 * right-aligned.
 *
 * @example
 * ```ts
 * tableMarkdown(["f", "error"], [["tanh", 1e-8]], [["tanh", "1.000e-8"]]);
 * ```
 */
export function tableMarkdown(
  headers: string[],
  rows: TableCell[][],
  text: string[][],
  caption?: string,
): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    ...(caption ? [`**${caption}**`, ""] : []),
    line(headers),
    line(headers.map((_, i) => (numericColumn(rows, i) ? "---:" : ":---"))),
    ...text.map(line),
  ].join("\n");
}

/**
 * The HTML of a table for Jupyter and the HTML pages: left-aligned text and formula columns,
 * right-aligned number columns (tabular figures), formula cells (`$…$`) kept on one line (no
 * wrapping, and each formula in an inline block that MathJax does not break).
 *
 * @example
 * ```ts
 * tableHtml(["f", "f′"], [["tanh", "$1 - f^2$"]], [["tanh", "$1 - f^2$"]]);
 * ```
 */
export function tableHtml(
  headers: string[],
  rows: TableCell[][],
  text: string[][],
  caption?: string,
): string {
  const align = headers.map((_, i) => (numericColumn(rows, i) ? "right" : "left"));
  const style = (i: number, cell: string) =>
    `text-align: ${align[i]}; padding: 0.25em 0.8em;` +
    (align[i] === "right" ? " font-variant-numeric: tabular-nums;" : "") +
    (cell.includes("$") ? " white-space: nowrap;" : "");
  const head = headers.map((h, i) => `<th style="${style(i, h)}">${escapeHtml(h)}</th>`).join("");
  // A formula sits in an inline block: MathJax's automatic line breaking (on in the HTML pages)
  // otherwise measures the cell while it is still empty and breaks the formula to that width.
  const content = (c: string) =>
    c.includes("$") ? `<span style="display: inline-block">${escapeHtml(c)}</span>` : escapeHtml(c);
  const body = text.map((row) =>
    `<tr>${row.map((c, i) => `<td style="${style(i, c)}">${content(c)}</td>`).join("")}</tr>`
  );
  return `<table style="border-collapse: collapse; table-layout: auto; width: auto; margin: 0.5em 0">` +
    (caption
      ? `<caption style="caption-side: top; text-align: left; font-weight: bold">` +
        `${escapeHtml(caption)}</caption>`
      : "") +
    `<thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>`;
}
