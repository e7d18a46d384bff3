/**
 * The checks of chapters 4, 5 and 7's exercises name the kind of mistake: the library's own
 * (reference) code passes each, and each typical mistake planted in a copy of it fails with a
 * message that says what kind it is — a sign, a missing 1/N, a transposed product, a wrong KL
 * derivative, a Gram matrix or gradient not divided as the paper does, a two-loop recursion with ρ
 * not inverted or its loops in the wrong order.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { checkExercise, exerciseResult, resetExercises } from "../lib/chapters/exercises.ts";
import { backward } from "../lib/nn/network.ts";
import type { BackwardFn } from "../lib/chapters/exercise_checks_networks.ts";
import {
  type AutoencoderGradientsFn,
  checkBackward,
  checkSparseAutoencoderGradients,
  checkSparsityDelta,
} from "../lib/chapters/exercise_checks_networks.ts";
import { autoencoderGradients, sparsityDelta } from "../lib/nn/autoencoder_gradients.ts";
import { styleLayerGradient } from "../lib/vision/style_losses.ts";
import { featureMatrix, gramMatrix, layerSize } from "../lib/vision/gram.ts";
import { lbfgsDirection } from "../lib/optim/lbfgs.ts";
import {
  checkGramMatrix,
  checkLbfgsDirection,
  checkStyleLayerGradient,
  namedFactor,
} from "../lib/chapters/exercise_checks_style.ts";

await initBackend();

function assertFailsWith(result: { pass: boolean; message: string }, pattern: RegExp): void {
  assert(!result.pass, `expected a fail, got a pass: ${result.message}`);
  assert(pattern.test(result.message), `message "${result.message}" does not match ${pattern}`);
}

/** A backward pass over the layers with one planted mistake (it never applies dropout masks). */
function backwardWith(
  mistake: "sign" | "sum" | "transposed" | "no-slope" | "masks-ignored",
): BackwardFn {
  return (net, pass, D) =>
    tf.tidy(() => {
      const L = net.layers.length, N = pass.y.shape[1] ?? 1;
      const grads: tf.Tensor[] = new Array(2 * L);
      let delta: tf.Tensor = mistake === "sign" ? tf.sub(D, pass.y) : tf.sub(pass.y, D);
      const scale = mistake === "sum" ? 1 : N;
      for (let l = L; l >= 1; l--) {
        grads[2 * l - 2] = mistake === "transposed"
          ? tf.div(tf.matMul(pass.z[l - 1], delta, false, true), scale)
          : tf.div(tf.matMul(delta, pass.z[l - 1], false, true), scale);
        grads[2 * l - 1] = tf.div(tf.sum(delta, 1, true), scale);
        if (l === 1) break;
        const back = tf.matMul(net.layers[l - 1].W, delta, true, false);
        delta = mistake === "no-slope"
          ? back
          : tf.mul(net.layers[l - 2].activation!.derivative(pass.u[l - 2]), back);
      }
      return grads;
    });
}

Deno.test("4 backward: the library's passes; sign, sum for mean, transpose, missing f′ are named", () => {
  const ok = checkBackward(backward);
  assert(ok.pass, ok.message);
  assertFailsWith(checkBackward(backwardWith("sign")), /∂E\/∂W⁽²⁾ .* a sign\?/);
  assertFailsWith(checkBackward(backwardWith("sum")), /off by a factor N = 7.*mean/);
  assertFailsWith(
    checkBackward(backwardWith("transposed")),
    /∂E\/∂W⁽²⁾ has shape 5×3, expected 3×5 — transposed\?/,
  );
  assertFailsWith(
    checkBackward(backwardWith("masks-ignored")),
    /with dropout masks\): ∂E\/∂W⁽².*without dropout every gradient agrees/,
  );
  assertFailsWith(
    checkBackward(backwardWith("no-slope")),
    /∂E\/∂W⁽¹⁾ differs .*layers 2…2 agree: look at how Δ goes down from layer 2 to layer 1/,
  );
});

Deno.test("5 KL derivative: the library's passes; a sign, a missing β, a wrong formula are 'wrong KL derivative'", () => {
  assert(checkSparsityDelta(sparsityDelta).pass);
  const kl =
    (f: (rho: number, q: tf.Tensor) => tf.Tensor, beta: boolean) =>
    (rho: number, b: number, rhoHat: tf.Tensor) =>
      tf.tidy(() => tf.mul(beta ? b : 1, f(rho, rhoHat)));
  const right = (rho: number, q: tf.Tensor) =>
    tf.add(tf.div(-rho, q), tf.div(1 - rho, tf.sub(1, q)));
  assertFailsWith(
    checkSparsityDelta(kl((rho, q) => tf.neg(right(rho, q)), true)),
    /^wrong KL derivative .* a sign\?/,
  );
  assertFailsWith(
    checkSparsityDelta(kl(right, false)),
    /^wrong KL derivative .*off by a constant factor/,
  );
  assertFailsWith(
    checkSparsityDelta(kl((rho, q) => tf.add(tf.div(-rho, q), tf.div(rho, tf.sub(1, q))), true)),
    /^wrong KL derivative \(ρ = 0\.05, β = 3\): ∂\(β KL\)\/∂ρ̂ differs/,
  );
});

/** The library's autoencoder gradient with one planted mistake. */
function autoencoderGradientsWith(
  mistake: "no-kl" | "tied-one-path" | "sum",
): AutoencoderGradientsFn {
  return (ae, Xin, X, options = {}) => {
    if (mistake === "no-kl" && options.sparsity) {
      const full = autoencoderGradients(ae, Xin, X, options);
      const plain = autoencoderGradients(ae, Xin, X, {
        sparsity: { ...options.sparsity, beta: 0 },
      });
      tf.dispose([...full.grads, plain.loss, plain.reconstruction, plain.batchRhoHat]);
      return { ...full, grads: plain.grads };
    }
    const r = autoencoderGradients(ae, Xin, X, options);
    if (mistake === "sum") return { ...r, grads: r.grads.map((g) => tf.mul(g, X.shape[1]!)) };
    if (mistake === "no-kl") return r;
    // tied, the decoder's path forgotten: ∂J/∂W minus its transposed decoder term
    if (!ae.tied) return r;
    const untied = { ...ae, tied: false, decoderW: tf.variable(tf.transpose(ae.W)) };
    const parts = autoencoderGradients(untied, Xin, X, options);
    untied.decoderW.dispose();
    return { ...r, grads: [parts.grads[0], r.grads[1], r.grads[2]] };
  };
}

Deno.test("5 autoencoder gradient: the library's passes; KL term left out, tied one path, sum are named", () => {
  const ok = checkSparseAutoencoderGradients(autoencoderGradients);
  assert(ok.pass, ok.message);
  assertFailsWith(
    checkSparseAutoencoderGradients(autoencoderGradientsWith("no-kl")),
    /sparsity ρ = 0\.1, β = 3\) ∂J\/∂W differs.*KL term's part of Δʰⁱᵈ is wrong: a wrong KL derivative/,
  );
  assertFailsWith(
    checkSparseAutoencoderGradients(autoencoderGradientsWith("tied-one-path")),
    /\(tied, .*∂J\/∂W differs.*with tied weights W is used twice/,
  );
  assertFailsWith(
    checkSparseAutoencoderGradients(autoencoderGradientsWith("sum")),
    /∂J\/∂W differs.*off by a factor N = 6/,
  );
});

Deno.test("7 Gram matrix: the library's passes; divided by N M, X Xᵀ and a non-symmetric product are named", () => {
  assert(checkGramMatrix(gramMatrix).pass);
  const withX =
    (f: (x: tf.Tensor2D, N: number, M: number) => tf.Tensor) =>
    (features: tf.Tensor4D | tf.Tensor2D) =>
      tf.tidy(() => {
        const { filters, positions } = layerSize(features);
        return f(featureMatrix(features), filters, positions) as tf.Tensor2D;
      });
  assertFailsWith(
    checkGramMatrix(withX((x, N, M) => tf.div(tf.matMul(x, x, true, false), N * M))),
    /is 1\/\(N M\) × Σ_k F_ik F_jk: not divided as the paper does/,
  );
  assertFailsWith(
    checkGramMatrix(withX((x) => tf.matMul(x, x, false, true))),
    /shape 12×12, expected 5×5 — one row per position/,
  );
  assertFailsWith(
    checkGramMatrix(withX((x) => tf.matMul(tf.abs(x), x, true, false))),
    /is not symmetric/,
  );
});

Deno.test("7 style-loss gradient: the library's passes; the paper's factors dropped or a sign are named", () => {
  assert(checkStyleLayerGradient(styleLayerGradient).pass);
  const scaled =
    (k: (N: number, M: number) => number) =>
    (features: tf.Tensor4D | tf.Tensor2D, A: tf.Tensor2D) =>
      tf.tidy(() => {
        const { filters, positions } = layerSize(features);
        return tf.mul(styleLayerGradient(features, A), k(filters, positions));
      });
  assertFailsWith(
    checkStyleLayerGradient(scaled(() => 0.25)),
    /is 1\/4 × the derivative of E_l: not divided as the paper does/,
  );
  assertFailsWith(
    checkStyleLayerGradient(scaled((N, M) => N * N * M * M)),
    /is N² M² × the derivative of E_l: not divided as the paper does/,
  );
  assertFailsWith(
    checkStyleLayerGradient(scaled(() => -1)),
    /differs from central differences of E_l .* a sign\?/,
  );
  assertEquals(namedFactor(1 / (4 * 25 * 144), 5, 12), "1/(4 N² M²)");
  assertEquals(namedFactor(2 * 12, 5, 12), "2 M");
});

/** The two-loop recursion with planted mistakes. */
function twoLoopWith(mistake: "rho" | "order" | "sign" | "gamma") {
  return (gradient: ArrayLike<number>, s: readonly Float64Array[], y: readonly Float64Array[]) => {
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Array.from(a).reduce((sum, v, i) => sum + v * b[i], 0);
    const n = gradient.length, m = s.length;
    const q = Float64Array.from(gradient);
    const alpha = new Float64Array(m), rho = new Float64Array(m);
    const first = Array.from({ length: m }, (_, k) => mistake === "order" ? k : m - 1 - k);
    for (const k of first) {
      rho[k] = mistake === "rho" ? dot(y[k], s[k]) : 1 / dot(y[k], s[k]);
      alpha[k] = rho[k] * dot(s[k], q);
      for (let i = 0; i < n; i++) q[i] -= alpha[k] * y[k][i];
    }
    const gamma = m > 0 && mistake !== "gamma"
      ? dot(s[m - 1], y[m - 1]) / dot(y[m - 1], y[m - 1])
      : 1;
    for (let i = 0; i < n; i++) q[i] *= gamma;
    for (const k of [...first].reverse()) {
      const beta = rho[k] * dot(y[k], q);
      for (let i = 0; i < n; i++) q[i] += s[k][i] * (alpha[k] - beta);
    }
    return mistake === "sign" ? q : q.map((v) => -v);
  };
}

Deno.test("7 two-loop recursion: the library's passes; ρ not inverted, loops swapped, a sign, no γ are named", () => {
  const ok = checkLbfgsDirection(lbfgsDirection);
  assert(ok.pass, ok.message);
  assertFailsWith(checkLbfgsDirection(twoLoopWith("rho")), /ρ_k not inverted\?/);
  assertFailsWith(
    checkLbfgsDirection(twoLoopWith("order")),
    /p with 3 pairs differs .* the loops' order swapped\? .*secant condition/,
  );
  assertFailsWith(checkLbfgsDirection(twoLoopWith("sign")), /p with no stored pairs .* a sign\?/);
  assertFailsWith(checkLbfgsDirection(twoLoopWith("gamma")), /γ left out\?/);
  assertFailsWith(
    checkLbfgsDirection((g, s, y) => {
      s[0]?.fill(0);
      return lbfgsDirection(g, s, y);
    }),
    /changed the stored pairs/,
  );
});

Deno.test("a check whose code calls another exercise's stub says which one is not written", async () => {
  resetExercises();
  await checkExercise("5-gradient", () =>
    checkSparseAutoencoderGradients((ae, Xin, X, options) => {
      if (options?.sparsity) throw new Error("not written yet: 5-kl — return β s");
      return autoencoderGradients(ae, Xin, X, options);
    }), { throwOnFail: false });
  assertEquals(
    exerciseResult("5-gradient")?.message,
    "not written yet: it calls exercise 5-kl, which is not written yet",
  );
});

Deno.test("a backward pass that leaves a layer's gradient out is told which entry is missing", () => {
  assertFailsWith(
    checkBackward((net, pass, D) =>
      backward(net, pass, D).map((g, i) => (i === 0 ? undefined : g) as tf.Tensor)
    ),
    /grads\[0\] \(∂E\/∂W⁽¹⁾\) is not a tensor/,
  );
});
