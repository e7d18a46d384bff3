/**
 * im2col and col2im for NHWC images: the patches a convolution reads, laid out as the rows of a
 * matrix so that the convolution becomes one matrix product.
 *
 * Row p of the patch matrix belongs to output pixel (b, oy, ox) with p = (b·outH + oy)·outW + ox;
 * its columns run over (ky, kx, c), which is the order of a tfjs filter `[fh, fw, C, O]`
 * flattened to `[fh·fw·C, O]`. Pixels outside the image read as zero.
 *
 * @module
 */

/** Where a convolution's windows fall on its (NHWC) input. Paddings may be negative. */
export interface PatchGeometry {
  /** Images in the batch. */
  batch: number;
  /** Input height. */
  inH: number;
  /** Input width. */
  inW: number;
  /** Input channels. */
  channels: number;
  /** Output height (window rows). */
  outH: number;
  /** Output width (window columns). */
  outW: number;
  /** Filter height. */
  fh: number;
  /** Filter width. */
  fw: number;
  /** Vertical stride. */
  strideH: number;
  /** Horizontal stride. */
  strideW: number;
  /** Vertical dilation. */
  dilH: number;
  /** Horizontal dilation. */
  dilW: number;
  /** Rows of zeros above the input (window row 0 starts at input row −padTop). */
  padTop: number;
  /** Columns of zeros left of the input. */
  padLeft: number;
}

/** The length of one patch row: fh·fw·channels. */
export function patchSize(g: PatchGeometry): number {
  return g.fh * g.fw * g.channels;
}

/** The number of patch rows: batch·outH·outW. */
export function patchCount(g: PatchGeometry): number {
  return g.batch * g.outH * g.outW;
}

/** True when the patch matrix is the input itself (1×1 filter, stride 1, no padding). */
export function isPointwise(g: PatchGeometry): boolean {
  return g.fh === 1 && g.fw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 &&
    g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

const SHORT_RUN = 24; // below this many floats a plain loop beats subarray + set

/**
 * Write patch rows [rowStart, rowEnd) of `src` into `cols` (row-major, patchSize columns).
 */
export function im2col(
  src: Float32Array,
  g: PatchGeometry,
  rowStart: number,
  rowEnd: number,
  cols: Float32Array,
): void {
  const C = g.channels, K = patchSize(g), rowLen = g.fw * C;
  let ox = rowStart % g.outW;
  let oy = Math.floor(rowStart / g.outW) % g.outH;
  let b = Math.floor(rowStart / (g.outW * g.outH));
  for (let p = rowStart; p < rowEnd; p++) {
    const base = (p - rowStart) * K;
    const ix0 = ox * g.strideW - g.padLeft;
    for (let ky = 0; ky < g.fh; ky++) {
      const dst = base + ky * rowLen;
      const iy = oy * g.strideH - g.padTop + ky * g.dilH;
      if (iy < 0 || iy >= g.inH) {
        cols.fill(0, dst, dst + rowLen);
        continue;
      }
      const srcRow = (b * g.inH + iy) * g.inW * C;
      if (g.dilW === 1) {
        const lo = Math.max(0, -ix0), hi = Math.min(g.fw, g.inW - ix0);
        if (hi <= lo) {
          cols.fill(0, dst, dst + rowLen);
          continue;
        }
        if (lo > 0) cols.fill(0, dst, dst + lo * C);
        const from = srcRow + (ix0 + lo) * C, count = (hi - lo) * C, to = dst + lo * C;
        if (count < SHORT_RUN) {
          for (let i = 0; i < count; i++) cols[to + i] = src[from + i];
        } else {
          cols.set(src.subarray(from, from + count), to);
        }
        if (hi < g.fw) cols.fill(0, dst + hi * C, dst + rowLen);
      } else {
        for (let kx = 0; kx < g.fw; kx++) {
          const ix = ix0 + kx * g.dilW, to = dst + kx * C;
          if (ix < 0 || ix >= g.inW) {
            cols.fill(0, to, to + C);
          } else {
            const from = srcRow + ix * C;
            if (C < SHORT_RUN) { for (let i = 0; i < C; i++) cols[to + i] = src[from + i]; }
            else cols.set(src.subarray(from, from + C), to);
          }
        }
      }
    }
    if (++ox === g.outW) {
      ox = 0;
      if (++oy === g.outH) {
        oy = 0;
        b++;
      }
    }
  }
}

/**
 * Add patch rows [rowStart, rowEnd) of `cols` back onto the image `dst` (the transpose of
 * {@linkcode im2col}); entries that fall outside the image are dropped.
 */
export function col2imAdd(
  cols: Float32Array,
  g: PatchGeometry,
  rowStart: number,
  rowEnd: number,
  dst: Float32Array,
): void {
  const C = g.channels, K = patchSize(g), rowLen = g.fw * C;
  let ox = rowStart % g.outW;
  let oy = Math.floor(rowStart / g.outW) % g.outH;
  let b = Math.floor(rowStart / (g.outW * g.outH));
  for (let p = rowStart; p < rowEnd; p++) {
    const base = (p - rowStart) * K;
    const ix0 = ox * g.strideW - g.padLeft;
    for (let ky = 0; ky < g.fh; ky++) {
      const iy = oy * g.strideH - g.padTop + ky * g.dilH;
      if (iy < 0 || iy >= g.inH) continue;
      const dstRow = (b * g.inH + iy) * g.inW * C, from = base + ky * rowLen;
      for (let kx = 0; kx < g.fw; kx++) {
        const ix = ix0 + kx * g.dilW;
        if (ix < 0 || ix >= g.inW) continue;
        const to = dstRow + ix * C, at = from + kx * C;
        for (let c = 0; c < C; c++) dst[to + c] += cols[at + c];
      }
    }
    if (++ox === g.outW) {
      ox = 0;
      if (++oy === g.outH) {
        oy = 0;
        b++;
      }
    }
  }
}
