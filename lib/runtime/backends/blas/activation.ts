/**
 * Bias and activation applied in place to a fresh matmul or conv output whose last axis is the
 * channel axis — the tail of the fused kernels (`_FusedMatMul`, `FusedConv2D`). Cases the fast
 * path does not cover (PReLU, odd bias shapes) go through the cpu backend's kernels.
 *
 * @module
 */
import type { NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import { type BlasHost, floatValues, output, runCpu, sizeOf } from "./kernel_util.ts";
import { logisticInto } from "./fast_exp.ts";

/** The fused-kernel inputs and attributes that describe the tail. */
export interface FusedTail {
  /** Added to the output (broadcast), if any. */
  bias?: TensorInfo;
  /** PReLU slopes, for `activation: "prelu"`. */
  preluActivationWeights?: TensorInfo;
  /** tfjs fused activation name ("linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu", "prelu"). */
  activation?: string;
  /** Slope for "leakyrelu". */
  leakyreluAlpha?: number;
}

const IN_PLACE = new Set(["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu"]);

/** Read the tail from a fused kernel's inputs and attributes. */
export function fusedTail(
  inputs: { bias?: TensorInfo; preluActivationWeights?: TensorInfo },
  attrs: NamedAttrMap | undefined,
): FusedTail {
  return {
    bias: inputs.bias,
    preluActivationWeights: inputs.preluActivationWeights,
    activation: attrs?.activation as string | undefined,
    leakyreluAlpha: attrs?.leakyreluAlpha as number | undefined,
  };
}

function isChannelBias(bias: TensorInfo, channels: number, rank: number): boolean {
  if (bias.shape.length > rank) return false; // broadcasting would add axes to the output
  const n = sizeOf(bias.shape);
  if (n === 1) return true;
  if (n !== channels || bias.shape[bias.shape.length - 1] !== channels) return false;
  return true;
}

/**
 * Turn `values` (the raw product, shape `shape`, last axis = channels) into a tensor with the tail
 * applied. `values` is modified in place when possible.
 */
export function finishFused(
  backend: BlasHost,
  shape: number[],
  values: Float32Array,
  tail: FusedTail,
): TensorInfo {
  const channels = shape[shape.length - 1];
  const activation = tail.activation ?? "linear";
  const bias = tail.bias;
  const biasValues = bias ? floatValues(backend, bias) : undefined;
  const fast = (!bias || (biasValues && isChannelBias(bias, channels, shape.length))) &&
    IN_PLACE.has(activation);
  if (fast) {
    if (biasValues) addChannelBias(values, biasValues, channels);
    activateInPlace(values, activation, tail.leakyreluAlpha ?? 0.2);
    return output(backend, shape, values);
  }
  let current = output(backend, shape, values);
  if (bias) {
    const sum = runCpu("Add", { a: current, b: bias }, backend);
    backend.disposeIntermediateTensorInfo(current);
    current = sum;
  }
  if (activation !== "linear") {
    const activated = activation === "prelu"
      ? runCpu("Prelu", { x: current, alpha: tail.preluActivationWeights! }, backend)
      : runCpu(cpuActivationKernel(activation), { x: current }, backend, {
        alpha: tail.leakyreluAlpha ?? 0.2,
      });
    backend.disposeIntermediateTensorInfo(current);
    current = activated;
  }
  return current;
}

function cpuActivationKernel(activation: string): string {
  const names: Record<string, string> = {
    relu: "Relu",
    relu6: "Relu6",
    elu: "Elu",
    sigmoid: "Sigmoid",
    leakyrelu: "LeakyRelu",
  };
  const name = names[activation];
  if (!name) throw new Error(`fused activation ${activation} is not supported`);
  return name;
}

/** values[i, c] += bias[c] (or += bias[0] for a one-element bias). */
export function addChannelBias(values: Float32Array, bias: Float32Array, channels: number): void {
  if (bias.length === 1) {
    const b = bias[0];
    for (let i = 0; i < values.length; i++) values[i] += b;
    return;
  }
  for (let row = 0; row < values.length; row += channels) {
    for (let c = 0; c < channels; c++) values[row + c] += bias[c];
  }
}

/** Apply a tfjs fused activation to every element, in place. */
export function activateInPlace(values: Float32Array, activation: string, alpha: number): void {
  const n = values.length;
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < n; i++) {
        // As the Relu kernel (elementwise.ts): no branch on the sign; NaN stays, −∞ gives 0.
        const x = values[i];
        const y = x * +(x > 0) + 0;
        values[i] = y === y ? y : x === -Infinity ? 0 : x;
      }
      return;
    case "relu6":
      for (let i = 0; i < n; i++) values[i] = Math.min(Math.max(values[i], 0), 6);
      return;
    case "leakyrelu":
      for (let i = 0; i < n; i++) if (values[i] < 0) values[i] *= alpha;
      return;
    case "elu":
      for (let i = 0; i < n; i++) if (values[i] < 0) values[i] = Math.exp(values[i]) - 1;
      return;
    case "sigmoid":
      logisticInto(values, values); // 1 / (1 + e⁻ˣ), bit for bit
      return;
    default:
      throw new Error(`activation ${activation} cannot be applied in place`);
  }
}
