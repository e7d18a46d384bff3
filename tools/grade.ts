/**
 * `deno task grade DIR [--timeout S] [--out FOLDER] [--edition DIR] [--jobs N]` — grade a class.
 *
 * Every `.ipynb` under DIR is one student's notebook (any file name; the student is its path
 * without `.ipynb`). Each runs headless in a fresh Deno kernel, every cell even after errors,
 * inside its own scratch copy of the student edition (`deno task student`, default
 * `out/student/`), for at most S seconds (default 300) in all. The check cells' results
 * (`application/vnd.course.check+json` outputs) become `grades.csv` (student, exercise, result,
 * message, seconds) and `grades.html` (a row per student, a column per exercise) in FOLDER
 * (default `out/grades/`), with each executed notebook in `FOLDER/executed/`.
 *
 * A notebook is untrusted: with bubblewrap (`bwrap`) it runs with no network (a namespace with
 * only loopback, where nbclient and the kernel talk) and sees only read-only system folders, the
 * Deno binary and cache, `node_modules`, and its writable scratch copy — not $HOME, not the other
 * students' notebooks. Without bwrap it runs unisolated, after a loud warning. One broken,
 * malicious or endless notebook never stops the others: each is killed at its time limit.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, join, relative, resolve } from "node:path";
import { dataDirSetting, mode, NO_BROWSER, REPO_ROOT } from "../lib/runtime/config.ts";
import { readNotebook, sourceOf } from "./notebook_file.ts";
import { editionExercises, type Exercise, makeStudentEdition } from "./student.ts";
import { readLines } from "../lib/runtime/lines.ts";

/** One exercise's grade for one student. */
export interface Grade {
  student: string;
  exercise: string;
  pass: boolean;
  message: string;
  seconds: number;
}

/** What happened to one student's notebook, and its grades. */
export interface StudentReport {
  student: string;
  /** `ok`, `timed out after S s …`, `cell N raised: …`, `kernel died …`. */
  status: string;
  seconds: number;
  grades: Grade[];
}

/** How a notebook is isolated: bubblewrap, or nothing (with the reason). */
export type Isolation = { kind: "bwrap"; path: string } | { kind: "none"; reason: string };

/** Find bubblewrap and check that it can make the namespaces (containers may forbid them). */
export async function findIsolation(): Promise<Isolation> {
  for (const path of ["/usr/bin/bwrap", "/usr/local/bin/bwrap"]) {
    try {
      await Deno.stat(path);
    } catch {
      continue;
    }
    const probe = await new Deno.Command(path, {
      args: [...baseSandbox(), "--", "/bin/true"],
      stdout: "null",
      stderr: "piped",
    }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
    if (probe.success) return { kind: "bwrap", path };
    return {
      kind: "none",
      reason: `bwrap cannot make namespaces here: ${new TextDecoder().decode(probe.stderr).trim()}`,
    };
  }
  return { kind: "none", reason: "bubblewrap is not installed (apt-get install bubblewrap)" };
}

const exists = (path: string): boolean => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};

/** The system part of the sandbox: read-only /usr and a few files of /etc, fresh /proc, /dev, /tmp. */
function baseSandbox(): string[] {
  const args = [
    "--unshare-all", // network, pid, ipc, uts, cgroup, user namespaces
    "--uid",
    "1000",
    "--gid",
    "1000",
    "--die-with-parent",
    "--new-session",
    "--ro-bind",
    "/usr",
    "/usr",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
  ];
  for (const dir of ["/bin", "/sbin", "/lib", "/lib64", "/lib32"]) {
    let target: string | undefined;
    try {
      target = Deno.readLinkSync(dir);
    } catch {
      if (exists(dir)) args.push("--ro-bind", dir, dir);
      continue;
    }
    args.push("--symlink", target, dir);
  }
  const etc = [
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "localtime",
    "nsswitch.conf",
    "hosts",
    "fonts",
    "ssl",
    "mime.types",
    "python3",
  ];
  for (const name of etc) {
    if (exists(`/etc/${name}`)) args.push("--ro-bind", `/etc/${name}`, `/etc/${name}`);
  }
  return args;
}

/** The Deno cache folder the kernel needs (npm packages, compiled modules). */
function denoDir(): string {
  return Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? "/root", ".cache"), "deno");
}

/** The command (and environment) that runs `execute_notebook.py` for one scratch copy. */
export function sandboxCommand(
  isolation: Isolation,
  scratch: string,
  nodeModules: string,
  timeoutSeconds: number,
  readOnlyMounts: string[] = [],
): { program: string; args: string[]; env: Record<string, string> } {
  const deno = Deno.execPath();
  const denoBin = deno.replace(/\/[^/]+$/, "");
  const home = join(scratch, ".home");
  const env: Record<string, string> = {
    PATH: `${denoBin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    DENO_DIR: denoDir(),
    JUPYTER_PATH: join(scratch, "jupyter"),
    JUPYTER_RUNTIME_DIR: join(home, "runtime"),
    JUPYTER_DATA_DIR: join(home, "data"),
    JUPYTER_CONFIG_DIR: join(home, "config"),
    NO_COLOR: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    COURSE_MODE: mode(),
    COURSE_OUT_DIR: join(scratch, "out"),
    COURSE_PROGRESS: "silent",
    COURSE_CHROMIUM: NO_BROWSER, // grading makes no static PNGs
    COURSE_BLAS_THREADS: "1",
    LANG: "C.UTF-8",
  };
  const dataDir = dataDirSetting();
  if (dataDir) env.COURSE_DATA_DIR = dataDir;
  const python = [
    "/usr/bin/python3",
    join(scratch, ".grader", "execute_notebook.py"),
    join(scratch, "notebooks", "submission.ipynb"),
    join(scratch, "executed.ipynb"),
    "--cwd",
    join(scratch, "notebooks"),
    "--timeout",
    String(timeoutSeconds),
    "--allow-errors",
  ];
  if (isolation.kind === "none") return { program: python[0], args: python.slice(1), env };
  const args = [...baseSandbox(), "--clearenv"];
  for (const [k, v] of Object.entries(env)) args.push("--setenv", k, v);
  if (!denoBin.startsWith("/usr/")) args.push("--ro-bind", denoBin, denoBin);
  if (exists(env.DENO_DIR)) args.push("--ro-bind", env.DENO_DIR, env.DENO_DIR);
  if (dataDir && exists(dataDir)) args.push("--ro-bind", dataDir, dataDir);
  args.push("--bind", scratch, scratch);
  // Deno locks and updates two small files in node_modules/.deno: scratch/node_modules is a
  // writable skeleton (see nodeModulesSkeleton) whose package folders are read-only mounts.
  for (const path of readOnlyMounts) {
    args.push("--ro-bind", join(nodeModules, path), join(scratch, "node_modules", path));
  }
  args.push(
    "--chdir",
    join(scratch, "notebooks"),
    "--",
    ...python,
  );
  return { program: isolation.path, args, env };
}

/**
 * A writable skeleton of `nodeModules` in `target`, for one sandbox: every folder and link is
 * recreated and every small file copied, except the packages' contents
 * (`.deno/<package>/node_modules/[@scope/]<name>`), which become empty folders for read-only
 * mounts. Deno's kernel rewrites the links between packages and locks a file at each start, so
 * the skeleton must be writable; the packages stay shared and read-only. Returns the mount points
 * (relative to `target`). Without isolation, a link to `nodeModules` instead.
 */
export async function nodeModulesSkeleton(
  nodeModules: string,
  target: string,
  isolated: boolean,
): Promise<string[]> {
  if (!isolated) {
    await Deno.symlink(nodeModules, target);
    return [];
  }
  const mounts: string[] = [];
  const isPackage = (rel: string) =>
    /^\.deno\/[^/]+\/node_modules\/(@[^/]+\/)?[^@/][^/]*$/.test(rel);
  const copy = async (rel: string): Promise<void> => {
    await Deno.mkdir(join(target, rel), { recursive: true });
    for await (const entry of Deno.readDir(join(nodeModules, rel))) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const from = join(nodeModules, child), to = join(target, child);
      if (entry.isSymlink) await Deno.symlink(await Deno.readLink(from), to);
      else if (entry.isFile) await Deno.copyFile(from, to);
      else if (entry.isDirectory && isPackage(child)) {
        await Deno.mkdir(to);
        mounts.push(child);
      } else if (entry.isDirectory && (rel === "" || child.startsWith(".deno"))) await copy(child);
      else if (entry.isDirectory) await copy(child);
    }
  };
  await copy("");
  return mounts;
}

/** Copy a folder's tree (files and folders; links are skipped). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === "node_modules" || entry.name === "out") continue;
    const a = join(from, entry.name), b = join(to, entry.name);
    if (entry.isDirectory) await copyTree(a, b);
    else if (entry.isFile) await Deno.copyFile(a, b);
  }
}

/** The edition notebook a submission belongs to: its `startNotebook("…")` name, else its file name. */
export function notebookOf(source: string, file: string, stems: string[]): string | undefined {
  const started = /startNotebook\(\s*["']([\w.-]+)["']/.exec(source)?.[1];
  if (started && stems.includes(started)) return started;
  return stems.find((stem) => basename(file).includes(stem)) ??
    stems.find((stem) => basename(file).includes(stem.split("_")[0]));
}

/** The guard and check errors are expected in a student's notebook; other errors are reported. */
const EXPECTED_ERROR = /exercise [\w.-]+ is not done|this cells? needs? exercise|not written yet:/;

/**
 * Grade one student's notebook in a fresh scratch copy of `edition`; never throws for anything
 * the notebook does. Writes the executed notebook to `executedOut` when there is one.
 */
export async function gradeNotebook(options: {
  student: string;
  notebook: string;
  edition: string;
  exercises: Exercise[];
  isolation: Isolation;
  nodeModules: string;
  timeoutSeconds: number;
  executedOut?: string;
}): Promise<StudentReport> {
  const { student, timeoutSeconds } = options;
  const started = performance.now();
  const results = new Map<string, { pass: boolean; message: string }>();
  let status = "ok";
  const errors: string[] = [];
  let lastCell = -1;
  const scratch = await Deno.makeTempDir({ prefix: "grade-" });
  try {
    let source = "";
    let expected: Exercise[] = [];
    try {
      const notebook = await readNotebook(options.notebook);
      source = notebook.cells.map(sourceOf).join("\n");
      const stems = [...new Set(options.exercises.map((e) => e.notebook))];
      const stem = notebookOf(source, options.notebook, stems);
      expected = options.exercises.filter((e) => e.notebook === stem);
    } catch (error) {
      return finish(`not a notebook: ${(error as Error).message}`);
    }
    await copyTree(options.edition, scratch);
    await Deno.mkdir(join(scratch, ".home"), { recursive: true });
    // The runner is this course's own (not the edition's copy, which may be older).
    await Deno.mkdir(join(scratch, ".grader"), { recursive: true });
    for (const file of ["execute_notebook.py", "atomic_file.py"]) { // the runner and its helper
      await Deno.copyFile(join(REPO_ROOT, "tools", file), join(scratch, ".grader", file));
    }
    const mounts = await nodeModulesSkeleton(
      options.nodeModules,
      join(scratch, "node_modules"),
      options.isolation.kind === "bwrap",
    );
    await Deno.copyFile(options.notebook, join(scratch, "notebooks", "submission.ipynb"));
    const command = sandboxCommand(
      options.isolation,
      scratch,
      options.nodeModules,
      timeoutSeconds,
      mounts,
    );
    const child = new Deno.Command(command.program, {
      args: command.args,
      env: command.env,
      clearEnv: true,
      cwd: join(scratch, "notebooks"),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, timeoutSeconds * 1000);
    const stderr = new Response(child.stderr).text();
    let ended = false;
    for await (const line of readLines(child.stdout)) {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof event.index === "number") lastCell = event.index;
      if (event.event === "check") {
        results.set(String(event.exercise), {
          pass: event.pass === true,
          message: String(event.message),
        });
      } else if (event.event === "cell_error") {
        const message = String(event.message);
        if (errors.length < 3 && !EXPECTED_ERROR.test(message)) {
          errors.push(`cell ${Number(event.index) + 1} raised ${message.slice(0, 200)}`);
        }
      } else if (event.event === "error") {
        status = String(event.message).replace(/\s+/g, " ").slice(0, 300);
        if (/timed out/.test(status)) {
          status = `timed out (${timeoutSeconds} s per cell) in cell ${Number(event.index) + 1}`;
        }
      } else if (event.event === "end") {
        ended = true;
      }
    }
    const exit = await child.status;
    clearTimeout(timer);
    const errText = await stderr;
    if (timedOut) {
      status = `timed out after ${timeoutSeconds} s and stopped (${
        lastCell < 0 ? "no cell finished" : `the last cell to finish was cell ${lastCell + 1}`
      })`;
    } else if (!ended && status === "ok") {
      status = `the run failed (exit ${exit.code}): ${
        errText.trim().split("\n").slice(-2).join(" | ")
      }`;
    } else if (status === "ok" && errors.length > 0) {
      status = errors.join("; ");
    }
    if (options.executedOut && exists(join(scratch, "executed.ipynb"))) {
      await Deno.copyFile(join(scratch, "executed.ipynb"), options.executedOut).catch(() => {});
    }
    if (expected.length === 0 && results.size === 0 && status === "ok") {
      status = "no exercise found in this notebook";
    }
    for (const e of expected) {
      if (!results.has(e.id)) {
        results.set(e.id, { pass: false, message: `check did not run (${status})` });
      }
    }
    return finish(status);
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }

  function finish(why: string): StudentReport {
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const grades = [...results].map(([exercise, r]) => ({ student, exercise, ...r, seconds }));
    return { student, status: why, seconds, grades };
  }
}

const csvField = (value: string | number): string => {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** grades.csv: a row per student and exercise, and a `(notebook)` row with what happened. */
export function gradesCsv(reports: StudentReport[]): string {
  const rows = [["student", "exercise", "result", "message", "seconds"]];
  for (const r of reports) {
    rows.push([
      r.student,
      "(notebook)",
      r.status === "ok" ? "ok" : "problem",
      r.status,
      String(r.seconds),
    ]);
    for (const g of r.grades) {
      rows.push([g.student, g.exercise, g.pass ? "pass" : "fail", g.message, String(g.seconds)]);
    }
  }
  return rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

const html = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** grades.html: a row per student, a column per exercise, and what happened to each notebook. */
export function gradesHtml(reports: StudentReport[], isolation: Isolation): string {
  const exercises = [...new Set(reports.flatMap((r) => r.grades.map((g) => g.exercise)))].sort();
  const head = exercises.map((e) => `<th>${html(e)}</th>`).join("");
  const rows = reports.map((r) => {
    const cells = exercises.map((e) => {
      const g = r.grades.find((x) => x.exercise === e);
      if (!g) return `<td class="none">—</td>`;
      return `<td class="${g.pass ? "pass" : "fail"}">${g.pass ? "✔" : "✘"} <small>${
        html(g.message)
      }</small></td>`;
    }).join("");
    const passed = r.grades.filter((g) => g.pass).length;
    return `<tr><th>${html(r.student)}</th>${cells}<td>${passed}/${r.grades.length}</td>` +
      `<td class="${r.status === "ok" ? "" : "fail"}">${
        html(r.status)
      }</td><td>${r.seconds}</td></tr>`;
  }).join("\n");
  const note = isolation.kind === "bwrap"
    ? "Each notebook ran in a bubblewrap sandbox: no network, only its scratch copy writable."
    : `WARNING: notebooks ran WITHOUT isolation (${html(isolation.reason)}).`;
  return `<!doctype html><meta charset="utf-8"><title>Grades</title>
<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}
table{border-collapse:collapse}.pass{background:#e6f4e6}.fail{background:#fbe9e9}small{color:#444}</style>
<h1>Grades</h1><p>${note}</p>
<table><tr><th>student</th>${head}<th>passed</th><th>notebook</th><th>seconds</th></tr>
${rows}
</table>
`;
}

/** Every `.ipynb` under `dir` (checkpoints skipped), sorted. */
async function notebooksUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && !entry.name.startsWith(".")) found.push(...await notebooksUnder(path));
    else if (entry.isFile && entry.name.endsWith(".ipynb")) found.push(path);
  }
  return found.sort();
}

/** Grade every notebook under `dir`, `jobs` at a time; reports in the notebooks' order. */
export async function gradeClass(options: {
  dir: string;
  edition: string;
  timeoutSeconds: number;
  jobs: number;
  executedDir?: string;
  isolation: Isolation;
  onDone?: (report: StudentReport) => void;
}): Promise<StudentReport[]> {
  const exercises = await editionExercises(options.edition);
  const nodeModules = exists(join(options.edition, "node_modules"))
    ? join(options.edition, "node_modules")
    : join(REPO_ROOT, "node_modules");
  const notebooks = await notebooksUnder(options.dir);
  const reports: StudentReport[] = new Array(notebooks.length);
  let next = 0;
  const worker = async () => {
    while (next < notebooks.length) {
      const i = next++;
      const student = relative(options.dir, notebooks[i]).replace(/\.ipynb$/, "");
      reports[i] = await gradeNotebook({
        student,
        notebook: notebooks[i],
        edition: options.edition,
        exercises,
        isolation: options.isolation,
        nodeModules,
        timeoutSeconds: options.timeoutSeconds,
        executedOut: options.executedDir
          ? join(options.executedDir, `${student.replace(/\//g, "__")}.ipynb`)
          : undefined,
      });
      options.onDone?.(reports[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker));
  return reports;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      timeout: { type: "string", default: "300" },
      out: { type: "string" },
      edition: { type: "string" },
      jobs: { type: "string", default: "2" },
    },
    strict: true,
  });
  if (positionals.length !== 1) {
    console.error(
      "usage: deno task grade DIR [--timeout SECONDS] [--out FOLDER] [--edition DIR] [--jobs N]",
    );
    return 2;
  }
  const dir = resolve(positionals[0]);
  const timeoutSeconds = Number(values.timeout), jobs = Number(values.jobs);
  if (!(timeoutSeconds > 0) || !(jobs >= 1)) {
    console.error("--timeout and --jobs must be positive numbers");
    return 2;
  }
  const out = resolve(values.out ?? join(REPO_ROOT, "out", "grades"));
  const edition = resolve(values.edition ?? join(REPO_ROOT, "out", "student"));
  if (!exists(join(edition, ".student-edition"))) {
    console.log(`making the student edition in ${edition}`);
    await makeStudentEdition(edition);
  }
  const isolation = await findIsolation();
  if (isolation.kind === "none") {
    const line = "!".repeat(78);
    console.error(
      `${line}\nWARNING: notebooks will run WITHOUT isolation: ${isolation.reason}.\n` +
        `A student's notebook can read and write your files and use the network.\n${line}`,
    );
  }
  await Deno.mkdir(join(out, "executed"), { recursive: true });
  const started = performance.now();
  const reports = await gradeClass({
    dir,
    edition,
    timeoutSeconds,
    jobs,
    executedDir: join(out, "executed"),
    isolation,
    onDone: (r) => {
      const passed = r.grades.filter((g) => g.pass).length;
      console.log(
        `${r.student}: ${passed}/${r.grades.length} passed, ${r.seconds} s — ${r.status}`,
      );
    },
  });
  await Deno.writeTextFile(join(out, "grades.csv"), gradesCsv(reports));
  await Deno.writeTextFile(join(out, "grades.html"), gradesHtml(reports, isolation));
  const wall = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${reports.length} notebooks graded in ${wall} s: ${join(out, "grades.csv")}, grades.html`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
