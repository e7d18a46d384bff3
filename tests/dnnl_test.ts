/**
 * oneDNN convolutions of the `blas` backend agree with the pure-JS cpu backend: forward (plain and
 * fused, every activation), dx and dW through `tf.grads` on random shapes (batches, non-square
 * images, strides, 'same'/'valid'/explicit padding, dilations), filters that change, no leaked
 * tensors; and the sgemm fallback (`COURSE_DNNL=0`, an unloadable `COURSE_DNNL_LIB`) runs in
 * child processes and agrees too. Skipped (with a note) where oneDNN or BLAS cannot be opened.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import {
  activationLayout,
  dnnlConvLayout,
  dnnlStats,
} from "../lib/runtime/backends/blas/dnnl_conv.ts";
import { Random } from "../lib/runtime/random.ts";

const CHILD_FLAG = "COURSE_DNNL_TEST_CHILD";
const TOLERANCE = 1e-5;

let description = "";
try {
  description = await setupBlas();
} catch (error) {
  description = `no BLAS: ${error instanceof Error ? error.message : String(error)}`;
}
await tf.setBackend("cpu");
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
const hasDnnl = description.includes("convolutions oneDNN");

/** Run `f` on a backend and return its outputs as plain arrays. */
async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = list.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose(list);
  return values;
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length, "lengths differ");
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (Number.isNaN(diff)) return Infinity;
  return scale === 0 ? diff : diff / scale;
}

/** The largest relative error of blas against cpu over `f`'s outputs. */
async function worstError(f: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  const expected = await on("cpu", f);
  const actual = await on("blas", f);
  return Math.max(...expected.map((e, i) => relativeError(actual[i], e)));
}

function draw(rng: Random, shape: number[]): () => tf.Tensor {
  const values = rng.uniformArray(shape.reduce((p, d) => p * d, 1), -1, 1);
  return () => tf.tensor(values, shape);
}

type Pad = "same" | "valid" | [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
];

/** One random convolution: shapes, stride, padding, dilation. */
interface ConvCase {
  x: number[];
  f: number[];
  strides: [number, number];
  pad: Pad;
  dilations: [number, number];
}

function convCases(rng: Random, count: number, withDilation: boolean): ConvCase[] {
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const batch = 1 + rng.int(3), h = 6 + rng.int(12), w = 5 + rng.int(13);
    const cin = 1 + rng.int(9), cout = 4 + rng.int(13);
    const fh = 1 + rng.int(4), fw = 1 + rng.int(4);
    const dilated = withDilation && i % 3 === 2;
    const strides: [number, number] = dilated ? [1, 1] : [1 + rng.int(3), 1 + rng.int(3)];
    const dilations: [number, number] = dilated ? [1 + rng.int(3), 1 + rng.int(3)] : [1, 1];
    const pads: Pad[] = [
      "same",
      "valid",
      [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]],
    ];
    cases.push({
      x: [batch, h, w, cin],
      f: [fh, fw, cin, cout],
      strides,
      pad: pads[i % 3],
      dilations,
    });
  }
  return cases;
}

Deno.test({
  name: "oneDNN is found when libdnnl is installed (details line)",
  ignore: !description.includes("convolutions"),
  fn: () => {
    assert.match(description, /convolutions (oneDNN|im2col \+ sgemm \(no oneDNN)/);
  },
});

Deno.test({
  name: "oneDNN conv2d forward agrees with cpu: batches, strides, paddings, dilations",
  ignore: !hasDnnl,
  fn: async () => {
    const rng = new Random(101);
    const before = dnnlStats.calls;
    for (const c of convCases(rng, 36, true)) {
      const x = draw(rng, c.x), f = draw(rng, c.f);
      const error = await worstError(() =>
        tf.conv2d(x() as tf.Tensor4D, f() as tf.Tensor4D, c.strides, c.pad, "NHWC", c.dilations)
      );
      assert.ok(error <= TOLERANCE, `conv2d ${JSON.stringify(c)}: relative error ${error}`);
    }
    // Tiny cases (under 64 floats) go to sgemm on purpose.
    assert.ok(dnnlStats.calls - before >= 24, `oneDNN ran ${dnnlStats.calls - before} times`);
  },
});

Deno.test({
  name: "oneDNN conv2d gradients (tf.grads) and fused conv2d agree with cpu",
  ignore: !hasDnnl,
  fn: async () => {
    const rng = new Random(102);
    const before = dnnlStats.calls;
    const activations = ["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu", "prelu"];
    let i = 0;
    for (const c of convCases(rng, 28, false)) {
      const x = draw(rng, c.x), f = draw(rng, c.f), dy = draw(rng, [c.f[3]]);
      const plain = await worstError(() =>
        tf.grads((xs: tf.Tensor, fs: tf.Tensor) =>
          tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, c.strides, c.pad).mul(dy()).sum()
        )([x(), f()])
      );
      assert.ok(plain <= TOLERANCE, `conv2d grads ${JSON.stringify(c)}: ${plain}`);
      const activation = activations[i++ % activations.length] as tf.fused.Activation;
      const bias = draw(rng, [c.f[3]]), alpha = draw(rng, [c.f[3]]);
      const fused = await worstError(() =>
        tf.grads((xs: tf.Tensor, fs: tf.Tensor, bs: tf.Tensor) =>
          tf.fused.conv2d({
            x: xs as tf.Tensor4D,
            filter: fs as tf.Tensor4D,
            strides: c.strides,
            pad: c.pad,
            bias: bs,
            activation,
            preluActivationWeights: activation === "prelu" ? alpha() : undefined,
            leakyreluAlpha: 0.3,
          }).mul(dy()).sum()
        )([x(), f(), bias()])
      );
      assert.ok(fused <= TOLERANCE, `fused ${activation} ${JSON.stringify(c)}: ${fused}`);
      const forward = await worstError(() =>
        tf.fused.conv2d({
          x: x() as tf.Tensor4D,
          filter: f() as tf.Tensor4D,
          strides: c.strides,
          pad: c.pad,
          bias: bias(),
          activation,
          preluActivationWeights: activation === "prelu" ? alpha() : undefined,
          leakyreluAlpha: 0.3,
        })
      );
      assert.ok(forward <= TOLERANCE, `fused forward ${activation} ${JSON.stringify(c)}`);
    }
    assert.ok(dnnlStats.calls - before >= 100, `oneDNN ran ${dnnlStats.calls - before} times`);
  },
});

Deno.test({
  name: "oneDNN keeps results right when a filter variable is reassigned (reordered filters)",
  ignore: !hasDnnl,
  fn: async () => {
    const rng = new Random(103);
    const xs = draw(rng, [2, 12, 10, 8]);
    const values = [0, 1, 2].map(() => rng.uniformArray(3 * 3 * 8 * 16, -1, 1));
    const results: Float32Array[][] = [];
    for (const backend of ["cpu", "blas"]) {
      await tf.setBackend(backend);
      const x = xs() as tf.Tensor4D;
      const w = tf.variable(tf.tensor4d(values[0], [3, 3, 8, 16]));
      const outs: Float32Array[] = [];
      for (const v of [...values, values[0]]) {
        w.assign(tf.tensor4d(v, [3, 3, 8, 16]));
        const [y, dx] = tf.tidy(() => [
          tf.conv2d(x, w as tf.Tensor4D, 1, "same"),
          tf.grad((p: tf.Tensor) => tf.conv2d(p as tf.Tensor4D, w as tf.Tensor4D, 1, "same").sum())(
            x,
          ),
        ]);
        outs.push(Float32Array.from(y.dataSync()), Float32Array.from(dx.dataSync()));
        tf.dispose([y, dx]);
      }
      tf.dispose([x, w]);
      results.push(outs);
    }
    results[0].forEach((e, i) => {
      const error = relativeError(results[1][i], e);
      assert.ok(error <= TOLERANCE, `output ${i}: relative error ${error}`);
    });
  },
});

Deno.test({
  name: "oneDNN conv steps leak no tensors",
  ignore: !hasDnnl,
  fn: async () => {
    await tf.setBackend("blas");
    const rng = new Random(104);
    const x = draw(rng, [2, 16, 16, 8])() as tf.Tensor4D;
    const w = tf.variable(draw(rng, [3, 3, 8, 16])() as tf.Tensor4D);
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() =>
          tf.relu(tf.conv2d(x, w as tf.Tensor4D, [2, 1], "same")).square().mean() as tf.Scalar
        );
        w.assign(w.sub(grads[w.name].mul(0.01)));
      });
    step();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) step();
    assert.equal(tf.memory().numTensors, start);
    tf.dispose([x, w]);
    await tf.setBackend("cpu");
  },
});

Deno.test({
  name: "oneDNN on blocked activations (reordered at each call) and on NHWC both agree with cpu",
  ignore: !hasDnnl,
  fn: async () => {
    const rng = new Random(106);
    const cases = convCases(rng, 12, false);
    const saved = dnnlConvLayout.activations;
    try {
      for (const layout of ["blocked", "nhwc"] as const) {
        dnnlConvLayout.activations = layout;
        const calls = dnnlStats.calls, reorders = dnnlStats.reorders;
        for (const c of cases) {
          const x = draw(rng, c.x), f = draw(rng, c.f);
          const error = await worstError(() => [
            tf.conv2d(
              x() as tf.Tensor4D,
              f() as tf.Tensor4D,
              c.strides,
              c.pad,
              "NHWC",
              c.dilations,
            ),
            ...tf.grads((xs: tf.Tensor, fs: tf.Tensor) =>
              tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, c.strides, c.pad).square().sum()
            )([x(), f()]),
          ]);
          assert.ok(error <= TOLERANCE, `${layout} ${JSON.stringify(c)}: relative error ${error}`);
        }
        const ran = dnnlStats.calls - calls, reordered = dnnlStats.reorders - reorders;
        assert.ok(ran >= 24, `${layout}: oneDNN ran ${ran} times`);
        // Blocked: activations go in and out of oneDNN's layout at (nearly) every call.
        if (layout === "blocked") {
          assert.ok(reordered >= ran, `${reordered} reorders, ${ran} calls`);
        }
      }
    } finally {
      dnnlConvLayout.activations = saved;
    }
  },
});

Deno.test("the 'auto' layout runs single calls blocked up to AVX2 and NHWC with AVX-512", () => {
  const saved = dnnlConvLayout.activations;
  try {
    dnnlConvLayout.activations = "auto";
    assert.equal(activationLayout("avx2"), "blocked");
    assert.equal(activationLayout("avx512_core"), "nhwc");
    dnnlConvLayout.activations = "chain";
    assert.equal(activationLayout("avx512_core"), "blocked");
    dnnlConvLayout.activations = "nhwc";
    assert.equal(activationLayout("avx2"), "nhwc");
  } finally {
    dnnlConvLayout.activations = saved;
  }
});

/** What a child process reports: the details line, oneDNN calls and the worst error. */
interface ChildReport {
  description: string;
  dnnlCalls: number;
  error: number;
  /** The layout "auto" chose. */
  layout: string;
  /** Whether blocked and NHWC convolutions gave the same bits (forward and both gradients). */
  identical: boolean;
}

async function child(env: Record<string, string>): Promise<ChildReport> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname],
    env: { ...env, [CHILD_FLAG]: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  });
  const out = await command.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `child failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildReport;
}

/** The child: conv forward and both gradients on blas vs cpu, reported as JSON. */
async function runChild(): Promise<void> {
  const rng = new Random(105);
  let error = 0;
  for (const c of convCases(rng, 12, false)) {
    const x = draw(rng, c.x), f = draw(rng, c.f);
    error = Math.max(
      error,
      await worstError(() => [
        tf.conv2d(x() as tf.Tensor4D, f() as tf.Tensor4D, c.strides, c.pad),
        ...tf.grads((xs: tf.Tensor, fs: tf.Tensor) =>
          tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, c.strides, c.pad).square().sum()
        )([x(), f()]),
      ]),
    );
  }
  let identical = true;
  const layout = description.includes("oneDNN")
    ? activationLayout(description.split(", ").at(-1)!.split(";")[0])
    : "none";
  if (Deno.env.get("ONEDNN_MAX_CPU_ISA")) {
    const x = draw(rng, [2, 20, 18, 24]), f = draw(rng, [3, 3, 24, 32]);
    const outs: Float32Array[][] = [];
    for (const setting of ["blocked", "nhwc"] as const) {
      dnnlConvLayout.activations = setting;
      outs.push(
        await on("blas", () => [
          tf.conv2d(x() as tf.Tensor4D, f() as tf.Tensor4D, 1, "same"),
          ...tf.grads((xs: tf.Tensor, fs: tf.Tensor) =>
            tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, 1, "same").square().sum()
          )([x(), f()]),
        ]),
      );
    }
    identical = outs[0].every((a, i) => a.every((v, k) => Object.is(v, outs[1][i][k])));
  }
  const report: ChildReport = {
    description,
    dnnlCalls: dnnlStats.calls,
    error,
    layout,
    identical,
  };
  console.log(JSON.stringify(report));
}

Deno.test({
  name: "COURSE_DNNL=0 and an unloadable COURSE_DNNL_LIB fall back to sgemm convolutions",
  ignore: description.startsWith("no BLAS"),
  fn: async () => {
    const settings: Record<string, string>[] = [
      { COURSE_DNNL: "0" },
      { COURSE_DNNL_LIB: "/nonexistent/libdnnl.so.2" },
    ];
    for (const env of settings) {
      const report = await child(env);
      assert.match(report.description, /convolutions im2col \+ sgemm \(no oneDNN: .+\)/);
      assert.equal(report.dnnlCalls, 0);
      assert.ok(report.error <= TOLERANCE, `${JSON.stringify(env)}: error ${report.error}`);
    }
    if (hasDnnl) {
      const report = await child({});
      assert.ok(report.dnnlCalls > 0, "oneDNN did not run in the default child");
      assert.ok(report.error <= TOLERANCE, `default: error ${report.error}`);
    }
  },
});

Deno.test({
  name: "capped at AVX2, oneDNN runs blocked convolutions, bit-for-bit those on NHWC",
  ignore: !hasDnnl,
  fn: async () => {
    const report = await child({ ONEDNN_MAX_CPU_ISA: "AVX2", DNNL_MAX_CPU_ISA: "AVX2" });
    assert.match(report.description, /, avx2;/);
    assert.equal(report.layout, "blocked");
    assert.ok(report.error <= TOLERANCE, `AVX2: error ${report.error}`);
    assert.ok(report.identical, "blocked and NHWC results differ under AVX2");
  },
});

if (Deno.env.get(CHILD_FLAG)) {
  await runChild();
  Deno.exit(0);
}
