/**
 * A small convolutional network for 28×28 grey images (chapter 6), as a {@linkcode Model} that
 * `train` in `training.ts` can fit:
 *
 *   input 28×28×1 → [conv k×k, ReLU, max-pool 2×2] × 2 → fully connected, ReLU (+ dropout) →
 *   softmax over the classes.
 *
 * Gradients come from tfjs's automatic differentiation through the layers of `conv.ts` (their
 * custom gradients on wasm). Minibatches arrive as in the rest of the course, one example per
 * column (X [784, B], D [10, B]); the network reshapes them into B×28×28×1 images.
 *
 * @example
 * ```ts
 * const cnn = createCnn({ channels: [16, 32], filterSize: 5, hidden: 128 }, randomFor("cnn"));
 * const history = await train(cnnModel(cnn), trainSet, {
 *   optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }), epochs: 3, batchSize: 64,
 *   rng: randomFor("train"), test: testSet,
 * });
 * disposeCnn(cnn);
 * ```
 *
 * @module
 */
import { heNormal } from "./initializers.ts";
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import { Conv2DLayer, type GradientPath, maxPool2d } from "./conv.ts";
import { multiclassClassification } from "./losses.ts";
import type { Parameter } from "../optim/optimizer.ts";
import type { Model } from "./training.ts";
import { dropout } from "./dropout.ts";

/** The shape of a {@linkcode Cnn}. */
export interface CnnSpec {
  /** Filters in each convolution layer, e.g. [16, 32]; each is followed by ReLU and a 2×2 max-pool. */
  channels: readonly number[];
  /** Filter size k of every convolution (k×k, "same" padding). */
  filterSize: number;
  /** Units of the fully connected hidden layer. */
  hidden: number;
  /** Input image height, width and channels (default [28, 28, 1]). */
  input?: readonly [number, number, number];
  /** Number of classes (default 10). */
  classes?: number;
  /** Dropout rate on the hidden units during training (default 0). */
  dropout?: number;
}

/** A fully connected layer in the book's layout: W [out, in], b [out]. */
export interface DenseParameters {
  W: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
}

/** The layers of a small CNN (see the module notes). */
export interface Cnn {
  readonly spec: Required<CnnSpec>;
  /** The convolution layers, input first. */
  readonly convs: readonly Conv2DLayer[];
  /** The hidden fully connected layer. */
  readonly hidden: DenseParameters;
  /** The output layer (softmax). */
  readonly output: DenseParameters;
}

function dense(fanIn: number, fanOut: number, rng: Random): DenseParameters {
  // tf.variable copies its initial value; tidy frees the drawn tensors.
  return tf.tidy(() => ({
    W: tf.variable(heNormal.draw([fanOut, fanIn], rng)), // N(0, 2/fanIn)
    b: tf.variable(tf.zeros([fanOut]) as tf.Tensor1D),
  }));
}

/**
 * A CNN with He-normal weights drawn from `rng` and zero biases.
 *
 * @example
 * ```ts
 * const cnn = createCnn({ channels: [16, 32], filterSize: 5, hidden: 128 }, new Random(1));
 * cnnParameterCount(cnn); // 416 + 12 832 + 200 832 + 1 290 = 215 370
 * ```
 */
export function createCnn(spec: CnnSpec, rng: Random): Cnn {
  const full: Required<CnnSpec> = {
    input: [28, 28, 1],
    classes: 10,
    dropout: 0,
    ...spec,
  };
  let [h, w, c] = full.input;
  const convs = full.channels.map((channels, i) => {
    const layer = new Conv2DLayer(
      { filterSize: full.filterSize, inChannels: c, outChannels: channels, padding: "same" },
      rng.derive(`conv${i + 1}`),
    );
    [h, w, c] = [Math.floor(h / 2), Math.floor(w / 2), channels];
    return layer;
  });
  const flat = h * w * c;
  return {
    spec: full,
    convs,
    hidden: dense(flat, full.hidden, rng.derive("hidden")),
    output: dense(full.hidden, full.classes, rng.derive("output")),
  };
}

/** All parameters of a CNN, in a fixed order (conv W, b, …, hidden W, b, output W, b). */
export function cnnParameters(cnn: Cnn): Parameter[] {
  return [
    ...cnn.convs.flatMap((layer) => layer.parameters),
    ...[cnn.hidden, cnn.output].flatMap((d): Parameter[] => [
      { variable: d.W, role: "weight" },
      { variable: d.b, role: "bias" },
    ]),
  ];
}

/**
 * The number of weights and biases.
 *
 * @example
 * ```ts
 * cnnParameterCount(createCnn({ channels: [16, 32], filterSize: 5, hidden: 128 }, rng)); // 215 370
 * ```
 */
export function cnnParameterCount(cnn: Cnn): number {
  return cnnParameters(cnn).reduce((sum, p) => sum + p.variable.size, 0);
}

/** Options of {@linkcode cnnForward}. */
export interface CnnForwardOptions {
  /** Draw dropout masks from this stream (training); without it, no dropout (evaluation). */
  rng?: Random;
  /** Gradient code of the convolutions and pools (default "auto"). */
  gradient?: GradientPath;
}

/**
 * The class scores before softmax, [B, classes], for images x [B, H, W, C].
 *
 * @example
 * ```ts
 * const logits = cnnForward(cnn, images); // [B, 10]
 * ```
 */
export function cnnForward(cnn: Cnn, x: tf.Tensor4D, options: CnnForwardOptions = {}): tf.Tensor2D {
  return tf.tidy(() => {
    let h = x;
    for (const layer of cnn.convs) {
      h = maxPool2d(tf.relu(layer.apply(h, options.gradient)), {
        size: 2,
        gradient: options.gradient,
      });
    }
    let z: tf.Tensor2D = tf.reshape(h, [h.shape[0], -1]);
    z = tf.relu(tf.add(tf.matMul(z, cnn.hidden.W, false, true), cnn.hidden.b));
    if (options.rng && cnn.spec.dropout > 0) {
      z = dropout(z, cnn.spec.dropout, options.rng) as tf.Tensor2D;
    }
    return tf.add(tf.matMul(z, cnn.output.W, false, true), cnn.output.b) as tf.Tensor2D;
  });
}

/**
 * The feature maps of the first convolution layer after its ReLU, [B, H, W, channels[0]], for
 * images x [B, H, W, C].
 *
 * @example
 * ```ts
 * const maps = firstLayerMaps(cnn, images); // [B, 28, 28, 16]
 * ```
 */
export function firstLayerMaps(cnn: Cnn, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.relu(cnn.convs[0].apply(x)));
}

/** Columns X [H·W·C, B] → images [B, H, W, C]. */
function imagesOf(cnn: Cnn, X: tf.Tensor2D): tf.Tensor4D {
  const [h, w, c] = cnn.spec.input;
  return tf.reshape(tf.transpose(X), [X.shape[1], h, w, c]);
}

/**
 * A CNN as a {@linkcode Model}: softmax outputs and cross-entropy error, gradients by automatic
 * differentiation, dropout (if the spec has it) during training only.
 *
 * @example
 * ```ts
 * const model = cnnModel(cnn);
 * const { loss, grads } = model.lossAndGradients(X, D, rng); // X [784, B], D [10, B]
 * ```
 */
export function cnnModel(cnn: Cnn, options: { gradient?: GradientPath } = {}): Model {
  const parameters = cnnParameters(cnn);
  const variables = parameters.map((p) => p.variable);
  const outputs = (X: tf.Tensor2D, rng?: Random) =>
    multiclassClassification.activation(
      tf.transpose(cnnForward(cnn, imagesOf(cnn, X), { rng, gradient: options.gradient })),
    );
  return {
    parameters,
    task: "multiclass",
    lossAndGradients(X, D, rng) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => multiclassClassification.error(outputs(X, rng), D),
          variables,
        );
        return { loss: value, grads: variables.map((v) => grads[v.name]) };
      });
    },
    predict: (X) => tf.tidy(() => outputs(X) as tf.Tensor2D),
    error: (Y, D) => multiclassClassification.error(Y, D),
  };
}

/**
 * Free every weight of a CNN.
 *
 * @example
 * ```ts
 * disposeCnn(cnn);
 * ```
 */
export function disposeCnn(cnn: Cnn): void {
  for (const layer of cnn.convs) layer.dispose();
  tf.dispose([cnn.hidden.W, cnn.hidden.b, cnn.output.W, cnn.output.b]);
}
