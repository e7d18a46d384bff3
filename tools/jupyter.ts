/**
 * Running notebooks through real Jupyter (nbclient, nbconvert) with the project's own Deno
 * kernelspec in `jupyter/kernels/deno`, found through `JUPYTER_PATH`, so nothing has to be
 * registered globally.
 *
 * @module
 */
import { readLines } from "../lib/runtime/lines.ts";
import { relative, resolve } from "node:path";
import { pythonSetting, REPO_ROOT, SettingError } from "../lib/runtime/config.ts";

/** Progress events printed by `tools/execute_notebook.py`, one JSON object per line. */
export type ExecutionEvent =
  | { event: "start"; cells: number }
  | { event: "cell"; index: number; done: number; cells: number; seconds: number }
  | { event: "error"; index: number; message: string }
  | { event: "write_error"; message: string }
  | { event: "end"; ok: boolean };

/** The result of executing one notebook. */
export interface ExecutionResult {
  ok: boolean;
  /** The failing cell's 0-based index (among all cells) and the error, when a cell failed. */
  failure?: { index: number; message: string };
  /** Why the executed notebook could not be written (the previous one, if any, is kept). */
  writeError?: string;
  /** What Jupyter printed on stderr (kept for diagnosis). */
  stderr: string;
}

let python: Promise<string> | undefined;

/**
 * The Python that has Jupyter's nbclient: `COURSE_PYTHON` (an error if it lacks nbclient: no
 * fallback from a setting the user gave), else Debian's `/usr/bin/python3`, else `python3` on
 * the PATH.
 */
export function jupyterPython(): Promise<string> {
  python ??= findPython();
  return python;
}

async function findPython(): Promise<string> {
  const forced = pythonSetting();
  const candidates = forced !== undefined ? [forced] : ["/usr/bin/python3", "python3"];
  for (const candidate of candidates) {
    try {
      const probe = await new Deno.Command(candidate, {
        args: ["-c", "import nbclient, nbconvert, nbformat"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (probe.success) return candidate;
    } catch {
      // not installed: try the next one
    }
  }
  if (forced !== undefined) {
    throw new SettingError(
      `COURSE_PYTHON=${forced} cannot import Jupyter's nbclient, nbconvert and nbformat ` +
        "(is it a Python with them installed?)",
    );
  }
  throw new Error(
    `no Python with Jupyter's nbclient and nbconvert found (tried ${candidates.join(", ")}); ` +
      "install them as README.md says (Debian: apt-get install jupyter-nbconvert python3-nbclient " +
      "jupyter-client python3-ipykernel), or set COURSE_PYTHON",
  );
}

/** The environment for Jupyter: the project kernelspec and this Deno first on the PATH. */
export function jupyterEnv(extra: Record<string, string> = {}): Record<string, string> {
  const denoDir = Deno.execPath().replace(/\/[^/]+$/, "");
  return {
    ...Deno.env.toObject(),
    JUPYTER_PATH: `${REPO_ROOT}/jupyter`,
    PATH: `${denoDir}:${Deno.env.get("PATH") ?? ""}`,
    NO_COLOR: "1",
    ...extra,
  };
}

/**
 * Execute `notebook` in a fresh Deno kernel (cells run in the notebook's folder) and write the
 * executed copy to `output`, also when a cell fails. `onEvent` sees each progress event.
 */
export async function executeNotebook(
  notebook: string,
  output: string,
  options: {
    cellTimeoutSeconds: number;
    env?: Record<string, string>;
    onEvent?: (event: ExecutionEvent) => void;
  },
): Promise<ExecutionResult> {
  const child = new Deno.Command(await jupyterPython(), {
    args: [
      `${REPO_ROOT}/tools/execute_notebook.py`,
      notebook,
      output,
      "--cwd",
      notebook.replace(/\/[^/]+$/, ""),
      "--timeout",
      String(options.cellTimeoutSeconds),
    ],
    env: jupyterEnv(options.env),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let failure: ExecutionResult["failure"];
  let writeError: string | undefined;
  let ended = false;
  for await (const line of readLines(child.stdout)) {
    let event: ExecutionEvent;
    try {
      event = JSON.parse(line);
    } catch {
      continue; // not one of ours
    }
    if (event.event === "error") failure = { index: event.index, message: event.message };
    if (event.event === "write_error") writeError = event.message;
    if (event.event === "end") ended = true;
    options.onEvent?.(event);
  }
  const status = await child.status;
  const errText = await stderr;
  if (!status.success && !failure && !writeError) {
    const last = errText.trim().split("\n").slice(-3).join(" | ");
    failure = { index: -1, message: ended ? "Jupyter failed" : `Jupyter failed to run: ${last}` };
  }
  return { ok: status.success && !failure && !writeError, failure, writeError, stderr: errText };
}

/**
 * The MathJax the HTML pages load: the copy from npm in node_modules (so formulas render
 * offline), by a path relative to the pages; nbconvert's CDN default when it is missing.
 */
export function mathjaxUrl(htmlDir: string): string | undefined {
  const script = `${REPO_ROOT}/node_modules/mathjax/MathJax.js`;
  try {
    Deno.statSync(script);
  } catch {
    return undefined;
  }
  return `${relative(htmlDir, script)}?config=TeX-AMS_CHTML-full,Safe`;
}

/** Makes HTML pages of executed notebooks (see {@linkcode openHtmlConverter}). */
export interface HtmlConverter {
  /**
   * Convert the executed notebook `executed` to `<htmlDir>/<its name>.html`, written atomically:
   * `htmlDir` holds the previous complete page or the new one, never part of one. Throws
   * `nbconvert could not make HTML of <executed>: <reason>` (e.g. no space left on device).
   */
  convert(executed: string, htmlDir: string): Promise<void>;
  /** Let the converting process end, once the conversions asked for are done. */
  close(): Promise<void>;
}

/** The running `tools/notebook_html.py`: its input, its replies and (once it ends) its stderr. */
interface ConverterProcess {
  child: Deno.ChildProcess;
  input: WritableStreamDefaultWriter<Uint8Array>;
  replies: AsyncIterator<string>;
  stderr: Promise<string>;
}

/**
 * One nbconvert process (`tools/notebook_html.py`, started at the first page) for many pages:
 * Python and nbconvert's imports cost about 1.5 CPU seconds, a page 0.3. Conversions run one at a
 * time in the order asked. If the process dies, that page fails with its last error lines and the
 * next page starts a new one.
 *
 * @example
 * ```ts
 * const html = openHtmlConverter();
 * try {
 *   await html.convert("out/notebooks/01_introduction.ipynb", "out/html");
 * } finally {
 *   await html.close();
 * }
 * ```
 */
export function openHtmlConverter(): HtmlConverter {
  let running: Promise<ConverterProcess> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const start = async (): Promise<ConverterProcess> => {
    const child = new Deno.Command(await jupyterPython(), {
      args: [`${REPO_ROOT}/tools/notebook_html.py`],
      env: jupyterEnv(),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return {
      child,
      input: child.stdin.getWriter(),
      replies: readLines(child.stdout)[Symbol.asyncIterator](),
      stderr: new Response(child.stderr).text(),
    };
  };
  const convertOne = async (executed: string, htmlDir: string): Promise<void> => {
    const fail = (reason: string) =>
      new Error(`nbconvert could not make HTML of ${executed}: ${reason}`);
    running ??= start();
    const converter = await running;
    const page = `${resolve(htmlDir)}/${
      executed.replace(/^.*\//, "").replace(/\.ipynb$/, "")
    }.html`;
    const request = { notebook: executed, page, mathjax: mathjaxUrl(resolve(htmlDir)) ?? null };
    let reply: IteratorResult<string> | undefined;
    try {
      await converter.input.write(new TextEncoder().encode(`${JSON.stringify(request)}\n`));
      reply = await converter.replies.next();
    } catch {
      reply = undefined; // the process is gone: its stderr says why
    }
    if (reply === undefined || reply.done) {
      running = undefined;
      const stderr = await converter.stderr.catch(() => "");
      throw fail(stderr.trim().split("\n").slice(-2).join(" ") || "nbconvert ended");
    }
    const answer = JSON.parse(reply.value) as { ok: boolean; message?: string };
    if (!answer.ok) throw fail(answer.message ?? "unknown error");
  };
  return {
    convert(executed, htmlDir) {
      const next = queue.then(() => convertOne(executed, htmlDir));
      queue = next.catch(() => {});
      return next;
    },
    async close() {
      await queue;
      const converter = await running?.catch(() => undefined);
      running = undefined;
      if (converter === undefined) return;
      await converter.input.close().catch(() => {});
      await converter.child.status;
      await converter.stderr.catch(() => "");
    },
  };
}
