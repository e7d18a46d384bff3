/**
 * Backend selection: every available backend (blas, wasm-threaded, wasm, cpu) starts when forced
 * with `COURSE_BACKEND`, computes what the cpu backend computes, and lets its process exit on its
 * own; a missing or unloadable BLAS falls back with one clear line, and forcing `blas` without
 * one fails clearly.
 *
 * Each case runs this file as a child script (`deno run`), since only one wasm flavour can start
 * per process; in the child, the code at the bottom runs instead of the tests.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BACKEND_NAMES, initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";

const CHILD_FLAG = "COURSE_BACKEND_TEST_CHILD";

interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function child(env: Record<string, string>): Promise<ChildResult> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname],
    env: { [CHILD_FLAG]: "1", ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000), // a child that does not exit on its own fails here
  });
  const out = await command.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

interface Computed {
  name: string;
  tfName: string;
  summary: string;
  outputs: Record<string, number[]>;
}

/** The child: start the chosen backend, compute a few seeded results, print them as JSON. */
async function runChild(): Promise<void> {
  const info = await initBackend();
  const rng = new Random(11);
  const t = (shape: number[]) =>
    tf.tensor(rng.uniformArray(shape.reduce((p, d) => p * d, 1), -1, 1), shape);
  const a = t([33, 20]), b = t([20, 17]);
  const x = t([2, 9, 7, 3]) as tf.Tensor4D, w = t([3, 2, 3, 4]) as tf.Tensor4D;
  const loss = (xs: tf.Tensor, ws: tf.Tensor) =>
    tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, "valid").square().sum();
  const outputs: Record<string, tf.Tensor> = {
    matMul: tf.matMul(a, b),
    matMulGrad: tf.grad((p: tf.Tensor) => tf.matMul(p, b).square().sum())(a),
    conv2d: tf.conv2d(x, w, [2, 1], "same"),
    conv2dInputGrad: tf.grad((xs: tf.Tensor) => loss(xs, w))(x),
    maxPool: tf.maxPool(x, 2, 2, "same"),
  };
  if (tf.getBackend() !== "wasm") {
    // tfjs-wasm 4.22 has no Conv2DBackpropFilter kernel, and its MaxPoolGrad disagrees with the
    // cpu backend on some shapes (e.g. [1, 4, 6, 1] with a 2×2 "valid" pool).
    outputs.conv2dFilterGrad = tf.grad((ws: tf.Tensor) => loss(x, ws))(w);
    outputs.maxPoolGrad = tf.grad((xs: tf.Tensor) =>
      tf.maxPool(xs as tf.Tensor4D, 2, 2, "same").sum()
    )(x);
  }
  const result: Computed = {
    name: info.name,
    tfName: tf.getBackend(),
    summary: info.summary,
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([key, o]) => [key, Array.from(o.dataSync())]),
    ),
  };
  console.log(JSON.stringify(result));
}

function relativeError(actual: number[], expected: number[]): number {
  assert.equal(actual.length, expected.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Process CPU time (user + system) in ms, from /proc/self/stat (10 ms ticks); null off Linux. */
function cpuMilliseconds(): number | null {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * The idle child: a product big enough for every BLAS thread, then 0.4 s of sleep; prints the
 * backend, the OPENBLAS_THREAD_TIMEOUT in force and the CPU time the process spent while asleep.
 */
async function runIdleChild(): Promise<void> {
  const info = await initBackend();
  const rng = new Random(12);
  const a = tf.tensor2d(rng.uniformArray(1024 * 1024, -1, 1), [1024, 1024]);
  for (let i = 0; i < 3; i++) tf.matMul(a, a).dispose();
  const before = cpuMilliseconds();
  await new Promise((resolve) => setTimeout(resolve, 400));
  const after = cpuMilliseconds();
  const idleCpuMs = before === null || after === null ? null : after - before;
  const timeout = Deno.env.get("OPENBLAS_THREAD_TIMEOUT") ?? null;
  console.log(JSON.stringify({ summary: info.summary, timeout, idleCpuMs }));
}

if (Deno.env.get(CHILD_FLAG) === "idle") {
  await runIdleChild();
} else if (Deno.env.get(CHILD_FLAG)) {
  await runChild();
} else {
  const reference = child({ COURSE_BACKEND: "cpu" }).then((r) => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Computed;
  });

  for (const name of BACKEND_NAMES) {
    Deno.test(`COURSE_BACKEND=${name} starts, agrees with cpu and exits on its own`, async (t) => {
      const r = await child({ COURSE_BACKEND: name });
      if (r.code !== 0 && (name === "blas" || name === "wasm-threaded")) {
        assert.match(r.stderr, new RegExp(`COURSE_BACKEND=${name} could not start: `));
        console.warn(`${name} is not available here: ${r.stderr.trim().split("\n")[0]}`);
        t.step({ name: "(not available here)", ignore: true, fn: () => {} });
        return;
      }
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as Computed;
      assert.equal(got.name, name);
      assert.equal(got.tfName, name === "wasm-threaded" ? "wasm" : name);
      const expected = await reference;
      for (const [key, values] of Object.entries(got.outputs)) {
        const error = relativeError(values, expected.outputs[key]);
        assert.ok(error <= 1e-5, `${name} ${key}: relative error ${error}`);
      }
      const missing = Object.keys(expected.outputs).filter((k) => !(k in got.outputs));
      assert.deepEqual(
        missing.sort(),
        got.tfName === "wasm" ? ["conv2dFilterGrad", "maxPoolGrad"] : [],
      );
      if (name === "wasm-threaded") assert.match(got.summary, /\d+ threads?/);
    });
  }

  // A setting the user gave must work or stop the run (issue 18): no silent fallback to wasm.
  const firstLine = (text: string) => text.trim().split("\n")[0];

  Deno.test("a COURSE_BLAS_LIB that does not load stops the run with one line", async () => {
    const r = await child({ COURSE_BLAS_LIB: "/nonexistent/libnoblas.so" });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      firstLine(r.stderr),
      /SettingError: COURSE_BLAS_LIB=\/nonexistent\/libnoblas\.so could not be loaded: /,
    );
  });

  Deno.test("a COURSE_BLAS_LIB without cblas_sgemm is refused as not a BLAS", async () => {
    const r = await child({ COURSE_BLAS_LIB: "libm.so.6" });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      firstLine(r.stderr),
      /COURSE_BLAS_LIB=libm\.so\.6 is not a BLAS library \(no cblas_sgemm\)/,
    );
  });

  for (const threads of ["0", "1.5", "two"]) {
    Deno.test(`COURSE_BLAS_THREADS=${threads} stops the run instead of falling back`, async () => {
      const r = await child({ COURSE_BLAS_THREADS: threads });
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(
        firstLine(r.stderr),
        new RegExp(`COURSE_BLAS_THREADS must be a positive integer, not "${threads}"`),
      );
    });
  }

  // OpenBLAS's idle threads spin for ~0.1 s after each product unless told to sleep at once.
  Deno.test("blas: OpenBLAS's threads sleep when idle (OPENBLAS_THREAD_TIMEOUT=4 unless set)", async (t) => {
    const idle = async (env: Record<string, string>) => {
      const r = await child({ COURSE_BACKEND: "blas", [CHILD_FLAG]: "idle", ...env });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as {
        summary: string;
        timeout: string | null;
        idleCpuMs: number | null;
      };
    };
    const run = await idle({});
    const threads = Number(/OpenBLAS [^;]*, (\d+) threads/.exec(run.summary)?.[1] ?? 0);
    if (threads < 2 || run.idleCpuMs === null) {
      console.warn(`not OpenBLAS with several threads on Linux here: ${run.summary}`);
      await t.step({ name: "(no multi-threaded OpenBLAS here)", ignore: true, fn: () => {} });
      return;
    }
    assert.equal(run.timeout, "4");
    assert.ok(run.idleCpuMs <= 30, `${run.idleCpuMs} ms of CPU while asleep (${run.summary})`);
    assert.equal((await idle({ OPENBLAS_THREAD_TIMEOUT: "20" })).timeout, "20", "the user's value");
  });

  // Which kernels OpenBLAS runs changes its speed and last bits: the backend line names them.
  Deno.test("blas: the backend line names the kernels OpenBLAS chose (or OPENBLAS_CORETYPE forced)", async (t) => {
    const summaryWith = async (coreType: string) => {
      const r = await child({
        COURSE_BACKEND: "blas",
        [CHILD_FLAG]: "idle",
        OPENBLAS_CORETYPE: coreType,
      });
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { summary: string }).summary;
    };
    const haswell = await summaryWith("Haswell");
    if (!/OpenBLAS/.test(haswell)) {
      await t.step({ name: `(not OpenBLAS here: ${haswell})`, ignore: true, fn: () => {} });
      return;
    }
    assert.match(haswell, /OpenBLAS [^;]*\([^,)]*, Haswell kernels\)/);
    assert.match(await summaryWith("Sandybridge"), /, Sandybridge kernels\)/);
  });

  Deno.test("COURSE_BACKEND=blas without a BLAS fails with a clear message", async () => {
    const r = await child({ COURSE_BACKEND: "blas", COURSE_BLAS_LIB: "/nonexistent/libnoblas.so" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /COURSE_BLAS_LIB=\/nonexistent\/libnoblas\.so could not be loaded/);
  });

  Deno.test("COURSE_BACKEND=wasm-threaded with COURSE_WASM_THREADS=0 fails with a clear message", async () => {
    const r = await child({ COURSE_BACKEND: "wasm-threaded", COURSE_WASM_THREADS: "0" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /COURSE_WASM_THREADS must be a positive integer, not "0"/);
  });

  Deno.test("an unknown COURSE_BACKEND is refused", async () => {
    const r = await child({ COURSE_BACKEND: "gpu" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /COURSE_BACKEND must be one of blas, wasm-threaded, wasm, cpu/);
  });
}
