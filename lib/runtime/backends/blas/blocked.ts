/**
 * The `blas` backend's kernels for activations kept in channel blocks across a frozen network
 * (the "chain" layout of `dnnl_conv.ts`; names in `../kernel_names.ts`, layers in
 * `lib/nn/blocked.ts`). A blocked activation is an ordinary float32 tensor [N, ⌈C/b⌉, H, W, b]:
 * channel c of pixel (n, h, w) sits at [n, ⌊c/b⌋, h, w, c mod b], and the padding channels
 * (c ≥ C) are zero. With oneDNN, the convolutions run its blocked primitives on these arrays
 * as they are, adding the bias and applying ReLU in the primitive's post-ops as each value is
 * stored (bit for bit the loop's float32 sum and ReLU; used only where the input, the filter
 * and the bias hold no NaN or ±∞, since oneDNN's ReLU turns NaN into 0 where the loop keeps it),
 * and the conversions are oneDNN reorders; cases oneDNN does not take (tiny arrays, no oneDNN)
 * run the NHWC im2col + sgemm path between conversion loops written here.
 *
 * @module
 */
import type { DataId, KernelConfig, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import { KERNEL_NAMES } from "../kernel_names.ts";
import { convInfo, dnnlGeometryOf, geometryOf } from "./conv.ts";
import { convBackpropInput, convForward } from "./conv_math.ts";
import {
  type ChainSide,
  dnnlChainedConvBackpropInput,
  dnnlChainedConvForward,
  dnnlPostOps,
  dnnlReluBackprop,
  dnnlReorderActivation,
} from "./dnnl_conv.ts";
import { reluBackpropInto } from "./elementwise.ts";
import {
  asKernelFunc,
  type BlasHost,
  floatValues,
  type KernelArgs,
  output,
} from "./kernel_util.ts";

/** The sizes of a blocked activation: batch, channels, height, width and the block. */
interface BlockedShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  block: number;
}

/** The [N, ⌈C/b⌉, H, W, b] shape of a blocked activation. */
function tensorShape(s: BlockedShape): number[] {
  return [s.batch, Math.ceil(s.channels / s.block), s.height, s.width, s.block];
}

/** NHWC → channel blocks, padding channels zero (the loop used where oneDNN is not). */
export function nhwcToBlocked(x: Float32Array, s: BlockedShape, out: Float32Array): void {
  const { batch, channels: C, height, width, block: b } = s;
  const pixels = height * width, groups = Math.ceil(C / b);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const base = (n * groups + g) * pixels * b;
      for (let p = 0; p < pixels; p++) {
        const from = (n * pixels + p) * C + g * b;
        for (let j = 0; j < b; j++) {
          out[base + p * b + j] = g * b + j < C ? x[from + j] : 0;
        }
      }
    }
  }
}

/** Channel blocks → NHWC (the loop used where oneDNN is not). */
export function blockedToNhwc(x: Float32Array, s: BlockedShape, out: Float32Array): void {
  const { batch, channels: C, height, width, block: b } = s;
  const pixels = height * width, groups = Math.ceil(C / b);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const base = (n * groups + g) * pixels * b;
      const width = Math.min(b, C - g * b);
      for (let p = 0; p < pixels; p++) {
        const to = (n * pixels + p) * C + g * b;
        for (let j = 0; j < width; j++) out[to + j] = x[base + p * b + j];
      }
    }
  }
}

/**
 * values = ReLU(values + bias) per channel, in place and in one pass, with the same float32
 * operations as the NHWC kernels' two (`addChannelBias`, then `activateInPlace`): the sum
 * rounded to float32, then ReLU (NaN stays, −∞ gives 0). Padding channels get a bias of 0.
 */
function addBiasReluBlocked(values: Float32Array, bias: Float32Array, s: BlockedShape): void {
  const { batch, channels: C, height, width, block: b } = s;
  const run = height * width * b, groups = Math.ceil(C / b);
  // Runs start at whole blocks, so position i of a run is channel i mod b of its block (a mask
  // where b is a power of two, as oneDNN's blocks are: no division in the loop).
  const mask = (b & (b - 1)) === 0 ? b - 1 : -1;
  const blockBias = new Float32Array(b);
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < b; j++) blockBias[j] = g * b + j < C ? bias[g * b + j] : 0;
    for (let n = 0; n < batch; n++) {
      const start = (n * groups + g) * run;
      for (let i = 0; i < run; i++) {
        const x = Math.fround(values[start + i] + blockBias[mask >= 0 ? i & mask : i % b]);
        const y = x * +(x > 0) + 0;
        values[start + i] = y === y ? y : x === -Infinity ? 0 : x;
      }
    }
  }
}

/** Whether every value is finite (no NaN, no ±∞). */
function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return false;
  }
  return true;
}

/**
 * Outputs of the fused convolution below: ReLU'd by oneDNN, so without NaN (±∞ only by
 * overflowing float32 from finite inputs), and taken as finite inputs by the next layer
 * without a scan.
 */
const fusedOutputs = new WeakSet<DataId>();

/** Filters and biases known finite or not, by tensor (a network's weights are used often). */
const finiteWeights = new WeakMap<DataId, boolean>();

function finiteTensor(t: TensorInfo, v: Float32Array): boolean {
  let known = finiteWeights.get(t.dataId);
  if (known === undefined) finiteWeights.set(t.dataId, known = allFinite(v));
  return known;
}

/** Convert an activation between NHWC and blocks: oneDNN's reorder, else the loops above. */
function convert(
  backend: BlasHost,
  x: Float32Array,
  s: BlockedShape,
  from: ChainSide,
  to: ChainSide,
): Float32Array {
  const { batch, channels, height, width, block } = s;
  const take = (n: number) => backend.pool.take(n);
  const fast = backend.dnnl &&
    dnnlReorderActivation(
      backend.dnnl,
      x,
      [batch, channels, height, width],
      from,
      to,
      block,
      take,
    );
  if (fast) return fast;
  if (from === to) return x;
  if (to === "blocked") {
    const out = take(sizeOfBlocked(s));
    nhwcToBlocked(x, s, out);
    return out;
  }
  const out = take(batch * height * width * channels);
  blockedToNhwc(x, s, out);
  return out;
}

function sizeOfBlocked(s: BlockedShape): number {
  return s.batch * Math.ceil(s.channels / s.block) * s.block * s.height * s.width;
}

function values(backend: BlasHost, t: TensorInfo, what: string): Float32Array {
  const v = floatValues(backend, t);
  if (!v) throw new Error(`${what}: expected float32 data, got ${t.dtype} [${t.shape}]`);
  return v;
}

function positiveBlock(value: unknown, what: string): number {
  if (!(Number.isInteger(value) && (value as number) >= 1)) {
    throw new Error(`${what}: block must be a positive integer, not ${value}`);
  }
  return value as number;
}

function toChannelBlocks({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const what = KERNEL_NAMES.toChannelBlocks;
  const { x } = inputs;
  if (x.shape.length !== 4) throw new Error(`${what}: x must be [N, H, W, C], got [${x.shape}]`);
  const [batch, height, width, channels] = x.shape;
  const s = { batch, height, width, channels, block: positiveBlock(attrs?.block, what) };
  const out = convert(backend, values(backend, x, what), s, "nhwc", "blocked");
  return output(backend, tensorShape(s), out);
}

function fromChannelBlocks({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const what = KERNEL_NAMES.fromChannelBlocks;
  const { x } = inputs;
  const channels = attrs?.channels as number;
  const s = blockedShapeOf(x, channels, what);
  const out = convert(backend, values(backend, x, what), s, "blocked", "nhwc");
  return output(backend, [s.batch, s.height, s.width, s.channels], out);
}

/** The sizes of the blocked tensor `x` holding `channels` channels, checked. */
function blockedShapeOf(x: TensorInfo, channels: number, what: string): BlockedShape {
  const [batch, groups, height, width, block] = x.shape;
  if (
    x.shape.length !== 5 || !Number.isInteger(channels) || channels < 1 ||
    groups !== Math.ceil(channels / block)
  ) {
    throw new Error(
      `${what}: expected channel blocks [N, ⌈C/b⌉, H, W, b] of C = ${channels} channels, got ` +
        `[${x.shape}]`,
    );
  }
  return { batch, channels, height, width, block };
}

/** The convolution's NHWC bookkeeping from a blocked or NHWC input's shape. */
function geometry(xShape: number[], filterShape: number[], attrs: NamedAttrMap, what: string) {
  const nhwc = xShape.length === 5 ? [xShape[0], xShape[2], xShape[3], filterShape[2]] : xShape;
  const info = convInfo(nhwc, filterShape, {
    ...attrs,
    dataFormat: "NHWC",
    dilations: [1, 1],
  }, true);
  if (!info) throw new Error(`${what}: only NHWC convolutions`);
  return info;
}

function blockedConvBiasRelu({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const what = KERNEL_NAMES.blockedConvBiasRelu;
  const { x, filter, bias } = inputs;
  const block = positiveBlock(attrs?.block, what);
  const inBlocked = x.shape.length === 5;
  if (inBlocked) blockedShapeOf(x, filter.shape[2], what);
  if (inBlocked && x.shape[4] !== block) {
    throw new Error(`${what}: x has blocks of ${x.shape[4]}, the output is to have ${block}`);
  }
  const info = geometry(x.shape, filter.shape, attrs ?? {}, what);
  const xv = values(backend, x, what), wv = values(backend, filter, what);
  const bv = values(backend, bias, what);
  if (bv.length !== info.outChannels) {
    throw new Error(`${what}: bias has ${bv.length} values for ${info.outChannels} channels`);
  }
  const out: BlockedShape = {
    batch: info.batchSize,
    channels: info.outChannels,
    height: info.outHeight,
    width: info.outWidth,
    block,
  };
  const take = (n: number) => backend.pool.take(n);
  /** The oneDNN convolution, with the bias and ReLU as post-ops when `postOpsBias` is given. */
  const onednn = (postOpsBias?: Float32Array) =>
    backend.dnnl &&
    dnnlChainedConvForward(
      backend.dnnl,
      xv,
      inBlocked ? "blocked" : "nhwc",
      wv,
      dnnlGeometryOf(info),
      info.outChannels,
      block,
      take,
      filter.dataId,
      (id) => backend.data.has(id),
      postOpsBias,
    );
  // Bias and ReLU as oneDNN's post-ops, where nothing is NaN or infinite: its ReLU would turn a
  // NaN into 0, where the loop keeps it (so that a NaN image gives a NaN loss, not a quiet one).
  const fuse = backend.dnnl !== undefined && dnnlPostOps.biasRelu && finiteTensor(filter, wv) &&
    finiteTensor(bias, bv) && (fusedOutputs.has(x.dataId) || allFinite(xv));
  const fused = fuse && onednn(bv);
  if (fused) {
    const result = output(backend, tensorShape(out), fused);
    fusedOutputs.add(result.dataId);
    return result;
  }
  let y = onednn();
  if (!y) {
    const inShape: BlockedShape = {
      batch: info.batchSize,
      channels: info.inChannels,
      height: info.inHeight,
      width: info.inWidth,
      block,
    };
    const xNhwc = inBlocked ? convert(backend, xv, inShape, "blocked", "nhwc") : xv;
    const yNhwc = convForward(backend.blas, xNhwc, wv, geometryOf(info), info.outChannels, take);
    y = convert(backend, yNhwc, out, "nhwc", "blocked");
  }
  addBiasReluBlocked(y, bv, out);
  return output(backend, tensorShape(out), y);
}

/** A reusable buffer for dy ⊙ [y > 0] (kernels run one at a time). */
let maskedScratch = new Float32Array(0);

function blockedConvBiasReluBackprop({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const what = KERNEL_NAMES.blockedConvBiasReluBackprop;
  const { dy, y, filter } = inputs;
  const inputShape = attrs?.inputShape as number[];
  const inBlocked = attrs?.inputBlocked === true;
  const info = geometry(inputShape, filter.shape, attrs ?? {}, what);
  const outShape = blockedShapeOf(y, info.outChannels, what);
  if (dy.shape.join() !== y.shape.join()) {
    throw new Error(`${what}: dy [${dy.shape}] and y [${y.shape}] differ`);
  }
  const dyv = values(backend, dy, what), yv = values(backend, y, what);
  const wv = values(backend, filter, what);
  if (maskedScratch.length < dyv.length) maskedScratch = new Float32Array(dyv.length);
  const masked = maskedScratch.subarray(0, dyv.length);
  // y from the post-op ReLU holds no NaN: then oneDNN's ReLU gradient gives the loop's bits.
  const onednnMask = backend.dnnl !== undefined && dnnlPostOps.reluGradient &&
    fusedOutputs.has(y.dataId) && dnnlReluBackprop(backend.dnnl, dyv, yv, masked);
  if (!onednnMask) reluBackpropInto(dyv, yv, masked);
  const block = outShape.block;
  const take = (n: number) => backend.pool.take(n);
  const inShape: BlockedShape = {
    batch: info.batchSize,
    channels: info.inChannels,
    height: info.inHeight,
    width: info.inWidth,
    block,
  };
  let dx = backend.dnnl &&
    dnnlChainedConvBackpropInput(
      backend.dnnl,
      masked,
      wv,
      dnnlGeometryOf(info),
      info.outChannels,
      inBlocked ? "blocked" : "nhwc",
      block,
      take,
      filter.dataId,
      (id) => backend.data.has(id),
    );
  if (!dx) {
    const duNhwc = convert(backend, masked, outShape, "blocked", "nhwc");
    const dxNhwc = convBackpropInput(
      backend.blas,
      duNhwc,
      wv,
      geometryOf(info),
      info.outChannels,
      take,
    );
    dx = inBlocked ? convert(backend, dxNhwc, inShape, "nhwc", "blocked") : dxNhwc;
  }
  return output(backend, inBlocked ? tensorShape(inShape) : [...info.inShape], dx);
}

/** The channel-block kernels the `blas` backend registers. */
export const BLAS_BLOCKED_KERNELS: readonly KernelConfig[] = [
  [KERNEL_NAMES.toChannelBlocks, toChannelBlocks],
  [KERNEL_NAMES.fromChannelBlocks, fromChannelBlocks],
  [KERNEL_NAMES.blockedConvBiasRelu, blockedConvBiasRelu],
  [KERNEL_NAMES.blockedConvBiasReluBackprop, blockedConvBiasReluBackprop],
].map(([kernelName, f]) => ({
  kernelName: kernelName as string,
  backendName: "blas",
  kernelFunc: asKernelFunc(f as (args: KernelArgs) => TensorInfo),
}));
