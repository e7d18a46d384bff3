/**
 * The scheduling of `deno task reproduce`: which notebooks start first and how the cores are
 * shared between the kernels that run at once (the runs themselves are in notebooks_test.ts).
 */
import { assert, assertEquals } from "./assert.ts";
import { runDeno } from "./run_deno.ts";
import {
  BLAS_BOUND,
  blasThreadsFor,
  EXPECTED_FULL_SECONDS,
  EXPECTED_QUICK_SECONDS,
  queueOrder,
  shareCores,
} from "../tools/reproduce.ts";
import { listNotebooks, stemOf } from "../tools/notebook_file.ts";

Deno.test("the longest notebooks start first; the others keep course order", () => {
  const stems = [
    "01_introduction",
    "03_sgd",
    "05b_pretraining",
    "02_feedforward",
    "07_style_transfer",
  ];
  assertEquals(queueOrder(stems), [2, 1, 4, 0, 3]);
  assertEquals(queueOrder(stems, "full"), [2, 1, 4, 0, 3]);
  assertEquals(queueOrder([]), []);
});

Deno.test("in quick mode the full-batch autoencoder of 05a starts first", () => {
  const stems = ["03_sgd", "05a_figure_5_6", "05b_pretraining", "01_introduction"];
  assertEquals(queueOrder(stems, "quick"), [1, 2, 0, 3]);
  assertEquals(queueOrder(stems, "full"), [2, 1, 0, 3]);
});

Deno.test("every notebook with an expected time exists", async () => {
  const stems = (await listNotebooks([])).map(stemOf);
  for (
    const stem of [
      ...Object.keys(EXPECTED_FULL_SECONDS),
      ...Object.keys(EXPECTED_QUICK_SECONDS),
      ...BLAS_BOUND,
    ]
  ) {
    assertEquals(stems.includes(stem), true, `${stem} is not a notebook`);
  }
});

Deno.test("the cores are shared out between the kernels that run at once", () => {
  assertEquals(shareCores(2, 15, 2), { kernels: 2, threads: 1 });
  assertEquals(shareCores(2, 15, 8), { kernels: 2, threads: 4 });
  assertEquals(shareCores(3, 15, 8), { kernels: 3, threads: 2 });
  // One notebook gets all the cores; more kernels than cores still get a thread each.
  assertEquals(shareCores(2, 1, 2), { kernels: 1, threads: 2 });
  assertEquals(shareCores(4, 15, 2), { kernels: 4, threads: 1 });
  assertEquals(shareCores(1, 15, 1), { kernels: 1, threads: 1 });
});

Deno.test("BLAS-bound notebooks keep a thread per core; the others get their share", () => {
  const share = shareCores(2, 15, 2);
  assertEquals(blasThreadsFor("07c_gatys_figure_3", share, 2), 2);
  assertEquals(blasThreadsFor("03_sgd", share, 2), 1);
  assertEquals(blasThreadsFor("03_sgd", shareCores(1, 15, 8), 8), 8);
});

// Issue 18: flags and settings the user gave either work or stop the run at its start.
const reproduce = (args: string[], env: Record<string, string> = {}) =>
  runDeno(["run", "--allow-all", "tools/reproduce.ts", ...args], env);

Deno.test("reproduce refuses an unknown flag and a timeout that is not a positive whole number", async () => {
  const unknown = await reproduce(["--bogus", "01"]);
  assert(unknown.code === 2 && /reproduce: .*--bogus/.test(unknown.output), unknown.output);
  for (const timeout of ["0.5", "0", "-3", "soon", ""]) {
    const r = await reproduce([`--timeout=${timeout}`, "01"]);
    assert(r.code === 2, `--timeout ${timeout}: ${r.output}`);
    assert(
      r.output.includes(`--timeout must be a positive whole number of seconds, not "${timeout}"`),
      r.output,
    );
  }
});

Deno.test("reproduce stops at start on a Python without nbclient, a missing browser or a bad setting", async () => {
  const out = await Deno.makeTempDir({ prefix: "reproduce_settings_" });
  const cases: [Record<string, string>, string][] = [
    [{ COURSE_PYTHON: "/bin/false" }, "COURSE_PYTHON=/bin/false cannot import Jupyter's nbclient"],
    [{ COURSE_CHROMIUM: "/nonexistent/chrome" }, `COURSE_CHROMIUM is "/nonexistent/chrome"`],
    [{ COURSE_BLAS_THREADS: "0" }, `COURSE_BLAS_THREADS must be a positive integer, not "0"`],
    [{ COURSE_BLAS_LIB: "/nonexistent/lib.so" }, "COURSE_BLAS_LIB=/nonexistent/lib.so could not"],
    [{ COURSE_PROGRESS: "bogus" }, "COURSE_PROGRESS must be"],
  ];
  try {
    for (const [env, message] of cases) {
      const r = await reproduce(["01_introduction", "--out", out], env);
      assert(r.code === 2, `${JSON.stringify(env)}: exit ${r.code}\n${r.output}`);
      assert(r.output.includes(`reproduce: ${message}`), r.output);
      assert(!r.output.includes("reproducing"), `started anyway: ${r.output}`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
