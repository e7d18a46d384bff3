/**
 * lib/nn/conv.ts and lib/runtime/backends/conv_gradients.ts: the layers agree with chapter 6's
 * loops (lib/nn/conv_reference.ts) on both gradient paths, and the custom convolution and pooling
 * gradients agree with the cpu backend's on random shapes, strides and paddings — computed on the
 * wasm backend (where "auto" uses them), on the cpu backend itself, and through "auto" on blas
 * when a BLAS library is present.
 *
 * All backends live in this one process: tfjs switches between registered backends with
 * `tf.setBackend`, and every tensor is made on the backend that computes with it.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import {
  avgPool2d,
  conv2d,
  convGeometry,
  frozenConvBiasRelu,
  type GradientPath,
  maxPool2d,
  type Padding,
  reluBackprop,
  windowAxis,
} from "../lib/nn/conv.ts";
import { usesCustomGradients, windowCounts } from "../lib/runtime/backends/conv_gradients.ts";
import {
  convolveBackwardByHand,
  convolveByHand,
  poolBackwardByHand,
  poolByHand,
} from "../lib/nn/conv_reference.ts";
import { Random } from "../lib/runtime/random.ts";
import { setupWasm } from "../lib/runtime/backends/wasm.ts";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import { initBackend } from "../lib/runtime/backend.ts";

// The course's backend for this process; every test switches back to it when done, so that test
// files sharing the process run on it too.
await initBackend();
const home = tf.getBackend();
let blasReason: string | undefined;
try {
  await setupBlas();
} catch (error) {
  blasReason = (error as Error).message;
}
if (home !== "wasm") await setupWasm(); // a wasm flavour is already running when home is wasm
await tf.setBackend("cpu");
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
await tf.setBackend(home);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Run `f` on `backend` and return its outputs as plain arrays (nothing left allocated). */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  assertEquals(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
  await tf.setBackend(home);
  return values;
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  assertEquals(actual.length, expected.length);
  let diff = 0, scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

interface Case {
  x: number[];
  filter: [number, number];
  strides: [number, number];
  padding: Padding;
  cout: number;
}

/** Random shapes: batch 1–2, sides 5–12, filters 1–4, strides 1–3, both paddings. */
function randomCases(rng: Random, count: number): Case[] {
  const cases: Case[] = [];
  while (cases.length < count) {
    const filter: [number, number] = [1 + rng.int(4), 1 + rng.int(4)];
    const x = [1 + rng.int(2), 5 + rng.int(8), 5 + rng.int(8), 1 + rng.int(5)];
    const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const padding: Padding = rng.int(2) === 0 ? "valid" : "same";
    cases.push({ x, filter, strides, padding, cout: 1 + rng.int(6) });
  }
  // The shapes VGG19 and the MNIST CNN use.
  cases.push({ x: [2, 8, 8, 3], filter: [3, 3], strides: [1, 1], padding: "same", cout: 4 });
  cases.push({ x: [2, 12, 12, 1], filter: [5, 5], strides: [1, 1], padding: "same", cout: 3 });
  return cases;
}

const describe = (c: Case) =>
  `x [${c.x}] filter ${c.filter.join("×")} stride ${c.strides.join(",")} ${c.padding}`;

Deno.test("convGeometry follows tfjs's output sizes and 'same' padding", () => {
  const rng = new Random(5);
  for (const c of randomCases(rng, 30)) {
    const g = convGeometry([c.x[1], c.x[2]], c.filter, c.strides, c.padding);
    const info = tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      [...c.filter, c.x[3], 1],
      c.strides,
      1,
      c.padding,
    );
    assertEquals([g.outHeight, g.outWidth], [info.outHeight, info.outWidth], describe(c));
    assertEquals([g.pad.top, g.pad.left], [info.padInfo.top, info.padInfo.left], describe(c));
  }
  const counts = windowCounts(convGeometry([3, 3], 2, 1, "same"));
  assertEquals(Array.from(counts.dataSync()), [4, 4, 2, 4, 4, 2, 2, 2, 1]);
  counts.dispose();
});

Deno.test("windowAxis: the output size formula and its errors", () => {
  assertEquals(windowAxis(28, 5, 1, "same"), { out: 28, before: 2, after: 2 });
  assertEquals(windowAxis(8, 3, 2, "same"), { out: 4, before: 0, after: 1 });
  assertEquals(windowAxis(7, 3, 2, "valid"), { out: 3, before: 0, after: 0 });
  assertThrows(() => windowAxis(2, 3, 1, "valid"), Error, "does not fit");
  assertThrows(() => windowAxis(8, 3, 1, "full" as Padding), Error, "padding must be");
});

Deno.test("conv2d and the pools agree with chapter 6's loops, on both gradient paths (cpu)", async () => {
  const rng = new Random(31);
  for (const c of randomCases(rng, 10).filter((c) => c.strides[0] === c.strides[1])) {
    const [h, w, cin] = c.x.slice(1), s = c.strides[0];
    const x = tf.buffer<tf.Rank.R3>([h, w, cin], "float32", rng.normalArray(h * w * cin));
    const wShape = [...c.filter, cin, c.cout] as [number, number, number, number];
    const filters = tf.buffer<tf.Rank.R4>(wShape, "float32", rng.normalArray(size(wShape)));
    const g = convGeometry([h, w], c.filter, s, c.padding);
    const delta = tf.buffer<tf.Rank.R3>(
      [g.outHeight, g.outWidth, c.cout],
      "float32",
      rng.normalArray(g.outHeight * g.outWidth * c.cout),
    );
    const u = convolveByHand(x, filters, s, c.padding).values;
    const { dx, dw } = convolveBackwardByHand(x, filters, delta, s, c.padding);
    // Pools on k×k windows (k the filter's height), with the output gradient's first channels.
    const k = c.filter[0], pg = convGeometry([h, w], k, s, c.padding);
    const poolDelta = tf.buffer<tf.Rank.R3>(
      [pg.outHeight, pg.outWidth, cin],
      "float32",
      rng.normalArray(pg.outHeight * pg.outWidth * cin),
    );
    for (const gradient of ["custom", "builtin"] as GradientPath[]) {
      const got = await on("cpu", () => {
        const xt = tf.expandDims(x.toTensor(), 0) as tf.Tensor4D;
        const conv = (a: tf.Tensor, b: tf.Tensor) =>
          conv2d(a as tf.Tensor4D, b as tf.Tensor4D, { strides: s, padding: c.padding, gradient });
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(conv(a, b), delta.toTensor()))
        )([xt, filters.toTensor()]);
        const pools = [maxPool2d, avgPool2d].flatMap((pool) => {
          const f = (a: tf.Tensor) =>
            pool(a as tf.Tensor4D, { size: k, strides: s, padding: c.padding, gradient });
          return [f(xt), tf.grad((a) => tf.sum(tf.mul(f(a), poolDelta.toTensor())))(xt)];
        });
        return [conv(xt, filters.toTensor()), ...grads, ...pools];
      });
      const expected = [
        u,
        dx.values,
        dw.values,
        ...(["max", "avg"] as const).flatMap((kind) => [
          poolByHand(kind, x, k, s, c.padding).values,
          poolBackwardByHand(kind, x, poolDelta, k, s, c.padding).values,
        ]),
      ];
      ["u", "dx", "dw", "max y", "max dx", "avg y", "avg dx"].forEach((name, i) => {
        // tfjs's own AvgPoolGrad is wrong at partial windows ("same"); avgPool2d avoids it
        // under "auto", not under a forced "builtin".
        if (name === "avg dx" && gradient === "builtin" && c.padding === "same") return;
        const error = maxRelativeError(got[i], expected[i] as Float32Array);
        assert(error < 1e-5, `${gradient} ${name}, ${describe(c)}: relative error ${error}`);
      });
    }
  }
});

Deno.test("conv2d: custom gradients (wasm, cpu) and auto (blas) match the cpu backend's", async () => {
  const rng = new Random(17);
  for (const c of randomCases(rng, 24)) {
    const g = convGeometry([c.x[1], c.x[2]], c.filter, c.strides, c.padding);
    const wShape = [...c.filter, c.x[3], c.cout];
    const xv = rng.normalArray(size(c.x));
    const wv = rng.normalArray(size(wShape));
    const rv = rng.normalArray(c.x[0] * g.outHeight * g.outWidth * c.cout);
    const run = (gradient: GradientPath) => () => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
      const r = tf.tensor(rv, [c.x[0], g.outHeight, g.outWidth, c.cout]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        conv2d(a as tf.Tensor4D, b as tf.Tensor4D, { ...c, gradient });
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([
        x,
        w,
      ]);
      // With a constant filter only ∂E/∂x is computed (VGG19's case).
      const constant = (a: tf.Tensor) =>
        conv2d(a as tf.Tensor4D, w, { ...c, gradient, constantFilter: true });
      const dxOnly = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(constant(a), r)))(x);
      return [f(x, w), dx, dw, dxOnly];
    };
    const expected = await on("cpu", run("builtin"));
    const runs: [string, GradientPath][] = [["wasm", "custom"], ["wasm", "auto"], [
      "cpu",
      "custom",
    ]];
    if (blasReason === undefined) runs.push(["blas", "auto"]);
    for (const [backend, path] of runs) {
      const got = await on(backend, run(path));
      ["y", "dx", "dw", "dx (constant filter)"].forEach((name, k) => {
        const error = maxRelativeError(got[k], expected[k === 3 ? 1 : k]);
        assert(error < 2e-5, `${backend}/${path} ${name}, ${describe(c)}: relative error ${error}`);
      });
    }
  }
});

Deno.test("frozenConvBiasRelu = relu(conv2d + bias) and its ∂/∂x, on every backend and path", async () => {
  const rng = new Random(23);
  for (const c of randomCases(rng, 16)) {
    const g = convGeometry([c.x[1], c.x[2]], c.filter, c.strides, c.padding);
    const wShape = [...c.filter, c.x[3], c.cout];
    const xv = rng.normalArray(size(c.x));
    const wv = rng.normalArray(size(wShape));
    const bv = rng.normalArray(c.cout);
    const rv = rng.normalArray(c.x[0] * g.outHeight * g.outWidth * c.cout);
    const run = (gradient: GradientPath, fused: boolean) => () => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
      const b = tf.tensor1d(bv);
      const r = tf.tensor(rv, [c.x[0], g.outHeight, g.outWidth, c.cout]);
      const f = (a: tf.Tensor) =>
        fused
          ? frozenConvBiasRelu(a as tf.Tensor4D, w, b, { ...c, gradient })
          : tf.relu(tf.add(conv2d(a as tf.Tensor4D, w, { ...c, gradient: "builtin" }), b));
      return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
    };
    const expected = await on("cpu", run("builtin", false));
    const runs: [string, GradientPath][] = [["wasm", "custom"], ["cpu", "custom"], [
      "cpu",
      "builtin",
    ]];
    if (blasReason === undefined) runs.push(["blas", "auto"]);
    for (const [backend, path] of runs) {
      const got = await on(backend, run(path, true));
      ["y", "dx"].forEach((name, k) => {
        const error = maxRelativeError(got[k], expected[k]);
        assert(error < 2e-5, `${backend}/${path} ${name}, ${describe(c)}: relative error ${error}`);
      });
    }
  }
});

Deno.test("reluBackprop passes dy where y > 0 and NaN where y is NaN, on every backend", async () => {
  const dy = [1, 2, 3, 4, 5];
  const y = [0, 0.5, -0, NaN, 7];
  for (const backend of ["cpu", "wasm", ...(blasReason === undefined ? ["blas"] : [])]) {
    const [out] = await on(backend, () => [reluBackprop(tf.tensor1d(dy), tf.tensor1d(y))]);
    assertEquals(Array.from(out).map(String), ["0", "2", "0", "NaN", "5"], backend);
  }
});

Deno.test("maxPool2d: custom gradient (wasm, cpu) and auto (blas) match the cpu backend's", async () => {
  const rng = new Random(23);
  const cases = randomCases(rng, 24);
  // Ties: small integers, so that windows hold equal maxima; the first one gets the gradient.
  const tieCase = { x: [2, 8, 9, 3], filter: [3, 3], strides: [2, 2], padding: "same", cout: 1 };
  for (const c of [...cases, tieCase as Case]) {
    const g = convGeometry([c.x[1], c.x[2]], c.filter, c.strides, c.padding);
    const xv = c === tieCase
      ? Float32Array.from(rng.normalArray(size(c.x)), (v) => Math.round(v))
      : rng.normalArray(size(c.x));
    const rv = rng.normalArray(c.x[0] * g.outHeight * g.outWidth * c.x[3]);
    const run = (gradient: GradientPath) => () => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const r = tf.tensor(rv, [c.x[0], g.outHeight, g.outWidth, c.x[3]]);
      const f = (a: tf.Tensor) =>
        maxPool2d(a as tf.Tensor4D, {
          size: c.filter,
          strides: c.strides,
          padding: c.padding,
          gradient,
        });
      return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
    };
    const expected = await on("cpu", run("builtin"));
    const runs: [string, GradientPath][] = [["wasm", "auto"], ["cpu", "custom"]];
    if (blasReason === undefined) runs.push(["blas", "auto"]);
    for (const [backend, path] of runs) {
      const got = await on(backend, run(path));
      ["y", "dx"].forEach((name, k) => {
        const error = maxRelativeError(got[k], expected[k]);
        assert(error < 1e-6, `${backend}/${path} ${name}, ${describe(c)}: relative error ${error}`);
      });
    }
  }
});

Deno.test("avgPool2d: the gradient is the forward pass's adjoint and matches the cpu backend's", async () => {
  const rng = new Random(29);
  for (const c of randomCases(rng, 24)) {
    const g = convGeometry([c.x[1], c.x[2]], c.filter, c.strides, c.padding);
    const xv = rng.normalArray(size(c.x));
    const rv = rng.normalArray(c.x[0] * g.outHeight * g.outWidth * c.x[3]);
    const options = { size: c.filter, strides: c.strides, padding: c.padding };
    const run = (gradient: GradientPath) => () => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const r = tf.tensor(rv, [c.x[0], g.outHeight, g.outWidth, c.x[3]]);
      const f = (a: tf.Tensor) => avgPool2d(a as tf.Tensor4D, { ...options, gradient });
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x);
      // Average pooling is linear, so ⟨pool(x), r⟩ must equal ⟨x, ∂⟨pool(x), r⟩/∂x⟩ exactly.
      return [f(x), dx, tf.sum(tf.mul(f(x), r)), tf.sum(tf.mul(x, dx))];
    };
    // The cpu backend's gradient of the same function written as a depthwise convolution with a
    // ones filter over the zero-padded input, divided by each window's pixel count.
    const reference = () => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const r = tf.tensor(rv, [c.x[0], g.outHeight, g.outWidth, c.x[3]]);
      const ones = tf.ones([...c.filter, c.x[3], 1]) as tf.Tensor4D;
      const counts = windowCounts(g);
      const f = (a: tf.Tensor) => {
        const p = tf.pad(a as tf.Tensor4D, [[0, 0], [g.pad.top, g.pad.bottom], [
          g.pad.left,
          g.pad.right,
        ], [0, 0]]);
        return tf.div(tf.depthwiseConv2d(p, ones, c.strides, "valid"), counts);
      };
      return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
    };
    const expected = await on("cpu", reference);
    const builtin = await on("cpu", run("builtin"));
    const runs: [string, GradientPath][] = [["wasm", "auto"], ["wasm", "custom"], ["cpu", "auto"]];
    if (blasReason === undefined) runs.push(["blas", "auto"]);
    for (const [backend, path] of runs) {
      const got = await on(backend, run(path));
      ["y", "dx"].forEach((name, k) => {
        const error = maxRelativeError(got[k], expected[k]);
        assert(error < 1e-5, `${backend}/${path} ${name}, ${describe(c)}: relative error ${error}`);
      });
      const [lhs, rhs] = [got[2][0], got[3][0]];
      assertAlmostEquals(
        lhs,
        rhs,
        1e-4 * (1 + Math.abs(lhs)),
        `${backend} adjoint, ${describe(c)}`,
      );
    }
    if (c.padding === "valid") {
      // Without padding every window is full, and tfjs's built-in gradient agrees.
      assert(maxRelativeError(builtin[1], expected[1]) < 1e-5, `builtin dx, ${describe(c)}`);
    }
  }
});

Deno.test("auto uses the custom gradients on wasm only", async () => {
  await tf.setBackend("wasm");
  assert(usesCustomGradients());
  await tf.setBackend("cpu");
  assert(!usesCustomGradients());
  assert(!usesCustomGradients("blas"));
  await tf.setBackend(home);
  if (blasReason !== undefined) console.warn(`blas not available here: ${blasReason}`);
});
