/**
 * Course defaults for image figures: a grid of tiles shown and saved in one call, several grids
 * (each with its own title and normalisation) side by side in one figure, and numbered captions.
 * A figure cell then says only which images go where:
 *
 * @example
 * ```ts
 * await showImageGrid("cnn-filters", filters, {
 *   columns: 8,
 *   normalize: "symmetric",
 *   captions: numbered(16),
 *   title: "first-layer filters (5×5)",
 * });
 * ```
 *
 * The tiles are drawn by {@linkcode imageGrid} (see `image_grid.ts` for every option), the figure
 * is saved and displayed by {@linkcode showImage}. These helpers free what they make and never the
 * caller's tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { imageGrid, type ImageGridOptions } from "./image_grid.ts";
import { showImage } from "./image.ts";

/**
 * Tile `images` with {@linkcode imageGrid}, then show and save the grid as figure `name` (see
 * {@linkcode showImage}); the grid is disposed, the caller's images are not.
 *
 * @example
 * ```ts
 * await showImageGrid("figure3", tiles, { columns: 4, rowTitles, columnTitles, title });
 * tf.dispose(tiles);
 * ```
 */
export async function showImageGrid(
  name: string,
  images: tf.Tensor | tf.Tensor[],
  options: ImageGridOptions = {},
): Promise<void> {
  const grid = await imageGrid(images, options);
  try {
    await showImage(name, grid);
  } finally {
    grid.dispose();
  }
}

/** One panel of {@linkcode imagePanels}: its images and how its grid is drawn. */
export interface ImagePanel extends ImageGridOptions {
  /** The panel's tiles: H×W(×C) tensors or one N×H×W(×C) batch (not disposed). */
  images: tf.Tensor | tf.Tensor[];
}

/** How {@linkcode imagePanels} joins the panels. */
export interface ImagePanelsOptions {
  /** Pixels between the panels and around them (default 10). */
  gap?: number;
  /** A title above all the panels. */
  title?: string;
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Font size of the title, px (default: the grid's). */
  fontSize?: number;
}

/**
 * Several grids side by side in one H×W×3 image (0–255): each panel is drawn by
 * {@linkcode imageGrid} with its own options (its own title, normalisation, scale), then the
 * panels are joined on a white background, `gap` pixels apart, `columns` to a row (all by default). The caller owns the
 * result; the panels' images are not disposed.
 *
 * @example
 * ```ts
 * const both = await imagePanels([
 *   { images: pcaFilters, columns: 8, normalize: "symmetric", title: "PCA" },
 *   { images: zcaFilters, columns: 8, normalize: [-0.2, 0.2], title: "ZCA" },
 * ]);
 * ```
 */
export async function imagePanels(
  panels: ImagePanel[],
  options: ImagePanelsOptions = {},
): Promise<tf.Tensor3D> {
  if (panels.length === 0) throw new Error("imagePanels needs at least one panel");
  const grids: tf.Tensor3D[] = [];
  try {
    for (const { images, ...gridOptions } of panels) {
      grids.push(await imageGrid(images, gridOptions));
    }
    return await imageGrid(grids, {
      columns: options.columns ?? grids.length,
      padding: options.gap ?? 10,
      title: options.title,
      ...(options.fontSize === undefined ? {} : { fontSize: options.fontSize }),
    });
  } finally {
    tf.dispose(grids);
  }
}

/**
 * {@linkcode imagePanels} shown and saved as figure `name` (see {@linkcode showImage}); the joined
 * image is disposed, the caller's images are not.
 *
 * @example
 * ```ts
 * await showImagePanels("whitening_filters", [
 *   { images: pcaTiles, columns: 8, scale: 3, normalize: "symmetric", title: "PCA" },
 *   { images: zcaTiles, columns: 8, scale: 3, normalize: [-s, s], title: "ZCA" },
 * ]);
 * ```
 */
export async function showImagePanels(
  name: string,
  panels: ImagePanel[],
  options: ImagePanelsOptions = {},
): Promise<void> {
  const joined = await imagePanels(panels, options);
  try {
    await showImage(name, joined);
  } finally {
    joined.dispose();
  }
}

/**
 * Captions "1", "2", … `count`, or with a prefix "map 1", "map 2", …
 *
 * @example
 * ```ts
 * numbered(3);         // ["1", "2", "3"]
 * numbered(2, "map "); // ["map 1", "map 2"]
 * ```
 */
export function numbered(count: number, prefix = ""): string[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`numbered: count must be an integer ≥ 0, not ${count}`);
  }
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}
