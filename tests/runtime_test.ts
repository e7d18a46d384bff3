import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  blasPoolMegabytes,
  blasThreadsSetting,
  byMode,
  checkSettings,
  externalDataDir,
  mode,
  outDir,
  progressSetting,
  REPO_ROOT,
  SettingError,
  wasmThreadsSetting,
} from "../lib/runtime/config.ts";
import { preflight } from "../tools/preflight.ts";
import { runDeno } from "./run_deno.ts";
import { ProgressBar } from "../lib/viz/progress.ts";
import { Random, randomFor } from "../lib/runtime/random.ts";
import { currentNotebook, inJupyter, setCurrentNotebook } from "../lib/runtime/session.ts";

function withEnv(name: string, value: string | undefined, fn: () => void): void {
  const saved = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    fn();
  } finally {
    if (saved === undefined) Deno.env.delete(name);
    else Deno.env.set(name, saved);
  }
}

Deno.test("mode comes from COURSE_MODE, quick by default, and rejects typos", () => {
  withEnv("COURSE_MODE", undefined, () => assertEquals(mode(), "quick"));
  withEnv("COURSE_MODE", "full", () => assertEquals(byMode({ quick: 1, full: 2 }), 2));
  withEnv("COURSE_MODE", "ful", () => assertThrows(() => mode(), Error, "quick"));
});

Deno.test("COURSE_PROGRESS forces the progress bars' mode and rejects typos", () => {
  withEnv("COURSE_PROGRESS", undefined, () => assertEquals(progressSetting(), undefined));
  withEnv("COURSE_PROGRESS", "Plain", () => {
    assertEquals(progressSetting(), "plain");
    assertEquals(new ProgressBar({ total: 3 }).mode, "plain");
  });
  withEnv(
    "COURSE_PROGRESS",
    "silent",
    () => assertEquals(new ProgressBar({ total: 3 }).mode, "silent"),
  );
  withEnv("COURSE_PROGRESS", "fancy", () => assertThrows(() => progressSetting(), Error, "plain"));
});

Deno.test("folders default inside the repository and follow their variables", () => {
  assert(REPO_ROOT.length > 0 && !REPO_ROOT.endsWith("/"));
  withEnv(
    "COURSE_DATA_DIR",
    undefined,
    () => assertEquals(externalDataDir(), `${REPO_ROOT}/data/external`),
  );
  withEnv("COURSE_DATA_DIR", "/somewhere", () => assertEquals(externalDataDir(), "/somewhere"));
  withEnv("COURSE_OUT_DIR", undefined, () => assertEquals(outDir(), `${REPO_ROOT}/out`));
});

Deno.test("random streams are reproducible and distinct", () => {
  const a = new Random(42), b = new Random(42), c = new Random(43);
  const xs = Array.from({ length: 5 }, () => a.uniform());
  assertEquals(xs, Array.from({ length: 5 }, () => b.uniform()));
  assert(xs[0] !== c.uniform());
  assertEquals(
    Array.from(randomFor("w").permutation(10)),
    Array.from(randomFor("w").permutation(10)),
  );
  assert(randomFor("w").uniform() !== randomFor("data").uniform());
});

Deno.test("random draws have the right distributions", () => {
  const rng = new Random(1);
  const normals = rng.normalArray(20000, 2, 3);
  const mean = normals.reduce((s, v) => s + v, 0) / normals.length;
  const variance = normals.reduce((s, v) => s + (v - mean) ** 2, 0) / normals.length;
  assert(
    Math.abs(mean - 2) < 0.1 && Math.abs(Math.sqrt(variance) - 3) < 0.1,
    `${mean} ${variance}`,
  );
  const uniforms = rng.uniformArray(20000, -4, 4);
  assert(uniforms.every((v) => v >= -4 && v < 4));
  const permutation = Array.from(rng.permutation(100)).sort((x, y) => x - y);
  assertEquals(permutation, Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("outside Jupyter the session says so and keeps the notebook name", () => {
  assertEquals(inJupyter(), false);
  assertEquals(currentNotebook(), "script");
  setCurrentNotebook("02_feedforward");
  assertEquals(currentNotebook(), "02_feedforward");
  assertThrows(() => setCurrentNotebook("../evil"), Error, "plain file stem");
});

Deno.test("numeric settings are validated by their getters with one line naming the variable", () => {
  withEnv("COURSE_BLAS_THREADS", undefined, () => assertEquals(blasThreadsSetting(), undefined));
  withEnv("COURSE_BLAS_THREADS", "3", () => assertEquals(blasThreadsSetting(), 3));
  for (const bad of ["0", "-2", "1.5", "x", " "]) {
    withEnv("COURSE_BLAS_THREADS", bad, () => {
      assertThrows(
        () => blasThreadsSetting(),
        SettingError,
        `COURSE_BLAS_THREADS must be a positive integer, not "${bad}"`,
      );
    });
  }
  withEnv("COURSE_WASM_THREADS", "0", () => {
    assertThrows(() => wasmThreadsSetting(), SettingError, "COURSE_WASM_THREADS must be");
  });
  withEnv("COURSE_BLAS_POOL_MB", "-1", () => {
    assertThrows(() => blasPoolMegabytes(), SettingError, "COURSE_BLAS_POOL_MB");
  });
  // 1 GiB by default: 06's 100 MB evaluation activations stay in the pool (config.ts).
  withEnv("COURSE_BLAS_POOL_MB", undefined, () => assertEquals(blasPoolMegabytes(), 1024));
  withEnv("COURSE_BLAS_POOL_MB", "64", () => assertEquals(blasPoolMegabytes(), 64));
});

Deno.test("checkSettings validates every setting at once: a bad one fails before any work", () => {
  const notExecutable = Deno.makeTempFileSync({ suffix: ".txt" });
  Deno.chmodSync(notExecutable, 0o644);
  const cases: [string, string, string][] = [
    ["COURSE_PROGRESS", "bogus", `COURSE_PROGRESS must be "jupyter", "tty", "plain" or "silent"`],
    ["COURSE_BLAS_THREADS", "0", "COURSE_BLAS_THREADS must be a positive integer"],
    ["COURSE_WASM_THREADS", "many", "COURSE_WASM_THREADS must be a positive integer"],
    ["COURSE_BACKEND", "gpu", "COURSE_BACKEND must be one of blas, wasm-threaded, wasm, cpu"],
    ["COURSE_SEED", "1.5", "COURSE_SEED must be an integer"],
    [
      "COURSE_CHROMIUM",
      "/nonexistent/chrome",
      `COURSE_CHROMIUM is "/nonexistent/chrome", which does not exist`,
    ],
    [
      "COURSE_CHROMIUM",
      notExecutable,
      `COURSE_CHROMIUM is "${notExecutable}", which is not executable`,
    ],
    ["COURSE_CHROMIUM", "/tmp", `COURSE_CHROMIUM is "/tmp", which is not a file`],
  ];
  for (const [name, value, message] of cases) {
    withEnv(name, value, () => assertThrows(() => checkSettings(), SettingError, message));
  }
  Deno.removeSync(notExecutable);
  withEnv("COURSE_BLAS_THREADS", "2", () => assertEquals(checkSettings().COURSE_BLAS_THREADS, "2"));
  // "none" turns static PNGs off on purpose (the grader does): a valid setting, not a missing file.
  withEnv("COURSE_CHROMIUM", "none", () => assertEquals(checkSettings().COURSE_CHROMIUM, "none"));
});

Deno.test("preflight: a COURSE_BLAS_LIB that does not load is an error, not a fallback", () => {
  withEnv("COURSE_BLAS_LIB", "/nonexistent/libnoblas.so", () => {
    assertThrows(
      () => preflight(),
      SettingError,
      "COURSE_BLAS_LIB=/nonexistent/libnoblas.so could not be loaded",
    );
  });
  withEnv("COURSE_BLAS_LIB", "libm.so.6", () => {
    assertThrows(() => preflight(), SettingError, "is not a BLAS library (no cblas_sgemm)");
  });
});

Deno.test("a bad COURSE_PROGRESS fails the first cell (startNotebook), before the backend starts", async () => {
  const code = `import { startNotebook } from "./lib/runtime/notebook.ts";
await startNotebook("x");
console.log("started");`;
  const r = await runDeno(["eval", code], { COURSE_PROGRESS: "bogus" });
  assert(r.code !== 0 && !r.output.includes("started"), r.output);
  assert(
    r.output.includes(`COURSE_PROGRESS must be "jupyter", "tty", "plain" or "silent", not "bogus"`),
    r.output,
  );
  assert(!r.output.includes("tfjs backend"), r.output);
});
