/**
 * Max and average pooling and their gradients for NHWC float32 tensors, looping over contiguous
 * channel runs (the cpu backend's versions index element by element: its AvgPoolGrad took 38% of
 * a VGG19 forward + backward pass with average pooling). Max pooling: ties go to the first
 * maximum in window order, and NaNs are skipped, as in the cpu backend. Average pooling divides by
 * the window's pixels inside the image; its gradient, like the cpu backend's, spreads dy over the
 * window's pixels inside the image with weight 1 / (filter height · filter width).
 *
 * @module
 */
import { backend_util, type KernelConfig, type TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output, runCpu } from "./kernel_util.ts";
import { scratchBuffer } from "./conv_math.ts";

type Pool2DInfo = backend_util.Conv2DInfo;
type Pad = "valid" | "same" | number | backend_util.ExplicitPadding;
type Pair = number | [number, number];

function poolInfo(xShape: number[], attrs: KernelArgs["attrs"]): Pool2DInfo | undefined {
  if (!attrs || xShape.length !== 4) return undefined;
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as Pair,
    attrs.strides as Pair,
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
}

/**
 * For each output element, the maximum (into `max`) and, if `argmax` is given, the flat index in
 * x of the first pixel holding it (−1 when the window has no number).
 */
export function maxPoolScan(
  x: Float32Array,
  info: Pool2DInfo,
  max: Float32Array,
  argmax?: Int32Array,
): void {
  const C = info.inChannels, H = info.inHeight, W = info.inWidth;
  const fh = info.effectiveFilterHeight, fw = info.effectiveFilterWidth;
  max.fill(-Infinity);
  argmax?.fill(-1);
  let o = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      const y0 = oy * info.strideHeight - info.padInfo.top;
      const yLo = Math.max(0, y0), yHi = Math.min(H, y0 + fh);
      for (let ox = 0; ox < info.outWidth; ox++, o += C) {
        const x0 = ox * info.strideWidth - info.padInfo.left;
        const xLo = Math.max(0, x0), xHi = Math.min(W, x0 + fw);
        for (let iy = yLo; iy < yHi; iy++) {
          for (let ix = xLo; ix < xHi; ix++) {
            const at = ((b * H + iy) * W + ix) * C;
            if (argmax) {
              for (let c = 0; c < C; c++) {
                const v = x[at + c];
                if (v > max[o + c]) {
                  max[o + c] = v;
                  argmax[o + c] = at + c;
                }
              }
            } else {
              for (let c = 0; c < C; c++) if (x[at + c] > max[o + c]) max[o + c] = x[at + c];
            }
          }
        }
      }
    }
  }
}

/** For each output element, the mean of its window's pixels inside the image. */
export function avgPoolScan(x: Float32Array, info: Pool2DInfo, out: Float32Array): void {
  const C = info.inChannels, H = info.inHeight, W = info.inWidth;
  const fh = info.effectiveFilterHeight, fw = info.effectiveFilterWidth;
  out.fill(0);
  let o = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      const y0 = oy * info.strideHeight - info.padInfo.top;
      const yLo = Math.max(0, y0), yHi = Math.min(H, y0 + fh);
      for (let ox = 0; ox < info.outWidth; ox++, o += C) {
        const x0 = ox * info.strideWidth - info.padInfo.left;
        const xLo = Math.max(0, x0), xHi = Math.min(W, x0 + fw);
        for (let iy = yLo; iy < yHi; iy++) {
          for (let ix = xLo; ix < xHi; ix++) {
            const at = ((b * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) out[o + c] += x[at + c];
          }
        }
        const count = Math.max(0, yHi - yLo) * Math.max(0, xHi - xLo); // 0: NaN, as in cpu
        const scale = 1 / count;
        for (let c = 0; c < C; c++) out[o + c] *= scale;
      }
    }
  }
}

/**
 * dx of average pooling (added into `dx`, which starts at zero): each dy value spread over its
 * window's pixels inside the image, times 1 / (filterHeight · filterWidth).
 */
export function avgPoolGradScatter(dy: Float32Array, info: Pool2DInfo, dx: Float32Array): void {
  const C = info.inChannels, H = info.inHeight, W = info.inWidth;
  const fh = info.effectiveFilterHeight, fw = info.effectiveFilterWidth;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  let o = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      const y0 = oy * info.strideHeight - info.padInfo.top;
      const yLo = Math.max(0, y0), yHi = Math.min(H, y0 + fh);
      for (let ox = 0; ox < info.outWidth; ox++, o += C) {
        const x0 = ox * info.strideWidth - info.padInfo.left;
        const xLo = Math.max(0, x0), xHi = Math.min(W, x0 + fw);
        for (let iy = yLo; iy < yHi; iy++) {
          for (let ix = xLo; ix < xHi; ix++) {
            const at = ((b * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) dx[at + c] += dy[o + c] * scale;
          }
        }
      }
    }
  }
}

function isIdentity(info: Pool2DInfo, shape: number[]): boolean {
  return info.filterWidth === 1 && info.filterHeight === 1 &&
    shape.every((d, i) => d === info.outShape[i]);
}

function avgPool({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  const xv = floatValues(backend, x);
  const info = xv ? poolInfo(x.shape, attrs) : undefined;
  if (!xv || !info || isIdentity(info, x.shape)) return runCpu("AvgPool", inputs, backend, attrs);
  const out = backend.pool.take(info.outShape.reduce((p, d) => p * d, 1));
  avgPoolScan(xv, info, out);
  return output(backend, [...info.outShape], out);
}

function avgPoolGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const dyv = floatValues(backend, dy), xv = floatValues(backend, input);
  // The cpu kernel computes the geometry without a rounding mode; so does this one.
  const { dimRoundingMode: _ignored, ...geometry } = attrs ?? {};
  const info = dyv && xv ? poolInfo(input.shape, geometry) : undefined;
  // With a rounding mode other than the default, dy's shape may not match that geometry.
  const matches = info !== undefined && dy.shape.every((d, i) => d === info.outShape[i]);
  if (!dyv || !xv || !info || !matches) return runCpu("AvgPoolGrad", inputs, backend, attrs);
  const dx = backend.pool.zeros(xv.length);
  avgPoolGradScatter(dyv, info, dx);
  return output(backend, [...input.shape], dx);
}

function maxPool({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  const xv = floatValues(backend, x);
  const info = xv ? poolInfo(x.shape, attrs) : undefined;
  if (!xv || !info || isIdentity(info, x.shape)) {
    return runCpu("MaxPool", inputs, backend, attrs); // identity: let the cpu kernel share data
  }
  const out = backend.pool.take(info.outShape.reduce((p, d) => p * d, 1));
  maxPoolScan(xv, info, out);
  return output(backend, [...info.outShape], out);
}

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const dyv = floatValues(backend, dy), xv = floatValues(backend, input);
  const info = dyv && xv ? poolInfo(input.shape, attrs) : undefined;
  if (!dyv || !xv || !info) return runCpu("MaxPoolGrad", inputs, backend, attrs);
  const max = scratchBuffer(2, dyv.length);
  if (argmaxScratch.length < dyv.length) argmaxScratch = new Int32Array(dyv.length);
  const argmax = argmaxScratch.subarray(0, dyv.length);
  maxPoolScan(xv, info, max, argmax);
  const dx = backend.pool.zeros(xv.length);
  for (let o = 0; o < dyv.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += dyv[o];
  return output(backend, [...input.shape], dx);
}

let argmaxScratch = new Int32Array(0);

/** Pooling kernels of the `blas` backend. */
export const BLAS_POOL_KERNELS: readonly KernelConfig[] = [
  { kernelName: "AvgPool", backendName: "blas", kernelFunc: asKernelFunc(avgPool) },
  { kernelName: "AvgPoolGrad", backendName: "blas", kernelFunc: asKernelFunc(avgPoolGrad) },
  { kernelName: "MaxPool", backendName: "blas", kernelFunc: asKernelFunc(maxPool) },
  { kernelName: "MaxPoolGrad", backendName: "blas", kernelFunc: asKernelFunc(maxPoolGrad) },
];
