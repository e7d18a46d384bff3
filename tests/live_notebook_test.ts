/**
 * Live use in a real front end: a classic Jupyter Notebook server (Debian's `jupyter-notebook`)
 * on loopback with the course's kernelspec, driven by a headless Chromium through
 * `puppeteer-core` over a pipe. Run All on a small notebook made here, then check:
 *
 * - no cell of the Run All shows an error;
 * - a training cell's progress bar was seen at two different in-progress values, at least 200 ms
 *   apart, while the cell was still running (a loop that does not yield sends its whole bar when
 *   it ends, in one burst);
 * - Kernel → Interrupt stops a long training cell within 2 s, the cell says "interrupted at epoch
 *   …", and the next cell then runs and can use the partial model;
 * - every progress bar fits the width of its output area, and a formula in a table (showTable)
 *   is typeset on one line.
 *
 * A screenshot of the page goes to `<out>/test-screenshots/live_notebook.png`. The server, its
 * kernel and the browser are always shut down (the kernel's processes are killed if they outlive
 * the server). Skipped, saying why, when `jupyter-notebook` or Chromium is not installed.
 */
import { assert, assertEquals } from "./assert.ts";
import { findChromium } from "../lib/viz/chromium.ts";
import { outDir, REPO_ROOT } from "../lib/runtime/config.ts";
import { jupyterEnv } from "../tools/jupyter.ts";
import { codeNotebookJson } from "./notebook_fixture.ts";

const chromium = findChromium();
const notebookServer = findOnPath("jupyter-notebook");
const skipReason = chromium.path === undefined
  ? chromium.reason
  : notebookServer === undefined
  ? "jupyter-notebook not installed (Debian: apt-get install jupyter-notebook)"
  : Deno.build.os !== "linux"
  ? "reads /proc to find the kernel's processes, Linux only"
  : undefined;
if (skipReason !== undefined) console.log(`live notebook test skipped: ${skipReason}`);

/** The first executable called `name` on the PATH. */
function findOnPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir !== "" && Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  return undefined;
}

// The notebook under test. Cell 1 times a few epochs, so that the watched cell lasts about
// WATCHED_SECONDS and the long one LONG_SECONDS whatever the machine's speed and load.
const WATCHED_SECONDS = 4;
const LONG_SECONDS = 120;
const CELLS = [
  `import { startNotebook } from "../lib/runtime/notebook.ts";
import { createNetwork } from "../lib/nn/network.ts";
import { tanh } from "../lib/nn/activations.ts";
import { regression } from "../lib/nn/losses.ts";
import { makeDataset } from "../lib/nn/minibatches.ts";
import { SGD } from "../lib/optim/sgd.ts";
import { evaluate, networkModel, train } from "../lib/nn/training.ts";
import { Random } from "../lib/runtime/random.ts";

const context = await startNotebook("live_test");
const rng = new Random(3);
const data = makeDataset(rng.uniformArray(2 * 64, -1, 1), rng.uniformArray(64, -1, 1), 2, 1);
const model = networkModel(createNetwork([2, 8, 1], tanh, regression, new Random(1)));
const run = (epochs: number, progress: string | false) =>
  train(model, data, {
    optimizer: new SGD({ learningRate: 0.05 }),
    epochs,
    batchSize: 8,
    rng: new Random(2),
    progress,
  });`,
  `let started = performance.now();
await run(20, false);
const msPerEpoch = (performance.now() - started) / 20;
console.log(\`\${msPerEpoch.toFixed(1)} ms per epoch\`);
const { showTable } = await import("../lib/viz/table.ts");
await showTable(["f", "f′", "ms per epoch"], [["logistic", "$f(u)(1 - f(u))$", msPerEpoch]]);`,
  `const history = await run(Math.ceil(${WATCHED_SECONDS * 1000} / msPerEpoch), "watched");
console.log(\`watched training done: loss \${history.trainLoss.at(-1)!.toFixed(4)}\`);`,
  `await run(Math.ceil(${LONG_SECONDS * 1000} / msPerEpoch), "long");`,
  `console.log(\`next cell ran: partial model loss \${evaluate(model, data).loss.toFixed(4)}\`);`,
];
const WATCHED = 2, LONG = 3, NEXT = 4;

/** A free loopback TCP port (closed again at once: the server binds it next). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Every process descended from `root` (read from /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch { /* gone meanwhile */ }
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A running `jupyter-notebook` with its own config, data and runtime folders under `root`. */
class NotebookServer {
  readonly url: string;
  readonly token = crypto.randomUUID().replaceAll("-", "");
  #child: Deno.ChildProcess;
  #log = "";
  #reading: Promise<void>;
  #kernelPids = new Set<number>();

  constructor(readonly root: string) {
    const port = freePort();
    this.url = `http://127.0.0.1:${port}`;
    const env = jupyterEnv({
      JUPYTER_CONFIG_DIR: `${root}/.jupyter/config`,
      JUPYTER_DATA_DIR: `${root}/.jupyter/data`,
      JUPYTER_RUNTIME_DIR: `${root}/.jupyter/runtime`,
      COURSE_OUT_DIR: `${root}/out`,
      COURSE_PROGRESS: "jupyter",
    });
    this.#child = new Deno.Command(notebookServer!, {
      args: [
        "--no-browser",
        "--ip=127.0.0.1",
        `--port=${port}`,
        "--port-retries=0",
        `--NotebookApp.token=${this.token}`,
        `--notebook-dir=${root}`,
        "--NotebookApp.shutdown_no_activity_timeout=600", // a leaked server ends by itself
        "--MappingKernelManager.cull_idle_timeout=600",
        ...(Deno.uid() === 0 ? ["--allow-root"] : []), // CI runs as root
      ],
      env,
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#log = (this.#log + decoder.decode(chunk, { stream: true })).slice(-20_000);
      }
    };
    this.#reading = Promise.all([collect(this.#child.stdout), collect(this.#child.stderr)])
      .then(() => {});
  }

  get log(): string {
    return this.#log;
  }

  /** Wait until the REST API answers. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      try {
        const response = await fetch(`${this.url}/api/status?token=${this.token}`);
        await response.body?.cancel();
        if (response.ok) return;
      } catch { /* not listening yet */ }
      await delay(200);
    }
    throw new Error(`jupyter-notebook did not answer within ${timeoutMs} ms:\n${this.#log}`);
  }

  /** Note the server's child processes (the kernel and its helpers), to be sure they end. */
  noteKernelProcesses(): void {
    for (const pid of descendants(this.#child.pid)) this.#kernelPids.add(pid);
  }

  /** Stop the server (SIGTERM: it shuts its kernels down), then kill whatever outlived it. */
  async stop(): Promise<void> {
    this.noteKernelProcesses();
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      delay(15_000).then(() => false),
    ]);
    if (!exited) {
      this.#child.kill("SIGKILL");
      await this.#child.status;
    }
    for (const pid of this.#kernelPids) {
      if (alive(pid)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone meanwhile */ }
      }
    }
    await this.#reading;
  }
}

// The part of puppeteer-core's API used here. Its own types are not loaded: they pull in
// @types/node, whose declarations then clash with Deno's in other test files under `deno check`.
interface Page {
  setDefaultTimeout(ms: number): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(
    expression: string,
    options: { polling: number; timeout: number },
  ): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  setViewport(viewport: { width: number; height: number }): Promise<unknown>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Puppeteer {
  launch(options: Record<string, unknown>): Promise<Browser>;
}

async function loadPuppeteer(): Promise<Puppeteer> {
  const specifier = "puppeteer-core"; // (a variable: `deno check` does not follow it)
  return ((await import(specifier)) as { default: Puppeteer }).default;
}

/**
 * Installed in the notebook page: samples every cell every 50 ms (in the page, so the timing does
 * not depend on round trips to the test), and reads cells' state and outputs. A code cell of
 * classic Notebook has the class "running" from when it is queued until its execute_reply.
 */
const PAGE_HELPERS = `
window.__live = (() => {
  const cells = () => document.querySelectorAll(".cell");
  const output = (i) => cells()[i]?.querySelector(".output")?.innerText ?? "";
  const all = [];
  const timer = setInterval(() => {
    const t = performance.now();
    cells().forEach((cell, index) => {
      const bar = cell.querySelector("progress");
      all.push({
        index,
        t,
        running: cell.classList.contains("running"),
        bar: bar === null ? null : Number(bar.getAttribute("value")),
      });
    });
  }, 50);
  return {
    samples: (i) => all.filter((s) => s.index === i),
    running: (i) => cells()[i].classList.contains("running"),
    output,
    errors: () => [...cells()].map((cell, index) => ({
      index,
      text: cell.querySelector(".output_error")?.innerText ?? "",
    })).filter((e) => e.text !== ""),
    stop: () => clearInterval(timer),
    // formulas in tables: typeset by MathJax (when the page has it), and their heights in px
    formulas: () => [...document.querySelectorAll("td > span")].filter((s) =>
      s.textContent.includes("f(u)")
    ).map((s) => ({
      typeset: s.querySelector(".MathJax, .MathJax_CHTML, mjx-container") !== null,
      height: s.getBoundingClientRect().height,
      mathjax: window.MathJax !== undefined,
    })),
    // bars whose content is wider than their output area (cut off at the right edge)
    overflowingBars: () => [...document.querySelectorAll("progress")].map((bar) => {
      const box = bar.closest(".output_subarea");
      const row = bar.parentElement;
      return { need: row.scrollWidth, have: box.clientWidth, text: row.innerText };
    }).filter((b) => b.need > b.have + 1),
    // classic Notebook scrolls inside #site: the height the page needs to show every cell
    fullHeight: () =>
      document.getElementById("header").offsetHeight +
      document.getElementById("site").scrollHeight,
  };
})();
`;

/** What the page records about one cell, sampled every 50 ms. */
interface Sample {
  t: number;
  running: boolean;
  bar: number | null;
}

Deno.test({
  name: `live notebook in a browser: Run All without errors, the bar updates while training, ` +
    `Interrupt stops a long cell within 2 s and the next cell runs` +
    (skipReason === undefined ? "" : ` (skipped: ${skipReason})`),
  ignore: skipReason !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const puppeteer = await loadPuppeteer();
    const root = await Deno.makeTempDir({ prefix: "course-live-" });
    // The notebook lives in <root>/notebooks and imports ../lib, as the course's own do; the
    // kernel finds deno.json and node_modules through the copies and links made here.
    await Deno.mkdir(`${root}/notebooks`);
    await Deno.symlink(`${REPO_ROOT}/lib`, `${root}/lib`);
    await Deno.symlink(`${REPO_ROOT}/node_modules`, `${root}/node_modules`);
    await Deno.copyFile(`${REPO_ROOT}/deno.json`, `${root}/deno.json`);
    await Deno.copyFile(`${REPO_ROOT}/deno.lock`, `${root}/deno.lock`);
    await Deno.writeTextFile(`${root}/notebooks/live_test.ipynb`, codeNotebookJson(CELLS));

    const server = new NotebookServer(root);
    let browser: Browser | undefined;
    try {
      await server.ready(30_000);
      browser = await puppeteer.launch({
        executablePath: chromium.path,
        pipe: true, // no DevTools port
        headless: true,
        args: Deno.uid() === 0 ? ["--no-sandbox"] : [],
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        defaultViewport: { width: 1100, height: 900 },
      });
      const page = await browser.newPage();
      page.setDefaultTimeout(60_000);
      await page.goto(`${server.url}/notebooks/notebooks/live_test.ipynb?token=${server.token}`);
      await page.waitForFunction(
        `Jupyter?.notebook?.kernel?.is_connected?.() === true &&
         Jupyter.notebook.kernel.info_reply?.status === "ok"`,
        { polling: 200, timeout: 90_000 },
      );
      server.noteKernelProcesses();

      // Sample every cell's state every 50 ms, in the page (no round trips through the pipe),
      // then Run All.
      await page.evaluate(PAGE_HELPERS);
      await page.evaluate("Jupyter.notebook.execute_all_cells()");
      const samples = async (index: number) =>
        (await page.evaluate(`__live.samples(${index})`)) as Sample[];
      const cellRunning = async (index: number) =>
        (await page.evaluate(`__live.running(${index})`)) as boolean;
      const waitFor = async (what: string, ms: number, ok: () => Promise<boolean>) => {
        const deadline = performance.now() + ms;
        while (!(await ok())) {
          if (performance.now() > deadline) {
            throw new Error(`timed out (${ms} ms) waiting for ${what}`);
          }
          await delay(100);
        }
      };

      // 1. The watched training cell: its bar moves while it runs.
      await waitFor(
        "the watched training cell to finish",
        90_000,
        async () => !(await cellRunning(WATCHED)),
      );
      // A cell that failed before or in the watched one says why (not "the bar did not move").
      const early = ((await page.evaluate("__live.errors()")) as { index: number; text: string }[])
        .filter((e) => e.index <= WATCHED);
      assertEquals(early, [], "error outputs before the training cell ran");
      const watched = await samples(WATCHED);
      const end = watched.find((s, i) => i > 0 && !s.running && watched[i - 1].running)?.t ??
        Infinity;
      const during = watched.filter((s) => s.t < end && s.bar !== null && s.bar < 100);
      const values = [...new Set(during.map((s) => s.bar))];
      const spread = during.length > 0 ? during[during.length - 1].t - during[0].t : 0;
      console.log(
        `watched cell: bar seen at ${values.length} in-progress values over ` +
          `${spread.toFixed(0)} ms while running`,
      );
      assert(
        values.length >= 2 && spread >= 200,
        `the progress bar did not update while the training cell ran (seen at ${values.length} ` +
          `in-progress values, ${spread.toFixed(0)} ms apart): does the loop yield?`,
      );

      // 2. The long cell: wait for its bar, interrupt, it stops within 2 s.
      await waitFor("the long training cell's bar", 60_000, async () => {
        const s = (await samples(LONG)).at(-1);
        return s !== undefined && s.bar !== null && s.bar > 0;
      });
      const interruptedAt =
        (await page.evaluate("Jupyter.notebook.kernel.interrupt(), performance.now()")) as number;
      // Waits on the page's own samples, not on the cell's class: the class can change between
      // two samples, and the stop is timed by the first sample that shows it.
      const firstStopped = (long: Sample[]) => long.find((s) => s.t > interruptedAt && !s.running);
      await waitFor(
        "the long cell to stop after Interrupt",
        10_000,
        async () => firstStopped(await samples(LONG)) !== undefined,
      );
      const stoppedAt = firstStopped(await samples(LONG))!.t;
      const stopSeconds = (stoppedAt - interruptedAt) / 1000;
      console.log(`Interrupt stopped the long cell in ${stopSeconds.toFixed(2)} s`);
      assert(
        stopSeconds <= 2,
        `Interrupt took ${stopSeconds.toFixed(2)} s to stop the cell (limit 2 s)`,
      );
      const longText = (await page.evaluate(`__live.output(${LONG})`)) as string;
      assert(
        /interrupted at epoch \d+, step \d+/.test(longText),
        `the interrupted cell does not say where it stopped; it shows:\n${longText}`,
      );

      // 3. The next cell runs: run it (again) by hand, as a reader would after an interrupt.
      await waitFor("the next cell", 60_000, async () => !(await cellRunning(NEXT)));
      await page.evaluate(`Jupyter.notebook.execute_cells([${NEXT}])`);
      await waitFor("the next cell, run again", 60_000, async () => !(await cellRunning(NEXT)));
      const nextText = (await page.evaluate(`__live.output(${NEXT})`)) as string;
      assert(
        /next cell ran: partial model loss \d/.test(nextText),
        `the cell after the interrupted one did not run; it shows:\n${nextText}`,
      );

      // 4. No error output anywhere but in the interrupted cell.
      const errors = (await page.evaluate("__live.errors()")) as { index: number; text: string }[];
      const unexpected = errors.filter((e) => e.index !== LONG);
      assert(
        unexpected.length === 0,
        `error outputs:\n${unexpected.map((e) => `cell ${e.index}: ${e.text}`).join("\n")}`,
      );

      // 5. A formula in a table is typeset on one line.
      const formulas = (await page.evaluate("__live.formulas()")) as {
        typeset: boolean;
        height: number;
        mathjax: boolean;
      }[];
      assert(formulas.length === 1, `expected one formula in a table, found ${formulas.length}`);
      const [formula] = formulas;
      assert(formula.typeset || !formula.mathjax, "MathJax did not typeset the table's formula");
      assert(formula.height < 40, `the table's formula is ${formula.height} px high: wrapped?`);

      // 6. Every bar fits its output area (the interrupted one has the longest line).
      const overflowing = (await page.evaluate("__live.overflowingBars()")) as {
        need: number;
        have: number;
        text: string;
      }[];
      assert(
        overflowing.length === 0,
        `progress bars wider than their output area:\n${
          overflowing.map((b) => `${b.need} px > ${b.have} px: ${b.text}`).join("\n")
        }`,
      );
      await page.evaluate("__live.stop()");
      const shots = `${outDir()}/test-screenshots`;
      await Deno.mkdir(shots, { recursive: true });
      const height = (await page.evaluate("__live.fullHeight()")) as number;
      await page.setViewport({ width: 1100, height: Math.min(8000, Math.ceil(height)) });
      await page.screenshot({ path: `${shots}/live_notebook.png`, fullPage: false });
      console.log(`screenshot: ${shots}/live_notebook.png`);
    } catch (error) {
      console.log(
        `jupyter-notebook log (last lines):\n${server.log.split("\n").slice(-30).join("\n")}`,
      );
      throw error;
    } finally {
      await browser?.close().catch(() => {});
      await server.stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
