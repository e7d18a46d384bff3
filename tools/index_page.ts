/**
 * The table of contents of the HTML book: `out/html/index.html`, linking one page per notebook.
 *
 * @module
 */
import type { NotebookReport } from "./reproduce.ts";

/** Write the index page for the executed notebooks in `reports`. */
export async function writeIndexPage(
  path: string,
  reports: NotebookReport[],
  mode: string,
): Promise<void> {
  const rows = reports.map((r) =>
    `<tr><td><a href="${r.stem}.html">${escapeHtml(r.title)}</a></td>` +
    `<td><code>${r.stem}</code></td><td>${r.seconds.toFixed(1)} s</td>` +
    `<td class="${r.ok ? "ok" : "failed"}">${r.ok ? "ok" : "failed"}</td></tr>`
  );
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Neural networks, re-derived in TypeScript</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td.ok { color: #2a7d2a; } td.failed { color: #b00020; font-weight: bold; }
</style>
</head>
<body>
<h1>Neural networks, re-derived in TypeScript</h1>
<p>Executed notebooks of the course (${escapeHtml(mode)} mode), in reading order.</p>
<table>
<thead><tr><th>Chapter</th><th>Notebook</th><th>Time</th><th>Status</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
  await Deno.writeTextFile(path, page);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}
