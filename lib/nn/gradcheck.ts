/**
 * Checking derivatives by numbers: the relative error between two gradients, a derivative from
 * tfjs autodiff, and central finite differences. Every hand derivation of the course is followed
 * by one of these checks.
 *
 * For networks (chapter 4), {@linkcode checkNetworkGradients} compares a hand-written backward
 * pass three ways, layer by layer: against tfjs autodiff, and against central differences of the
 * error recomputed in float64, at sampled entries of the big weight matrices.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../runtime/random.ts";
import type { Activation } from "./activations.ts";
import type { OutputLayer } from "./losses.ts";
import { autodiffGradients, type Network } from "./network.ts";

/**
 * max |a − b| / max(|a| + |b|) over all entries, with tiny denominators floored at 1e-8 so that
 * two zero gradients agree. Below ~1e-5 in float32 the two are the same up to rounding.
 */
export function relativeError(
  a: tf.Tensor | ArrayLike<number>,
  b: tf.Tensor | ArrayLike<number>,
): number {
  const x = a instanceof tf.Tensor ? a.dataSync() : a;
  const y = b instanceof tf.Tensor ? b.dataSync() : b;
  if (x.length !== y.length) {
    throw new Error(`relativeError: sizes ${x.length} and ${y.length} differ`);
  }
  let numerator = 0;
  let denominator = 1e-8;
  for (let i = 0; i < x.length; i++) {
    numerator = Math.max(numerator, Math.abs(x[i] - y[i]));
    denominator = Math.max(denominator, Math.abs(x[i]) + Math.abs(y[i]));
  }
  return numerator / denominator;
}

/**
 * The elementwise derivative f′(u) of an elementwise function, by tfjs autodiff:
 * the gradient of Σ f(u) with respect to u.
 */
export function autodiffDerivative(f: (u: tf.Tensor) => tf.Tensor, u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(f(v)))(u));
}

/**
 * ∂E/∂x by central differences (E(x + εeᵢ) − E(x − εeᵢ)) / 2ε for every entry of x, computed in
 * float64 on the host from the float32 values E returns; slow (two evaluations per entry), for
 * small checks only.
 */
export function numericalGradient(
  error: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  epsilon = 1e-3,
): Float64Array {
  return sampledNumericalGradient(
    error,
    x,
    Int32Array.from({ length: x.size }, (_, i) => i),
    epsilon,
  );
}

/**
 * f′(u) of an elementwise f by central differences, all entries at once:
 * (f(u + ε) − f(u − ε)) / 2ε. Points within ε of a kink (ReLU at 0) get the kink's average slope.
 */
export function centralDifference(
  f: (u: tf.Tensor) => tf.Tensor,
  u: tf.Tensor,
  epsilon = 1e-2,
): tf.Tensor {
  return tf.tidy(() => tf.div(tf.sub(f(tf.add(u, epsilon)), f(tf.sub(u, epsilon))), 2 * epsilon));
}

/**
 * `samples` distinct entry numbers drawn from 0 … size − 1, sorted; all of them when size ≤
 * samples. Big layers are checked on such a sample: every entry would cost two evaluations each.
 *
 * @example
 * ```ts
 * sampleIndices(78_400, 20, new Random(1)); // 20 sorted entry numbers of a 100 × 784 matrix
 * ```
 */
export function sampleIndices(size: number, samples: number, rng: Random): Int32Array {
  if (!Number.isInteger(size) || size < 0 || !Number.isInteger(samples) || samples < 1) {
    throw new Error(
      `sampleIndices: need integer size ≥ 0 and samples ≥ 1, got ${size}, ${samples}`,
    );
  }
  if (size <= samples) return Int32Array.from({ length: size }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < samples) chosen.add(rng.int(size));
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}

/**
 * ∂E/∂x by central differences at the entries `indices` of x only (in that order), like
 * {@linkcode numericalGradient}: two evaluations of E per entry, in float32 through tfjs.
 *
 * @example
 * ```ts
 * const g = sampledNumericalGradient((w) => tf.sum(tf.square(w)), W, [0, 17, 42]); // 2·W at 3 entries
 * ```
 */
export function sampledNumericalGradient(
  error: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  indices: ArrayLike<number>,
  epsilon = 1e-3,
): Float64Array {
  const base = Float32Array.from(x.dataSync());
  const gradient = new Float64Array(indices.length);
  const evaluate = (values: Float32Array) =>
    tf.tidy(() => error(tf.tensor(values, x.shape)).dataSync()[0]);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= base.length) {
      throw new Error(`sampledNumericalGradient: entry ${i} is not in 0…${base.length - 1}`);
    }
    const original = base[i];
    base[i] = original + epsilon;
    const plus = evaluate(base);
    base[i] = original - epsilon;
    const minus = evaluate(base);
    base[i] = original;
    gradient[k] = (plus - minus) / (2 * epsilon);
  }
  return gradient;
}

/**
 * The entries of t at `indices` (of its row-major values), as float64.
 *
 * @example
 * ```ts
 * entriesAt(tf.tensor2d([[1, 2], [3, 4]]), [1, 2]); // Float64Array [2, 3]
 * ```
 */
export function entriesAt(t: tf.Tensor, indices: ArrayLike<number>): Float64Array {
  const values = t.dataSync();
  return Float64Array.from({ length: indices.length }, (_, k) => values[indices[k]]);
}

// ---------------------------------------------------------------------------------------------
// Finite differences of a whole network in double precision.
//
// In float32 a central difference of an error of size ~1 has a rounding error of ~1e-7/ε, which
// for ε = 1e-3 is already 1e-4 — as large as the deep layers' gradients. The network's error is
// therefore recomputed on the host in float64 (plain loops over the float32 weights), where
// ε = 1e-5 leaves errors of ~1e-10. Each activation and output layer brings its own float64
// version (its `f64` property).

/** A network's weights and data as float64 arrays, with the error computable from any layer. */
class HostNetwork {
  readonly W: Float64Array[];
  readonly b: Float64Array[];
  readonly masks: (Float64Array | undefined)[];
  readonly X: Float64Array;
  readonly D: Float64Array;
  readonly n: number;
  readonly sizes: readonly number[];
  readonly hidden: Activation[];
  readonly output: OutputLayer;
  /** Total inputs U⁽ˡ⁾ (index l − 1) and outputs Z⁽ˡ⁾ (index l) of the unperturbed network. */
  readonly u: Float64Array[] = [];
  readonly z: Float64Array[] = [];

  constructor(
    net: Network,
    X: tf.Tensor,
    D: tf.Tensor,
    masks?: readonly (tf.Tensor | undefined)[],
  ) {
    this.sizes = net.sizes;
    this.n = X.shape[1] ?? 1;
    this.W = net.layers.map((layer) => Float64Array.from(layer.W.dataSync()));
    this.b = net.layers.map((layer) => Float64Array.from(layer.b.dataSync()));
    this.masks = net.layers.map((_, l) =>
      masks?.[l] ? Float64Array.from(masks[l]!.dataSync()) : undefined
    );
    this.X = Float64Array.from(X.dataSync());
    this.D = Float64Array.from(D.dataSync());
    this.hidden = net.layers.slice(0, -1).map((layer) => layer.activation!);
    this.output = net.output;
    let z = this.masked(this.X, 0);
    this.z.push(z);
    for (let l = 0; l < net.layers.length; l++) {
      const u = this.totalInput(l, z);
      this.u.push(u);
      z = this.activate(l, u);
      this.z.push(z);
    }
  }

  masked(z: Float64Array, l: number): Float64Array {
    const mask = this.masks[l];
    return mask ? z.map((v, k) => v * mask[k]) : z;
  }

  /** U⁽ˡ⁺¹⁾ = W Z + b 1ᵀ for layer index l (0-based) from its input z. */
  totalInput(l: number, z: Float64Array): Float64Array {
    const inputs = this.sizes[l], units = this.sizes[l + 1], n = this.n;
    const W = this.W[l], b = this.b[l];
    const u = new Float64Array(units * n);
    for (let j = 0; j < units; j++) {
      const row = j * n;
      for (let c = 0; c < n; c++) u[row + c] = b[j];
      for (let i = 0; i < inputs; i++) {
        const w = W[j * inputs + i];
        if (w === 0) continue;
        const col = i * n;
        for (let c = 0; c < n; c++) u[row + c] += w * z[col + c];
      }
    }
    return u;
  }

  /** The output of layer index l from its total input (masked, for hidden layers). */
  activate(l: number, u: Float64Array): Float64Array {
    if (l < this.hidden.length) return this.masked(u.map(this.hidden[l].f64), l + 1);
    return this.output.f64.activation(u, this.n);
  }

  error(y: Float64Array): number {
    return this.output.f64.error(y, this.D, this.n);
  }

  /** E when layer index l's total input is u (the layers below unchanged). */
  errorFrom(l: number, u: Float64Array): number {
    let z = this.activate(l, u);
    for (let m = l + 1; m < this.W.length; m++) z = this.activate(m, this.totalInput(m, z));
    return this.error(z);
  }

  /**
   * E with parameter entry `index` of layer l's W (or b) moved by `step`: only row j of U⁽ˡ⁺¹⁾
   * changes, by step·Z⁽ˡ⁾[i, :] (or by step), and the layers above are recomputed.
   */
  errorWith(l: number, which: "W" | "b", index: number, step: number): number {
    const n = this.n, inputs = this.sizes[l];
    const u = this.u[l].slice();
    const j = which === "W" ? Math.floor(index / inputs) : index;
    const zIn = this.z[l];
    const i = index % inputs;
    for (let c = 0; c < n; c++) u[j * n + c] += which === "W" ? step * zIn[i * n + c] : step;
    return this.errorFrom(l, u);
  }
}

/**
 * The network's error E(X, D) recomputed in float64 on the host (with the given dropout masks):
 * the reference that {@linkcode numericalNetworkGradients} differentiates.
 *
 * @example
 * ```ts
 * networkErrorFloat64(net, X, D); // ≈ networkError(net, X, D), without float32 rounding
 * ```
 */
export function networkErrorFloat64(
  net: Network,
  X: tf.Tensor,
  D: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): number {
  const host = new HostNetwork(net, X, D, masks);
  return host.error(host.z[host.z.length - 1]);
}

/** Central differences of one parameter tensor at some of its entries. */
export interface SampledGradient {
  /** Entry numbers (row-major) that were differentiated. */
  indices: Int32Array;
  /** ∂E/∂θ at those entries. */
  values: Float64Array;
}

/** Options of {@linkcode numericalNetworkGradients} and {@linkcode checkNetworkGradients}. */
export interface NetworkCheckOptions {
  /** Entries differentiated per parameter tensor; tensors with more are sampled (default 30). */
  samples?: number;
  /** Stream that picks the sampled entries (default: a fixed seed). */
  rng?: Random;
  /** The step ε of the central differences, in float64 (default 1e-5). */
  epsilon?: number;
  /** Dropout masks of the pass the gradients belong to. */
  masks?: readonly (tf.Tensor | undefined)[];
}

/**
 * ∂E/∂θ for every parameter of the network (order of `parameters(net)`), by central differences
 * (E(θ + ε) − E(θ − ε)) / 2ε of the error computed in float64, at `samples` randomly chosen
 * entries per tensor (all entries of small tensors).
 *
 * @example
 * ```ts
 * const numeric = numericalNetworkGradients(net, X, D, { samples: 20, rng: new Random(3) });
 * numeric[0].indices; // which entries of W⁽¹⁾ were differentiated
 * ```
 */
export function numericalNetworkGradients(
  net: Network,
  X: tf.Tensor,
  D: tf.Tensor,
  options: NetworkCheckOptions = {},
): SampledGradient[] {
  const samples = options.samples ?? 30;
  const rng = options.rng ?? new Random("numerical-network-gradients");
  const epsilon = options.epsilon ?? 1e-5;
  const host = new HostNetwork(net, X, D, options.masks);
  return net.layers.flatMap((layer, l) =>
    (["W", "b"] as const).map((which) => {
      const indices = sampleIndices(layer[which].size, samples, rng);
      const values = Float64Array.from(
        indices,
        (index) =>
          (host.errorWith(l, which, index, epsilon) - host.errorWith(l, which, index, -epsilon)) /
          (2 * epsilon),
      );
      return { indices, values };
    })
  );
}

/** The three-way comparison for one layer (W⁽ˡ⁾ and b⁽ˡ⁾ together). */
export interface GradientCheckRow {
  /** 1-based layer number l. */
  layer: number;
  /** Shape of W⁽ˡ⁾, e.g. "100×784". */
  shape: string;
  /** Entries of W⁽ˡ⁾ and b⁽ˡ⁾ compared with finite differences. */
  checked: number;
  /** Relative error, hand gradients vs tfjs autodiff (all entries). */
  handVsAutodiff: number;
  /** Relative error, hand gradients vs central differences (checked entries). */
  handVsNumerical: number;
  /** Relative error, autodiff vs central differences (checked entries). */
  autodiffVsNumerical: number;
  /** Both hand comparisons are within the tolerance. */
  ok: boolean;
}

/**
 * Check gradients claimed for the network (e.g. from a hand-written backward pass; order of
 * `parameters(net)`) three ways, one row per layer: against tfjs autodiff on every entry, and
 * against float64 central differences ({@linkcode numericalNetworkGradients}) on sampled entries.
 * A row is `ok` when both relative errors are below `tolerance` (default 1e-4).
 *
 * @example
 * ```ts
 * const rows = checkNetworkGradients(net, X, D, backward(net, forward(net, X), D));
 * rows.every((r) => r.ok); // true for a correct backward pass
 * ```
 */
export function checkNetworkGradients(
  net: Network,
  X: tf.Tensor,
  D: tf.Tensor,
  claimed: readonly tf.Tensor[],
  options: NetworkCheckOptions & { tolerance?: number } = {},
): GradientCheckRow[] {
  if (claimed.length !== 2 * net.layers.length) {
    throw new Error(
      `checkNetworkGradients: ${claimed.length} gradients for ${2 * net.layers.length} parameters`,
    );
  }
  const tolerance = options.tolerance ?? 1e-4;
  const numeric = numericalNetworkGradients(net, X, D, options);
  const auto = autodiffGradients(net, X, D, options.masks);
  const rows = net.layers.map((layer, l): GradientCheckRow => {
    const pair = [2 * l, 2 * l + 1];
    const cat = (parts: ArrayLike<number>[]) => {
      const out = new Float64Array(parts.reduce((total, p) => total + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        out.set(p, offset);
        offset += p.length;
      }
      return out;
    };
    const hand = cat(pair.map((p) => claimed[p].dataSync()));
    const autoAll = cat(pair.map((p) => auto.grads[p].dataSync()));
    const handAt = cat(pair.map((p) => entriesAt(claimed[p], numeric[p].indices)));
    const autoAt = cat(pair.map((p) => entriesAt(auto.grads[p], numeric[p].indices)));
    const num = cat(pair.map((p) => numeric[p].values));
    const handVsAutodiff = relativeError(hand, autoAll);
    const handVsNumerical = relativeError(handAt, num);
    return {
      layer: l + 1,
      shape: `${layer.W.shape[0]}×${layer.W.shape[1]}`,
      checked: num.length,
      handVsAutodiff,
      handVsNumerical,
      autodiffVsNumerical: relativeError(autoAt, num),
      ok: handVsAutodiff < tolerance && handVsNumerical < tolerance,
    };
  });
  tf.dispose([auto.loss, ...auto.grads]);
  return rows;
}
