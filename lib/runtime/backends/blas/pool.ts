/**
 * Max pooling and its gradient for NHWC float32 tensors, looping over contiguous channel runs
 * (the cpu backend's versions index element by element and dominated a VGG19 backward pass).
 * Ties go to the first maximum in window order, and NaNs are skipped, as in the cpu backend.
 *
 * @module
 */
import { backend_util, type KernelConfig, type TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output, runCpu } from "./kernel_util.ts";

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

function maxPool({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  const xv = floatValues(backend, x);
  const info = xv ? poolInfo(x.shape, attrs) : undefined;
  if (!xv || !info) return runCpu("MaxPool", inputs, backend, attrs);
  if (
    info.filterWidth === 1 && info.filterHeight === 1 &&
    x.shape.every((d, i) => d === info.outShape[i])
  ) {
    return runCpu("MaxPool", inputs, backend, attrs); // identity: let the cpu kernel share data
  }
  const out = new Float32Array(info.outShape.reduce((p, d) => p * d, 1));
  maxPoolScan(xv, info, out);
  return output(backend, [...info.outShape], out);
}

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const dyv = floatValues(backend, dy), xv = floatValues(backend, input);
  const info = dyv && xv ? poolInfo(input.shape, attrs) : undefined;
  if (!dyv || !xv || !info) return runCpu("MaxPoolGrad", inputs, backend, attrs);
  const max = new Float32Array(dyv.length), argmax = new Int32Array(dyv.length);
  maxPoolScan(xv, info, max, argmax);
  const dx = new Float32Array(xv.length);
  for (let o = 0; o < dyv.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += dyv[o];
  return output(backend, [...input.shape], dx);
}

/** Max pooling kernels of the `blas` backend. */
export const BLAS_POOL_KERNELS: readonly KernelConfig[] = [
  { kernelName: "MaxPool", backendName: "blas", kernelFunc: asKernelFunc(maxPool) },
  { kernelName: "MaxPoolGrad", backendName: "blas", kernelFunc: asKernelFunc(maxPoolGrad) },
];
