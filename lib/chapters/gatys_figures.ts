/**
 * The images of Gatys, Ecker & Bethge (2015) and what the notebooks of chapter 7 share: the image
 * size by mode, loading the photo and the paintings from the external data folder at that size,
 * the common set-up (images, the normalised VGG19 with average pooling, α for the paper's ratios
 * by the balance rule of `07_style_transfer`, §7.4), pasting
 * a painting into a corner of a result (the insets of the paper's figure 2), and a log of the
 * optimisations with their iterations, losses and times. The experiments themselves (which
 * images, layers, α/β and iterations) are written in the notebooks' cells.
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
import { readImage, resizeImage } from "../data/images.ts";
import { showTable } from "../viz/table.ts";
import { loadVgg19, type Vgg19, vggPreprocess } from "../vision/vgg19.ts";
import { normalizeVgg19 } from "../vision/vgg19_normalize.ts";
import { layerPositions, PAPER_CONTENT_LAYER } from "../vision/style_layers.ts";
import type { StyleTransferResult } from "../vision/style_transfer.ts";
import { balancedContentWeight, type StartPulls, startPulls } from "../vision/style_balance.ts";
import { byMode } from "../runtime/config.ts";

/**
 * The long side of the photo and the paintings in the style-transfer notebooks (07–07c), pixels:
 * quick mode keeps CI fast with tiny images whose optimisations are far from converged; full
 * mode uses 256 px (the paper's figures are larger), which keeps the style notebooks within about
 * 40 minutes on two cores — one L-BFGS iteration of a full transfer at 256×192 takes about 0.6 s
 * there (measured times are in the README). Each notebook sets its own iteration counts.
 */
export const GATYS_LONG_SIDE: number = byMode({ quick: 64, full: 256 });

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
 * The painting whose pull, with the photo's, fixes α for all: at the paper's α/β = 10⁻³ the
 * photo's content and *The Starry Night*'s style pull equally hard on the start (the paper's
 * figure 2C; see `07_style_transfer`, §7.4).
 */
export const BALANCE_PAINTING: GatysImage = "starry_night";

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

/**
 * How the figures of 07–07c tile their images (options for `imageGrid`): 4 px apart, each image
 * magnified by a whole factor (at least 1) so that its long side of {@linkcode GATYS_LONG_SIDE}
 * pixels shows as about `shownLongSide`: quick mode's 64-px images are enlarged, full mode's
 * 256-px ones are shown as they are (for `shownLongSide` < 384).
 *
 * @example
 * ```ts
 * await showImageGrid("figure3", tiles, { ...gatysGridStyle(160), columns: 4 });
 * ```
 */
export function gatysGridStyle(shownLongSide: number): { padding: number; scale: number } {
  if (!(shownLongSide > 0)) {
    throw new Error(`gatysGridStyle: the shown long side must be > 0 pixels, not ${shownLongSide}`);
  }
  return { padding: 4, scale: Math.max(1, Math.round(shownLongSide / GATYS_LONG_SIDE)) };
}

/** What {@linkcode prepareGatysFigure} returns; free it with `dispose`. */
export interface GatysFigureSetup {
  /** The photo and the five paintings, long side `longSide` (RGB 0–255, H×W×3). */
  images: Record<GatysImage, tf.Tensor3D>;
  /** The Neckarfront photo (the same tensor as `images.tubingen`). */
  photo: tf.Tensor3D;
  /** The photo's height and width. */
  height: number;
  width: number;
  /** VGG19 with average pooling, normalised to mean activation 1 per filter on the six images. */
  vgg: Vgg19;
  /** The original network's mean activation per filter, by layer (what it was normalised by). */
  means: Record<string, Float32Array>;
  /** Positions M of the content layer conv4_2 at this size. */
  contentPositions: number;
  /**
   * How hard the photo's content and `painting`'s style (the paper's five layers) pull on the
   * white-noise start (see `startPulls`); measured once per painting, then remembered.
   */
  pulls(painting: GatysImage): StartPulls;
  /**
   * The content weight α (β = 1) for one of the paper's α/β, the same for every painting:
   * `balancedContentWeight(paperRatio, pulls(BALANCE_PAINTING))` (equal pulls at 10⁻³ for the
   * photo and *The Starry Night*, the paper's figure 2C).
   */
  alphaFor(paperRatio: number): number;
  /** Free the images and the network (again: nothing). */
  dispose(): void;
}

/** The set-up {@linkcode prepareGatysFigure} made last, freed when it makes the next one. */
let current: GatysFigureSetup | undefined;

/**
 * The common start of the style-transfer notebooks: the six images at `longSide` px, VGG19 with
 * the paper's average pooling, normalised on those images (`normalizeVgg19`), and α for the
 * paper's ratios at this size (the pulls measured on first use).
 *
 * One set-up at a time: a call frees the set-up the previous call returned (if not yet freed), so
 * that running a notebook's set-up cell again replaces the network instead of piling up copies
 * (VGG19 holds 80 MB); the notebooks therefore never free it themselves, and every later cell can
 * be run again. The kernel frees it when it stops.
 *
 * @example
 * ```ts
 * const setup = await prepareGatysFigure(GATYS_LONG_SIDE);
 * setup.alphaFor(1e-3); // α with β = 1
 * ```
 */
export async function prepareGatysFigure(longSide: number): Promise<GatysFigureSetup> {
  current?.dispose();
  current = undefined;
  const images = await loadGatysImages(longSide);
  const raw = await loadVgg19({ pooling: "avg" });
  const inputs = Object.values(images).map((image) => vggPreprocess(image));
  const { network: vgg, means } = normalizeVgg19(raw, inputs);
  tf.dispose(inputs);
  raw.dispose();
  const photo = images.tubingen;
  const [height, width] = photo.shape;
  const contentPositions = layerPositions(PAPER_CONTENT_LAYER, height, width);
  let freed = false;
  const measured = new Map<GatysImage, StartPulls>();
  const pulls = (painting: GatysImage): StartPulls => {
    if (freed) throw new Error("prepareGatysFigure: this set-up has been freed");
    let known = measured.get(painting);
    if (!known) measured.set(painting, known = startPulls(vgg, photo, images[painting]));
    return known;
  };
  const setup: GatysFigureSetup = {
    images,
    photo,
    height,
    width,
    vgg,
    means,
    contentPositions,
    pulls,
    alphaFor: (paperRatio) => balancedContentWeight(paperRatio, pulls(BALANCE_PAINTING)),
    dispose() {
      if (freed) return;
      freed = true;
      vgg.dispose();
      tf.dispose(Object.values(images));
      if (current === setup) current = undefined;
    },
  };
  current = setup;
  return setup;
}

/**
 * The optimisations of a figure: iterations, evaluations, loss at the start and the end, time.
 *
 * @example
 * ```ts
 * const log = new RunLog();
 * log.add("content conv4_1", result);
 * await log.show(); // a table, then "10 optimisations, 212 s in all"
 * ```
 */
export class RunLog {
  readonly #rows: { what: string; result: StyleTransferResult }[] = [];

  /** Record one optimisation. */
  add(what: string, result: StyleTransferResult): void {
    this.#rows.push({ what, result });
  }

  /** Seconds of all recorded optimisations. */
  get seconds(): number {
    return this.#rows.reduce((sum, row) => sum + row.result.seconds, 0);
  }

  /** Show the table and a line with the count and the total time. */
  async show(): Promise<void> {
    await showTable(
      ["run", "iterations", "evaluations", "loss at start", "loss at end", "seconds"],
      this.#rows.map(({ what, result }) => [
        what,
        result.optimizer.iterations,
        result.optimizer.evaluations,
        result.history[0].total.toExponential(2),
        result.history[result.history.length - 1].total.toExponential(2),
        result.seconds.toFixed(1),
      ]),
    );
    console.log(`${this.#rows.length} optimisations, ${this.seconds.toFixed(0)} s in all`);
  }
}
