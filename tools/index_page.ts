/**
 * The table of contents of the HTML book: `out/html/index.html`, linking one page per notebook.
 * It lists every executed notebook in `out/notebooks/` (and every notebook with a recorded status),
 * not only those of the last run: the status of each notebook's last run is kept in
 * `out/html/status.json` beside it. Both files are written atomically.
 *
 * @module
 */
import { writeFileAtomic } from "../lib/runtime/files.ts";
import { readNotebook, stemOf, titleOf } from "./notebook_file.ts";
import type { NotebookReport } from "./report.ts";

/** The recorded outcome of a notebook's last run (one entry of `status.json`). */
export interface NotebookStatus {
  title: string;
  ok: boolean;
  seconds: number;
  /** `quick` or `full`. */
  mode: string;
  /** When the run ended (ISO 8601). */
  finished: string;
  /** The first problem, when it failed. */
  problem?: string;
  /** Missing external files, when it was not run for lack of them. */
  needsData?: string[];
}

/** Read `status.json` in `htmlDir`; a missing or unreadable file is an empty record. */
export async function readStatus(htmlDir: string): Promise<Record<string, NotebookStatus>> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(`${htmlDir}/status.json`));
    return parsed !== null && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * Record `reports` (run in `mode`) in `<out>/html/status.json` and rewrite `<out>/html/index.html`
 * listing every notebook executed into `<out>/notebooks/` or recorded before, in course order.
 */
export async function updateIndexPage(
  out: string,
  reports: NotebookReport[],
  mode: string,
): Promise<void> {
  const htmlDir = `${out}/html`;
  const status = await readStatus(htmlDir);
  const finished = new Date().toISOString();
  for (const r of reports) {
    status[r.stem] = {
      title: r.title,
      ok: r.ok,
      seconds: Math.round(r.seconds * 10) / 10,
      mode,
      finished,
      ...(r.problems.length > 0 ? { problem: r.problems[0].message.split("\n")[0] } : {}),
      ...(r.needsData
        ? { needsData: r.needsData, problem: `missing ${r.needsData.join(", ")}` }
        : {}),
    };
  }
  const executed = new Set<string>();
  try {
    for await (const entry of Deno.readDir(`${out}/notebooks`)) {
      if (entry.isFile && entry.name.endsWith(".ipynb")) executed.add(stemOf(entry.name));
    }
  } catch { /* no notebooks folder yet */ }
  for (const stem of executed) {
    if (status[stem] !== undefined) continue;
    let title = stem;
    try {
      title = titleOf(await readNotebook(`${out}/notebooks/${stem}.ipynb`), stem);
    } catch { /* not readable: the stem will do */ }
    status[stem] = { title, ok: false, seconds: 0, mode: "?", finished: "", problem: "unknown" };
  }
  const stems = Object.keys(status).sort();
  const sorted: Record<string, NotebookStatus> = {};
  for (const stem of stems) sorted[stem] = status[stem];
  await writeFileAtomic(`${htmlDir}/status.json`, JSON.stringify(sorted, null, 1) + "\n");
  await writeFileAtomic(`${htmlDir}/index.html`, indexHtml(sorted, executed));
}

function indexHtml(status: Record<string, NotebookStatus>, executed: Set<string>): string {
  const rows = Object.entries(status).map(([stem, s]) => {
    const label = s.problem === "unknown"
      ? "unknown"
      : s.ok
      ? "ok"
      : s.needsData
      ? "needs data"
      : "failed";
    const title = executed.has(stem)
      ? `<a href="${stem}.html">${escapeHtml(s.title)}</a>`
      : escapeHtml(s.title);
    const when = s.finished ? `${s.mode}, ${s.finished.slice(0, 16).replace("T", " ")} UTC` : "";
    return `<tr><td>${title}</td><td><code>${stem}</code></td><td>${s.seconds.toFixed(1)} s</td>` +
      `<td>${escapeHtml(when)}</td>` +
      `<td class="${label.replace(" ", "-")}"${
        s.problem ? ` title="${escapeHtml(s.problem)}"` : ""
      }>${label}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Neural networks, re-derived in TypeScript</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td.ok { color: #2a7d2a; } td.failed { color: #b00020; font-weight: bold; } td.unknown { color: #777; } td.needs-data { color: #a05a00; }
</style>
</head>
<body>
<h1>Neural networks, re-derived in TypeScript</h1>
<p>Executed notebooks of the course, in reading order, with the outcome of each one's last run.</p>
<table>
<thead><tr><th>Chapter</th><th>Notebook</th><th>Time</th><th>Last run</th><th>Status</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}
