/**
 * Seeded random numbers. Every random draw in the course (data, initial weights, shuffling,
 * dropout masks) comes from a {@linkcode Random} made from a seed, so that running a notebook
 * twice prints the same numbers.
 *
 * @module
 */
import seedrandom from "seedrandom";
import * as tf from "@tensorflow/tfjs";
import { baseSeed } from "./config.ts";

/** A seeded pseudo-random stream (Alea generator) with the draws the course needs. */
export class Random {
  readonly #next: () => number;
  #spareNormal: number | undefined;

  /** A stream from a seed; the same seed always gives the same numbers. */
  constructor(readonly seed: number | string) {
    this.#next = seedrandom.alea(String(seed));
  }

  /** A uniform draw from [lo, hi) (default [0, 1)). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.#next();
  }

  /** A normal draw N(mean, std²) by the Box–Muller transform. */
  normal(mean = 0, std = 1): number {
    if (this.#spareNormal !== undefined) {
      const z = this.#spareNormal;
      this.#spareNormal = undefined;
      return mean + std * z;
    }
    const u1 = 1 - this.#next(); // in (0, 1]: log is finite
    const u2 = this.#next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return mean + std * radius * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer from {0, 1, …, n − 1}. */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** A Float32Array of `size` uniform draws from [lo, hi). */
  uniformArray(size: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** A Float32Array of `size` normal draws N(mean, std²). */
  normalArray(size: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** A tensor of uniform draws from [lo, hi). */
  uniformTensor(shape: number[], lo = 0, hi = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(sizeOf(shape), lo, hi), shape);
  }

  /** A tensor of normal draws N(mean, std²). */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(sizeOf(shape), mean, std), shape);
  }

  /** A random permutation of 0 … n − 1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }

  /** A new stream whose seed is derived from this one's seed and a label. */
  derive(label: string): Random {
    return new Random(`${this.seed}/${label}`);
  }
}

/**
 * The stream for one named purpose, seeded from `COURSE_SEED` and the name, so that
 * independent parts of a notebook do not disturb each other's numbers.
 *
 * @example
 * ```ts
 * const rng = randomFor("weights");
 * const w = rng.normalTensor([784, 100], 0, 0.01);
 * ```
 */
export function randomFor(purpose: string, offset = 0): Random {
  return new Random(`${baseSeed() + offset}/${purpose}`);
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
