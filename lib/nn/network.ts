/**
 * A feedforward network in the book's matrix form: a minibatch is a matrix with **one example
 * per column**, and layer l computes
 *
 *   U⁽ˡ⁾ = W⁽ˡ⁾ Z⁽ˡ⁻¹⁾ + b⁽ˡ⁾ 1ᵀ,   Z⁽ˡ⁾ = f⁽ˡ⁾(U⁽ˡ⁾),
 *
 * with W⁽ˡ⁾ of shape [units of l, units of l − 1] and b⁽ˡ⁾ of shape [units of l, 1] (broadcast over
 * the columns). Z⁽⁰⁾ = X is the input, the last layer uses the output layer's activation.
 *
 * Chapter 4's backpropagation, by hand in the same matrix form: {@linkcode forward} and
 * {@linkcode backward} are that chapter's cells (notebooks/04_backpropagation.ipynb), copied here
 * by `deno task save-cells`; edit them there. They compute
 *
 *   Δ⁽ᴸ⁾ = Y − D                                   (the matched output/error pairs of chapter 2)
 *   Δ⁽ˡ⁾ = f′(U⁽ˡ⁾) ⊙ (W⁽ˡ⁺¹⁾ᵀ Δ⁽ˡ⁺¹⁾)               (l = L − 1, …, 1)
 *   ∂E/∂W⁽ˡ⁾ = (1/N) Δ⁽ˡ⁾ Z⁽ˡ⁻¹⁾ᵀ,   ∂E/∂b⁽ˡ⁾ = (1/N) Δ⁽ˡ⁾ 1
 *
 * where column n of Δ⁽ˡ⁾ holds the deltas δⱼ⁽ˡ⁾ = ∂Eₙ/∂uⱼ⁽ˡ⁾ of example n, and E is the mean of
 * the per-example errors Eₙ over the N columns. Where f′ is a function of f's own output
 * (logistic: f′ = Z(1 − Z); tanh: 1 − Z²), f′(U⁽ˡ⁾) is computed from the forward pass's Z⁽ˡ⁾
 * instead of evaluating f again — the same numbers, one pass fewer.
 *
 * Training and prediction run the same computation with fused kernels where the backend has them
 * ({@linkcode fastForward}, {@linkcode fastBackward}, {@linkcode fastLossAndGradients}: one
 * kernel a layer each way, and the softmax output with its error and Y − D in one), bit for bit
 * the numbers of the two cells (tests/dense_kernel_test.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Activation, identity, logistic, relu, tanh } from "./activations.ts";
import { KERNEL_NAMES } from "../runtime/backends/kernel_names.ts";
import { fusedKernelsReady } from "../runtime/backends/fused.ts";
import {
  binaryClassification,
  multiclassClassification,
  OUTPUT_LAYERS,
  type OutputLayer,
  regression,
  softmaxCrossEntropy,
} from "./losses.ts";
import type { Random } from "../runtime/random.ts";
import { fanInNormal, type Initializer } from "./initializers.ts";
import { dropoutMask } from "./dropout.ts";
import type { Parameter } from "../optim/optimizer.ts";

/** One fully connected layer: weights [out, in], bias [out, 1] and its activation. */
export interface DenseLayer {
  readonly W: tf.Variable;
  readonly b: tf.Variable;
  /** The hidden activation; undefined for the output layer (it uses the network's output). */
  readonly activation?: Activation;
}

/** A feedforward network: hidden layers, then an output layer with its matched error. */
export interface Network {
  readonly sizes: readonly number[];
  readonly layers: readonly DenseLayer[];
  readonly output: OutputLayer;
}

/**
 * All total inputs U⁽ˡ⁾ and outputs Z⁽ˡ⁾ of a forward pass (Z⁽⁰⁾ = X); y is the last Z. With
 * dropout, z[l] is the layer's output after its mask (what the next layer received).
 */
export interface ForwardPass {
  readonly u: tf.Tensor[];
  readonly z: tf.Tensor[];
  readonly y: tf.Tensor;
  /** The dropout masks the pass used (see {@linkcode forward}); absent without dropout. */
  readonly masks?: readonly (tf.Tensor | undefined)[];
}

/**
 * A network with layer sizes `sizes` (inputs first, outputs last), hidden activation `hidden`,
 * weights drawn by `init` (default {@linkcode fanInNormal}, N(0, 1/fanIn)) in layer order, and
 * biases 0.
 *
 * @example
 * ```ts
 * const net = createNetwork([2, 4, 1], tanh, binaryClassification, new Random(1));
 * const y = predict(net, tf.tensor2d([[0, 1], [1, 0]])); // two examples as columns → [1, 2]
 * ```
 */
export function createNetwork(
  sizes: readonly number[],
  hidden: Activation,
  output: OutputLayer,
  rng: Random,
  init: Initializer = fanInNormal,
): Network {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`createNetwork: sizes must be ≥ 2 positive integers, got [${sizes}]`);
  }
  const layers = sizes.slice(1).map((units, i): DenseLayer => {
    const fanIn = sizes[i];
    // tidy frees the initial values; the variables keep their own reference to the data.
    return {
      W: tf.tidy(() => tf.variable(init.draw([units, fanIn], rng))),
      b: tf.tidy(() => tf.variable(tf.zeros([units, 1]))),
      activation: i < sizes.length - 2 ? hidden : undefined,
    };
  });
  return { sizes: [...sizes], layers, output };
}

/**
 * Throws a clear error unless X is [inputs, N] for `net` and there is at most one dropout mask
 * per layer input (the checks of {@linkcode forward}, written here so that the chapter's cell
 * shows only the algorithm).
 */
export function checkForwardInputs(
  net: Network,
  X: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): void {
  if (X.rank !== 2 || X.shape[0] !== net.sizes[0]) {
    throw new Error(
      `forward: expected inputs of shape [${
        net.sizes[0]
      }, N] (one example per column), got [${X.shape}]`,
    );
  }
  if (masks !== undefined && masks.length > net.layers.length) {
    throw new Error(
      `forward: ${masks.length} dropout masks for ${net.layers.length} layer inputs`,
    );
  }
}

/**
 * Throws a clear error unless `net`'s output layer is one of the matched pairs of chapter 2 (the
 * output delta is then Y − D), `pass` came from a network of `net`'s depth, and the targets D have
 * the outputs' shape (the checks of {@linkcode backward}).
 */
export function checkBackwardInputs(net: Network, pass: ForwardPass, D: tf.Tensor): void {
  if (!OUTPUT_LAYERS.includes(net.output)) {
    throw new Error(
      `backward: the output layer "${net.output.problem}" is not one of the matched pairs ` +
        `(${OUTPUT_LAYERS.map((o) => o.problem).join(", ")})`,
    );
  }
  if (pass.u.length !== net.layers.length || pass.z.length !== net.layers.length + 1) {
    throw new Error(
      `backward: the pass has ${pass.u.length} layers, the network ${net.layers.length}`,
    );
  }
  if (!tf.util.arraysEqual(D.shape, pass.y.shape)) {
    throw new Error(`backward: targets D [${D.shape}] do not match outputs Y [${pass.y.shape}]`);
  }
}

// @saved-from notebooks/04_backpropagation.ipynb — edit it there, then `deno task save-cells`
/**
 * The forward pass for inputs X [inputs, N] (one example per column), keeping every U⁽ˡ⁾ and
 * Z⁽ˡ⁾. With dropout (training only), masks[l] multiplies Z⁽ˡ⁾, the input of layer l + 1; an
 * undefined entry means no dropout there (draw them with {@linkcode dropoutMasks}).
 */
export function forward(
  net: Network,
  X: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): ForwardPass {
  checkForwardInputs(net, X, masks);
  const u: tf.Tensor[] = []; // u[l − 1] = U⁽ˡ⁾
  const z: tf.Tensor[] = [masks?.[0] ? tf.mul(X, masks[0]) : X]; // z[l] = Z⁽ˡ⁾, Z⁽⁰⁾ = X
  net.layers.forEach((layer, i) => {
    // Layer l = i + 1: U⁽ˡ⁾ = W⁽ˡ⁾ Z⁽ˡ⁻¹⁾ + b⁽ˡ⁾ 1ᵀ.
    const ul = tf.add(tf.matMul(layer.W, z[i]), layer.b);
    u.push(ul);
    if (layer.activation) {
      const zl = layer.activation.f(ul); // Z⁽ˡ⁾ = f(U⁽ˡ⁾)
      const mask = masks?.[i + 1];
      z.push(mask ? tf.mul(zl, mask) : zl);
    } else {
      z.push(net.output.activation(ul)); // Y = Z⁽ᴸ⁾ = output(U⁽ᴸ⁾)
    }
  });
  const y = z[z.length - 1];
  return masks === undefined ? { u, z, y } : { u, z, y, masks };
}
// @end-saved

/**
 * Dropout masks for one minibatch of `batchSize` columns: entries 1/(1 − rate) with probability
 * 1 − rate, else 0 (inverted dropout, `dropout.ts`); undefined where the rate is 0. The caller
 * owns the tensors.
 *
 * @example
 * ```ts
 * const masks = dropoutMasks(net, 100, { input: 0.2, hidden: 0.5 }, rng);
 * const pass = forward(net, X, masks);
 * const grads = backward(net, pass, D); // uses pass.masks
 * ```
 */
export function dropoutMasks(
  net: Network,
  batchSize: number,
  rates: { input?: number; hidden?: number },
  rng: Random,
): (tf.Tensor | undefined)[] {
  const input = rates.input ?? 0;
  const hidden = rates.hidden ?? 0;
  return net.layers.map((_, l) => {
    const rate = l === 0 ? input : hidden;
    return rate > 0 ? dropoutMask([net.sizes[l], batchSize], rate, rng) : undefined;
  });
}

/** The activation names of `KERNEL_NAMES.denseForward`, for the activations it computes. */
const FUSED_ACTIVATIONS = new Map<Activation, string>([
  [logistic, "logistic"],
  [tanh, "tanh"],
  [relu, "relu"],
  [identity, "identity"],
]);

/** The activation of the output layers' dense kernel (softmax follows in its own kernel). */
const FUSED_OUTPUTS = new Map<OutputLayer, string>([
  [regression, "identity"],
  [binaryClassification, "logistic"],
  [multiclassClassification, "identity"],
]);

/**
 * The name under which `KERNEL_NAMES.denseForward` computes layer `i` of `net`, or `undefined`
 * when it cannot (another activation or output layer, a bias not of shape [out, 1], non-float32
 * data).
 */
function fusedActivationName(net: Network, i: number, zPrev: tf.Tensor): string | undefined {
  const layer = net.layers[i];
  if (
    layer.W.dtype !== "float32" || layer.b.dtype !== "float32" || zPrev.dtype !== "float32" ||
    layer.b.rank !== 2 || layer.b.shape[1] !== 1
  ) {
    return undefined;
  }
  return layer.activation ? FUSED_ACTIVATIONS.get(layer.activation) : FUSED_OUTPUTS.get(net.output);
}

/** A forward pass, and for targets D (softmax outputs only) the error and output delta. */
interface FusedForward {
  pass: ForwardPass;
  /** Y − D, when the softmax kernel computed it with the outputs. */
  delta?: tf.Tensor;
  /** The network's error E(Y, D), when the softmax kernel computed it with the outputs. */
  loss?: tf.Scalar;
}

/**
 * {@linkcode forward}, each layer in one kernel where the backend has one; with targets D and a
 * softmax output, also the error and Y − D from the softmax kernel (see
 * {@linkcode fastForward}).
 */
function fusedForward(
  net: Network,
  X: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
  D?: tf.Tensor,
): FusedForward {
  checkForwardInputs(net, X, masks);
  // The fused kernels have no gradients: under a gradient tape (tf.grad, tf.variableGrads of a
  // function calling networkError, say) the ops run instead.
  if (!fusedKernelsReady(KERNEL_NAMES.denseForward)) {
    return { pass: forward(net, X, masks) };
  }
  const u: tf.Tensor[] = [];
  const z: tf.Tensor[] = [masks?.[0] ? tf.mul(X, masks[0]) : X];
  let delta: tf.Tensor | undefined, loss: tf.Scalar | undefined;
  net.layers.forEach((layer, i) => {
    const activation = fusedActivationName(net, i, z[i]);
    let ul: tf.Tensor, zl: tf.Tensor;
    if (activation === undefined) { // as forward() computes it
      ul = tf.add(tf.matMul(layer.W, z[i]), layer.b);
      zl = layer.activation ? layer.activation.f(ul) : net.output.activation(ul);
    } else {
      const outs = tf.engine().runKernel(
        KERNEL_NAMES.denseForward,
        { W: layer.W, b: layer.b, zPrev: z[i] },
        { activation },
      ) as unknown as tf.Tensor[];
      ul = outs[0];
      if (layer.activation) zl = outs[1] ?? tf.clone(ul);
      else if (net.output === multiclassClassification) {
        const matched = D !== undefined && tf.util.arraysEqual(D.shape, ul.shape);
        const softmax = softmaxCrossEntropy(ul, matched ? D : undefined);
        ({ delta, loss } = softmax);
        zl = softmax.y;
      } else zl = outs[1] ?? tf.clone(ul); // identity: a clone of U, as identity.f
    }
    u.push(ul);
    const mask = layer.activation ? masks?.[i + 1] : undefined;
    z.push(mask ? tf.mul(zl, mask) : zl);
  });
  const y = z[z.length - 1];
  const pass = masks === undefined ? { u, z, y } : { u, z, y, masks };
  return { pass, delta, loss };
}

/**
 * {@linkcode forward} with each layer's product, bias and activation in one kernel where the
 * backend has one (`CourseDenseForward` on the blas backend, and `CourseSoftmaxCrossEntropy` for
 * softmax outputs): the same pass bit for bit (tests/dense_kernel_test.ts compares the two),
 * three or four kernels fewer a layer. Layers with other activations, other backends, and
 * calls under a gradient tape (the kernels have no gradients) run chapter 4's cell op by op. This
 * is what training and prediction run; chapter 4's cell is what it computes.
 *
 * @example
 * ```ts
 * const pass = fastForward(net, X); // same U⁽ˡ⁾, Z⁽ˡ⁾ as forward(net, X)
 * ```
 */
export function fastForward(
  net: Network,
  X: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): ForwardPass {
  return fusedForward(net, X, masks).pass;
}

// @saved-from notebooks/04_backpropagation.ipynb — edit it there, then `deno task save-cells`
/**
 * Backpropagation written by hand: the gradients ∂E/∂W⁽¹⁾, ∂E/∂b⁽¹⁾, ∂E/∂W⁽²⁾, … (the order of
 * {@linkcode parameters}) for `pass` = forward(net, X, masks) and targets D [outputs, N], where
 * E is the network's error, the mean over the N columns. The caller owns the tensors.
 */
export function backward(net: Network, pass: ForwardPass, D: tf.Tensor): tf.Tensor[] {
  checkBackwardInputs(net, pass, D); // a matched output/error pair, so Δ⁽ᴸ⁾ = Y − D
  return tf.tidy(() => {
    const L = net.layers.length, N = pass.y.shape[1] ?? 1;
    const grads: tf.Tensor[] = new Array(2 * L);
    let delta: tf.Tensor = tf.sub(pass.y, D); // Δ⁽ᴸ⁾ = Y − D
    for (let l = L; l >= 1; l--) {
      // ∂E/∂W⁽ˡ⁾ = (1/N) Δ⁽ˡ⁾ Z⁽ˡ⁻¹⁾ᵀ and ∂E/∂b⁽ˡ⁾ = (1/N) Δ⁽ˡ⁾ 1.
      grads[2 * l - 2] = tf.div(tf.matMul(delta, pass.z[l - 1], false, true), N);
      grads[2 * l - 1] = tf.div(tf.sum(delta, 1, true), N);
      if (l === 1) break;
      // Δ⁽ˡ⁻¹⁾ = f′(U⁽ˡ⁻¹⁾) ⊙ (W⁽ˡ⁾ᵀ Δ⁽ˡ⁾), times the dropout mask that multiplied Z⁽ˡ⁻¹⁾.
      const back = tf.matMul(net.layers[l - 1].W, delta, true, false); // W⁽ˡ⁾ᵀ Δ⁽ˡ⁾
      const f = net.layers[l - 2].activation!;
      const mask = pass.masks?.[l - 1];
      const slope = f.derivativeFromOutput && !mask
        ? f.derivativeFromOutput(pass.z[l - 1]) // f′ from Z⁽ˡ⁻¹⁾ = f(U⁽ˡ⁻¹⁾)
        : f.derivative(pass.u[l - 2]); // f′(U⁽ˡ⁻¹⁾)
      delta = tf.mul(slope, back);
      if (mask) delta = tf.mul(delta, mask);
    }
    return grads;
  });
}
// @end-saved

/** The slope names of `KERNEL_NAMES.denseBackward`, for the activations it computes. */
const FUSED_SLOPES = new Map<Activation, string>([
  [logistic, "logistic"],
  [tanh, "tanh"],
  [relu, "relu"],
]);

/**
 * One layer of {@linkcode backward} as one kernel: [∂E/∂W, ∂E/∂b, Δ⁽ˡ⁻¹⁾ (l > 0)], or
 * `undefined` (dropout masks, other activations) for the op-by-op version.
 */
function fusedLayerBackward(
  net: Network,
  pass: ForwardPass,
  delta: tf.Tensor,
  l: number,
  n: number,
): tf.Tensor[] | undefined {
  if (pass.masks?.some((m) => m !== undefined)) return undefined;
  const below = l > 0 ? net.layers[l - 1].activation : undefined;
  const slope = l === 0 ? "none" : below ? FUSED_SLOPES.get(below) : undefined;
  if (slope === undefined) return undefined;
  const inputs: tf.NamedTensorMap = { delta, zPrev: pass.z[l], W: net.layers[l].W };
  if (slope !== "none") inputs.slopeFrom = slope === "relu" ? pass.u[l - 1] : pass.z[l];
  const outs = tf.engine().runKernel(KERNEL_NAMES.denseBackward, inputs, { n, slope });
  return outs as unknown as tf.Tensor[];
}

/**
 * {@linkcode backward} computed layer by layer in one fused kernel where the backend has one
 * (`CourseDenseBackward` on the blas backend): the same numbers bit for bit
 * (tests/dense_kernel_test.ts compares the two), fewer passes over memory. Falls back to
 * {@linkcode backward} itself with dropout masks or an activation the kernel does not know. This
 * is what training runs; chapter 4's cell is what it computes.
 *
 * @example
 * ```ts
 * const grads = fastBackward(net, forward(net, X), D); // same as backward(net, pass, D)
 * ```
 */
export function fastBackward(net: Network, pass: ForwardPass, D: tf.Tensor): tf.Tensor[] {
  return fusedBackward(net, pass, D);
}

/**
 * {@linkcode fastBackward}, starting from the output delta Y − D when the forward pass already
 * computed it (the softmax kernel does).
 */
function fusedBackward(
  net: Network,
  pass: ForwardPass,
  D: tf.Tensor,
  outputDelta?: tf.Tensor,
): tf.Tensor[] {
  const fusable = tf.getKernel(KERNEL_NAMES.denseBackward, tf.getBackend()) !== undefined &&
    !pass.masks?.some((m) => m !== undefined) &&
    net.layers.slice(0, -1).every((layer) => FUSED_SLOPES.has(layer.activation!));
  if (!fusable) return backward(net, pass, D);
  checkBackwardInputs(net, pass, D);
  return tf.tidy(() => {
    const L = net.layers.length, N = pass.y.shape[1] ?? 1;
    const grads: tf.Tensor[] = new Array(2 * L);
    let delta: tf.Tensor = outputDelta ?? tf.sub(pass.y, D); // Δ⁽ᴸ⁾ = Y − D
    for (let l = L - 1; l >= 0; l--) {
      [grads[2 * l], grads[2 * l + 1], delta] = fusedLayerBackward(net, pass, delta, l, N)!;
    }
    return grads;
  });
}

/**
 * The minibatch error and its gradients as {@linkcode backpropGradients} computes them —
 * `net.output.error(Y, D)` and {@linkcode backward}'s gradients for Y from {@linkcode forward} —
 * with the fused kernels where the backend has them ({@linkcode fastForward}, the softmax
 * output's error and delta in one kernel, {@linkcode fastBackward}): the same numbers bit for bit.
 * The caller owns the tensors.
 *
 * @example
 * ```ts
 * const { loss, grads } = fastLossAndGradients(net, X, D); // E and ∂E/∂W⁽¹⁾, ∂E/∂b⁽¹⁾, …
 * ```
 */
export function fastLossAndGradients(
  net: Network,
  X: tf.Tensor,
  D: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): { loss: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const { pass, delta, loss } = fusedForward(net, X, masks, D);
    checkBackwardInputs(net, pass, D);
    const grads = fusedBackward(net, pass, D, delta);
    return { loss: loss ?? net.output.error(pass.y, D), grads };
  });
}

/**
 * The error and its gradients by backpropagation ({@linkcode forward} then {@linkcode backward}),
 * with optional dropout masks. The caller owns the tensors.
 *
 * @example
 * ```ts
 * const { loss, grads } = backpropGradients(net, X, D);
 * ```
 */
export function backpropGradients(
  net: Network,
  X: tf.Tensor,
  D: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): { loss: tf.Scalar; grads: tf.Tensor[] } {
  return fastLossAndGradients(net, X, D, masks);
}

/**
 * The same gradients by tfjs automatic differentiation (`tf.variableGrads`), for checking
 * {@linkcode backward}; same order as {@linkcode parameters}. The caller owns the tensors.
 *
 * @example
 * ```ts
 * const { grads } = autodiffGradients(net, X, D);
 * ```
 */
export function autodiffGradients(
  net: Network,
  X: tf.Tensor,
  D: tf.Tensor,
  masks?: readonly (tf.Tensor | undefined)[],
): { loss: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const variables = parameters(net);
    const { value, grads } = tf.variableGrads(
      () => net.output.error(forward(net, X, masks).y, D),
      variables,
    );
    return { loss: value, grads: variables.map((v) => grads[v.name]) };
  });
}

/** The size of one layer's gradients: Frobenius norms and root-mean-square entries. */
export interface LayerGradientNorm {
  /** 1-based layer number l. */
  layer: number;
  /** ‖∂E/∂W⁽ˡ⁾‖ (Frobenius). */
  weightNorm: number;
  /** ‖∂E/∂b⁽ˡ⁾‖. */
  biasNorm: number;
  /** ‖∂E/∂W⁽ˡ⁾‖ / √(entries): the typical size of one weight's gradient. */
  weightRms: number;
}

/**
 * Per-layer sizes of gradients given in the order of {@linkcode parameters} (W⁽¹⁾, b⁽¹⁾, …).
 *
 * @example
 * ```ts
 * const norms = layerGradientNorms(backward(net, forward(net, X), D));
 * norms.map((n) => n.weightNorm); // one number per layer, input side first
 * ```
 */
export function layerGradientNorms(grads: readonly tf.Tensor[]): LayerGradientNorm[] {
  if (grads.length % 2 !== 0) {
    throw new Error(`layerGradientNorms: expected W, b pairs, got ${grads.length} tensors`);
  }
  const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]);
  const out: LayerGradientNorm[] = [];
  for (let l = 0; l < grads.length / 2; l++) {
    const weightNorm = norm(grads[2 * l]);
    out.push({
      layer: l + 1,
      weightNorm,
      biasNorm: norm(grads[2 * l + 1]),
      weightRms: weightNorm / Math.sqrt(grads[2 * l].size),
    });
  }
  return out;
}

/**
 * The network's outputs y for inputs X of shape [inputs, N]: shape [outputs, N] (by
 * {@linkcode fastForward}: the numbers of {@linkcode forward}).
 */
export function predict(net: Network, X: tf.Tensor): tf.Tensor {
  return tf.tidy(() => fastForward(net, X).y);
}

/**
 * The network's error on inputs X and targets D (both one example per column), computed as
 * `net.output.error(forward(net, X).y, D)` (by the fused kernels where the backend has them).
 */
export function networkError(net: Network, X: tf.Tensor, D: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { pass, loss } = fusedForward(net, X, undefined, D);
    return loss ?? net.output.error(pass.y, D);
  });
}

/** All weights and biases, in layer order (W⁽¹⁾, b⁽¹⁾, W⁽²⁾, …). */
export function parameters(net: Network): tf.Variable[] {
  return net.layers.flatMap((layer) => [layer.W, layer.b]);
}

/** Free the network's variables. */
export function disposeNetwork(net: Network): void {
  for (const v of parameters(net)) v.dispose();
}

/**
 * The parameters of a {@linkcode Network} for an optimiser: each layer's W (weight) and b (bias),
 * in layer order.
 *
 * @example
 * ```ts
 * const params = networkParameters(createNetwork([2, 3, 1], tanh, regression, new Random(1)));
 * params.map((p) => p.role); // ["weight", "bias", "weight", "bias"]
 * ```
 */
export function networkParameters(net: Network): Parameter[] {
  return net.layers.flatMap((layer): Parameter[] => [
    { variable: layer.W, role: "weight" },
    { variable: layer.b, role: "bias" },
  ]);
}
