/**
 * The elementwise kernels of a training step as plain loops over Float32Arrays: `Relu`, `Step`
 * (which tfjs's ReLU gradient multiplies by), the unary functions of the course's activations and
 * losses (`Neg`, `Exp`, `Log`, `Sigmoid`, `Tanh`, `Square`, `Sqrt`, `Abs`), and `Add`, `Sub`,
 * `Multiply`, `RealDiv`, `Maximum`, `GreaterEqual`, `Equal` with any broadcasting (operands cast
 * from `bool` or `int32` included: a cast shares the original's array). The cpu backend's unary kernels took 125–220 ms
 * for 7.8M values (`Neg` 150 ms, where a loop takes 10), and its broadcasting path converts
 * every index to coordinates and took 120 ms to multiply a 1M-element tensor by a scalar (the
 * gradient of `sum`); here the shapes are reduced to runs along the last axis, with one loop per
 * operation (a shared loop calling the operation as a function was 10× slower: 4 ms for an SGD
 * update of a 784×100 matrix).
 * Non-float32 operands go to the cpu kernels.
 *
 * @module
 */
import { backend_util, type KernelConfig, type TensorInfo } from "@tensorflow/tfjs-core";
import {
  asKernelFunc,
  floatValues,
  type KernelArgs,
  numericValues,
  output,
  runCpu,
} from "./kernel_util.ts";
import { KERNEL_NAMES } from "../kernel_names.ts";
import { expInto, logisticInto } from "./fast_exp.ts";

function relu({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const xv = floatValues(backend, inputs.x);
  if (!xv) return runCpu("Relu", inputs, backend, attrs);
  const out = backend.pool.take(xv.length);
  for (let i = 0; i < xv.length; i++) {
    // x where positive, +0 elsewhere, without a branch (a branch on the sign of random data is
    // mispredicted half the time: 5× slower); NaN stays NaN and −∞ gives 0, on the rare path.
    const x = xv[i];
    const y = x * +(x > 0) + 0;
    out[i] = y === y ? y : x === -Infinity ? 0 : x;
  }
  return output(backend, [...inputs.x.shape], out);
}

function step({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const xv = floatValues(backend, inputs.x);
  if (!xv) return runCpu("Step", inputs, backend, attrs);
  const alpha = (attrs?.alpha as number | undefined) ?? 0;
  const out = backend.pool.take(xv.length);
  if (alpha === 0) {
    // ReLU's gradient mask: [v > 0] without a branch on the sign (see relu; 4 ms → 1 for a
    // [64, 28, 28, 16] layer), NaN on the rare path.
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i];
      out[i] = +(v > 0);
      if (v !== v) out[i] = NaN;
    }
  } else {
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i];
      out[i] = v > 0 ? 1 : Number.isNaN(v) ? NaN : alpha;
    }
  }
  return output(backend, [...inputs.x.shape], out);
}

/**
 * The unary functions, by kernel name: each its own loop (one shared loop calling a function per
 * value would not be inlined). Same formulas as the cpu kernels, so results agree to rounding.
 */
const UNARY: Record<string, (x: Float32Array, out: Float32Array) => void> = {
  Neg: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = -x[i];
  },
  Exp: expInto, // Math.exp, bit for bit (fast_exp.ts)
  Log: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]);
  },
  Sigmoid: logisticInto, // 1 / (1 + Math.exp(−x)), bit for bit
  Tanh: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
  },
  Square: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * x[i];
  },
  Sqrt: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]);
  },
  Abs: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
  },
};

function unary(name: string): (args: KernelArgs) => TensorInfo {
  const loop = UNARY[name];
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const xv = floatValues(backend, inputs.x);
    if (!xv) return runCpu(name, inputs, backend, attrs);
    const out = backend.pool.take(xv.length);
    loop(xv, out);
    return output(backend, [...inputs.x.shape], out);
  };
}

/**
 * `CourseReluBackprop` (see `lib/nn/conv.ts`): dy · step(y) — dy where the ReLU's output y is
 * positive, else 0 (NaN where y is NaN, or where dy is not finite) — in one pass instead of
 * `step` and `mul`.
 */
function reluBackprop({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const dyv = floatValues(backend, inputs.dy), yv = floatValues(backend, inputs.y);
  if (!dyv || !yv || dyv.length !== yv.length) {
    const step = runCpu("Step", { x: inputs.y }, backend, { alpha: 0 });
    const out = runCpu("Multiply", { a: inputs.dy, b: step }, backend, attrs);
    backend.disposeIntermediateTensorInfo(step);
    return out;
  }
  const out = backend.pool.take(dyv.length);
  reluBackpropInto(dyv, yv, out);
  return output(backend, [...inputs.dy.shape], out);
}

/** out = dy ⊙ [y > 0] elementwise (NaN where y is NaN), the ReLU-gradient kernel's loop. */
export function reluBackpropInto(dy: Float32Array, y: Float32Array, out: Float32Array): void {
  for (let i = 0; i < dy.length; i++) {
    // dy · step(y) without a branch on y's sign (see relu); NaN where y is NaN.
    const yi = y[i];
    out[i] = dy[i] * +(yi > 0);
    if (yi !== yi) out[i] = NaN;
  }
}

/**
 * The binary operations, by kernel name: arithmetic, `Maximum` (the `Math.max` of the cpu
 * kernel, which ReLU as `tf.maximum(u, 0)` runs) and the comparisons that its gradient and the
 * softmax's maximum take (1 or 0, stored as the cpu kernels' `bool` tensors).
 */
const OPS = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  GreaterEqual: 5,
  Equal: 6,
} as const;

/** The operations whose result is a `bool` tensor. */
const COMPARISONS: ReadonlySet<number> = new Set([OPS.GreaterEqual, OPS.Equal]);

type Op = typeof OPS[keyof typeof OPS];

/**
 * out[o + i] = a[ai + i·sa] ∘ b[bi + i·sb] for i < n, where each stride is 0 (a repeated value)
 * or 1 (a run).
 */
function run(
  op: Op,
  a: Float32Array,
  ai: number,
  sa: number,
  b: Float32Array,
  bi: number,
  sb: number,
  out: Float32Array,
  o: number,
  n: number,
): void {
  if (sa && sb) {
    switch (op) {
      case 0:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] + b[bi + i];
        return;
      case 1:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] - b[bi + i];
        return;
      case 2:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] * b[bi + i];
        return;
      case 3:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] / b[bi + i];
        return;
      case 4:
        for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ai + i], b[bi + i]);
        return;
      case 5:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] >= b[bi + i] ? 1 : 0;
        return;
      case 6:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] === b[bi + i] ? 1 : 0;
        return;
    }
  } else if (sa) {
    const v = b[bi];
    switch (op) {
      case 0:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] + v;
        return;
      case 1:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] - v;
        return;
      case 2:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] * v;
        return;
      case 3:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] / v;
        return;
      case 4:
        for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ai + i], v);
        return;
      case 5:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] >= v ? 1 : 0;
        return;
      case 6:
        for (let i = 0; i < n; i++) out[o + i] = a[ai + i] === v ? 1 : 0;
        return;
    }
  } else {
    const v = a[ai];
    const step = sb ? 1 : 0;
    switch (op) {
      case 0:
        for (let i = 0; i < n; i++) out[o + i] = v + b[bi + i * step];
        return;
      case 1:
        for (let i = 0; i < n; i++) out[o + i] = v - b[bi + i * step];
        return;
      case 2:
        for (let i = 0; i < n; i++) out[o + i] = v * b[bi + i * step];
        return;
      case 3:
        for (let i = 0; i < n; i++) out[o + i] = v / b[bi + i * step];
        return;
      case 4:
        for (let i = 0; i < n; i++) out[o + i] = Math.max(v, b[bi + i * step]);
        return;
      case 5:
        for (let i = 0; i < n; i++) out[o + i] = v >= b[bi + i * step] ? 1 : 0;
        return;
      case 6:
        for (let i = 0; i < n; i++) out[o + i] = v === b[bi + i * step] ? 1 : 0;
        return;
    }
  }
}

/**
 * The output axes after dropping 1s and merging neighbours that both operands treat alike
 * (both full, or one of them repeated over both): sizes and each operand's element strides
 * (0 along axes where it repeats).
 */
export function broadcastRuns(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
): { dims: number[]; stridesA: number[]; stridesB: number[] } {
  const rank = outShape.length;
  const dims: number[] = [], fullA: boolean[] = [], fullB: boolean[] = [];
  for (let i = 0; i < rank; i++) {
    const d = outShape[i];
    if (d === 1) continue;
    const da = aShape[aShape.length - rank + i] ?? 1, db = bShape[bShape.length - rank + i] ?? 1;
    const fa = da !== 1, fb = db !== 1;
    const last = dims.length - 1;
    if (last >= 0 && fullA[last] === fa && fullB[last] === fb) dims[last] *= d;
    else {
      dims.push(d);
      fullA.push(fa);
      fullB.push(fb);
    }
  }
  const stridesA = new Array<number>(dims.length), stridesB = new Array<number>(dims.length);
  let sa = 1, sb = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    stridesA[i] = fullA[i] ? sa : 0;
    stridesB[i] = fullB[i] ? sb : 0;
    if (fullA[i]) sa *= dims[i];
    if (fullB[i]) sb *= dims[i];
  }
  return { dims, stridesA, stridesB };
}

/** out = a ∘ b with numpy broadcasting; `out` has the broadcast shape's size. */
export function broadcastBinary(
  op: Op,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  outShape: readonly number[],
  out: Float32Array,
): void {
  const { dims, stridesA, stridesB } = broadcastRuns(aShape, bShape, outShape);
  if (dims.length === 0) {
    if (out.length) run(op, a, 0, 1, b, 0, 1, out, 0, 1);
    return;
  }
  const last = dims.length - 1, n = dims[last];
  const sa = stridesA[last], sb = stridesB[last];
  const index = new Array<number>(last).fill(0);
  let ai = 0, bi = 0;
  for (let o = 0; o < out.length; o += n) {
    run(op, a, ai, sa, b, bi, sb, out, o, n);
    // Advance the odometer over the outer axes.
    for (let axis = last - 1; axis >= 0; axis--) {
      ai += stridesA[axis];
      bi += stridesB[axis];
      if (++index[axis] < dims[axis]) break;
      ai -= stridesA[axis] * dims[axis];
      bi -= stridesB[axis] * dims[axis];
      index[axis] = 0;
    }
  }
}

/**
 * The values of a float32 operand as a Float32Array: its own array, or a copy where the tensor
 * shares another array (a cast from `bool` or `int32` keeps the Uint8Array or Int32Array) and
 * every value is exactly a float32 (so the cpu kernel, computing on the integers, would get the
 * same results); else undefined.
 */
function floatOperand(backend: KernelArgs["backend"], t: TensorInfo): Float32Array | undefined {
  const values = floatValues(backend, t);
  if (values) return values;
  const numbers = numericValues(backend, t);
  if (!numbers) return undefined;
  const copy = Float32Array.from(numbers);
  for (let i = 0; i < copy.length; i++) if (copy[i] !== numbers[i]) return undefined;
  return copy;
}

function binary(name: keyof typeof OPS): (args: KernelArgs) => TensorInfo {
  const op = OPS[name];
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { a, b } = inputs;
    const av = floatOperand(backend, a), bv = floatOperand(backend, b);
    if (!av || !bv) return runCpu(name, inputs, backend, attrs);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.pool.take(outShape.reduce((p, d) => p * d, 1));
    broadcastBinary(op, av, a.shape, bv, b.shape, outShape, out);
    if (!COMPARISONS.has(op)) return output(backend, outShape, out);
    const truth = Uint8Array.from(out); // the cpu kernels' bool tensors hold a Uint8Array
    backend.pool.release(out);
    return backend.makeTensorInfo(outShape, "bool", truth);
  };
}

/** Elementwise kernels of the `blas` backend. */
export const BLAS_ELEMENTWISE_KERNELS: readonly KernelConfig[] = [
  { kernelName: "Relu", backendName: "blas", kernelFunc: asKernelFunc(relu) },
  { kernelName: "Step", backendName: "blas", kernelFunc: asKernelFunc(step) },
  {
    kernelName: KERNEL_NAMES.reluBackprop,
    backendName: "blas",
    kernelFunc: asKernelFunc(reluBackprop),
  },
  ...Object.keys(UNARY).map((name) => ({
    kernelName: name,
    backendName: "blas",
    kernelFunc: asKernelFunc(unary(name)),
  })),
  ...(Object.keys(OPS) as (keyof typeof OPS)[]).map((name) => ({
    kernelName: name,
    backendName: "blas",
    kernelFunc: asKernelFunc(binary(name)),
  })),
];
