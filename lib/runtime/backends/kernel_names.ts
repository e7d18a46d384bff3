/**
 * The names of the course's own tfjs kernels, in one place: the layer that calls a kernel
 * (`lib/nn/…`, through `tf.engine().runKernel` where `tf.getKernel(name, backend)` finds it) and
 * the backend that registers it (`lib/runtime/backends/blas/…`) both import the name from here.
 *
 * @example
 * ```ts
 * import { KERNEL_NAMES } from "./kernel_names.ts";
 * const fused = tf.getKernel(KERNEL_NAMES.sgdStep, tf.getBackend()) !== undefined;
 * ```
 *
 * @module
 */

/** Every custom kernel name (tfjs's own kernels keep tfjs's names). */
export const KERNEL_NAMES = {
  /**
   * One SGD update in one pass: inputs w, g (and the velocity v with momentum), attributes
   * learningRate, momentum, weightDecay; outputs w′ (and v′). See `lib/optim/sgd.ts`.
   */
  sgdStep: "CourseSgdStep",
  /** `dy ⊙ [y > 0]` from a ReLU's output y, in one pass. See `lib/nn/conv.ts`. */
  reluBackprop: "CourseReluBackprop",
  /**
   * One layer of chapter 4's hand-written backpropagation in the book's matrix form: inputs
   * delta Δ [out, N], zPrev Z⁽ˡ⁻¹⁾ [in, N], W [out, in] and, for the slope, `slopeFrom` (the layer
   * below's output z, or its input u for ReLU), optionally `backShift` s [in, 1]; attributes n,
   * slope ("logistic", "tanh", "relu", "none"); outputs ΔZᵀ/n, (Δ1)/n and, unless slope is
   * "none", f′ ⊙ (WᵀΔ + s 1ᵀ). See `lib/nn/network.ts` and `lib/nn/autoencoder_gradients.ts`.
   */
  denseBackward: "CourseDenseBackward",
  /**
   * One layer of chapter 4's forward pass: inputs W [out, in], b [out, 1], zPrev Z⁽ˡ⁻¹⁾ [in, N];
   * attribute activation ("relu", "logistic", "tanh", "identity"); outputs U = W Z⁽ˡ⁻¹⁾ + b 1ᵀ
   * and, unless the activation is "identity", Z = f(U). See `lib/nn/network.ts`.
   */
  denseForward: "CourseDenseForward",
  /**
   * The softmax output layer with its cross-entropy (chapter 2) in one pass: inputs u [K, N] and,
   * optionally, one-hot targets d [K, N]; outputs Y = softmax(u) over each column and, with d,
   * the output delta Y − D and the error −Σ d log max(Y, 10⁻¹²) / N (a scalar). See
   * `lib/nn/losses.ts` and `lib/nn/network.ts`.
   */
  softmaxCrossEntropy: "CourseSoftmaxCrossEntropy",
  /**
   * A logistic output layer's error and output delta in one pass (chapter 5's autoencoders):
   * inputs y = X̂ [K, N] (the logistic outputs) and targets d [K, N]; attribute pair
   * ("crossEntropy": E = −Σ [d log max(y, tiny) + (1 − d) log max(1 − y, tiny)] / N, Δ = y − d;
   * "squaredError": E = ½ Σ (d − y)² / N, Δ = (y − d) ⊙ y(1 − y)) and tiny; outputs Δ and E (a
   * scalar). See `lib/nn/autoencoder_gradients.ts`.
   */
  logisticOutput: "CourseLogisticOutput",
  /**
   * NHWC x [N, H, W, C] → channel blocks [N, ⌈C/b⌉, H, W, b], padding channels zero; attribute
   * block (b). See `lib/nn/blocked.ts`.
   */
  toChannelBlocks: "CourseToChannelBlocks",
  /** Channel blocks [N, ⌈C/b⌉, H, W, b] → NHWC [N, H, W, C]; attribute channels (C). */
  fromChannelBlocks: "CourseFromChannelBlocks",
  /**
   * ReLU(conv2d(x, filter) + bias) into channel blocks: inputs x (NHWC, or channel blocks),
   * filter [kh, kw, C, Cout], bias [Cout]; attributes strides, pad ("same", "valid"), block.
   */
  blockedConvBiasRelu: "CourseBlockedConvBiasRelu",
  /**
   * Its gradient with respect to x: inputs dy and y (the layer's output, channel blocks) and the
   * filter; attributes strides, pad, inputShape (x's NHWC shape) and inputBlocked (x's layout).
   */
  blockedConvBiasReluBackprop: "CourseBlockedConvBiasReluBackprop",
} as const;

/** One of the course's kernel names. */
export type CourseKernelName = (typeof KERNEL_NAMES)[keyof typeof KERNEL_NAMES];
