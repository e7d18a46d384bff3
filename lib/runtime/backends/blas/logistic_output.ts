/**
 * `CourseLogisticOutput` (see `KERNEL_NAMES.logisticOutput`): the error of a logistic output
 * layer and the output delta of backpropagation in one pass over X̂ and X, instead of the five to
 * nine elementwise kernels and the sum of the same formulas written with tfjs ops
 * (`binaryCrossEntropy` and `squaredError` in `lib/nn/losses.ts`, the output delta of
 * `autoencoderGradients` in `lib/nn/autoencoder_gradients.ts`), one example per column of
 * y = X̂ [K, N]:
 *
 *   cross-entropy (the matched pair):  E = −Σ [d log max(y, tiny) + (1 − d) log max(1 − y, tiny)] / N,
 *                                      Δ = y − d
 *   squared error (UFLDL's pairing):   E = ½ Σ (d − y)² / N,   Δ = (y − d) ⊙ y(1 − y)
 *
 * An autoencoder's output has 784 rows and thousands of columns, so the ops' passes over it (each
 * with its own output array) cost as much as its matrix products. Every value is rounded to
 * float32 exactly where an op stores a float32 tensor, `max` is the `Maximum` kernel's `Math.max`,
 * and the sum accumulates in double over all entries in row-major order as the `Sum` kernel's, so
 * both outputs are bit-for-bit those of the ops (tests/autoencoder_kernels_test.ts). Where the
 * target is exactly 0 or 1 (most of an image's pixels) and y is in [0, 1], one of the two
 * cross-entropy terms is 0 · (a finite logarithm) = ±0 and adding it changes nothing, so its
 * logarithm is not taken (05a's cross-entropy training: 82 → 62 ms of this kernel an evaluation).
 *
 * @module
 */
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { asKernelFunc, floatValues, type KernelArgs, output } from "./kernel_util.ts";
import { KERNEL_NAMES } from "../kernel_names.ts";

/** The output/error pairs the kernel computes, named as its attribute `pair` gives them. */
export type LogisticOutputPair = "crossEntropy" | "squaredError";

function logisticOutput({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const name = KERNEL_NAMES.logisticOutput;
  const pair = attrs?.pair as LogisticOutputPair;
  if (pair !== "crossEntropy" && pair !== "squaredError") {
    throw new Error(`${name}: unknown pair "${pair}" (crossEntropy, squaredError)`);
  }
  const y = floatValues(backend, inputs.y), d = floatValues(backend, inputs.d);
  const [rows, batch] = inputs.y.shape;
  if (
    !y || !d || inputs.y.shape.length !== 2 || inputs.d.shape.length !== 2 ||
    inputs.d.shape[0] !== rows || inputs.d.shape[1] !== batch || batch < 1
  ) {
    throw new Error(
      `${name}: expected float32 y and d of one shape [K, N] with N ≥ 1; got ` +
        `[${inputs.y.shape}], [${inputs.d.shape}]`,
    );
  }
  const f = Math.fround;
  const delta = backend.pool.take(y.length);
  let sum = 0, error: number;
  if (pair === "crossEntropy") {
    const tiny = f(attrs?.tiny as number);
    for (let i = 0; i < y.length; i++) {
      const yi = y[i], di = d[i];
      delta[i] = yi - di; // Δ = y − d
      if (yi >= 0 && yi <= 1 && (di === 0 || di === 1)) {
        // a target of exactly 0 or 1 (most of an image's pixels): the other term is 0 · (a finite
        // log) = ±0, and adding ±0 changes nothing, so its logarithm need not be taken
        sum += di === 0 ? f(Math.log(Math.max(f(1 - yi), tiny))) : f(Math.log(Math.max(yi, tiny)));
        continue;
      }
      const positive = f(di * f(Math.log(Math.max(yi, tiny)))); // d log max(y, tiny)
      const negative = f(f(1 - di) * f(Math.log(Math.max(f(1 - yi), tiny)))); // (1 − d) log …
      sum += f(positive + negative);
    }
    error = f(-f(sum)) / f(batch);
  } else {
    for (let i = 0; i < y.length; i++) {
      const yi = y[i], di = d[i];
      const residual = f(di - yi); // d − y (its square is that of y − d)
      sum += f(residual * residual);
      delta[i] = f(yi - di) * f(yi * f(1 - yi)); // (y − d) ⊙ y(1 − y)
    }
    error = f(0.5 * f(sum)) / f(batch);
  }
  const shape = [rows, batch];
  return [output(backend, shape, delta), output(backend, [], new Float32Array([error]))];
}

/** The fused logistic-output kernel of the `blas` backend. */
export const BLAS_LOGISTIC_OUTPUT_KERNELS: readonly KernelConfig[] = [
  {
    kernelName: KERNEL_NAMES.logisticOutput,
    backendName: "blas",
    kernelFunc: asKernelFunc(logisticOutput),
  },
];
