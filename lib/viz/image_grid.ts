/**
 * Tile many images into one: a grid with padding, a background colour, per-tile or shared
 * normalisation, nearest-neighbour upscaling, and optional labels (a caption under each tile,
 * row titles on the left, column titles on top, a figure title).
 *
 * Tiles may differ in size: each is centred in a cell as large as the largest tile. Grey tiles
 * (H×W or H×W×1) are shown as grey RGB. The result is an H×W×3 float32 tensor with values 0–255,
 * ready for `showImage` / `writePng` from `image.ts`.
 *
 * Labels are rasterised by resvg with the DejaVu Sans fonts from npm (see `text.ts` for why:
 * the same pixels on every machine, no browser needed, ~20 ms per grid). Tile pixels are never
 * touched by labels: captions and titles live in their own bands.
 *
 * @example
 * ```ts
 * // Figure 5-6: 100 autoencoder weight vectors as 28×28 tiles in a 10×10 grid
 * const tiles = weights.transpose().reshape([100, 28, 28]);          // N×H×W
 * const grid = await imageGrid(tiles, { columns: 10, normalize: "symmetric", scale: 2 });
 * await showImage("fig5-6-weights", grid);
 * grid.dispose(); tiles.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { renderText, type TextItem } from "./text.ts";

/**
 * How tile values become 0–255:
 * - `"none"`: already 0–255 (clamped);
 * - `"tile"`: each tile min–max stretched to 0–255 (a constant tile becomes mid grey);
 * - `"shared"`: one min–max over all tiles;
 * - `"symmetric"`: each tile scaled so that 0 is mid grey and its largest |value| is 0 or 255
 *   (for weights);
 * - `"symmetric-shared"`: the same with one largest |value| over all tiles;
 * - `[lo, hi]`: a fixed range mapped to 0–255 (clamped).
 */
export type TileNormalization =
  | "none"
  | "tile"
  | "shared"
  | "symmetric"
  | "symmetric-shared"
  | [number, number];

/** Options of {@linkcode imageGrid} and {@linkcode gridLayout}. */
export interface ImageGridOptions {
  /** Tiles per row (default `ceil(sqrt(n))`). */
  columns?: number;
  /** Pixels between tiles and around the grid (default 2). */
  padding?: number;
  /** Background: a grey level or `[r, g, b]`, 0–255 (default 255, white). */
  background?: number | [number, number, number];
  /** How values become 0–255 (default `"none"`). */
  normalize?: TileNormalization;
  /** Integer nearest-neighbour magnification of every tile (default 1). */
  scale?: number;
  /** One caption under each tile (shorter arrays leave the rest blank). */
  captions?: readonly string[];
  /** A title left of each row. */
  rowTitles?: readonly string[];
  /** A title above each column. */
  columnTitles?: readonly string[];
  /** A title above the whole grid. */
  title?: string;
  /** Label font size in pixels (default 12). */
  fontSize?: number;
  /** Label colour, CSS (default "#000000"). */
  textColor?: string;
  /** Width of the row-title band (default: estimated from the longest row title). */
  rowTitleWidth?: number;
}

/** Where everything goes: the canvas size and each tile's rectangle (after scaling). */
export interface GridGeometry {
  width: number;
  height: number;
  columns: number;
  rows: number;
  /** The cell size (largest tile × scale). */
  cellWidth: number;
  cellHeight: number;
  /** Top-left corner and size of each tile, in input order. */
  tiles: { x: number; y: number; width: number; height: number }[];
  /** The label texts and their positions. */
  labels: TextItem[];
}

/**
 * Compute the grid geometry for tiles of the given `[height, width]` sizes: canvas size, tile
 * rectangles and label positions. {@linkcode imageGrid} draws exactly this.
 *
 * @example
 * ```ts
 * const g = gridLayout([[28, 28], [28, 28], [28, 28]], { columns: 2, padding: 1 });
 * g.tiles[2]; // { x: 1, y: 30, width: 28, height: 28 }
 * ```
 */
export function gridLayout(
  sizes: [number, number][],
  options: ImageGridOptions = {},
): GridGeometry {
  const n = sizes.length;
  if (n === 0) throw new Error("imageGrid needs at least one image");
  const columns = Math.max(1, Math.min(n, options.columns ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / columns);
  const pad = options.padding ?? 2;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be an integer ≥ 1`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`padding must be an integer ≥ 0`);
  const fs = options.fontSize ?? 12;
  const line = Math.ceil(fs * 1.5);
  const cellHeight = Math.max(...sizes.map((s) => s[0])) * scale;
  const cellWidth = Math.max(...sizes.map((s) => s[1])) * scale;
  const titleBand = options.title !== undefined ? Math.ceil(fs * 1.25 * 1.5) : 0;
  const columnBand = options.columnTitles !== undefined ? line : 0;
  const captionBand = options.captions !== undefined ? line : 0;
  const longestRowTitle = Math.max(0, ...(options.rowTitles ?? []).map((t) => t.length));
  const left = options.rowTitles !== undefined
    ? options.rowTitleWidth ?? Math.ceil(longestRowTitle * fs * 0.62) + 2 * pad + 4
    : 0;
  const top = titleBand + columnBand;
  const stepX = cellWidth + pad;
  const stepY = cellHeight + captionBand + pad;
  const width = left + pad + columns * stepX;
  const height = top + pad + rows * stepY;
  const color = options.textColor ?? "#000000";
  const baseline = (bandTop: number, bandHeight: number, size: number) =>
    Math.round(bandTop + bandHeight / 2 + size * 0.36);

  const tiles = sizes.map(([h, w], i) => {
    const r = Math.floor(i / columns), c = i % columns;
    return {
      x: left + pad + c * stepX + Math.floor((cellWidth - w * scale) / 2),
      y: top + pad + r * stepY + Math.floor((cellHeight - h * scale) / 2),
      width: w * scale,
      height: h * scale,
    };
  });
  const labels: TextItem[] = [];
  const cellX = (c: number) => left + pad + c * stepX;
  const cellY = (r: number) => top + pad + r * stepY;
  if (options.title !== undefined) {
    const size = Math.round(fs * 1.25);
    labels.push({
      text: options.title,
      x: width / 2,
      y: baseline(0, titleBand, size),
      anchor: "middle",
      size,
      bold: true,
      color,
    });
  }
  options.columnTitles?.slice(0, columns).forEach((text, c) =>
    labels.push({
      text,
      x: cellX(c) + cellWidth / 2,
      y: baseline(titleBand, columnBand, fs),
      anchor: "middle",
      size: fs,
      color,
    })
  );
  options.rowTitles?.slice(0, rows).forEach((text, r) =>
    labels.push({
      text,
      x: left - pad - 2,
      y: baseline(cellY(r), cellHeight, fs),
      anchor: "end",
      size: fs,
      color,
    })
  );
  options.captions?.slice(0, n).forEach((text, i) =>
    labels.push({
      text,
      x: cellX(i % columns) + cellWidth / 2,
      y: baseline(cellY(Math.floor(i / columns)) + cellHeight, captionBand, fs),
      anchor: "middle",
      size: fs,
      color,
    })
  );
  return { width, height, columns, rows, cellWidth, cellHeight, tiles, labels };
}

interface TileData {
  h: number;
  w: number;
  c: number;
  values: Float32Array | Int32Array | Uint8Array;
}

function tilesOf(images: tf.Tensor | tf.Tensor[]): TileData[] {
  const bad = (shape: number[]) =>
    new Error(`each image must be H×W, H×W×1 or H×W×3, got shape [${shape}]`);
  if (!Array.isArray(images)) {
    // A batch: N×H×W or N×H×W×C
    const [n, h, w, c = 1] = images.shape;
    if ((images.rank !== 3 && images.rank !== 4) || (c !== 1 && c !== 3)) {
      throw new Error(`a batch of images must be N×H×W or N×H×W×C, got shape [${images.shape}]`);
    }
    const all = images.dataSync() as Float32Array;
    const size = h * w * c;
    return Array.from({ length: n }, (_, i) => ({
      h,
      w,
      c,
      values: all.subarray(i * size, (i + 1) * size),
    }));
  }
  return images.map((image) => {
    const [h, w, c = 1] = image.shape;
    if ((image.rank !== 2 && image.rank !== 3) || (c !== 1 && c !== 3)) throw bad(image.shape);
    return { h, w, c, values: image.dataSync() as Float32Array };
  });
}

function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The [lo, hi] range mapped to 0–255 for each tile. */
function rangesFor(tiles: TileData[], normalize: TileNormalization): [number, number][] {
  if (Array.isArray(normalize)) return tiles.map(() => normalize);
  const perTile = tiles.map((t) => extent(t.values));
  const symmetric = ([lo, hi]: [number, number]): [number, number] => {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return [-m, m];
  };
  const shared: [number, number] = [
    Math.min(...perTile.map((e) => e[0])),
    Math.max(...perTile.map((e) => e[1])),
  ];
  switch (normalize) {
    case "none":
      return tiles.map(() => [0, 255]);
    case "tile":
      return perTile;
    case "shared":
      return tiles.map(() => shared);
    case "symmetric":
      return perTile.map(symmetric);
    case "symmetric-shared":
      return tiles.map(() => symmetric(shared));
    default:
      throw new Error(`unknown normalisation "${normalize}"`);
  }
}

/**
 * Tile images into one H×W×3 float32 image (values 0–255). `images` is an array of H×W, H×W×1
 * or H×W×3 tensors, or one batch tensor N×H×W / N×H×W×C. Inputs are not disposed; the caller
 * owns the result. See {@linkcode ImageGridOptions} for layout, normalisation and labels, and
 * {@linkcode gridLayout} for where each tile lands.
 *
 * @example
 * ```ts
 * const grid = await imageGrid([content, style, result], {
 *   captions: ["content", "style", "result"], normalize: "none", padding: 8,
 * });
 * await showImage("gatys-panels", grid);
 * grid.dispose();
 * ```
 */
export async function imageGrid(
  images: tf.Tensor | tf.Tensor[],
  options: ImageGridOptions = {},
): Promise<tf.Tensor3D> {
  const tiles = tilesOf(images);
  const geometry = gridLayout(tiles.map((t) => [t.h, t.w]), options);
  const { width, height } = geometry;
  const scale = options.scale ?? 1;
  const bg = options.background ?? 255;
  const background = typeof bg === "number" ? [bg, bg, bg] : bg;
  const canvas = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) canvas.set(background, p * 3);

  const ranges = rangesFor(tiles, options.normalize ?? "none");
  tiles.forEach((tile, i) => {
    const [lo, hi] = ranges[i];
    const k = hi > lo ? 255 / (hi - lo) : 0; // a constant tile becomes mid grey
    const { x, y } = geometry.tiles[i];
    for (let row = 0; row < tile.h * scale; row++) {
      const srcRow = Math.floor(row / scale);
      for (let col = 0; col < tile.w * scale; col++) {
        const src = (srcRow * tile.w + Math.floor(col / scale)) * tile.c;
        const dst = ((y + row) * width + x + col) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const v = tile.values[src + (tile.c === 1 ? 0 : ch)];
          const mapped = k === 0 ? 127.5 : (v - lo) * k;
          canvas[dst + ch] = mapped < 0 || Number.isNaN(mapped) ? 0 : mapped > 255 ? 255 : mapped;
        }
      }
    }
  });

  if (geometry.labels.length > 0) {
    const layer = await renderText(width, height, geometry.labels);
    const rgba = layer.rgba; // premultiplied: out = src + (1 − α)·dst
    for (let p = 0; p < width * height; p++) {
      const alpha = rgba[p * 4 + 3];
      if (alpha === 0) continue;
      for (let ch = 0; ch < 3; ch++) {
        canvas[p * 3 + ch] = rgba[p * 4 + ch] + (1 - alpha / 255) * canvas[p * 3 + ch];
      }
    }
  }
  return tf.tensor3d(canvas, [height, width, 3], "float32");
}
