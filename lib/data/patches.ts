/**
 * Small square patches cut at random from images: the "natural image" data of chapter 5's
 * whitening and sparse-coding experiments.
 *
 * The images are the photo and the four public-domain paintings of the external data folder
 * (`gatys/` under `COURSE_DATA_DIR`, fetched on first use; see `lib/data/external.ts`). The
 * Picasso there is not public domain and is never used for patches. When they cannot be had,
 * {@linkcode naturalImagePatches} cuts MNIST patches instead and says so, and
 * {@linkcode patchSourceNote} is the note a notebook shows above its figures. Each image is read, converted to grey (ITU-R BT.601 luma), optionally
 * shrunk so that its longer side is `longSide` pixels (so that a patch covers a useful piece of the
 * scene), and scaled to [0, 1].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { readImage, resizeImage } from "./images.ts";
import { jupyter } from "../runtime/session.ts";
import { EXTERNAL_FILES, externalFile, howToGetData, PATCH_FILES } from "./external.ts";
import { loadMnist, MNIST_SIDE } from "./mnist.ts";

/**
 * The images patches are cut from: the photo and the public-domain paintings (no Picasso).
 *
 * @example
 * ```ts
 * const images = await loadGreyImages(PATCH_IMAGES.slice(0, 1)); // just the Tübingen photo
 * ```
 */
export const PATCH_IMAGES: readonly string[] = PATCH_FILES;

/** A grey image with values in [0, 1], row-major. */
export interface GreyImage {
  /** The external file it came from (or "mnist"). */
  name: string;
  width: number;
  height: number;
  /** height × width values. */
  pixels: Float32Array;
}

/**
 * Read external images as grey [0, 1] images, the longer side shrunk to `longSide` pixels.
 *
 * @example
 * ```ts
 * const images = await loadGreyImages(PATCH_IMAGES, 256);
 * console.log(images[0].width, images[0].height); // 256 192
 * ```
 */
export async function loadGreyImages(
  names: readonly string[] = PATCH_IMAGES,
  longSide = 256,
): Promise<GreyImage[]> {
  const out: GreyImage[] = [];
  for (const name of names) {
    if (name.includes("seated-nude")) {
      throw new Error(`loadGreyImages: ${name} is not public domain and is not used for patches`);
    }
    const rgb = await readImage(await externalFile(name, "an image to cut patches from"));
    const grey = tf.tidy(() => {
      const small = Math.max(...rgb.shape.slice(0, 2)) > longSide
        ? resizeImage(rgb, longSide)
        : rgb;
      const weights = tf.tensor1d([0.299 / 255, 0.587 / 255, 0.114 / 255]);
      return tf.sum(tf.mul(small, weights), 2);
    });
    rgb.dispose();
    const [height, width] = grey.shape;
    out.push({ name, width, height, pixels: Float32Array.from(grey.dataSync()) });
    grey.dispose();
  }
  return out;
}

/**
 * `count` random size × size patches (rows of size² values, row-major within a patch), each from
 * an image chosen uniformly and a uniformly random position in it.
 *
 * @example
 * ```ts
 * const patches = samplePatches(images, { size: 12, count: 10_000, rng: randomFor("patches") });
 * console.log(patches.length); // 10000 × 144
 * ```
 */
export function samplePatches(
  images: readonly GreyImage[],
  options: { size: number; count: number; rng: Random },
): Float32Array {
  const { size, count, rng } = options;
  if (images.length === 0) throw new Error("samplePatches: no images");
  for (const image of images) {
    if (image.width < size || image.height < size) {
      throw new Error(`samplePatches: ${image.name} (${image.width}×${image.height}) < ${size}`);
    }
  }
  const out = new Float32Array(count * size * size);
  for (let p = 0; p < count; p++) {
    const image = images[rng.int(images.length)];
    const top = rng.int(image.height - size + 1);
    const left = rng.int(image.width - size + 1);
    for (let r = 0; r < size; r++) {
      const from = (top + r) * image.width + left;
      out.set(image.pixels.subarray(from, from + size), (p * size + r) * size);
    }
  }
  return out;
}

/** What {@linkcode naturalImagePatches} returns. */
export interface PatchSet {
  /** count × size² values in [0, 1]. */
  patches: Float32Array;
  /** Side of a patch. */
  size: number;
  /** The images they came from. */
  sources: string[];
  /** Why MNIST was used instead of the paintings, if it was. */
  fallback?: string;
}

/**
 * Random grey patches from the photo and paintings of the external data folder; when those are
 * missing, patches of MNIST digits instead (and `fallback` says why).
 *
 * @example
 * ```ts
 * const { patches, sources } = await naturalImagePatches({ size: 12, count: 20_000, rng });
 * ```
 */
export async function naturalImagePatches(options: {
  size: number;
  count: number;
  rng: Random;
  longSide?: number;
}): Promise<PatchSet> {
  let images: GreyImage[];
  let fallback: string | undefined;
  try {
    images = await loadGreyImages(PATCH_IMAGES, options.longSide ?? 256);
  } catch (error) {
    fallback = (error as Error).message;
    const mnist = await loadMnist({ trainSize: 1000, testSize: 0 });
    images = Array.from({ length: mnist.train.count }, (_, i) => ({
      name: "mnist",
      width: MNIST_SIDE,
      height: MNIST_SIDE,
      pixels: mnist.train.images.subarray(i * 784, (i + 1) * 784),
    }));
  }
  return {
    patches: samplePatches(images, options),
    size: options.size,
    sources: [...new Set(images.map((i) => i.name))],
    fallback,
  };
}

/**
 * What a notebook should say about the images a {@linkcode PatchSet} came from, as Markdown: the
 * images and their credits (the Tübingen photo is CC BY 3.0), or, when MNIST replaced them, a
 * visible note that the figures below are not of natural images, why, and how to get them.
 *
 * @example
 * ```ts
 * await Deno.jupyter.display(Deno.jupyter.md`${patchSourceNote(patchSet)}`);
 * ```
 */
export function patchSourceNote(set: PatchSet): string {
  if (set.fallback !== undefined) {
    return `> **Note: no natural images here.** The photo and paintings could not be read, so the ` +
      `patches below are cut from **MNIST digits** instead: the spectrum, the whitening filters ` +
      `and the whitened patches that follow are those of digit strokes, not of natural images, ` +
      `and the text about natural images does not describe them. Cause: ${
        set.fallback.split(" External files are read from")[0]
      }\n>\n` +
      `> To get the images: ${howToGetData()}`;
  }
  const lines = set.sources.map((name) => {
    const info = EXTERNAL_FILES[name];
    return info === undefined ? `- ${name}` : `- ${info.description} — ${info.licence}`;
  });
  return `Patches cut from ${set.sources.length} images:\n\n${lines.join("\n")}`;
}

/**
 * Show {@linkcode patchSourceNote}: as Markdown in Jupyter (a visible note when MNIST replaced the
 * images), else as text on standard output.
 *
 * @example
 * ```ts
 * await showPatchSources(await naturalImagePatches({ size: 12, count: 1000, rng }));
 * ```
 */
export async function showPatchSources(set: PatchSet): Promise<void> {
  const note = patchSourceNote(set);
  const api = jupyter();
  if (api) await api.display({ "text/markdown": note, "text/plain": note }, { raw: true });
  else console.log(note);
}
