/**
 * Reuse of the `blas` backend's output buffers. On the machines measured, touching freshly
 * allocated memory cost page faults of about 3 ms per MiB — a fresh 4 MiB output made a 1024²
 * matmul take 30 ms instead of 13 — so the kernels take their outputs from this pool, and a buffer
 * comes back to it when the last tensor using it is disposed.
 *
 * A buffer is recycled only when all of these hold:
 * - the pool allocated it (arrays from users, e.g. `tf.tensor(myArray)`, are never touched);
 * - no live tensor refers to it any more (tensors that share it, such as the cpu backend's
 *   `slice` views into their input, are counted through its `ArrayBuffer`);
 * - it was never handed out by `dataSync()`/`data()`/`buffer()` (`readSync`), since the caller
 *   may keep that array after disposing the tensor.
 *
 * Freed buffers wait in bins by exact length; past `maxBytes` the least recently freed ones are
 * dropped (left to the garbage collector).
 *
 * @example
 * ```ts
 * const pool = new BufferPool(64 << 20);
 * const a = pool.take(1 << 20); // contents undefined: overwrite every element
 * pool.adopt(a);                // a tensor now refers to it
 * pool.release(a);              // that tensor was disposed: a goes back to the pool
 * pool.take(1 << 20) === a;     // true
 * ```
 *
 * @module
 */
import { blasPoolMegabytes } from "../../config.ts";

/** Arrays shorter than this are allocated as usual (small allocations are cheap). */
export const MIN_POOLED_FLOATS = 4096;

/** The default bound on the bytes kept in the pool: `COURSE_BLAS_POOL_MB` or 1024 MiB. */
export function defaultPoolBytes(): number {
  return blasPoolMegabytes() * 1024 * 1024;
}

interface Freed {
  array: Float32Array;
  tick: number;
}

/** Float32 buffers recycled between kernel outputs (see the module documentation). */
export class BufferPool {
  /** The most bytes kept while unused. */
  readonly maxBytes: number;
  #bins = new Map<number, Freed[]>();
  #owned = new WeakSet<ArrayBuffer>();
  #exposed = new WeakSet<ArrayBuffer>();
  #uses = new Map<ArrayBuffer, number>();
  #pooledBytes = 0;
  #tick = 0;
  /** How many `take` calls were served from the pool (for tests and benchmarks). */
  hits = 0;
  /** How many `take` calls allocated a new buffer. */
  misses = 0;

  /** A pool that keeps at most `maxBytes` of unused buffers. */
  constructor(maxBytes: number = defaultPoolBytes()) {
    this.maxBytes = maxBytes;
  }

  /** The bytes held in the pool now (unused buffers only). */
  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /** A Float32Array of length n whose contents are undefined (the caller overwrites them). */
  take(n: number): Float32Array {
    if (n < MIN_POOLED_FLOATS) return new Float32Array(n);
    const bin = this.#bins.get(n);
    const freed = bin?.pop();
    if (freed) {
      this.hits++;
      this.#pooledBytes -= freed.array.byteLength;
      return freed.array;
    }
    this.misses++;
    const array = new Float32Array(n);
    this.#owned.add(array.buffer);
    return array;
  }

  /** Like {@linkcode take}, filled with zeros. */
  zeros(n: number): Float32Array {
    const array = this.take(n);
    return array.fill(0);
  }

  /** A tensor's data now refers to `values` (called when the backend stores data). */
  adopt(values: unknown): void {
    const buffer = ownedBuffer(values, this.#owned);
    if (buffer) this.#uses.set(buffer, (this.#uses.get(buffer) ?? 0) + 1);
  }

  /** `values` was handed to user code: never recycle its buffer. */
  expose(values: unknown): void {
    const buffer = ownedBuffer(values, this.#owned);
    if (buffer) this.#exposed.add(buffer);
  }

  /** The data referring to `values` was deleted; recycle the buffer if nothing else uses it. */
  release(values: unknown): void {
    const buffer = ownedBuffer(values, this.#owned);
    if (!buffer) return;
    const uses = (this.#uses.get(buffer) ?? 1) - 1;
    if (uses > 0) {
      this.#uses.set(buffer, uses);
      return;
    }
    this.#uses.delete(buffer);
    if (this.#exposed.has(buffer) || buffer.byteLength > this.maxBytes) return;
    const array = new Float32Array(buffer);
    let bin = this.#bins.get(array.length);
    if (!bin) {
      bin = [];
      this.#bins.set(array.length, bin);
    }
    bin.push({ array, tick: this.#tick++ });
    this.#pooledBytes += buffer.byteLength;
    while (this.#pooledBytes > this.maxBytes) this.#evictOldest();
  }

  /** Drop every unused buffer (they are left to the garbage collector). */
  clear(): void {
    this.#bins.clear();
    this.#pooledBytes = 0;
  }

  #evictOldest(): void {
    let oldest: Freed[] | undefined;
    for (const bin of this.#bins.values()) {
      if (bin.length && (!oldest || bin[0].tick < oldest[0].tick)) oldest = bin;
    }
    const freed = oldest?.shift();
    if (!freed) {
      this.#pooledBytes = 0;
      return;
    }
    this.#pooledBytes -= freed.array.byteLength;
    if (oldest!.length === 0) this.#bins.delete(freed.array.length);
  }
}

function ownedBuffer(values: unknown, owned: WeakSet<ArrayBuffer>): ArrayBuffer | undefined {
  if (!ArrayBuffer.isView(values)) return undefined;
  const buffer = values.buffer;
  return buffer instanceof ArrayBuffer && owned.has(buffer) ? buffer : undefined;
}
