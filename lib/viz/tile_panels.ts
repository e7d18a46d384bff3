/**
 * Course defaults for figures made of image tiles (autoencoder weights, digits and their
 * reconstructions), so that a figure cell says only what is shown: the rows of a matrix as 28×28
 * images, several such grids side by side, titled rows of digits.
 *
 * @example
 * ```ts
 * await showTilePanels("figure_5_6", [
 *   { rows: plain.W, title: "(a) without sparsity" },
 *   { rows: sparse.W, title: "(b) with sparsity" },
 * ], { title: "Figure 5-6" });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { imageGrid, type TileNormalization } from "./image_grid.ts";
import { showImage } from "./image.ts";
import { showImagePanels } from "./image_panels.ts";

/** One grid of {@linkcode showTilePanels}: a matrix whose rows are images, and its title. */
export interface TilePanel {
  /** [count, height · width]: one image per row (weights W [hidden, 784], digits as rows). */
  rows: tf.Tensor;
  /** The title above the grid. */
  title: string;
}

/** Options of {@linkcode showTilePanels}. */
export interface TilePanelOptions {
  /** The title above all panels. */
  title?: string;
  /** Each image's [height, width] (default [28, 28], an MNIST digit). */
  shape?: [number, number];
  /** Images per row within a panel (default 10). */
  columns?: number;
  /** Panels per row of the figure (default: all in one row). */
  panelColumns?: number;
  /** Tile normalisation (default "symmetric": 0 is mid grey, for weights). */
  normalize?: TileNormalization;
  /** Nearest-neighbour magnification (default 2). */
  scale?: number;
}

/**
 * Show (and save as `name`.png) one grid of images per panel, the panels side by side, each
 * image a row of its panel's matrix reshaped to `shape`. Frees what it creates; the inputs stay
 * the caller's.
 *
 * @example
 * ```ts
 * await showTilePanels("filters", [{ rows: ae.W, title: "plain" }], { columns: 10 });
 * ```
 */
export async function showTilePanels(
  name: string,
  panels: readonly TilePanel[],
  options: TilePanelOptions = {},
): Promise<void> {
  const [height, width] = options.shape ?? [28, 28];
  for (const panel of panels) {
    if (panel.rows.rank !== 2 || panel.rows.shape[1] !== height * width) {
      throw new Error(
        `showTilePanels "${name}", panel "${panel.title}": expected rows of ${height}×${width} ` +
          `= ${height * width} values, got a tensor of shape [${panel.rows.shape}]`,
      );
    }
  }
  const tiles = panels.map((p) => tf.reshape(p.rows, [p.rows.shape[0], height, width]));
  try {
    await showImagePanels(
      name,
      panels.map((panel, i) => ({
        images: tiles[i],
        columns: options.columns ?? 10,
        padding: 1,
        normalize: options.normalize ?? "symmetric",
        scale: options.scale ?? 2,
        title: panel.title,
        fontSize: 16,
      })),
      { columns: options.panelColumns, gap: 10, title: options.title, fontSize: 16 },
    );
  } finally {
    tf.dispose(tiles);
  }
}

/** Options of {@linkcode showImageRows}. */
export interface ImageRowsOptions {
  /** Each image's [height, width] (default [28, 28]). */
  shape?: [number, number];
  /** Tile normalisation (default [0, 1], grey levels). */
  normalize?: TileNormalization;
  /** Nearest-neighbour magnification (default 2). */
  scale?: number;
  /** Column titles, one per image of a row. */
  columnTitles?: readonly string[];
}

/**
 * Show (and save) rows of images, one titled row per matrix (e.g. digits, their corrupted
 * copies, and two reconstructions): every matrix is [count, height · width] with the same count.
 * Frees what it creates.
 *
 * @example
 * ```ts
 * await showImageRows("reconstructions", { "test digit": X, "reconstruction": Xhat });
 * ```
 */
export async function showImageRows(
  name: string,
  rows: Record<string, tf.Tensor>,
  options: ImageRowsOptions = {},
): Promise<void> {
  const [height, width] = options.shape ?? [28, 28];
  const titles = Object.keys(rows);
  const counts = titles.map((t) => rows[t].shape[0]);
  if (titles.length === 0 || counts.some((c) => c !== counts[0])) {
    throw new Error(
      `showImageRows "${name}": every row needs the same number of images, got ` +
        titles.map((t, i) => `${t}: ${counts[i]}`).join(", "),
    );
  }
  const tiles = tf.tidy(() =>
    tf.reshape(tf.concat(titles.map((t) => rows[t]), 0), [titles.length * counts[0], height, width])
  );
  const grid = await imageGrid(tiles, {
    columns: counts[0],
    padding: 2,
    scale: options.scale ?? 2,
    normalize: options.normalize ?? [0, 1],
    rowTitles: titles,
    columnTitles: options.columnTitles,
  });
  await showImage(name, grid);
  tf.dispose([tiles, grid]);
}
