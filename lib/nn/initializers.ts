/**
 * Initial weights: every dense weight matrix of the course is drawn by an {@linkcode Initializer}
 * (`createNetwork`, `createLinearModel`, `createAutoencoder`). W has the book's layout
 * [fanOut, fanIn] (row j holds unit j's incoming weights); biases start at 0. The scale keeps the
 * units' total inputs of order 1 (chapter 3).
 *
 * | initializer      | distribution                            | variance               |
 * |------------------|-----------------------------------------|------------------------|
 * | `normal(σ)`      | N(0, σ²), σ a number or σ(fanIn, fanOut) | σ²                     |
 * | `uniform(a)`     | U(−a, a), a a number or a(fanIn, fanOut) | a²/3                   |
 * | `zeros`          | all 0 (draws nothing)                   | 0                      |
 * | `fanInNormal`    | N(0, 1/fanIn)                           | 1/fanIn                |
 * | `xavierUniform`  | U(−a, a), a = √(6/(fanIn + fanOut))     | 2/(fanIn + fanOut)     |
 * | `xavierNormal`   | N(0, 2/(fanIn + fanOut))                | 2/(fanIn + fanOut)     |
 * | `heUniform`      | U(−a, a), a = √(6/fanIn)                | 2/fanIn                |
 * | `heNormal`       | N(0, 2/fanIn)                           | 2/fanIn                |
 * | `ufldlUniform`   | U(−a, a), a = √(6/(fanIn + fanOut + 1)) | 2/(fanIn + fanOut + 1) |
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../runtime/random.ts";

/** Draws a weight matrix of shape [fanOut, fanIn] from a seeded stream. */
export interface Initializer {
  /** Name for tables and legends, e.g. "He normal". */
  readonly name: string;
  /** The variance of each weight for a layer of this shape. */
  variance(fanIn: number, fanOut: number): number;
  /** A new tensor [fanOut, fanIn], drawn row by row from `rng`; the caller owns it. */
  draw(shape: readonly [number, number], rng: Random): tf.Tensor2D;
  /**
   * A new tensor of any shape (e.g. a convolution's [kh, kw, in, out]) for a layer with the given
   * fan-in and fan-out, drawn in row-major order from `rng`; the caller owns it.
   */
  drawShaped(shape: readonly number[], fanIn: number, fanOut: number, rng: Random): tf.Tensor;
}

/** A scale: a number, or a function of the layer's fan-in and fan-out. */
export type Scale = number | ((fanIn: number, fanOut: number) => number);

function scaleOf(name: string, scale: Scale): (fanIn: number, fanOut: number) => number {
  if (typeof scale === "function") return scale;
  if (!(scale > 0)) throw new Error(`${name}: the scale must be positive, not ${scale}`);
  return () => scale;
}

function sizeOf(name: string, shape: readonly number[]): number {
  if (shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${name}: a shape of positive integers is needed, got [${shape}]`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(name: string, shape: readonly [number, number]): void {
  if (shape.length !== 2 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${name}: shape must be [fanOut, fanIn] of positive integers, got [${shape}]`);
  }
}

/**
 * Weights from N(0, σ²), with σ a number or a function of (fanIn, fanOut).
 *
 * @example
 * ```ts
 * const W = normal(0.01).draw([100, 784], new Random(1));
 * const net = createNetwork(sizes, tanh, regression, rng, normal((fanIn) => 3 / Math.sqrt(fanIn)));
 * ```
 */
export function normal(
  std: Scale,
  name = typeof std === "number" ? `N(0, ${std}²)` : "normal",
): Initializer {
  const sigma = scaleOf("normal", std);
  return {
    name,
    variance: (fanIn, fanOut) => sigma(fanIn, fanOut) ** 2,
    draw(shape, rng) {
      checkShape(name, shape);
      const [fanOut, fanIn] = shape;
      return tf.tensor2d(rng.normalArray(fanOut * fanIn, 0, sigma(fanIn, fanOut)), [fanOut, fanIn]);
    },
    drawShaped(shape, fanIn, fanOut, rng) {
      return tf.tensor(rng.normalArray(sizeOf(name, shape), 0, sigma(fanIn, fanOut)), [...shape]);
    },
  };
}

/**
 * Weights from U(−a, a), with a a number or a function of (fanIn, fanOut).
 *
 * @example
 * ```ts
 * const W = uniform(0.1).draw([100, 784], new Random(1));
 * ```
 */
export function uniform(
  halfWidth: Scale,
  name = typeof halfWidth === "number" ? `U(±${halfWidth})` : "uniform",
): Initializer {
  const a = scaleOf("uniform", halfWidth);
  return {
    name,
    variance: (fanIn, fanOut) => a(fanIn, fanOut) ** 2 / 3,
    draw(shape, rng) {
      checkShape(name, shape);
      const [fanOut, fanIn] = shape;
      const r = a(fanIn, fanOut);
      return tf.tensor2d(rng.uniformArray(fanOut * fanIn, -r, r), [fanOut, fanIn]);
    },
    drawShaped(shape, fanIn, fanOut, rng) {
      const r = a(fanIn, fanOut);
      return tf.tensor(rng.uniformArray(sizeOf(name, shape), -r, r), [...shape]);
    },
  };
}

/**
 * All weights 0 (the linear models of chapter 3 may start there); draws nothing from the stream.
 *
 * @example
 * ```ts
 * const model = createLinearModel(784, 10, "softmax", rng, zeros);
 * ```
 */
export const zeros: Initializer = {
  name: "zeros",
  variance: () => 0,
  draw(shape) {
    checkShape("zeros", shape);
    return tf.zeros([shape[0], shape[1]]);
  },
  drawShaped(shape) {
    sizeOf("zeros", shape);
    return tf.zeros([...shape]);
  },
};

/**
 * N(0, 1/fanIn): total inputs of variance about 1 for inputs of variance 1 (the default of
 * `createNetwork`).
 *
 * @example
 * ```ts
 * const W = fanInNormal.draw([100, 784], new Random(1)); // σ = 1/28
 * ```
 */
export const fanInNormal: Initializer = normal((fanIn) => 1 / Math.sqrt(fanIn), "N(0, 1/fanIn)");

/**
 * Glorot & Bengio (2010): U(−a, a) with a = √(6/(fanIn + fanOut)), variance 2/(fanIn + fanOut).
 *
 * @example
 * ```ts
 * const W = xavierUniform.draw([100, 784], new Random(1));
 * ```
 */
export const xavierUniform: Initializer = uniform(
  (fanIn, fanOut) => Math.sqrt(6 / (fanIn + fanOut)),
  "Xavier uniform",
);

/**
 * Glorot & Bengio (2010), normal form: N(0, 2/(fanIn + fanOut)).
 *
 * @example
 * ```ts
 * const W = xavierNormal.draw([100, 784], new Random(1));
 * ```
 */
export const xavierNormal: Initializer = normal(
  (fanIn, fanOut) => Math.sqrt(2 / (fanIn + fanOut)),
  "Xavier normal",
);

/**
 * He et al. (2015) for ReLU units: U(−a, a) with a = √(6/fanIn), variance 2/fanIn.
 *
 * @example
 * ```ts
 * const W = heUniform.draw([100, 784], new Random(1));
 * ```
 */
export const heUniform: Initializer = uniform((fanIn) => Math.sqrt(6 / fanIn), "He uniform");

/**
 * He et al. (2015) for ReLU units: N(0, 2/fanIn).
 *
 * @example
 * ```ts
 * const net = createNetwork([784, 100, 10], relu, multiclassClassification, rng, heNormal);
 * ```
 */
export const heNormal: Initializer = normal((fanIn) => Math.sqrt(2 / fanIn), "He normal");

/**
 * The UFLDL autoencoder's U(−a, a) with a = √(6/(fanIn + fanOut + 1)) (the default of
 * `createAutoencoder`, for the encoder and the decoder).
 *
 * @example
 * ```ts
 * const W = ufldlUniform.draw([100, 784], new Random(1)); // a = √(6/885)
 * ```
 */
export const ufldlUniform: Initializer = uniform(
  (fanIn, fanOut) => Math.sqrt(6 / (fanIn + fanOut + 1)),
  "UFLDL uniform",
);
