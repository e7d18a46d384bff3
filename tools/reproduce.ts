/**
 * `deno task reproduce [filters…] [--full] [--jobs N] [--timeout S] [--out DIR]`
 *
 * Executes the course's notebooks, each in a fresh Deno kernel through real Jupyter, and writes
 * `out/notebooks/*.ipynb` (executed), `out/html/*.html` with an `index.html` table of contents,
 * and `out/figures/*.png` (saved by the notebooks themselves). It fails, naming the notebook and
 * cell, when a cell raises or any saved output is an error.
 *
 * Outputs are never half-written: every file is written atomically, and `out/figures/` keeps each
 * notebook's figures from its last complete run (the previous set is restored when a run fails,
 * see `figure_set.ts`). `index.html` lists every executed notebook with its last status, kept in
 * `out/html/status.json`.
 *
 * Notebooks run in `--jobs` kernels at once (default: 2, at most the cores), the longest first
 * ({@linkcode EXPECTED_FULL_SECONDS}). Much of a training step is single-threaded JavaScript (the
 * elementwise kernels), so two kernels do more work than one; the notebooks whose time is mostly
 * in BLAS and oneDNN ({@linkcode BLAS_BOUND}: VGG19, full-batch products) keep a thread per core,
 * the others get cores ÷ kernels threads ({@linkcode blasThreadsFor}). The thread count changes
 * the last bits of matrix products: the same command prints the same numbers, a different
 * `--jobs` (or `COURSE_BLAS_THREADS`) may not.
 *
 * The kernels start no browser for their figure PNGs: this process keeps one and draws them all
 * (`COURSE_FIGURE_SERVICE`, see `lib/viz/figure_service.ts`).
 *
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  mode as courseMode,
  outDir,
  progressSetting,
  REPO_ROOT,
  wasmThreadsSetting,
} from "../lib/runtime/config.ts";
import {
  type CellProblem,
  errorOutputs,
  listNotebooks,
  problemAt,
  readNotebook,
  stemOf,
  titleOf,
} from "./notebook_file.ts";
import {
  executeNotebook,
  type ExecutionEvent,
  type HtmlConverter,
  jupyterPython,
  openHtmlConverter,
} from "./jupyter.ts";
import { preflight } from "./preflight.ts";
import { updateIndexPage } from "./index_page.ts";
import { keepNewFigures, restoreFigures, setAsideFigures } from "./figure_set.ts";
import type { NotebookReport } from "./report.ts";

export type { NotebookReport } from "./report.ts";
import { needsDataLine, prepareExternalData } from "./reproduce_data.ts";
import { FULL_MODE_TABLE, recordFullModeRun } from "./result_quotes.ts";
import { type ResultsFile, resultsPath } from "../lib/runtime/results.ts";
import { cpuInfo, cpuName } from "../bench/machine.ts";
import { closeKeptPage, drawFigure, staticPngStatus } from "../lib/viz/plot.ts";
import { type FigureService, serveFigures } from "../lib/viz/figure_service.ts";

/**
 * Seconds each notebook took in a measured full-mode run, one at a time (README). Only
 * the order of the queue depends on it: the longest notebooks start first, so that no long one is
 * left to run alone at the end. Notebooks not listed start last, in course order.
 */
export const EXPECTED_FULL_SECONDS: Readonly<Record<string, number>> = {
  "05b_pretraining": 1362,
  "07c_gatys_figure_3": 1192,
  // 05a: estimated, its 490 s × 3/2 for its third L-BFGS run (the matched output pair).
  "05a_figure_5_6": 735,
  "07b_gatys_figure_2": 718,
  "03_sgd": 555,
  "07a_gatys_figure_1": 479,
  "05c_denoising_and_deep": 421,
  "06_cnn": 371,
  "03d_sgd_practice": 300,
  "04_backpropagation": 254,
  "07_style_transfer": 113,
};

/**
 * Notebooks whose time goes mostly to BLAS and oneDNN calls (the VGG19 style transfers, the
 * full-batch autoencoder): they keep one BLAS thread per core while sharing the machine. Measured
 * on 2 cores (`bench/vs_torch.ts --only e_lbfgs_iter` beside a training loop): a style-transfer
 * iteration took 0.89 s with 2 threads and 1.05 s with 1, and the training loop beside it was no
 * slower. In the full course (2 cores, two at a time) 05a took 770 s with one thread and 695 s
 * with two, 07a 688 → 668 s, 07b 1 093 → 1 043 s, 07c 1 485 → 1 488 s.
 *
 * Measured again on 2026-12-01 (one 256-px transfer, 30 L-BFGS iterations, `deno run`): alone
 * 23.4 s on one thread, 15.5 s on two; two such transfers at once, 23.6 s each on one thread and
 * 25.3 s on two; beside one busy core (`yes`) 23.6 s on one, 27.5 s on two; beside a JavaScript
 * loop 24.5 s on one and 23.3 s on two, but the loop then did 98 % and 82 % of its work alone.
 * 05a's full-batch evaluation (5 000 images, alone): 106–108 ms on one thread, 119 ms on two. So
 * two threads pay only when the other lane is idle; one thread each would do a little more work
 * in all, but it changes the last bits of these notebooks' products (05a's gradient, the VGG19
 * convolutions), hence their printed numbers, and it is not changed without a full-course run.
 */
export const BLAS_BOUND: ReadonlySet<string> = new Set([
  "05a_figure_5_6",
  "07_style_transfer",
  "07a_gatys_figure_1",
  "07b_gatys_figure_2",
  "07c_gatys_figure_3",
]);

/** BLAS threads for one notebook: all the cores if it is BLAS-bound, else its share. */
export function blasThreadsFor(stem: string, share: { threads: number }, cores: number): number {
  return BLAS_BOUND.has(stem) ? Math.max(1, cores) : share.threads;
}

/**
 * Seconds each notebook took in quick mode (2026-11-30, the 2-vCPU AVX-512 EPYC, two kernels at
 * once), for the order of the quick queue: there the full-batch autoencoder of 05a, not the long
 * trainings of 05b and 07c, is the longest notebook, and starting it last left it running alone.
 */
export const EXPECTED_QUICK_SECONDS: Readonly<Record<string, number>> = {
  "05a_figure_5_6": 163,
  "07c_gatys_figure_3": 32,
  "05c_denoising_and_deep": 31,
  "06_cnn": 30,
  "05b_pretraining": 28,
  "03_sgd": 27,
  "07b_gatys_figure_2": 22,
  "04_backpropagation": 20,
  "07_style_transfer": 19,
  "07a_gatys_figure_1": 17,
  "05_autoencoder": 16,
  "03d_sgd_practice": 15,
};

/**
 * The notebooks in the order they start in `mode`: longest expected first, then course order.
 */
export function queueOrder(stems: readonly string[], mode: "quick" | "full" = "full"): number[] {
  const expected = mode === "quick" ? EXPECTED_QUICK_SECONDS : EXPECTED_FULL_SECONDS;
  const cost = (i: number) => expected[stems[i]] ?? 0;
  return stems.map((_, i) => i).sort((a, b) => cost(b) - cost(a) || a - b);
}

/**
 * How many kernels run at once and how many BLAS threads each gets: `jobs` (capped at the
 * notebooks' count, at least 1) kernels, sharing the cores.
 */
export function shareCores(
  jobs: number,
  notebooks: number,
  cores: number,
): { kernels: number; threads: number } {
  const kernels = Math.max(1, Math.min(jobs, notebooks));
  return { kernels, threads: Math.max(1, Math.floor(cores / kernels)) };
}

const USAGE =
  `usage: deno task reproduce [filter…] [--full | --mode quick|full] [--jobs N] [--timeout SECONDS]
                           [--out DIR]
  filter      run only notebooks whose name contains it (e.g. 02, autoencoder),
              or a path to one .ipynb file
  --full      the real experiment sizes (default: quick, or COURSE_MODE)
  --jobs      notebooks run at once, sharing the cores (default: 2, at most the cores)
  --timeout   seconds allowed per cell (default 900 quick, 7200 full)
  --out       output folder (default: out/, or COURSE_OUT_DIR)`;

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true, // an unknown flag is an error, not ignored
    allowPositionals: true,
    options: {
      full: { type: "boolean", default: false },
      mode: { type: "string" },
      jobs: { type: "string" },
      timeout: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = values.full ? "full" : (values.mode ?? courseMode());
  if (mode !== "quick" && mode !== "full") {
    throw new Error(`--mode must be quick or full\n${USAGE}`);
  }
  // Absolute: the kernels run in notebooks/, and they write their figures to COURSE_OUT_DIR.
  const out = resolve(values.out ?? outDir());
  const timeout = Number(values.timeout ?? (mode === "full" ? 7200 : 900));
  // whole seconds: Jupyter's cell timeout is an integer
  if (!Number.isInteger(timeout) || timeout < 1 || values.timeout?.trim() === "") {
    throw new Error(
      `--timeout must be a positive whole number of seconds, not "${values.timeout}"\n${USAGE}`,
    );
  }
  const cores = navigator.hardwareConcurrency || 1;
  const jobs = Number(values.jobs ?? Math.min(2, cores));
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new Error(`--jobs must be a positive integer, not "${values.jobs}"\n${USAGE}`);
  }

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
  const share = shareCores(jobs, notebooks.length, cores);
  const { kernels } = share;
  // A thread count set by the user wins (and is then the same for every kernel).
  // Every setting the user gave must work: checked once here, before any kernel starts.
  const checked = preflight();
  await jupyterPython();
  for (const line of checked.fallbacks) console.warn(`reproduce: ${line}`);
  const userThreads = checked.settings.COURSE_BLAS_THREADS;
  console.log(
    `reproducing ${notebooks.length} notebook(s) in ${mode} mode into ${out}/: ` +
      `${kernels} at a time, ` +
      (checked.blas === undefined
        ? "no BLAS"
        : `${userThreads ?? share.threads} BLAS thread(s) each` +
          (userThreads ? "" : ` (${cores} for ${[...BLAS_BOUND].join(", ")})`)),
  );
  const env = {
    COURSE_MODE: mode,
    COURSE_OUT_DIR: out,
    COURSE_WASM_THREADS: String(wasmThreadsSetting() ?? share.threads),
    // Progress bars print a line every 10 s instead of updating a display hundreds of times:
    // that is what a saved notebook should keep.
    COURSE_PROGRESS: progressSetting() ?? "plain",
  };

  const stems = notebooks.map(stemOf);
  // External data first: fetch what is missing; a notebook still lacking files is not run.
  const lacking = await prepareExternalData(stems);
  const queue = queueOrder(stems, mode).filter((i) => !lacking.has(stems[i]));
  const reports: NotebookReport[] = new Array(notebooks.length);
  for (const [i, stem] of stems.entries()) {
    const missing = lacking.get(stem);
    if (missing === undefined) continue;
    console.log(`[${i + 1}/${notebooks.length}] ${needsDataLine(stem, missing)}`);
    reports[i] = {
      stem,
      title: stem,
      seconds: 0,
      cells: 0,
      ok: false,
      problems: [],
      reruns: 0,
      needsData: missing,
    };
  }
  const started = performance.now();
  const html = openHtmlConverter(); // one nbconvert process for every page
  const figures = await startFigureService();
  const figureEnv: Record<string, string> = figures
    ? { COURSE_FIGURE_SERVICE: figures.socket }
    : {};
  const lane = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const threads = userThreads ?? String(blasThreadsFor(stems[i], share, cores));
      reports[i] = await reproduceOne(
        notebooks[i],
        stems[i],
        `[${i + 1}/${notebooks.length}]`,
        out,
        {
          cellTimeoutSeconds: timeout,
          env: { ...env, ...figureEnv, COURSE_BLAS_THREADS: threads },
          overwriteLine: kernels === 1,
          html,
        },
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: kernels }, lane));
  } finally {
    await html.close();
    await figures?.close();
    await closeKeptPage();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  let indexWritten = true;
  try {
    await updateIndexPage(out, reports, mode);
  } catch (error) {
    indexWritten = false;
    console.error(`reproduce: ${(error as Error).message}`);
  }
  printSummary(reports, wallSeconds);
  if (figures !== undefined) {
    console.log(`figures: ${figures.drawn()} drawn by reproduce's browser`);
  }
  const full = reports.some((r) => r.problems.some((p) => /no space left/.test(p.message)));
  if (full) {
    console.error(
      `reproduce: the disk is full (no space left on device under ${out}/); ` +
        "the outputs of the notebooks that could not be written are those of their last complete run",
    );
  }
  if (indexWritten) console.log(`index: ${out}/html/index.html`);
  return indexWritten && reports.every((r) => r.ok) ? 0 : 1;
}

/**
 * One browser, kept by this process, that draws the figures of every kernel it starts (see
 * `lib/viz/figure_service.ts`), or undefined when there is no browser (or no Unix socket): then
 * each kernel draws its own, as it does outside `reproduce`.
 */
async function startFigureService(): Promise<FigureService | undefined> {
  if (!staticPngStatus().enabled) return undefined;
  try {
    return await serveFigures(({ figure, size }) => drawFigure(figure, size, true));
  } catch (error) {
    console.warn(`reproduce: each kernel draws its own figures: ${(error as Error).message}`);
    return undefined;
  }
}

async function reproduceOne(
  path: string,
  stem: string,
  counter: string,
  out: string,
  options: {
    cellTimeoutSeconds: number;
    env: Record<string, string>;
    overwriteLine: boolean;
    html: HtmlConverter;
  },
): Promise<NotebookReport> {
  const executed = `${out}/notebooks/${stem}.ipynb`;
  const started = performance.now();
  const progress = progressPrinter(`${counter} ${stem}`, options.overwriteLine);
  const jupyterOptions = { cellTimeoutSeconds: options.cellTimeoutSeconds, env: options.env };
  const figures = `${out}/figures`;
  await setAsideFigures(figures, stem);
  const runMode = options.env.COURSE_MODE === "full" ? "full" : "quick";
  const results = resultsPath(out, stem, runMode);
  await Deno.remove(results).catch(() => {}); // this run's results only, never the last run's
  let result = await executeNotebook(path, executed, { ...jupyterOptions, onEvent: progress });
  let reruns = 0;
  if (result.failure?.index === -1) {
    // Jupyter itself failed, not a cell (seen: "ValueError: Invalid Signature" on an 8 MB display
    // message of the Deno kernel; figures are now capped at 2 MB, see lib/viz/plot.ts): a last
    // resort, run the notebook once more in a fresh kernel, and say so in the summary.
    console.warn(`${counter} ${stem}: ${result.failure.message.split("\n")[0]}; running it again`);
    reruns++;
    await restoreFigures(figures, stem);
    await setAsideFigures(figures, stem);
    result = await executeNotebook(path, executed, { ...jupyterOptions, onEvent: progress });
  }
  const seconds = (performance.now() - started) / 1000;

  const problems: CellProblem[] = [];
  let notebook;
  try {
    // A notebook that could not be written leaves the previous run's file: not this run's.
    if (result.writeError !== undefined) throw new Error(result.writeError);
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
  if (result.writeError !== undefined) {
    // The previous executed notebook (if any) is kept; its page stays as it was too.
    problems.push({ cell: 0, firstLine: "", message: result.writeError });
  } else {
    try {
      await options.html.convert(executed, `${out}/html`);
    } catch (error) {
      problems.push({ cell: 0, firstLine: "", message: (error as Error).message });
    }
  }
  let ok = result.ok && problems.length === 0;
  await (ok ? keepNewFigures : restoreFigures)(figures, stem);
  if (ok && runMode === "full" && path === `${REPO_ROOT}/notebooks/${stem}.ipynb`) {
    // A complete full-mode run of a course notebook: its results are what the prose may quote.
    try {
      await recordFullModeRun(`${REPO_ROOT}/${FULL_MODE_TABLE}`, stem, {
        recorded: new Date().toISOString().slice(0, 10),
        commit: await commitOfWorkTree(),
        machine: machineLine(),
        seconds: Math.round(seconds),
        results: await readRecordedResults(results),
      });
    } catch (error) {
      ok = false;
      problems.push({ cell: 0, firstLine: "", message: (error as Error).message });
    }
  }
  const cells = notebook.cells.filter((c) => c.cell_type === "code").length;
  console.log(`${counter} ${stem}: ${ok ? "ok" : "FAILED"} in ${seconds.toFixed(1)} s`);
  for (const p of problems) {
    const where = p.cell > 0 ? `, cell ${p.cell} (${p.firstLine})` : "";
    console.error(`  ${stem}.ipynb${where}: ${p.message}`);
  }
  return { stem, title: titleOf(notebook, stem), seconds, cells, ok, problems, reruns };
}

/** Progress lines; on a terminal running one notebook at a time, one line rewritten in place. */
function progressPrinter(label: string, overwriteLine: boolean): (event: ExecutionEvent) => void {
  const tty = overwriteLine && Deno.stdout.isTerminal();
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

function printSummary(reports: NotebookReport[], wallSeconds: number): void {
  const width = Math.max(8, ...reports.map((r) => r.stem.length));
  const rows = reports.map((r) =>
    `${r.stem.padEnd(width)}  ${r.seconds.toFixed(1).padStart(8)}  ${
      r.ok ? "ok" : r.needsData ? "needs data" : "FAILED"
    }` + (r.reruns > 0 ? ` (run again after a Jupyter failure)` : "")
  );
  const reruns = reports.reduce((sum, r) => sum + r.reruns, 0);
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
      `${"wall clock".padEnd(width)}  ${wallSeconds.toFixed(1).padStart(8)}  (${
        (wallSeconds / 60).toFixed(1)
      } min)`,
      ...(reruns > 0
        ? [`${"reruns".padEnd(width)}  ${String(reruns).padStart(8)}  after a Jupyter failure`]
        : []),
    ].join("\n"),
  );
  const lacking = reports.filter((r) => r.needsData !== undefined);
  if (lacking.length > 0) {
    console.log(
      `${lacking.length} notebook(s) need external data: ` +
        needsDataLine(lacking.map((r) => r.stem).join(", "), [
          ...new Set(lacking.flatMap((r) => r.needsData ?? [])),
        ]),
    );
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`reproduce: ${(error as Error).message}`);
    Deno.exit(2);
  }
}

/** The results a notebook's run recorded (none: an empty set). */
async function readRecordedResults(path: string): Promise<Record<string, number>> {
  try {
    return (JSON.parse(await Deno.readTextFile(path)) as ResultsFile).results;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new Error(`cannot read the recorded results ${path}: ${(error as Error).message}`);
  }
}

/** The checked-out commit, with "+changes" when notebooks/ or lib/ differ from it. */
async function commitOfWorkTree(): Promise<string> {
  const git = async (...args: string[]) => {
    const run = await new Deno.Command("git", { args, cwd: REPO_ROOT, stderr: "null" }).output();
    return run.success ? new TextDecoder().decode(run.stdout).trim() : undefined;
  };
  const commit = await git("rev-parse", "--short", "HEAD");
  if (commit === undefined) return "unknown";
  const changes = await git("status", "--porcelain", "--", "notebooks", "lib");
  return changes === "" ? commit : `${commit}+changes`;
}

/** "2 × AMD EPYC (family 26, model 2: Zen 5) (avx2 avx512f)": cores, CPU, widest vector extensions. */
function machineLine(): string {
  const cpu = cpuInfo();
  const widest = cpu?.vectorExtensions.filter((f) => /^avx2$|^avx512f$|^amx/.test(f)) ?? [];
  return `${navigator.hardwareConcurrency} × ${cpu ? cpuName(cpu) : "unknown CPU"}` +
    (widest.length > 0 ? ` (${widest.join(" ")})` : "");
}
