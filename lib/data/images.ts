/**
 * Image files → tensors: PNG and JPEG decoded by maintained npm codecs (`fast-png`, `jpeg-js`),
 * and resizing. An image tensor is H×W×3 (RGB), float32 with values 0–255. Writing and showing
 * images is `lib/viz/image.ts`.
 *
 * @example
 * ```ts
 * const photo = await readImage("tubingen.jpg"); // H×W×3, 0–255
 * const small = resizeImage(photo, 256);         // long side 256
 * photo.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { convertIndexedToRgb, decode as decodePngBytes } from "fast-png";
import jpeg from "jpeg-js";

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
 * How much an image varies from pixel to pixel: the mean, over pixels and channels, of the squared
 * difference between a pixel and the mean of its 3×3 neighbourhood (borders left out), on the
 * image's own scale (0–255 gives grey levels squared). A flat image gives 0; fine speckle and
 * sharp detail raise it.
 *
 * @example
 * ```ts
 * highFrequencyEnergy(tf.fill([8, 8, 3], 128) as tf.Tensor3D); // 0
 * ```
 */
export function highFrequencyEnergy(image: tf.Tensor3D): number {
  if (image.rank !== 3 || image.shape[0] < 3 || image.shape[1] < 3) {
    throw new Error(
      `highFrequencyEnergy: expected an H×W×C image of at least 3×3 pixels, got [${image.shape}]`,
    );
  }
  return tf.tidy(() => {
    const x = tf.expandDims(tf.cast(image, "float32"), 0) as tf.Tensor4D;
    const local = tf.avgPool(x, 3, 1, "valid"); // each 3×3 neighbourhood's mean
    const centre = tf.slice(x, [0, 1, 1, 0], local.shape); // the pixel at its centre
    return tf.mean(tf.square(tf.sub(centre, local))).dataSync()[0];
  });
}
