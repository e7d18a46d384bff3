/**
 * Image tensors → PNG files (the `fast-png` codec), and showing an image tensor in Jupyter while
 * saving it as a figure PNG. Reading and resizing images is `lib/data/images.ts`.
 *
 * Conventions: an image tensor is H×W×3 (RGB) or H×W / H×W×1 (grey), float32 with values 0–255
 * unless a `range` says otherwise.
 *
 * @example
 * ```ts
 * const photo = await readImage("tubingen.jpg");       // lib/data/images.ts: H×W×3, 0–255
 * const small = resizeImage(photo, 256);               // long side 256
 * await writePng("out/small.png", small);
 * await showImage("tubingen", small);                  // Jupyter + out/figures/<nb>-tubingen.png
 * photo.dispose(); small.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encode as encodePngBytes } from "fast-png";
import { displayBundle, saveFigurePng, toBase64 } from "./figure.ts";
import { writeFileAtomic } from "../runtime/files.ts";

/** Options for turning tensor values into 8-bit pixels. */
export interface PixelRange {
  /** Values mapped to 0 and 255 (default `[0, 255]`); values outside are clamped. */
  range?: [number, number];
}

/** Height, width and channels (1 or 3) of an image tensor, or a clear error. */
function imageShape(image: tf.Tensor): [number, number, number] {
  const [h, w, c = 1] = image.shape;
  const ok = (image.rank === 2 || (image.rank === 3 && (c === 1 || c === 3))) && h > 0 && w > 0;
  if (!ok) {
    throw new Error(
      `an image tensor must be H×W, H×W×1 or H×W×3 and not empty, got shape [${image.shape}]`,
    );
  }
  return [h, w, c];
}

/**
 * 8-bit pixel values of an image tensor: mapped from `range` (default 0–255) to 0–255, clamped
 * and rounded. Returns `{ width, height, channels, data }` with `channels` 1 or 3.
 *
 * @example
 * ```ts
 * const { data } = toPixels(tf.tensor2d([[0, 1]]), { range: [0, 1] }); // Uint8Array [0, 255]
 * ```
 */
export function toPixels(
  image: tf.Tensor,
  options: PixelRange = {},
): { width: number; height: number; channels: 1 | 3; data: Uint8Array } {
  const [height, width, channels] = imageShape(image);
  const [lo, hi] = options.range ?? [0, 255];
  if (!(hi > lo)) throw new Error(`range [${lo}, ${hi}] must have hi > lo`);
  const values = image.dataSync();
  const data = new Uint8Array(values.length);
  const scale = 255 / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] - lo) * scale;
    data[i] = v <= 0 || Number.isNaN(v) ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { width, height, channels: channels as 1 | 3, data };
}

/**
 * Encode an image tensor (H×W, H×W×1 or H×W×3) as PNG bytes. Values are mapped from `range`
 * (default 0–255) and clamped; grey tensors give a grey PNG.
 *
 * @example
 * ```ts
 * const png = encodePng(tf.zeros([28, 28]));                      // black 28×28 grey PNG
 * const fromUnit = encodePng(probabilities, { range: [0, 1] });
 * ```
 */
export function encodePng(image: tf.Tensor, options: PixelRange = {}): Uint8Array {
  const { width, height, channels, data } = toPixels(image, options);
  return encodePngBytes({ width, height, data, channels, depth: 8 });
}

/**
 * Write an image tensor as a PNG file (parent folders are created), atomically: a temporary file
 * renamed into place. See {@linkcode encodePng}.
 *
 * @example
 * ```ts
 * await writePng("out/noise.png", tf.randomUniform([64, 64, 3], 0, 255));
 * ```
 */
export async function writePng(
  path: string,
  image: tf.Tensor,
  options: PixelRange = {},
): Promise<void> {
  const png = encodePng(image, options);
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  await writeFileAtomic(path, png);
}

/**
 * Save an image tensor as figure `name` (`<outDir()>/figures/<currentNotebook()>-<name>.png`)
 * and, inside Jupyter, display it (a PNG output with a text line). Returns the PNG's path.
 * Values are mapped from `range` (default 0–255).
 *
 * @example
 * ```ts
 * const grid = await imageGrid(tiles, { columns: 10, normalize: "symmetric" });
 * await showImage("weights", grid);
 * grid.dispose();
 * ```
 */
export async function showImage(
  name: string,
  image: tf.Tensor,
  options: PixelRange = {},
): Promise<void> {
  const png = encodePng(image, options);
  const path = await saveFigurePng(name, png);
  const [height, width] = image.shape;
  await displayBundle({
    "image/png": toBase64(png),
    "text/plain": `Image "${name}" ${width}×${height} (saved to ${path})`,
  });
}
