/**
 * The `blas` backend agrees with the pure-JS cpu backend: every overridden kernel on random
 * shapes (batches, transposes, strides, paddings, dilations, non-square images), gradients
 * through `tf.grads`, and no leaked tensors. Skipped (with a note) where no BLAS can be opened.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import { Random } from "../lib/runtime/random.ts";

let blasReason = "";
try {
  await setupBlas();
} catch (error) {
  blasReason = error instanceof Error ? error.message : String(error);
  console.warn(`blas tests skipped: ${blasReason}`);
}
await tf.setBackend("cpu");
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;

const ignore = blasReason !== "";
const TOLERANCE = 1e-5;

/** Run `f` on a backend and return its outputs as plain arrays. */
async function on(
  backend: string,
  f: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return values.map((v) => Float32Array.from(v));
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length, "lengths differ");
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Object.is(actual[i], expected[i])) continue; // also equal infinities and NaNs
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (Number.isNaN(diff)) return Infinity;
  return scale === 0 ? diff : diff / scale;
}

/** Check that blas gives the cpu backend's dtypes and bits on `f` (NaN equal to NaN). */
async function sameBits(label: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const outs = tf.tidy(f);
    const list = Array.isArray(outs) ? outs : [outs];
    const result = list.map((t) => ({
      dtype: t.dtype,
      shape: t.shape,
      values: Array.from(t.dataSync() as Float32Array),
    }));
    tf.dispose(list);
    return result;
  };
  const expected = await run("cpu"), actual = await run("blas");
  expected.forEach((e, k) => {
    assert.equal(actual[k].dtype, e.dtype, `${label} output ${k}: dtype`);
    assert.deepEqual(actual[k].shape, e.shape, `${label} output ${k}: shape`);
    e.values.forEach((v, i) => {
      if (!Object.is(actual[k].values[i], v)) {
        assert.fail(`${label} output ${k}[${i}]: ${actual[k].values[i]}, cpu ${v}`);
      }
    });
  });
}

/** Check that blas and cpu agree on `f` (each output). */
async function agree(label: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const expected = await on("cpu", f);
  const actual = await on("blas", f);
  for (let i = 0; i < expected.length; i++) {
    const error = relativeError(actual[i], expected[i]);
    assert.ok(error <= TOLERANCE, `${label} output ${i}: relative error ${error}`);
  }
}

function tensor(rng: Random, shape: number[]): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(rng.uniformArray(size, -1, 1), shape);
}

/** A data tensor built fresh on the active backend from a fixed array. */
function fixed(values: Float32Array, shape: number[]): () => tf.Tensor {
  return () => tf.tensor(values, shape);
}

function draw(rng: Random, shape: number[]): () => tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  return fixed(rng.uniformArray(size, -1, 1), shape);
}

Deno.test({
  name: "blas matMul agrees with cpu: transposes, batches, broadcast batches",
  ignore,
  fn: async () => {
    const rng = new Random(1);
    for (let trial = 0; trial < 24; trial++) {
      const m = 1 + rng.int(40), k = 1 + rng.int(40), n = 1 + rng.int(40);
      const ta = trial % 2 === 1, tb = trial % 4 >= 2;
      const batches = [[], [3], [2, 3]][trial % 3];
      const bBatches = trial % 5 === 0 && batches.length ? [] : batches;
      const aShape = [...batches, ...(ta ? [k, m] : [m, k])];
      const bShape = [...bBatches, ...(tb ? [n, k] : [k, n])];
      const a = draw(rng, aShape), b = draw(rng, bShape);
      await agree(
        `matMul ${aShape} × ${bShape} ta=${ta} tb=${tb}`,
        () => tf.matMul(a(), b(), ta, tb),
      );
    }
    // B batched, A not: the per-batch path.
    const a = draw(rng, [5, 7]), b = draw(rng, [4, 7, 6]);
    await agree("matMul [5,7] × [4,7,6]", () => tf.matMul(a().expandDims(0), b()));
  },
});

Deno.test({
  name: "blas fused matMul agrees with cpu: bias and every activation",
  ignore,
  fn: async () => {
    const rng = new Random(2);
    const activations = [
      "linear",
      "relu",
      "relu6",
      "elu",
      "sigmoid",
      "leakyrelu",
      "prelu",
    ] as const;
    for (const activation of activations) {
      const a = draw(rng, [9, 13]), b = draw(rng, [11, 13]), bias = draw(rng, [11]);
      const alpha = draw(rng, [11]);
      await agree(`fused matMul ${activation}`, () =>
        tf.fused.matMul({
          a: a(),
          b: b().mul(4),
          transposeB: true,
          bias: bias(),
          activation,
          preluActivationWeights: activation === "prelu" ? alpha() : undefined,
          leakyreluAlpha: 0.3,
        }));
    }
    const a = draw(rng, [2, 5, 6]), b = draw(rng, [6, 4]);
    await agree(
      "fused matMul, scalar bias",
      () => tf.fused.matMul({ a: a(), b: b(), bias: tf.scalar(0.5), activation: "relu" }),
    );
    await agree(
      "fused matMul, full bias",
      () => tf.fused.matMul({ a: a(), b: b(), bias: tf.ones([5, 4]).mul(-0.1) }),
    );
  },
});

interface ConvCase {
  x: number[];
  f: number[];
  strides: [number, number];
  pad: "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
  dilations: [number, number];
}

function convCases(rng: Random, count: number, withDilation: boolean): ConvCase[] {
  const cases: ConvCase[] = [];
  const pads: ConvCase["pad"][] = ["same", "valid", [[0, 0], [1, 2], [0, 1], [0, 0]]];
  for (let i = 0; i < count; i++) {
    const fh = 1 + rng.int(3), fw = 1 + rng.int(3);
    const dilate = withDilation && i % 3 === 2;
    const strides: [number, number] = dilate ? [1, 1] : [[1, 1], [2, 2], [1, 2], [2, 1]][i % 4] as [
      number,
      number,
    ];
    const dilations: [number, number] = dilate ? [2, 1 + rng.int(2)] : [1, 1];
    cases.push({
      x: [1 + rng.int(2), 5 + rng.int(6), 4 + rng.int(8), 1 + rng.int(6)],
      f: [fh, fw, 0, 1 + rng.int(5)],
      strides,
      pad: pads[i % 3],
      dilations,
    });
    cases[i].f[2] = cases[i].x[3];
  }
  return cases;
}

Deno.test({
  name: "blas conv2d forward agrees with cpu: strides, paddings, dilations, non-square",
  ignore,
  fn: async () => {
    const rng = new Random(3);
    for (const c of convCases(rng, 30, true)) {
      const x = draw(rng, c.x), f = draw(rng, c.f);
      await agree(
        `conv2d ${JSON.stringify(c)}`,
        () =>
          tf.conv2d(x() as tf.Tensor4D, f() as tf.Tensor4D, c.strides, c.pad, "NHWC", c.dilations),
      );
    }
    const x = draw(rng, [1, 6, 5, 8]), f = draw(rng, [1, 1, 8, 3]);
    await agree("conv2d 1×1", () => tf.conv2d(x() as tf.Tensor4D, f() as tf.Tensor4D, 1, "valid"));
  },
});

Deno.test({
  name: "blas conv2d gradients (tf.grads) agree with cpu, plain and fused",
  ignore,
  fn: async () => {
    const rng = new Random(4);
    for (const c of convCases(rng, 24, false)) {
      const x = draw(rng, c.x), f = draw(rng, c.f);
      const label = JSON.stringify(c);
      await agree(`conv2d grads ${label}`, () => {
        const loss = (xs: tf.Tensor, fs: tf.Tensor) => {
          const y = tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, c.strides, c.pad);
          return y.mul(y.add(0.5)).sum(); // a non-constant upstream gradient
        };
        return tf.grads(loss)([x(), f()]);
      });
      const bias = draw(rng, [c.f[3]]);
      await agree(`fused conv2d grads ${label}`, () => {
        const loss = (xs: tf.Tensor, fs: tf.Tensor, bs: tf.Tensor) =>
          tf.fused.conv2d({
            x: xs as tf.Tensor4D,
            filter: fs as tf.Tensor4D,
            strides: c.strides,
            pad: c.pad,
            bias: bs,
            activation: "relu",
          }).square().sum();
        return tf.grads(loss)([x(), f(), bias()]);
      });
    }
  },
});

Deno.test({
  name: "blas conv2d dx stays right when the filter changes (flipped filters are kept per tensor)",
  ignore,
  fn: async () => {
    const rng = new Random(12);
    const xv = rng.uniformArray(2 * 7 * 6 * 4, -1, 1);
    const fv = [0, 1, 2].map(() => rng.uniformArray(3 * 3 * 4 * 5, -1, 1));
    const expected = await on(
      "cpu",
      () =>
        fv.map((v) =>
          tf.grad((xs: tf.Tensor) =>
            tf.conv2d(xs as tf.Tensor4D, tf.tensor4d(v, [3, 3, 4, 5]), 1, "same").square().sum()
          )(tf.tensor4d(xv, [2, 7, 6, 4]))
        ),
    );
    await tf.setBackend("blas");
    const x = tf.tensor4d(xv, [2, 7, 6, 4]);
    const w = tf.variable(tf.tensor4d(fv[0], [3, 3, 4, 5]));
    const dx = tf.grad((xs: tf.Tensor) =>
      tf.conv2d(xs as tf.Tensor4D, w, 1, "same").square().sum()
    );
    for (let i = 0; i < 3; i++) {
      w.assign(tf.tensor4d(fv[i], [3, 3, 4, 5]));
      for (let repeat = 0; repeat < 2; repeat++) {
        const g = dx(x);
        const error = relativeError(g.dataSync() as Float32Array, expected[i]);
        assert.ok(error <= TOLERANCE, `filter ${i}, repeat ${repeat}: relative error ${error}`);
        g.dispose();
      }
    }
    tf.dispose([x, w]);
  },
});

Deno.test({
  name: "blas matMul gradients (tf.grads) agree with cpu",
  ignore,
  fn: async () => {
    const rng = new Random(5);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = draw(rng, ta ? [2, 6, 5] : [2, 5, 6]), b = draw(rng, tb ? [2, 4, 6] : [2, 6, 4]);
      await agree(
        `matMul grads ta=${ta} tb=${tb}`,
        () =>
          tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).square().sum())([
            a(),
            b(),
          ]),
      );
    }
    const a = draw(rng, [7, 5]), b = draw(rng, [5, 3]), bias = draw(rng, [3]);
    await agree(
      "fused matMul grads",
      () =>
        tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
          tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation: "relu" })
            .square().sum()
        )([a(), b(), bias()]),
    );
  },
});

Deno.test({
  name: "blas: 1000 training steps leak no tensors and no backend data",
  ignore,
  fn: async () => {
    await tf.setBackend("blas");
    const rng = new Random(6);
    const w = tf.variable(tensor(rng, [3, 3, 2, 4]).mul(0.1));
    const v = tf.variable(tensor(rng, [4 * 4 * 4, 3]).mul(0.1));
    const x = tensor(rng, [2, 8, 8, 2]);
    const target = tensor(rng, [2, 3]);
    const optimizer = tf.train.sgd(0.01);
    const step = () =>
      optimizer.minimize(() => {
        const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same"));
        const y = tf.matMul(h.reshape([2, -1]), v);
        return tf.losses.meanSquaredError(target, y) as tf.Scalar;
      }, false);
    step();
    const tensorsBefore = tf.memory().numTensors;
    const dataBefore = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 1000; i++) step();
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.equal((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), dataBefore);
    tf.dispose([w, v, x, target]);
    optimizer.dispose();
  },
});

Deno.test({
  name: "blas maxPool, its gradient, relu and step agree with cpu (ties included)",
  ignore,
  fn: async () => {
    const rng = new Random(7);
    const pads = ["same", "valid", 1] as const;
    for (let trial = 0; trial < 18; trial++) {
      const shape = [1 + rng.int(2), 3 + rng.int(8), 3 + rng.int(8), 1 + rng.int(5)];
      const size = shape.reduce((p, d) => p * d, 1);
      // Values on a coarse grid, half of them clipped to 0 by a ReLU: many ties.
      const values = Float32Array.from(rng.uniformArray(size, -1, 1), (v) => Math.round(v * 4) / 4);
      const x = fixed(values, shape);
      const filter: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
      const strides: [number, number] = [1 + rng.int(2), 1 + rng.int(2)];
      const pad = pads[trial % 3];
      const label = `maxPool ${shape} filter ${filter} strides ${strides} pad ${pad}`;
      const pool = (xs: tf.Tensor) =>
        tf.maxPool(
          tf.relu(xs) as tf.Tensor4D,
          filter,
          strides,
          pad,
          pad === 1 ? "floor" : undefined,
        );
      await agree(label, () => pool(x()));
      await agree(`${label} grad`, () =>
        tf.grad((xs: tf.Tensor) => {
          const y = pool(xs); // weighted, so that a misplaced gradient shows
          return y.mul(tf.linspace(0.5, 1.5, y.size).reshape(y.shape)).sum();
        })(x()));
    }
    const x = draw(rng, [3, 5, 7]);
    await agree("relu, step", () => [tf.relu(x()), tf.step(x(), 0.25), tf.step(x().div(0))]);
  },
});

Deno.test({
  name: "blas buffer reuse: outputs are recycled, but never arrays read, shared or given by users",
  ignore,
  fn: async () => {
    await tf.setBackend("blas");
    const pool = (tf.backend() as unknown as { pool: { hits: number } }).pool;
    const rng = new Random(10);
    const n = 96; // 9216 floats: above the pool's minimum size
    const x = tensor(rng, [n, n]), y = tensor(rng, [n, n]);
    const churn = () => {
      for (let i = 0; i < 4; i++) tf.dispose([tf.matMul(y, x), tf.relu(y), tf.add(x, y)]);
    };
    // Data read by user code keeps its values after its tensor is disposed.
    const a = tf.matMul(x, y);
    const read = a.dataSync();
    const copy = Float32Array.from(read);
    a.dispose();
    const hitsBefore = pool.hits;
    churn();
    assert.ok(pool.hits > hitsBefore, "disposed outputs are reused");
    assert.deepEqual(read, copy);
    // A slice shares its input's buffer in the cpu kernels: it survives the input's disposal.
    const expected = tf.tidy(() => tf.matMul(x, y).slice([3, 0], [40, n]).dataSync());
    const b = tf.matMul(x, y);
    const view = b.slice([3, 0], [40, n]);
    b.dispose();
    churn();
    assert.deepEqual(view.dataSync(), expected);
    view.dispose();
    // Arrays given to tf.tensor are never recycled.
    const mine = rng.uniformArray(n * n, -1, 1), mineCopy = Float32Array.from(mine);
    const t = tf.tensor(mine, [n, n]);
    tf.dispose([t, tf.relu(t)]);
    churn();
    assert.deepEqual(mine, mineCopy);
    tf.dispose([x, y]);
  },
});

Deno.test({
  name: "blas avgPool and its gradient agree with cpu: strides, paddings, rounding",
  ignore,
  fn: async () => {
    const rng = new Random(9);
    const pads = ["same", "valid", 1, 0] as const;
    for (let trial = 0; trial < 20; trial++) {
      const shape = [1 + rng.int(2), 3 + rng.int(9), 3 + rng.int(9), 1 + rng.int(6)];
      const x = draw(rng, shape);
      const filter: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
      const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
      const pad = pads[trial % 4];
      const rounding = typeof pad === "number" ? (trial % 3 ? "floor" : "ceil") : undefined;
      const label = `avgPool ${shape} filter ${filter} strides ${strides} pad ${pad} ${rounding}`;
      const pool = (xs: tf.Tensor) => tf.avgPool(xs as tf.Tensor4D, filter, strides, pad, rounding);
      await agree(label, () => pool(x()));
      await agree(`${label} grad`, () =>
        tf.grad((xs: tf.Tensor) => {
          const y = pool(xs);
          return y.mul(tf.linspace(0.5, 1.5, y.size).reshape(y.shape)).sum();
        })(x()));
    }
    // VGG's 2×2 stride-2 pooling on an even and an odd image.
    for (const shape of [[1, 16, 16, 8], [2, 9, 7, 3]]) {
      const x = draw(rng, shape);
      await agree(
        `avgPool 2×2 ${shape}`,
        () =>
          tf.grad((xs: tf.Tensor) => tf.avgPool(xs as tf.Tensor4D, 2, 2, "valid").square().sum())(
            x(),
          ),
      );
    }
  },
});

Deno.test({
  name: "blas sum agrees with cpu: leading, trailing, middle and scattered axes, keepDims",
  ignore,
  fn: async () => {
    const rng = new Random(11);
    const cases: [number[], number | number[] | null][] = [
      [[100, 100], 0],
      [[100, 10], 1],
      [[100, 10], -1],
      [[7], 0],
      [[3, 4, 5], [0, 1]],
      [[3, 4, 5], [1, 2]],
      [[3, 4, 5], 1],
      [[3, 4, 5], [0, 2]], // two blocks: the cpu kernel
      [[2, 1, 4, 1, 3], [1, 2]],
      [[2, 3, 4], null],
      [[2, 3, 4], []],
      [[0, 3], 0],
      [[], null],
    ];
    for (let trial = 0; trial < 16; trial++) {
      const rank = 1 + rng.int(4);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(5));
      const axes = shape.map((_, i) => i).filter(() => rng.int(2) === 0);
      cases.push([shape, axes]);
    }
    for (const [shape, axis] of cases) {
      const x = draw(rng, shape);
      await agree(`sum ${shape} axis ${axis}`, () => [
        tf.sum(x(), axis ?? undefined),
        tf.sum(x(), axis ?? undefined, true),
      ]);
    }
    await agree(
      "int32 sum",
      () => tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], "int32"), 0).toFloat(),
    );
  },
});

Deno.test({
  name: "blas mean gives the cpu kernel's bits: leading, trailing, middle axes, keepDims",
  ignore,
  fn: async () => {
    const rng = new Random(12);
    const cases: [number[], number | number[] | null][] = [
      [[100, 5000], 1], // ρ̂ of an autoencoder's hidden layer
      [[100, 10], 0],
      [[3, 4, 5], [1, 2]],
      [[3, 4, 5], 1],
      [[3, 4, 5], [0, 2]], // two blocks: the cpu kernel
      [[2, 3, 4], null],
      [[7], 0],
    ];
    for (const [shape, axis] of cases) {
      const x = draw(rng, shape);
      await sameBits(`mean ${shape} axis ${axis}`, () => [
        tf.mean(x(), axis ?? undefined),
        tf.mean(x(), axis ?? undefined, true),
      ]);
    }
  },
});

/** Values with planted NaN, ±0, ±∞ and repeated values (ties for max and equal). */
function special(rng: Random, shape: number[]): () => tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = rng.uniformArray(size, -1, 1).map((v) => Math.round(v * 4) / 4); // ties
  const planted = [NaN, 0, -0, Infinity, -Infinity];
  if (size > 10) planted.forEach((v, k) => values[Math.floor(((k + 1) * size) / 6)] = v);
  return fixed(values, shape);
}

Deno.test({
  name: "blas maximum, greaterEqual, equal, step and max give the cpu kernels' bits and dtypes",
  ignore,
  fn: async () => {
    const rng = new Random(13);
    const pairs: [number[], number[]][] = [
      [[100, 100], []], // ReLU as tf.maximum(u, 0), and its gradient's u ≥ 0
      [[10, 100], [1, 100]], // the softmax maximum's gradient: x = max x
      [[2, 3, 4], [3, 1]],
      [[4, 5], [4, 5]],
      [[], [6]],
    ];
    for (const [sa, sb] of pairs) {
      const a = special(rng, sa), b = special(rng, sb);
      await sameBits(`maximum/greaterEqual/equal ${sa} ∘ ${sb}`, () => [
        tf.maximum(a(), b()),
        tf.greaterEqual(a(), b()),
        tf.equal(a(), b()),
        tf.maximum(b(), a()),
        tf.step(a()), // the ReLU gradient's mask, NaN kept
        tf.step(a(), 0.1),
      ]);
    }
    for (
      const [shape, axis] of [[[10, 100], 0], [[10, 100], 1], [[3, 4, 5], [0, 1]], [
        [7],
        0,
      ]] as const
    ) {
      const x = special(rng, [...shape]);
      await sameBits(`max ${shape} axis ${axis}`, () => [
        tf.max(x(), axis as number | number[]),
        tf.max(x(), axis as number | number[], true),
      ]);
    }
    // A float32 tensor cast from bool shares the Uint8Array: a mask times a gradient.
    const mask = special(rng, [50, 20]), dy = draw(rng, [50, 20]);
    await sameBits(
      "mul by a cast bool mask",
      () => tf.mul(dy(), tf.cast(tf.greaterEqual(mask(), 0), "float32")),
    );
    await sameBits(
      "add to a cast int32",
      () => tf.add(tf.cast(tf.tensor([1, 2, 16777217], [3], "int32"), "float32"), 0.5),
    );
  },
});

Deno.test({
  name: "blas transpose gives the cpu kernel's values: 2-D tiles, merged axes, any rank",
  ignore,
  fn: async () => {
    const rng = new Random(14);
    const cases: [number[], number[]][] = [
      [[784, 64], [1, 0]], // a batch of MNIST columns → rows (chapter 6)
      [[33, 65], [1, 0]], // tiles with remainders
      [[2, 3, 4, 5], [0, 2, 3, 1]], // NHWC ↔ NCHW
      [[2, 3, 4, 5], [0, 3, 1, 2]],
      [[2, 3, 4], [0, 1, 2]], // identity: a copy
      [[1, 5, 1, 3], [3, 2, 1, 0]], // sizes of 1
      [[4, 1, 3], [2, 0, 1]],
      [[], []],
    ];
    for (let trial = 0; trial < 20; trial++) {
      const rank = 1 + rng.int(5);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(5));
      cases.push([shape, Array.from(rng.permutation(rank))]);
    }
    for (const [shape, perm] of cases) {
      const x = special(rng, shape);
      await sameBits(`transpose ${shape} by ${perm}`, () => tf.transpose(x(), perm));
    }
  },
});

Deno.test({
  name: "blas add, sub, mul, div agree with cpu on random broadcasts",
  ignore,
  fn: async () => {
    const rng = new Random(8);
    const shapes: [number[], number[]][] = [
      [[2, 3, 4], [2, 3, 4]],
      [[2, 3, 4], []],
      [[], [2, 3, 4]],
      [[2, 3, 4], [1, 1, 1]],
      [[1, 1], [2, 3, 4]],
      [[2, 3, 4], [4]],
      [[4], [2, 3, 4]],
      [[2, 3, 4], [1, 4]],
      [[2, 3, 4], [3, 1]],
      [[100, 10], [100, 1]], // softmax's x − max
      [[3], [1, 1, 3]], // the result gains axes
      [[2, 1, 4], [3, 1]],
      [[], []],
    ];
    // Random broadcasts up to rank 5: each axis of each operand kept, set to 1 or dropped.
    for (let trial = 0; trial < 30; trial++) {
      const rank = 1 + rng.int(5);
      const full = Array.from({ length: rank }, () => 1 + rng.int(4));
      const pick = () => full.map((d) => (rng.int(3) === 0 ? 1 : d)).slice(rng.int(rank));
      shapes.push([pick(), pick()]);
    }
    for (const [sa, sb] of shapes) {
      const a = draw(rng, sa), b = draw(rng, sb);
      await agree(`add/sub/mul/div ${sa} ∘ ${sb}`, () => {
        const outs = [tf.add(a(), b()), tf.sub(a(), b()), tf.mul(a(), b()), tf.div(a(), b())];
        outs.forEach((o) => assert.deepEqual(o.shape, tf.broadcastTo(tf.zeros(sa), o.shape).shape));
        return outs;
      });
    }
    await agree("int32 add", () => tf.add(tf.tensor([1, 2, 3], [3], "int32"), 2).toFloat());
    await agree("int32 div", () => tf.div(tf.tensor([1, 2, 7], [3], "int32"), 2).toFloat());
    await agree("div by zero", () => tf.div(tf.tensor([1, 0, -1]), tf.zeros([3])));
  },
});

Deno.test({
  name: "blas neg, exp, log, sigmoid, tanh, square, sqrt, abs agree with cpu, special values too",
  ignore,
  fn: async () => {
    const rng = new Random(12);
    const special = Float32Array.of(
      0,
      -0,
      1,
      -1,
      1e-30,
      88,
      -88,
      100,
      -100,
      Infinity,
      -Infinity,
      NaN,
    );
    const random = draw(rng, [3, 5, 7]);
    const inputs: [string, () => tf.Tensor][] = [
      ["random 3×5×7", () => random().mul(6)],
      ["special values", fixed(special, [special.length])],
      ["empty", () => tf.zeros([0, 3])],
    ];
    for (const [label, x] of inputs) {
      await agree(label, () => [
        tf.neg(x()),
        tf.exp(x()),
        tf.log(x()),
        tf.sigmoid(x()),
        tf.tanh(x()),
        tf.square(x()),
        tf.sqrt(x()),
        tf.abs(x()),
      ]);
    }
    await agree("int32 neg, abs", () => [
      tf.neg(tf.tensor([1, -2, 3], [3], "int32")).toFloat(),
      tf.abs(tf.tensor([1, -2, 3], [3], "int32")).toFloat(),
    ]);
  },
});

Deno.test({
  name:
    "blas ReLU, fused conv + ReLU and ReLU gradient keep the cpu kernels' values at ±0, ±∞ and NaN",
  ignore,
  fn: async () => {
    const special = [-Infinity, -2, -0, 0, 1e-30, 3, Infinity, NaN];
    const expected = ["0", "0", "0", "0", "1e-30", "3", "Infinity", "NaN"];
    const asText = (a: Float32Array) => Array.from(a).map(String);
    for (const backend of ["cpu", "blas"]) {
      const [relu] = await on(backend, () => tf.relu(tf.tensor1d(special)));
      assert.deepEqual(
        asText(relu),
        expected.map((s) => s === "1e-30" ? String(Math.fround(1e-30)) : s),
        backend,
      );
      // A 1×1 convolution with weight 1 and bias 0 passes the values to the fused ReLU.
      const [fused] = await on(backend, () =>
        tf.fused.conv2d({
          x: tf.tensor4d(special, [1, 1, special.length, 1]),
          filter: tf.ones([1, 1, 1, 1]) as tf.Tensor4D,
          strides: 1,
          pad: "valid",
          bias: tf.zeros([1]),
          activation: "relu",
        }));
      // oneDNN's convolution may turn ±∞·1 + 0 into NaN only for NaN inputs; compare with ReLU.
      assert.deepEqual(asText(fused), asText(relu), `${backend}: fused`);
    }
    // ReLU's gradient: dy where y > 0, 0 elsewhere, NaN where y is NaN.
    for (const backend of ["cpu", "blas"]) {
      const [grad] = await on(
        backend,
        () =>
          tf.grad((x: tf.Tensor) => tf.relu(x))(
            tf.tensor1d(special),
            tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]),
          ),
      );
      assert.deepEqual(asText(grad).slice(0, 7), ["0", "0", "0", "0", "5", "6", "7"], backend);
    }
  },
});
