/**
 * Initial weights (chapter 3): a weight matrix W of shape [fanOut, fanIn] (the book's layout: row j
 * holds unit j's incoming weights) drawn at a scale that keeps the units' total inputs of order 1.
 *
 * | initializer      | distribution                         | variance          |
 * |------------------|--------------------------------------|-------------------|
 * | `uniform(s)`     | U(−s, s)                             | s²/3              |
 * | `normal(σ)`      | N(0, σ²)                             | σ²                |
 * | `xavierUniform`  | U(−a, a), a = √(6/(fanIn + fanOut))  | 2/(fanIn + fanOut) |
 * | `xavierNormal`   | N(0, 2/(fanIn + fanOut))             | 2/(fanIn + fanOut) |
 * | `heUniform`      | U(−a, a), a = √(6/fanIn)             | 2/fanIn           |
 * | `heNormal`       | N(0, 2/fanIn)                        | 2/fanIn           |
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";
import type { Network } from "./network.ts";

/** Draws a weight matrix of shape [fanOut, fanIn] from a seeded stream. */
export interface Initializer {
  /** Name for tables and legends, e.g. "He normal". */
  readonly name: string;
  /** The variance of each weight for a layer of this shape. */
  variance(fanIn: number, fanOut: number): number;
  /** A new tensor [fanOut, fanIn]; the caller owns it. */
  draw(shape: readonly [number, number], rng: Random): tf.Tensor2D;
}

function checkShape(name: string, shape: readonly [number, number]): void {
  if (shape.length !== 2 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${name}: shape must be [fanOut, fanIn] of positive integers, got [${shape}]`);
  }
}

function uniformFrom(name: string, halfWidth: (fanIn: number, fanOut: number) => number) {
  return {
    name,
    variance: (fanIn: number, fanOut: number) => halfWidth(fanIn, fanOut) ** 2 / 3,
    draw(shape: readonly [number, number], rng: Random): tf.Tensor2D {
      checkShape(name, shape);
      const [fanOut, fanIn] = shape;
      const a = halfWidth(fanIn, fanOut);
      return tf.tensor2d(rng.uniformArray(fanOut * fanIn, -a, a), [fanOut, fanIn]);
    },
  };
}

function normalFrom(name: string, std: (fanIn: number, fanOut: number) => number) {
  return {
    name,
    variance: (fanIn: number, fanOut: number) => std(fanIn, fanOut) ** 2,
    draw(shape: readonly [number, number], rng: Random): tf.Tensor2D {
      checkShape(name, shape);
      const [fanOut, fanIn] = shape;
      return tf.tensor2d(rng.normalArray(fanOut * fanIn, 0, std(fanIn, fanOut)), [fanOut, fanIn]);
    },
  };
}

/**
 * Weights from U(−scale, scale), whatever the layer's size.
 *
 * @example
 * ```ts
 * const W = uniform(0.1).draw([100, 784], new Random(1));
 * ```
 */
export function uniform(scale: number): Initializer {
  if (!(scale > 0)) throw new Error(`uniform: scale must be positive, not ${scale}`);
  return uniformFrom(`U(±${scale})`, () => scale);
}

/**
 * Weights from N(0, std²), whatever the layer's size.
 *
 * @example
 * ```ts
 * const W = normal(0.01).draw([100, 784], new Random(1));
 * ```
 */
export function normal(std: number): Initializer {
  if (!(std > 0)) throw new Error(`normal: std must be positive, not ${std}`);
  return normalFrom(`N(0, ${std}²)`, () => std);
}

/**
 * Glorot & Bengio (2010): U(−a, a) with a = √(6/(fanIn + fanOut)), variance 2/(fanIn + fanOut).
 *
 * @example
 * ```ts
 * const W = xavierUniform.draw([100, 784], new Random(1));
 * ```
 */
export const xavierUniform: Initializer = uniformFrom(
  "Xavier uniform",
  (fanIn, fanOut) => Math.sqrt(6 / (fanIn + fanOut)),
);

/**
 * Glorot & Bengio (2010), normal form: N(0, 2/(fanIn + fanOut)).
 *
 * @example
 * ```ts
 * const W = xavierNormal.draw([100, 784], new Random(1));
 * ```
 */
export const xavierNormal: Initializer = normalFrom(
  "Xavier normal",
  (fanIn, fanOut) => Math.sqrt(2 / (fanIn + fanOut)),
);

/**
 * He et al. (2015) for ReLU units: U(−a, a) with a = √(6/fanIn), variance 2/fanIn.
 *
 * @example
 * ```ts
 * const W = heUniform.draw([100, 784], new Random(1));
 * ```
 */
export const heUniform: Initializer = uniformFrom("He uniform", (fanIn) => Math.sqrt(6 / fanIn));

/**
 * He et al. (2015) for ReLU units: N(0, 2/fanIn).
 *
 * @example
 * ```ts
 * const W = heNormal.draw([100, 784], new Random(1));
 * ```
 */
export const heNormal: Initializer = normalFrom("He normal", (fanIn) => Math.sqrt(2 / fanIn));

/**
 * Redraw every weight matrix of a network with `init` and set the biases to 0 (in place).
 *
 * @example
 * ```ts
 * const net = createNetwork([784, 100, 10], relu, multiclassClassification, rng);
 * initializeNetwork(net, heNormal, rng.derive("init"));
 * ```
 */
export function initializeNetwork(net: Network, init: Initializer, rng: Random): void {
  for (const layer of net.layers) {
    const [fanOut, fanIn] = layer.W.shape as [number, number];
    const W = init.draw([fanOut, fanIn], rng);
    layer.W.assign(W);
    W.dispose();
    tf.tidy(() => layer.b.assign(tf.zerosLike(layer.b)));
  }
}
