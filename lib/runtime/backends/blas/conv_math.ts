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
 * How patch matrices are cut into chunks: at most `chunkFloats` floats per chunk (4 MiB: small
 * chunks stay in cache between im2col and sgemm), but at least `minChunkRows` rows (with 128, a
 * 32² 512→256 layer's dx ran in chunks of 227 rows and sgemm repacked the 4.5 MiB filter for
 * each). The chunk buffer is reused across calls: filling fresh memory costs page
 * faults that took longer than the copies themselves (measured: a 16 MiB fresh buffer per call
 * made a 128² 64→64 conv 5× slower). Mutable for benchmarks.
 */
export const convTuning: { chunkFloats: number; minChunkRows: number } = {
  chunkFloats: 1 << 20,
  minChunkRows: 1024,
};

const scratch: Float32Array[] = [];

/**
 * A reusable buffer of at least n floats (contents undefined), one per `slot`, kept between calls:
 * slot 0 holds patch matrices, slot 1 flipped filters.
 */
export function scratchBuffer(slot: number, n: number): Float32Array {
  if ((scratch[slot]?.length ?? 0) < n) scratch[slot] = new Float32Array(n);
  return scratch[slot].subarray(0, n);
}

/** Allocates a kernel's output: n floats whose contents the caller overwrites. */
export type Allocate = (n: number) => Float32Array;

const fresh: Allocate = (n) => new Float32Array(n);

function rowsPerChunk(g: PatchGeometry): number {
  return Math.max(convTuning.minChunkRows, Math.floor(convTuning.chunkFloats / patchSize(g)));
}

/** y[p, o] = Σ patches(x)[p, :] · w[:, o]: the forward convolution, `[batch·outH·outW, O]`. */
export function convForward(
  blas: Blas,
  x: Float32Array,
  w: Float32Array,
  g: PatchGeometry,
  outChannels: number,
  alloc: Allocate = fresh,
): Float32Array {
  const rows = patchCount(g), K = patchSize(g), O = outChannels;
  const y = alloc(rows * O);
  if (isPointwise(g)) {
    blas.sgemm(false, false, rows, O, K, 1, x, K, w, O, 0, y, O);
    return y;
  }
  const chunk = Math.min(rows, rowsPerChunk(g));
  const cols = scratchBuffer(0, chunk * K);
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
  alloc: Allocate = fresh,
): Float32Array {
  const rows = patchCount(g), K = patchSize(g), O = outChannels;
  const dw = alloc(K * O);
  if (isPointwise(g)) {
    blas.sgemm(true, false, K, O, rows, 1, x, K, dy, O, 0, dw, O);
    return dw;
  }
  const chunk = Math.min(rows, rowsPerChunk(g));
  const cols = scratchBuffer(0, chunk * K);
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
 * dy with the flipped, transposed filter (only copies, no scattered adds; pass
 * `flippedFilter` = {@linkcode flipFilter}(w) if it is at hand); otherwise dy · wᵀ is scattered
 * back with col2im.
 */
export function convBackpropInput(
  blas: Blas,
  dy: Float32Array,
  w: Float32Array,
  g: PatchGeometry,
  outChannels: number,
  alloc: Allocate = fresh,
  flippedFilter?: Float32Array,
): Float32Array {
  const rows = patchCount(g), K = patchSize(g), O = outChannels, C = g.channels;
  if (isPointwise(g)) {
    const dx = alloc(rows * C);
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
    const flippedW = flippedFilter ?? flipFilter(w, g.fh, g.fw, C, O, scratchBuffer(1, w.length));
    return convForward(blas, dy, flippedW, flipped, C, alloc);
  }
  const dx = alloc(g.batch * g.inH * g.inW * C).fill(0);
  const chunk = Math.min(rows, rowsPerChunk(g));
  const cols = scratchBuffer(0, chunk * K);
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(rows, start + chunk);
    blas.sgemm(false, true, end - start, K, O, 1, dy.subarray(start * O), O, w, O, 0, cols, K);
    col2imAdd(cols, g, start, end, dx);
  }
  return dx;
}

/**
 * The filter of the transposed convolution: out[ky, kx, o, c] = w[fh−1−ky, fw−1−kx, c, o]
 * (written into `out` if given).
 */
export function flipFilter(
  w: Float32Array,
  fh: number,
  fw: number,
  C: number,
  O: number,
  out: Float32Array = new Float32Array(w.length),
): Float32Array {
  for (let ky = 0; ky < fh; ky++) {
    for (let kx = 0; kx < fw; kx++) {
      const src = ((fh - 1 - ky) * fw + (fw - 1 - kx)) * C * O;
      const dst = (ky * fw + kx) * O * C;
      // Transpose the C×O block in tiles: a plain loop writing with stride C thrashed the cache
      // (47 ms for a 512×512 filter, 1 ms tiled).
      for (let c0 = 0; c0 < C; c0 += TILE) {
        const c1 = Math.min(C, c0 + TILE);
        for (let o0 = 0; o0 < O; o0 += TILE) {
          const o1 = Math.min(O, o0 + TILE);
          for (let o = o0; o < o1; o++) {
            const to = dst + o * C, from = src + o;
            for (let c = c0; c < c1; c++) out[to + c] = w[from + c * O];
          }
        }
      }
    }
  }
  return out;
}

const TILE = 32;
