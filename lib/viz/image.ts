/**
 * Image tensors ↔ PNG/JPEG files, through maintained npm codecs (`fast-png`, `jpeg-js`), and
 * showing an image tensor in Jupyter while saving it as a figure PNG.
 *
 * Conventions: an image tensor is H×W×3 (RGB) or H×W / H×W×1 (grey), float32 with values 0–255
 * unless a `range` says otherwise.
 *
 * @example
 * ```ts
 * const photo = await readImage("tubingen.jpg");       // H×W×3, 0–255
 * const small = resizeImage(photo, 256);               // long side 256
 * await writePng("out/small.png", small);
 * await showImage("tubingen", small);                  // Jupyter + out/figures/<nb>-tubingen.png
 * photo.dispose(); small.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { decode as decodePngBytes, encode as encodePngBytes } from "fast-png";
import { convertIndexedToRgb } from "fast-png";
import jpeg from "jpeg-js";
import { displayBundle, saveFigurePng, toBase64 } from "./figure.ts";
import { writeFileAtomic } from "../runtime/files.ts";

/** Options for turning tensor values into 8-bit pixels. */
export interface PixelRange {
  /** Values mapped to 0 and 255 (default `[0, 255]`); values outside are clamped. */
  range?: [number, number];
}

function isPng(bytes: Uint8Array): boolean {
  const magic = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && magic.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** RGB float pixels (0–255) of a decoded PNG; grey is replicated, alpha dropped, 16-bit scaled. */
function pngToRgb(bytes: Uint8Array): { width: number; height: number; rgb: Float32Array } {
  const png = decodePngBytes(bytes);
  const { width, height } = png;
  let data: ArrayLike<number> = png.data;
  let channels = png.channels;
  let max = png.depth === 16 ? 65535 : 255;
  if (png.palette !== undefined) {
    data = convertIndexedToRgb(png);
    channels = data.length / (width * height);
    max = 255;
  } else if (png.depth < 8) {
    throw new Error(`${png.depth}-bit grey PNGs are not supported (fast-png keeps them packed)`);
  }
  const rgb = new Float32Array(width * height * 3);
  const scale = 255 / max;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      // grey (1 or 2 channels): replicate; colour (3 or 4): take RGB, drop alpha
      const source = channels <= 2 ? p * channels : p * channels + c;
      rgb[p * 3 + c] = data[source] * scale;
    }
  }
  return { width, height, rgb };
}

/**
 * Read a PNG or JPEG file (told apart by its first bytes) as an H×W×3 float32 tensor with
 * values 0–255. Grey images are replicated to RGB; an alpha channel is dropped; 16-bit PNGs are
 * scaled to 0–255. A missing file or an image that cannot be decoded gives one Error naming the
 * path.
 *
 * @example
 * ```ts
 * const image = await readImage("data/external/gatys/tubingen.jpg");
 * console.log(image.shape); // [H, W, 3]
 * image.dispose();
 * ```
 */
export async function readImage(path: string): Promise<tf.Tensor3D> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new Error(`Cannot read image "${path}": ${why}`);
  }
  let decoded: { width: number; height: number; rgb: Float32Array };
  try {
    if (isPng(bytes)) {
      decoded = pngToRgb(bytes);
    } else if (isJpeg(bytes)) {
      const jpg = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
      decoded = { width: jpg.width, height: jpg.height, rgb: Float32Array.from(jpg.data) };
    } else {
      throw new Error("it is neither a PNG nor a JPEG file");
    }
    if (decoded.rgb.length !== decoded.width * decoded.height * 3 || decoded.width === 0) {
      throw new Error("the decoder returned an unexpected amount of data");
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot decode image "${path}": ${message.split("\n")[0].replace(/:\s*$/, "")}`,
    );
  }
  return tf.tensor3d(decoded.rgb, [decoded.height, decoded.width, 3], "float32");
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
 * Resize an H×W×C image so that its longer side is `longSide` pixels (bilinear, aspect ratio
 * kept, each side at least 1). Returns a new tensor; the input is not disposed.
 *
 * @example
 * ```ts
 * const small = resizeImage(photo, 512); // e.g. 1024×768 → 512×384
 * ```
 */
export function resizeImage(image: tf.Tensor3D, longSide: number): tf.Tensor3D {
  const [h, w] = image.shape;
  const factor = longSide / Math.max(h, w);
  const size: [number, number] = [
    Math.max(1, Math.round(h * factor)),
    Math.max(1, Math.round(w * factor)),
  ];
  return tf.tidy(() => tf.image.resizeBilinear(image, size, true));
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
