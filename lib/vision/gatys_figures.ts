/**
 * The images of Gatys, Ecker & Bethge (2015) and the small picture operations their figures
 * need: loading the photo and the paintings from the external data folder at a given size, and
 * pasting a painting into a corner of a result (the insets of the paper's figure 2).
 *
 * The files live in `<COURSE_DATA_DIR>/gatys/` (see `lib/data/external.ts`); they are never
 * committed, and neither is any image made from the Picasso (not in the public domain): the
 * figures are written to `out/` at run time only.
 *
 * @example
 * ```ts
 * const images = await loadGatysImages(128);            // long side 128 px
 * const panel = insetImage(result, images.starry_night); // painting in the lower left
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { externalFile } from "../data/external.ts";
import { readImage, resizeImage } from "../viz/image.ts";

/** The photo and the five paintings of the paper's figure 2, by file stem. */
export const GATYS_IMAGES = {
  tubingen: { file: "tubingen.jpg", title: "Neckarfront, Tübingen (photo: Andreas Praefcke)" },
  shipwreck: { file: "shipwreck.jpg", title: "The Shipwreck of the Minotaur (Turner, 1805)" },
  starry_night: { file: "starry_night.jpg", title: "The Starry Night (van Gogh, 1889)" },
  the_scream: { file: "the_scream.jpg", title: "The Scream (Munch, 1893)" },
  seated_nude: { file: "seated-nude.jpg", title: "Femme nue assise (Picasso, 1910)" },
  composition_vii: { file: "composition_vii.jpg", title: "Composition VII (Kandinsky, 1913)" },
} as const;

/** One of {@linkcode GATYS_IMAGES}' keys. */
export type GatysImage = keyof typeof GATYS_IMAGES;

/**
 * Read the paper's images from the external data folder, each resized so that its long side is
 * `longSide` pixels (RGB, 0–255, H×W×3; the caller disposes them). A missing file gives one
 * error naming the path and where to get it.
 *
 * @example
 * ```ts
 * const { tubingen, starry_night } = await loadGatysImages(64, ["tubingen", "starry_night"]);
 * ```
 */
export async function loadGatysImages<K extends GatysImage>(
  longSide: number,
  names: readonly K[] = Object.keys(GATYS_IMAGES) as K[],
): Promise<Record<K, tf.Tensor3D>> {
  const out = {} as Record<K, tf.Tensor3D>;
  for (const name of names) {
    const path = await externalFile(`gatys/${GATYS_IMAGES[name].file}`, GATYS_IMAGES[name].title);
    const full = await readImage(path);
    out[name] = resizeImage(full, longSide);
    full.dispose();
  }
  return out;
}

/** Options of {@linkcode insetImage}. */
export interface InsetOptions {
  /** The inset's long side as a fraction of the base image's short side (default 0.4). */
  fraction?: number;
  /** White frame around the inset, pixels (default 1). */
  border?: number;
  /** Corner (default "bottom-left", as in the paper). */
  corner?: "bottom-left" | "bottom-right" | "top-left" | "top-right";
}

/**
 * A copy of `base` (H×W×3) with `inset` scaled down and pasted into a corner inside a white
 * frame, like the painting thumbnails in the paper's figure 2. The caller owns the result.
 *
 * @example
 * ```ts
 * const panel = insetImage(result.image, painting, { fraction: 0.35 });
 * ```
 */
export function insetImage(
  base: tf.Tensor3D,
  inset: tf.Tensor3D,
  options: InsetOptions = {},
): tf.Tensor3D {
  const [h, w] = base.shape;
  const border = options.border ?? 1;
  const side = Math.max(4, Math.round((options.fraction ?? 0.4) * Math.min(h, w)));
  const small = resizeImage(inset, side);
  const [sh, sw] = small.shape;
  const corner = options.corner ?? "bottom-left";
  const top = corner.startsWith("bottom") ? h - sh - 2 * border : 0;
  const left = corner.endsWith("left") ? 0 : w - sw - 2 * border;
  const canvas = base.arraySync() as number[][][];
  const pixels = small.arraySync() as number[][][];
  small.dispose();
  for (let i = 0; i < sh + 2 * border; i++) {
    for (let j = 0; j < sw + 2 * border; j++) {
      const [y, x] = [top + i, left + j];
      if (y < 0 || x < 0 || y >= h || x >= w) continue;
      const inside = i >= border && j >= border && i < sh + border && j < sw + border;
      canvas[y][x] = inside ? pixels[i - border][j - border] : [255, 255, 255];
    }
  }
  return tf.tensor3d(canvas, [h, w, 3], "float32");
}
