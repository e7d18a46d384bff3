/**
 * `deno task reproduce [filters…] [--full] [--timeout S] [--out DIR]`
 *
 * Executes the course's notebooks in order, each in a fresh Deno kernel through real Jupyter,
 * and writes `out/notebooks/*.ipynb` (executed), `out/html/*.html` with an `index.html` table of
 * contents, and `out/figures/*.png` (saved by the notebooks themselves). It fails, naming the
 * notebook and cell, when a cell raises or any saved output is an error.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { outDir } from "../lib/runtime/config.ts";
import {
  type CellProblem,
  errorOutputs,
  listNotebooks,
  problemAt,
  readNotebook,
  titleOf,
} from "./notebook_file.ts";
import { executeNotebook, type ExecutionEvent, notebookToHtml } from "./jupyter.ts";
import { writeIndexPage } from "./index_page.ts";

/** What happened to one notebook. */
export interface NotebookReport {
  stem: string;
  title: string;
  seconds: number;
  cells: number;
  ok: boolean;
  problems: CellProblem[];
}

const USAGE =
  `usage: deno task reproduce [filter…] [--full | --mode quick|full] [--timeout SECONDS] [--out DIR]
  filter      run only notebooks whose name contains it (e.g. 02, autoencoder),
              or a path to one .ipynb file
  --full      the real experiment sizes (default: quick, or COURSE_MODE)
  --timeout   seconds allowed per cell (default 900 quick, 7200 full)
  --out       output folder (default: out/, or COURSE_OUT_DIR)`;

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      full: { type: "boolean", default: false },
      mode: { type: "string" },
      timeout: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = values.full ? "full" : (values.mode ?? Deno.env.get("COURSE_MODE") ?? "quick");
  if (mode !== "quick" && mode !== "full") {
    throw new Error(`--mode must be quick or full\n${USAGE}`);
  }
  // Absolute: the kernels run in notebooks/, and they write their figures to COURSE_OUT_DIR.
  const out = resolve(values.out ?? outDir());
  const timeout = Number(values.timeout ?? (mode === "full" ? 7200 : 900));
  if (!(timeout > 0)) throw new Error(`--timeout must be a positive number of seconds\n${USAGE}`);

  // A filter naming an .ipynb file runs that file (e.g. a notebook outside notebooks/).
  const files = positionals.filter((p) => p.endsWith(".ipynb"));
  const filters = positionals.filter((p) => !p.endsWith(".ipynb"));
  const notebooks = [
    ...files.map((f) => f.startsWith("/") ? f : `${Deno.cwd()}/${f}`),
    ...(filters.length > 0 || files.length === 0 ? await listNotebooks(filters) : []),
  ];
  if (notebooks.length === 0) throw new Error(`no notebook matches ${positionals.join(", ")}`);
  for (const dir of ["notebooks", "html", "figures"]) {
    await Deno.mkdir(`${out}/${dir}`, { recursive: true });
  }
  console.log(`reproducing ${notebooks.length} notebook(s) in ${mode} mode into ${out}/`);

  const reports: NotebookReport[] = [];
  for (const [i, path] of notebooks.entries()) {
    const stem = path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
    reports.push(
      await reproduceOne(path, stem, `[${i + 1}/${notebooks.length}]`, out, {
        cellTimeoutSeconds: timeout,
        // Progress bars print a line every 10 s instead of updating a display hundreds of
        // times: that is what a saved notebook should keep, and it spares the kernel's IOPub
        // channel (an "Invalid Signature" failure was seen after many updates).
        env: {
          COURSE_MODE: mode,
          COURSE_OUT_DIR: out,
          COURSE_PROGRESS: Deno.env.get("COURSE_PROGRESS") ?? "plain",
        },
      }),
    );
  }
  await writeIndexPage(`${out}/html/index.html`, reports, mode);
  printSummary(reports);
  console.log(`index: ${out}/html/index.html`);
  return reports.every((r) => r.ok) ? 0 : 1;
}

async function reproduceOne(
  path: string,
  stem: string,
  counter: string,
  out: string,
  options: { cellTimeoutSeconds: number; env: Record<string, string> },
): Promise<NotebookReport> {
  const executed = `${out}/notebooks/${stem}.ipynb`;
  const started = performance.now();
  const progress = progressPrinter(`${counter} ${stem}`);
  let result = await executeNotebook(path, executed, { ...options, onEvent: progress });
  if (result.failure?.index === -1) {
    // Jupyter itself failed, not a cell (seen once: "ValueError: Invalid Signature" on a message
    // from the Deno kernel): run the notebook once more in a fresh kernel, and say so.
    console.warn(`${counter} ${stem}: ${result.failure.message.split("\n")[0]}; running it again`);
    result = await executeNotebook(path, executed, { ...options, onEvent: progress });
  }
  const seconds = (performance.now() - started) / 1000;

  const problems: CellProblem[] = [];
  let notebook;
  try {
    notebook = await readNotebook(executed);
  } catch {
    notebook = await readNotebook(path); // Jupyter wrote nothing: report against the source
  }
  if (result.failure) {
    problems.push(
      result.failure.index >= 0
        ? problemAt(notebook, result.failure.index, result.failure.message)
        : { cell: 0, firstLine: "", message: `${result.failure.message}\n${result.stderr}` },
    );
  }
  for (const problem of errorOutputs(notebook)) {
    if (!problems.some((p) => p.cell === problem.cell)) problems.push(problem);
  }
  try {
    await notebookToHtml(executed, `${out}/html`);
  } catch (error) {
    problems.push({ cell: 0, firstLine: "", message: (error as Error).message });
  }
  const ok = result.ok && problems.length === 0;
  const cells = notebook.cells.filter((c) => c.cell_type === "code").length;
  console.log(`${counter} ${stem}: ${ok ? "ok" : "FAILED"} in ${seconds.toFixed(1)} s`);
  for (const p of problems) {
    console.error(`  ${stem}.ipynb, cell ${p.cell} (${p.firstLine}): ${p.message}`);
  }
  return { stem, title: titleOf(notebook, stem), seconds, cells, ok, problems };
}

function progressPrinter(label: string): (event: ExecutionEvent) => void {
  const tty = Deno.stdout.isTerminal();
  const encoder = new TextEncoder();
  return (event) => {
    if (event.event === "start") {
      console.log(`${label}: ${event.cells} code cells`);
    } else if (event.event === "cell") {
      const line = `${label}: cell ${event.done}/${event.cells}, ${event.seconds.toFixed(1)} s`;
      if (tty) Deno.stdout.writeSync(encoder.encode(`\r${line}\x1b[K`));
      else console.log(line);
      if (tty && event.done === event.cells) Deno.stdout.writeSync(encoder.encode("\n"));
    }
  };
}

function printSummary(reports: NotebookReport[]): void {
  const width = Math.max(8, ...reports.map((r) => r.stem.length));
  const rows = reports.map((r) =>
    `${r.stem.padEnd(width)}  ${r.seconds.toFixed(1).padStart(8)}  ${r.ok ? "ok" : "FAILED"}`
  );
  const total = reports.reduce((sum, r) => sum + r.seconds, 0);
  console.log(
    [
      "",
      `${"notebook".padEnd(width)}  ${"seconds".padStart(8)}  status`,
      `${"-".repeat(width)}  ${"-".repeat(8)}  ------`,
      ...rows,
      `${"total".padEnd(width)}  ${total.toFixed(1).padStart(8)}  ${
        reports.filter((r) => r.ok).length
      }/${reports.length} ok`,
    ].join("\n"),
  );
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`reproduce: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
