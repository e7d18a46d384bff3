/**
 * The gradient check of chapter 5: the hand-written autoencoder gradient against central
 * differences of the objective recomputed in float64 on the host, and against tfjs autodiff.
 * The float64 objective uses each activation's and output layer's own `f64` version, so this
 * module knows no formula of its own beyond the matrix products and the KL penalty.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Autoencoder, autoencoderParameters } from "./autoencoder.ts";
import {
  autoencoderGradients,
  autoencoderObjective,
  type SparsityOptions,
} from "./autoencoder_gradients.ts";
import { relativeError } from "./gradcheck.ts";

/**
 * J = E + β Σⱼ KL(ρ ‖ ρ̂ⱼ) in float64 on the host, from the parameter arrays (order of
 * `autoencoderParameters`) and the data [inputs, N] row-major.
 */
function objectiveFloat64(
  ae: Autoencoder,
  params: Float64Array[],
  xin: Float64Array,
  x: Float64Array,
  n: number,
  sparsity?: SparsityOptions,
): number {
  const I = ae.inputSize, H = ae.hiddenSize;
  const [W, b] = params;
  const Wd = ae.tied ? undefined : params[2];
  const bd = params[params.length - 1];
  const Y = new Float64Array(H * n); // Y = f(W X + b 1ᵀ)
  for (let j = 0; j < H; j++) {
    for (let c = 0; c < n; c++) {
      let u = b[j];
      for (let i = 0; i < I; i++) u += W[j * I + i] * xin[i * n + c];
      Y[j * n + c] = ae.encoder.f64(u);
    }
  }
  const V = new Float64Array(I * n); // V = W̃ Y + b̃ 1ᵀ
  for (let i = 0; i < I; i++) {
    for (let c = 0; c < n; c++) {
      let v = bd[i];
      for (let j = 0; j < H; j++) v += (Wd ? Wd[i * H + j] : W[j * I + i]) * Y[j * n + c];
      V[i * n + c] = v;
    }
  }
  let error = ae.output.f64.error(ae.output.f64.activation(V, n), x, n);
  if (sparsity && sparsity.beta > 0) {
    const { rho, beta } = sparsity;
    for (let j = 0; j < H; j++) {
      let q = 0;
      for (let c = 0; c < n; c++) q += Y[j * n + c];
      q /= n;
      error += beta * (rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q)));
    }
  }
  return error;
}

/** One parameter's agreement in {@linkcode checkAutoencoderGradients}. */
export interface AutoencoderCheckRow {
  /** "W", "b", "W̃" or "b̃". */
  parameter: string;
  /** Its shape, e.g. "4×6". */
  shape: string;
  /** Relative error of the hand gradient against central differences in float64. */
  handVsNumerical: number;
  /** Relative error of the hand gradient against tfjs autodiff of `autoencoderObjective`. */
  handVsAutodiff: number;
}

/**
 * Check a hand gradient (default {@linkcode autoencoderGradients}, with ρ̂ = the batch mean)
 * against central differences of the objective recomputed in float64 (ε = 1e-6) and against
 * tfjs autodiff, parameter by parameter. For small autoencoders only (two float64 evaluations
 * per parameter entry). `gradients` lets a test plant a wrong gradient and see it caught.
 *
 * @example
 * ```ts
 * const rows = checkAutoencoderGradients(ae, X, X, { rho: 0.1, beta: 3 });
 * rows.every((r) => r.handVsNumerical < 1e-4); // true
 * ```
 */
export function checkAutoencoderGradients(
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  sparsity?: SparsityOptions,
  gradients: typeof autoencoderGradients = autoencoderGradients,
): AutoencoderCheckRow[] {
  const plain = sparsity ? { ...sparsity, averaging: 0 } : undefined;
  const hand = gradients(ae, Xin, X, { sparsity: plain });
  const variables = autoencoderParameters(ae).map((p) => p.variable);
  const auto = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => autoencoderObjective(ae, Xin, X, plain), variables);
    return variables.map((v) => grads[v.name]);
  });
  const params = variables.map((v) => Float64Array.from(v.dataSync()));
  const xin = Float64Array.from(Xin.dataSync());
  const x = Float64Array.from(X.dataSync());
  const n = X.shape[1] ?? 1;
  const epsilon = 1e-6;
  const names = ae.tied ? ["W", "b", "b̃"] : ["W", "b", "W̃", "b̃"];
  const rows = params.map((p, k): AutoencoderCheckRow => {
    const numerical = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const original = p[i];
      p[i] = original + epsilon;
      const plus = objectiveFloat64(ae, params, xin, x, n, plain);
      p[i] = original - epsilon;
      const minus = objectiveFloat64(ae, params, xin, x, n, plain);
      p[i] = original;
      numerical[i] = (plus - minus) / (2 * epsilon);
    }
    return {
      parameter: names[k],
      shape: variables[k].shape.join("×"),
      handVsNumerical: relativeError(hand.grads[k], numerical),
      handVsAutodiff: relativeError(hand.grads[k], auto[k]),
    };
  });
  tf.dispose([hand.loss, hand.reconstruction, hand.batchRhoHat, ...hand.grads, ...auto]);
  return rows;
}
