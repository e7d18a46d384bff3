/**
 * 2-D convolution and its two gradients on NHWC Float32Arrays, as im2col + sgemm.
 * Patch matrices are built a chunk of rows at a time so memory stays bounded.
 *
 * Filters are tfjs's `[fh, fw, inChannels, outChannels]`, i.e. a row-major `[fh·fw·C, O]` matrix.
 *
 * @module
 */
import type { Blas } from "./ffi.ts";
import {
  col2imAdd,
  im2col,
  isPointwise,
  patchCount,
  type PatchGeometry,
  patchSize,
} from "./im2col.ts";

/**
 * Floats per patch-matrix chunk (4 MiB): big enough for an efficient sgemm, small enough to stay
 * in cache between im2col and sgemm. The chunk buffer is reused across calls: filling fresh
 * memory costs page faults that took longer than the copies themselves (measured: a 16 MiB fresh
 * buffer per call made a 128² 64→64 conv 5× slower).
 */
const CHUNK_FLOATS = 1 << 20;
const MIN_CHUNK_ROWS = 128;

let scratch = new Float32Array(0);

/** A reusable buffer of at least n floats (contents undefined). */
function scratchBuffer(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}

function rowsPerChunk(g: PatchGeometry): number {
  return Math.max(MIN_CHUNK_ROWS, Math.floor(CHUNK_FLOATS / patchSize(g)));
}

/** y[p, o] = Σ patches(x)[p, :] · w[:, o]: the forward convolution, `[batch·outH·outW, O]`. */
export function convForward(
  blas: Blas,
  x: Float32Array,
  w: Float32Array,
  g: PatchGeometry,
  outChannels: number,
): Float32Array {
  const rows = patchCount(g), K = patchSize(g), O = outChannels;
  const y = new Float32Array(rows * O);
  if (isPointwise(g)) {
    blas.sgemm(false, false, rows, O, K, 1, x, K, w, O, 0, y, O);
    return y;
  }
  const chunk = Math.min(rows, rowsPerChunk(g));
  const cols = scratchBuffer(chunk * K);
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(rows, start + chunk);
    im2col(x, g, start, end, cols);
    blas.sgemm(false, false, end - start, O, K, 1, cols, K, w, O, 0, y.subarray(start * O), O);
  }
  return y;
}

/** dW = patches(x)ᵀ · dy: the filter gradient, `[fh·fw·C, O]`. */
export function convBackpropFilter(
  blas: Blas,
  x: Float32Array,
  dy: Float32Array,
  g: PatchGeometry,
  outChannels: number,
): Float32Array {
  const rows = patchCount(g), K = patchSize(g), O = outChannels;
  const dw = new Float32Array(K * O);
  if (isPointwise(g)) {
    blas.sgemm(true, false, K, O, rows, 1, x, K, dy, O, 0, dw, O);
    return dw;
  }
  const chunk = Math.min(rows, rowsPerChunk(g));
  const cols = scratchBuffer(chunk * K);
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(rows, start + chunk);
    im2col(x, g, start, end, cols);
    const beta = start === 0 ? 0 : 1;
    blas.sgemm(true, false, K, O, end - start, 1, cols, K, dy.subarray(start * O), O, beta, dw, O);
  }
  return dw;
}

/**
 * dx: the input gradient, `[batch, inH, inW, C]`. With stride 1 it is a forward convolution of
 * dy with the flipped, transposed filter (only copies, no scattered adds); otherwise
 * dy · wᵀ is scattered back with col2im.
 */
export function convBackpropInput(
  blas: Blas,
  dy: Float32Array,
  w: Float32Array,
  g: PatchGeometry,
  outChannels: number,
): Float32Array {
  const rows = patchCount(g), K = patchSize(g), O = outChannels, C = g.channels;
  if (isPointwise(g)) {
    const dx = new Float32Array(rows * C);
    blas.sgemm(false, true, rows, C, O, 1, dy, O, w, O, 0, dx, C);
    return dx;
  }
  if (g.strideH === 1 && g.strideW === 1) {
    const flipped: PatchGeometry = {
      batch: g.batch,
      inH: g.outH,
      inW: g.outW,
      channels: O,
      outH: g.inH,
      outW: g.inW,
      fh: g.fh,
      fw: g.fw,
      strideH: 1,
      strideW: 1,
      dilH: g.dilH,
      dilW: g.dilW,
      padTop: (g.fh - 1) * g.dilH - g.padTop,
      padLeft: (g.fw - 1) * g.dilW - g.padLeft,
    };
    return convForward(blas, dy, flipFilter(w, g.fh, g.fw, C, O), flipped, C);
  }
  const dx = new Float32Array(g.batch * g.inH * g.inW * C);
  const chunk = Math.min(rows, rowsPerChunk(g));
  const cols = scratchBuffer(chunk * K);
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(rows, start + chunk);
    blas.sgemm(false, true, end - start, K, O, 1, dy.subarray(start * O), O, w, O, 0, cols, K);
    col2imAdd(cols, g, start, end, dx);
  }
  return dx;
}

/**
 * The filter of the transposed convolution: out[ky, kx, o, c] = w[fh−1−ky, fw−1−kx, c, o].
 */
export function flipFilter(
  w: Float32Array,
  fh: number,
  fw: number,
  C: number,
  O: number,
): Float32Array {
  const out = new Float32Array(w.length);
  for (let ky = 0; ky < fh; ky++) {
    for (let kx = 0; kx < fw; kx++) {
      const src = ((fh - 1 - ky) * fw + (fw - 1 - kx)) * C * O;
      const dst = (ky * fw + kx) * O * C;
      for (let c = 0; c < C; c++) {
        for (let o = 0; o < O; o++) out[dst + o * C + c] = w[src + c * O + o];
      }
    }
  }
  return out;
}
