/**
 * VGG19 (Simonyan & Zisserman 2014) with its ImageNet weights: the 16 convolution layers conv1_1 …
 * conv5_4 and the five pooling layers between them, the network Gatys et al. (2015) use.
 *
 * The weights are the Keras Applications VGG19 weights as a TF.js layers model, uint8-quantised
 * (value = q·scale + min per tensor), in the external data folder `vgg19_uint8_tfjs/` (see
 * `lib/data/external.ts` and `data/README.md`). This module reads the published `model.json`
 * itself: the layer list from its topology, and from its weights manifest the byte offset of every
 * convolution tensor in the concatenated shards. The convolutions occupy the first 20 shards (of
 * 138); the classifier's shards are never needed. Every file read is checked against the sha256
 * table in `lib/data/external_files.ts` (once per process); from the default folder, missing files
 * are fetched on first use (`lib/data/external.ts`), and a missing or corrupt file gives one
 * message saying where to get it (`deno task fetch-data`).
 *
 * Layer names are the paper's: `convB_C` is the C-th convolution of block B **after its ReLU**
 * (Keras folds the ReLU into the layer, as Gatys et al.'s feature maps do), `poolB` the pooling
 * after block B. Input: {@linkcode vggPreprocess} (BGR, mean subtracted, 0–255), any size ≥ 16 px.
 *
 * @example
 * ```ts
 * const vgg = await loadVgg19({ pooling: "avg" });
 * const x = vggPreprocess(photo);                          // 1×H×W×3
 * const maps = vgg.features(x, ["conv1_1", "conv4_2"]);    // { conv1_1: 1×H×W×64, conv4_2: … }
 * tf.dispose([x, ...Object.values(maps)]);
 * vgg.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  EXTERNAL_FILES,
  externalFile,
  howToGetData,
  verifySha256,
  VGG19_FOLDER,
} from "../data/external.ts";
import { avgPool2d, frozenConvBiasRelu, type GradientPath, maxPool2d } from "../nn/conv.ts";
import {
  blockedFrozenConvBiasRelu,
  blockedPool,
  chainedBlock,
  fromChannelBlocks,
} from "../nn/blocked.ts";

export { vggDeprocess, vggPreprocess } from "./preprocess.ts";

/** The folder of the weights inside the external data folder. */
export const VGG19_DIR: string = VGG19_FOLDER;

/** The 16 convolution layers, input to output. */
export const VGG19_CONV_LAYERS = [
  "conv1_1",
  "conv1_2",
  "conv2_1",
  "conv2_2",
  "conv3_1",
  "conv3_2",
  "conv3_3",
  "conv3_4",
  "conv4_1",
  "conv4_2",
  "conv4_3",
  "conv4_4",
  "conv5_1",
  "conv5_2",
  "conv5_3",
  "conv5_4",
] as const;

/** Every layer, input to output: the convolutions with a pooling layer after each block. */
export const VGG19_LAYERS = [
  "conv1_1",
  "conv1_2",
  "pool1",
  "conv2_1",
  "conv2_2",
  "pool2",
  "conv3_1",
  "conv3_2",
  "conv3_3",
  "conv3_4",
  "pool3",
  "conv4_1",
  "conv4_2",
  "conv4_3",
  "conv4_4",
  "pool4",
  "conv5_1",
  "conv5_2",
  "conv5_3",
  "conv5_4",
  "pool5",
] as const;

/** One of the 16 convolution layers. */
export type Vgg19ConvLayer = typeof VGG19_CONV_LAYERS[number];

/** Any layer whose feature maps can be asked for. */
export type Vgg19Layer = typeof VGG19_LAYERS[number];

/** Max pooling (as trained) or average pooling (as Gatys et al. use it). */
export type Vgg19Pooling = "max" | "avg";

/** One convolution layer: y = ReLU(conv2d(x, kernel, stride 1, "same") + bias). */
export interface Vgg19Conv {
  /** The paper's name, e.g. "conv4_2". */
  name: Vgg19ConvLayer;
  /** The Keras name in model.json, e.g. "block4_conv2". */
  kerasName: string;
  /** [3, 3, Cin, Cout]. */
  kernel: tf.Tensor4D;
  /** [Cout]. */
  bias: tf.Tensor1D;
}

/** Options of {@linkcode loadVgg19}. */
export interface Vgg19Options {
  /** Pooling between blocks (default "max", as trained). */
  pooling?: Vgg19Pooling;
  /** Check every file's sha256 against `lib/data/external.ts` (default true). */
  verify?: boolean;
  /** The folder holding model.json and the shards (default `<COURSE_DATA_DIR>/vgg19_uint8_tfjs`). */
  dir?: string;
  /** Gradient code of the convolutions and pools (default "auto", see `lib/nn/conv.ts`). */
  gradient?: GradientPath;
}

/** The parts of a TF.js layers-model `model.json` this loader reads. */
interface ModelJson {
  modelTopology: {
    model_config: {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
  };
  weightsManifest: {
    paths: string[];
    weights: {
      name: string;
      shape: number[];
      dtype: string;
      quantization?: { dtype: string; scale?: number; min?: number };
    }[];
  }[];
}

/** Where to get the weights, for error messages. */
function whereToGet(): string {
  const info = EXTERNAL_FILES[`${VGG19_DIR}/model.json`];
  return `${howToGetData()} The originals: ${info.url}.`;
}

function paperName(kerasName: string): string | undefined {
  const m = /^block(\d)_(conv|pool)(\d?)$/.exec(kerasName);
  if (!m) return undefined;
  return m[2] === "conv" ? `conv${m[1]}_${m[3]}` : `pool${m[1]}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function verified(dir: string, name: string, verify: boolean): Promise<string> {
  const path = `${dir}/${name}`;
  const info = EXTERNAL_FILES[`${VGG19_DIR}/${name}`];
  if (!verify) return path;
  if (info === undefined) {
    throw new Error(`VGG19: no sha256 is known for ${path}; pass verify: false to skip checks`);
  }
  try {
    await verifySha256(path, info.sha256, `${VGG19_DIR}/${name}`);
  } catch (error) {
    throw new Error(`VGG19 weights: ${(error as Error).message} ${whereToGet()}`);
  }
  return path;
}

/** Bytes per stored element of a weight. */
function bytesPer(spec: ModelJson["weightsManifest"][0]["weights"][0]): number {
  const q = spec.quantization?.dtype;
  if (q === undefined) {
    if (spec.dtype !== "float32") throw new Error(`VGG19: unsupported dtype ${spec.dtype}`);
    return 4;
  }
  if (q === "uint8") return 1;
  if (q === "uint16") return 2;
  throw new Error(`VGG19: unsupported quantization ${q} of ${spec.name}`);
}

/** Read the bytes [start, end) of the concatenation of `paths` (only the files needed). */
async function readRange(
  dir: string,
  paths: string[],
  start: number,
  end: number,
  verify: boolean,
): Promise<Uint8Array> {
  const out = new Uint8Array(end - start);
  let offset = 0;
  for (const name of paths) {
    if (offset >= end) break;
    const bytes = await Deno.readFile(await verified(dir, name, verify));
    const from = Math.max(start - offset, 0), to = Math.min(end - offset, bytes.length);
    if (to > from) out.set(bytes.subarray(from, to), offset + from - start);
    offset += bytes.length;
  }
  if (offset < end) {
    throw new Error(`VGG19: the shards hold ${offset} bytes, the convolutions need ${end}`);
  }
  return out;
}

/** The shards that hold bytes [0, end), by the sizes in the sha256 table (else on disk). */
async function shardsFor(dir: string, paths: string[], end: number): Promise<string[]> {
  const needed: string[] = [];
  let offset = 0;
  for (const name of paths) {
    if (offset >= end) break;
    needed.push(name);
    const known = EXTERNAL_FILES[`${VGG19_DIR}/${name}`]?.bytes;
    offset += known ?? (await Deno.stat(`${dir}/${name}`)).size;
  }
  return needed;
}

/**
 * The dequantised weights of the 16 convolution layers as typed arrays (kernels HWIO), read from
 * `dir` (default `<COURSE_DATA_DIR>/vgg19_uint8_tfjs`), plus the pooling layers' positions.
 *
 * @example
 * ```ts
 * const { convs } = await readVgg19Weights();
 * convs[0].kernelShape; // [3, 3, 3, 64]
 * ```
 */
export async function readVgg19Weights(
  options: { dir?: string; verify?: boolean } = {},
): Promise<{
  layers: Vgg19Layer[];
  convs: {
    name: Vgg19ConvLayer;
    kerasName: string;
    kernel: Float32Array;
    kernelShape: [number, number, number, number];
    bias: Float32Array;
  }[];
}> {
  const verify = options.verify ?? true;
  // The default folder: fetch what is missing (first use) and check every file once.
  const dir = options.dir ?? await externalFile(VGG19_DIR, "VGG19 weights", { verify });
  const modelPath = `${dir}/model.json`;
  if (!(await exists(modelPath))) {
    throw new Error(`VGG19 weights missing: ${modelPath} (the model description). ${whereToGet()}`);
  }
  const text = new TextDecoder().decode(
    await Deno.readFile(await verified(dir, "model.json", verify)),
  );
  let model: ModelJson;
  try {
    model = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new Error(
      `VGG19 weights: ${modelPath} is not JSON (${(error as Error).message}). ${whereToGet()}`,
    );
  }

  // The layers: every Conv2D and pooling layer named blockB_…, in order.
  const layers: Vgg19Layer[] = [];
  const kerasOf = new Map<string, string>();
  for (const layer of model.modelTopology.model_config.config.layers) {
    const name = String(layer.config.name);
    const paper = paperName(name);
    if (paper === undefined || !(VGG19_LAYERS as readonly string[]).includes(paper)) continue;
    if (layer.class_name === "Conv2D") {
      const c = layer.config;
      if (c.padding !== "same" || c.activation !== "relu" || String(c.strides) !== "1,1") {
        throw new Error(`VGG19: unexpected settings of ${name} in ${modelPath}`);
      }
    }
    layers.push(paper as Vgg19Layer);
    kerasOf.set(paper, name);
  }
  if (String(layers) !== String(VGG19_LAYERS)) {
    throw new Error(`VGG19: ${modelPath} does not describe VGG19's layers (found ${layers})`);
  }

  // Where each convolution tensor lies in the (single) weight group.
  if (model.weightsManifest.length !== 1) {
    throw new Error(`VGG19: expected one weight group in ${modelPath}`);
  }
  const group = model.weightsManifest[0];
  const places = new Map<string, { start: number; spec: typeof group.weights[0] }>();
  let offset = 0;
  for (const spec of group.weights) {
    places.set(spec.name, { start: offset, spec });
    offset += spec.shape.reduce((a, b) => a * b, 1) * bytesPer(spec);
  }
  const tensors = VGG19_CONV_LAYERS.flatMap((name) => {
    const keras = kerasOf.get(name) as string;
    return [`${keras}/kernel`, `${keras}/bias`].map((key) => {
      const place = places.get(key);
      if (place === undefined) throw new Error(`VGG19: ${key} is not in ${modelPath}`);
      return place;
    });
  });
  const end = Math.max(
    ...tensors.map((t) => t.start + t.spec.shape.reduce((a, b) => a * b, 1) * bytesPer(t.spec)),
  );

  const shards = await shardsFor(dir, group.paths, end);
  const missing: string[] = [];
  for (const name of shards) if (!(await exists(`${dir}/${name}`))) missing.push(name);
  if (missing.length > 0) {
    throw new Error(
      `VGG19 weights missing: ${missing.length} of the ${shards.length} weight files in ${dir} ` +
        `(${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}). ${whereToGet()}`,
    );
  }
  const bytes = await readRange(dir, shards, 0, end, verify);

  const dequantise = (t: { start: number; spec: typeof group.weights[0] }): Float32Array => {
    const n = t.spec.shape.reduce((a, b) => a * b, 1);
    const q = t.spec.quantization;
    if (q === undefined) return new Float32Array(bytes.slice(t.start, t.start + 4 * n).buffer);
    const scale = q.scale ?? 1, min = q.min ?? 0;
    const values = q.dtype === "uint8"
      ? bytes.subarray(t.start, t.start + n)
      : new Uint16Array(bytes.slice(t.start, t.start + 2 * n).buffer);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = values[i] * scale + min;
    return out;
  };
  const convs = VGG19_CONV_LAYERS.map((name, i) => {
    const [kernel, bias] = [tensors[2 * i], tensors[2 * i + 1]];
    const shape = kernel.spec.shape;
    if (shape.length !== 4 || bias.spec.shape[0] !== shape[3]) {
      throw new Error(
        `VGG19: ${kerasOf.get(name)} has kernel [${shape}], bias [${bias.spec.shape}]`,
      );
    }
    return {
      name,
      kerasName: kerasOf.get(name) as string,
      kernel: dequantise(kernel),
      kernelShape: shape as [number, number, number, number],
      bias: dequantise(bias),
    };
  });
  return { layers, convs };
}

/**
 * VGG19's convolutional part with ImageNet weights. Create it with {@linkcode loadVgg19}; free it
 * with {@linkcode Vgg19.dispose}.
 */
export class Vgg19 {
  /** The 16 convolution layers, input to output. */
  readonly convs: readonly Vgg19Conv[];
  /** Pooling between blocks. */
  readonly pooling: Vgg19Pooling;
  /** Gradient code of the convolutions and pools. */
  readonly gradient: GradientPath;
  #disposed = false;

  /** A network from its layers (use {@linkcode loadVgg19}); the tensors become its own. */
  constructor(convs: readonly Vgg19Conv[], pooling: Vgg19Pooling, gradient: GradientPath = "auto") {
    this.convs = convs;
    this.pooling = pooling;
    this.gradient = gradient;
  }

  /**
   * The feature maps of `layers` for a preprocessed input x [N, H, W, 3] (see
   * {@linkcode vggPreprocess}): one N×h×w×C tensor per requested layer, which the caller owns.
   * Only the layers up to the deepest requested one are computed. Differentiable with respect
   * to x (for style transfer). Where the backend keeps a frozen network's activations in channel
   * blocks (`lib/nn/blocked.ts`; the `blas` backend with `COURSE_DNNL_LAYOUT=chain`), the layers
   * run on blocks and only the requested maps are converted back: the same numbers.
   *
   * @example
   * ```ts
   * const { conv4_2 } = vgg.features(x, ["conv4_2"]); // 1×H/8×W/8×512
   * ```
   */
  features<L extends Vgg19Layer>(x: tf.Tensor4D, layers: readonly L[]): Record<L, tf.Tensor4D> {
    if (this.#disposed) {
      throw new Error(
        "Vgg19.features: this network has been freed (dispose()); make a new one (in a notebook: " +
          "run its set-up cell again)",
      );
    }
    if (x.rank !== 4 || x.shape[3] !== 3) {
      throw new Error(`Vgg19.features: x must be N×H×W×3 (preprocessed BGR), got [${x.shape}]`);
    }
    for (const layer of layers) {
      if (!(VGG19_LAYERS as readonly string[]).includes(layer)) {
        throw new Error(`Vgg19.features: unknown layer "${layer}" (one of ${VGG19_LAYERS})`);
      }
    }
    const last = Math.max(...layers.map((l) => VGG19_LAYERS.indexOf(l)));
    const block = chainedBlock(this.gradient);
    if (block !== undefined) return this.#blockedFeatures(x, layers, last, block);
    return tf.tidy(() => {
      const out = {} as Record<L, tf.Tensor4D>;
      let h = x;
      let conv = 0;
      for (let i = 0; i <= last; i++) {
        const name = VGG19_LAYERS[i];
        if (name.startsWith("conv")) {
          const { kernel, bias } = this.convs[conv++];
          h = frozenConvBiasRelu(h, kernel, bias, {
            padding: "same",
            gradient: this.gradient,
          });
        } else {
          const options = { size: 2, strides: 2, gradient: this.gradient } as const;
          h = this.pooling === "max" ? maxPool2d(h, options) : avgPool2d(h, options);
        }
        if ((layers as readonly string[]).includes(name)) out[name as L] = h;
      }
      return out;
    });
  }

  /**
   * {@linkcode Vgg19.features} with the activations in channel blocks of `block` from layer to
   * layer (`lib/nn/blocked.ts`): the same numbers, with the input and the requested maps the
   * only ones converted.
   */
  #blockedFeatures<L extends Vgg19Layer>(
    x: tf.Tensor4D,
    layers: readonly L[],
    last: number,
    block: number,
  ): Record<L, tf.Tensor4D> {
    return tf.tidy(() => {
      const out = {} as Record<L, tf.Tensor4D>;
      let h: tf.Tensor4D | tf.Tensor5D = x;
      let conv = 0, channels = 3;
      for (let i = 0; i <= last; i++) {
        const name = VGG19_LAYERS[i];
        if (name.startsWith("conv")) {
          const { kernel, bias } = this.convs[conv++];
          h = blockedFrozenConvBiasRelu(h, kernel, bias, block, { padding: "same" });
          channels = kernel.shape[3];
        } else {
          const options = { size: 2, strides: 2, gradient: this.gradient } as const;
          h = blockedPool(h as tf.Tensor5D, this.pooling, options);
        }
        if ((layers as readonly string[]).includes(name)) {
          out[name as L] = fromChannelBlocks(h as tf.Tensor5D, channels);
        }
      }
      return out;
    });
  }

  /** The number of weights (20 024 384: all kernels and biases). */
  get parameterCount(): number {
    return this.convs.reduce((sum, c) => sum + c.kernel.size + c.bias.size, 0);
  }

  /** Free the weights; later calls of {@linkcode Vgg19.features} throw a clear error. */
  dispose(): void {
    this.#disposed = true;
    for (const c of this.convs) tf.dispose([c.kernel, c.bias]);
  }
}

/**
 * Load VGG19's 16 convolution layers with their ImageNet weights from the external data folder,
 * checking each file's sha256 (see the module notes).
 *
 * @throws Error naming the missing or corrupt files, and how to get them
 *
 * @example
 * ```ts
 * const vgg = await loadVgg19({ pooling: "avg" }); // Gatys et al.'s choice
 * console.log(vgg.parameterCount);                 // 20024384
 * ```
 */
export async function loadVgg19(options: Vgg19Options = {}): Promise<Vgg19> {
  const { convs } = await readVgg19Weights(options);
  return new Vgg19(
    convs.map((c) => ({
      name: c.name,
      kerasName: c.kerasName,
      kernel: tf.tensor4d(c.kernel, c.kernelShape),
      bias: tf.tensor1d(c.bias),
    })),
    options.pooling ?? "max",
    options.gradient ?? "auto",
  );
}
