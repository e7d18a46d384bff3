/**
 * Convolution kernels of the `blas` backend: `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput`
 * and `Conv2DBackpropFilter` for NHWC float32 tensors (other layouts go to the cpu kernels).
 * When the backend has oneDNN (`dnnl_conv.ts`), it computes them; cases it does not take use
 * im2col + sgemm.
 *
 * @module
 */
import {
  backend_util,
  type DataId,
  type KernelConfig,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { finishFused, fusedTail } from "./activation.ts";
import { convBackpropFilter, convBackpropInput, convForward, flipFilter } from "./conv_math.ts";
import { isPointwise, type PatchGeometry } from "./im2col.ts";
import {
  dnnlConvBackpropFilter,
  dnnlConvBackpropInput,
  dnnlConvForward,
  type DnnlGeometry,
} from "./dnnl_conv.ts";
import {
  asKernelFunc,
  type BlasHost,
  floatValues,
  type KernelArgs,
  output,
  runCpu,
} from "./kernel_util.ts";

type Conv2DInfo = backend_util.Conv2DInfo;
type Pad = "valid" | "same" | number | backend_util.ExplicitPadding;
type Pair = number | [number, number];
type Rounding = "floor" | "round" | "ceil" | undefined;

/** The shape bookkeeping of tfjs, or `undefined` for layouts the fast path does not handle. */
export function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
  withDilations: boolean,
): Conv2DInfo | undefined {
  const format = backend_util.convertConv2DDataFormat(attrs.dataFormat as "NHWC" | "NCHW");
  if (format !== "channelsLast") return undefined;
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as Pair,
    withDilations ? (attrs.dilations as Pair) : 1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    format,
  );
}

/** The patch geometry of a tfjs conv info. */
export function geometryOf(info: Conv2DInfo): PatchGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    channels: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilH: info.dilationHeight,
    dilW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** The geometry with the padding after the image, as oneDNN wants it. */
export function dnnlGeometryOf(info: Conv2DInfo): DnnlGeometry {
  return { ...geometryOf(info), padBottom: info.padInfo.bottom, padRight: info.padInfo.right };
}

function forward(
  { inputs, backend, attrs }: KernelArgs,
): { shape: number[]; values: Float32Array } | undefined {
  const { x, filter } = inputs;
  const xv = floatValues(backend, x), wv = floatValues(backend, filter);
  if (!xv || !wv || !attrs) return undefined;
  const info = convInfo(x.shape, filter.shape, attrs, true);
  if (!info) return undefined;
  const take = (n: number) => backend.pool.take(n);
  const fast = backend.dnnl &&
    dnnlConvForward(
      backend.dnnl,
      xv,
      wv,
      dnnlGeometryOf(info),
      info.outChannels,
      take,
      filter.dataId,
      (id) => backend.data.has(id),
    );
  if (fast) return { shape: [...info.outShape], values: fast };
  const values = convForward(
    backend.blas,
    xv,
    wv,
    geometryOf(info),
    info.outChannels,
    (n) => backend.pool.take(n),
  );
  return { shape: [...info.outShape], values };
}

function conv2D(args: KernelArgs): TensorInfo {
  const result = forward(args);
  if (!result) return runCpu("Conv2D", args.inputs, args.backend, args.attrs);
  return output(args.backend, result.shape, result.values);
}

function fusedConv2D(args: KernelArgs): TensorInfo {
  const result = forward(args);
  if (!result) return runCpu("FusedConv2D", args.inputs, args.backend, args.attrs);
  return finishFused(args.backend, result.shape, result.values, fusedTail(args.inputs, args.attrs));
}

/**
 * Flipped filters of the transposed convolution (dx), kept per filter tensor while it lives:
 * a network's weights are usually reused for many gradients (style transfer differentiates
 * w.r.t. the image only), and flipping a 512×512 filter costs a few ms each time.
 */
const flipped = new Map<DataId, Float32Array>();
let flippedBytes = 0;
const FLIPPED_MAX_BYTES = 256 * 1024 * 1024;

function flippedFilterOf(
  backend: BlasHost,
  filter: TensorInfo,
  w: Float32Array,
  info: Conv2DInfo,
): Float32Array {
  const known = flipped.get(filter.dataId);
  if (known) return known;
  // Forget the filters that have been disposed (and the oldest, past the size bound).
  for (const [id, values] of flipped) {
    if (!backend.data.has(id) || flippedBytes + w.byteLength > FLIPPED_MAX_BYTES) {
      flipped.delete(id);
      flippedBytes -= values.byteLength;
    }
  }
  const out = flipFilter(
    w,
    info.filterHeight,
    info.filterWidth,
    info.inChannels,
    info.outChannels,
  );
  if (w.byteLength <= FLIPPED_MAX_BYTES) {
    flipped.set(filter.dataId, out);
    flippedBytes += out.byteLength;
  }
  return out;
}

function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const dyv = floatValues(backend, dy), wv = floatValues(backend, filter);
  const info = attrs && dyv && wv
    ? convInfo(attrs.inputShape as number[], filter.shape, attrs, false)
    : undefined;
  if (!info || !dyv || !wv) return runCpu("Conv2DBackpropInput", inputs, backend, attrs);
  const fast = backend.dnnl &&
    dnnlConvBackpropInput(
      backend.dnnl,
      dyv,
      wv,
      dnnlGeometryOf(info),
      info.outChannels,
      (n) => backend.pool.take(n),
      filter.dataId,
      (id) => backend.data.has(id),
    );
  if (fast) return output(backend, [...info.inShape], fast);
  const g = geometryOf(info);
  const strideOne = g.strideH === 1 && g.strideW === 1 && !isPointwise(g);
  const values = convBackpropInput(
    backend.blas,
    dyv,
    wv,
    g,
    info.outChannels,
    (n) => backend.pool.take(n),
    strideOne ? flippedFilterOf(backend, filter, wv, info) : undefined,
  );
  return output(backend, [...info.inShape], values);
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const xv = floatValues(backend, x), dyv = floatValues(backend, dy);
  const info = attrs && xv && dyv
    ? convInfo(x.shape, attrs.filterShape as number[], attrs, false)
    : undefined;
  if (!info || !xv || !dyv) return runCpu("Conv2DBackpropFilter", inputs, backend, attrs);
  const fast = backend.dnnl &&
    dnnlConvBackpropFilter(
      backend.dnnl,
      xv,
      dyv,
      dnnlGeometryOf(info),
      info.outChannels,
      (n) => backend.pool.take(n),
    );
  if (fast) return output(backend, [...info.filterShape], fast);
  const values = convBackpropFilter(
    backend.blas,
    xv,
    dyv,
    geometryOf(info),
    info.outChannels,
    (n) => backend.pool.take(n),
  );
  return output(backend, [...info.filterShape], values);
}

/** The convolution kernels the `blas` backend computes with sgemm. */
export const BLAS_CONV_KERNELS: readonly KernelConfig[] = [
  { kernelName: "Conv2D", backendName: "blas", kernelFunc: asKernelFunc(conv2D) },
  { kernelName: "FusedConv2D", backendName: "blas", kernelFunc: asKernelFunc(fusedConv2D) },
  {
    kernelName: "Conv2DBackpropInput",
    backendName: "blas",
    kernelFunc: asKernelFunc(conv2DBackpropInput),
  },
  {
    kernelName: "Conv2DBackpropFilter",
    backendName: "blas",
    kernelFunc: asKernelFunc(conv2DBackpropFilter),
  },
];
