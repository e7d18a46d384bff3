/**
 * A feedforward network in the book's matrix form: a minibatch is a matrix with **one example
 * per column**, and layer l computes
 *
 *   U⁽ˡ⁾ = W⁽ˡ⁾ Z⁽ˡ⁻¹⁾ + b⁽ˡ⁾ 1ᵀ,   Z⁽ˡ⁾ = f⁽ˡ⁾(U⁽ˡ⁾),
 *
 * with W⁽ˡ⁾ of shape [units of l, units of l − 1] and b⁽ˡ⁾ of shape [units of l, 1] (broadcast over
 * the columns). Z⁽⁰⁾ = X is the input, the last layer uses the output layer's activation.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Activation } from "./activations.ts";
import type { OutputLayer } from "./losses.ts";
import type { Random } from "../runtime/random.ts";

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

/** All total inputs U⁽ˡ⁾ and outputs Z⁽ˡ⁾ of a forward pass (Z⁽⁰⁾ = X); y is the last Z. */
export interface ForwardPass {
  readonly u: tf.Tensor[];
  readonly z: tf.Tensor[];
  readonly y: tf.Tensor;
}

/**
 * A network with layer sizes `sizes` (inputs first, outputs last), hidden activation `hidden`,
 * and weights drawn from N(0, σ²) with σ = `weightScale(fanIn)` (default 1/√fanIn), biases 0.
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
  weightScale: (fanIn: number) => number = (fanIn) => 1 / Math.sqrt(fanIn),
): Network {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`createNetwork: sizes must be ≥ 2 positive integers, got [${sizes}]`);
  }
  const layers = sizes.slice(1).map((units, i): DenseLayer => {
    const fanIn = sizes[i];
    return {
      W: tf.variable(rng.normalTensor([units, fanIn], 0, weightScale(fanIn))),
      b: tf.variable(tf.zeros([units, 1])),
      activation: i < sizes.length - 2 ? hidden : undefined,
    };
  });
  return { sizes: [...sizes], layers, output };
}

/** The forward pass for inputs X of shape [inputs, N], keeping every U⁽ˡ⁾ and Z⁽ˡ⁾. */
export function forward(net: Network, X: tf.Tensor): ForwardPass {
  if (X.rank !== 2 || X.shape[0] !== net.sizes[0]) {
    throw new Error(
      `forward: expected inputs of shape [${
        net.sizes[0]
      }, N] (one example per column), got [${X.shape}]`,
    );
  }
  const u: tf.Tensor[] = [];
  const z: tf.Tensor[] = [X];
  for (const layer of net.layers) {
    const ul = tf.add(tf.matMul(layer.W, z[z.length - 1]), layer.b);
    u.push(ul);
    z.push(layer.activation ? layer.activation.f(ul) : net.output.activation(ul));
  }
  return { u, z, y: z[z.length - 1] };
}

/** The network's outputs y for inputs X of shape [inputs, N]: shape [outputs, N]. */
export function predict(net: Network, X: tf.Tensor): tf.Tensor {
  return tf.tidy(() => forward(net, X).y);
}

/** The network's error on inputs X and targets D (both one example per column). */
export function networkError(net: Network, X: tf.Tensor, D: tf.Tensor): tf.Scalar {
  return tf.tidy(() => net.output.error(forward(net, X).y, D));
}

/** All weights and biases, in layer order (W⁽¹⁾, b⁽¹⁾, W⁽²⁾, …). */
export function parameters(net: Network): tf.Variable[] {
  return net.layers.flatMap((layer) => [layer.W, layer.b]);
}

/** Free the network's variables. */
export function disposeNetwork(net: Network): void {
  for (const v of parameters(net)) v.dispose();
}
