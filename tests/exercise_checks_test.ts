/**
 * The exercise checks name the kind of mistake: each test plants a typical one (a sign, a sum
 * instead of a mean, a transposed product, a forgotten σ or η) in an otherwise right solution and
 * asserts the check fails with a message that says so; the right solution passes.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { diagnoseValues } from "../lib/nn/diagnose.ts";
import {
  checkLinearGradients,
  checkLogisticDelta,
  checkSgdStep,
  checkSoftmaxGradients,
  type LinearGradientsFn,
  type SoftmaxGradientsFn,
} from "../lib/chapters/exercise_checks.ts";
import {
  checkExercise,
  exerciseResult,
  isNotWrittenYet,
  requireExercise,
  resetExercises,
  stubFor,
} from "../lib/chapters/exercises.ts";
import { linearPredict } from "../lib/nn/linear_models.ts";

await initBackend();

function assertFailsWith(result: { pass: boolean; message: string }, pattern: RegExp): void {
  assert(!result.pass, `expected a fail, got a pass: ${result.message}`);
  assert(pattern.test(result.message), `message "${result.message}" does not match ${pattern}`);
}

/** exercise 3a's gradient with a planted mistake in δ or in the products. */
function linearGradientsWith(
  mistake: "none" | "sign" | "sum" | "transposed" | "bias-sum-wrong-axis",
): LinearGradientsFn {
  return (model, X, D) =>
    tf.tidy(() => {
      const N = X.shape[1] as number;
      const Y = linearPredict(model, X);
      let delta = tf.div(tf.sub(Y, D), mistake === "sum" ? 1 : N);
      if (mistake === "sign") delta = tf.neg(delta);
      return {
        loss: model.error(Y, D),
        dW: mistake === "transposed"
          ? tf.matMul(X, delta, false, true)
          : tf.matMul(delta, X, false, true),
        db: mistake === "bias-sum-wrong-axis" ? tf.sum(delta, 0, true) : tf.sum(delta, 1, true),
      };
    });
}

Deno.test("3a gradient: the right solution passes; sign, 1/N, transpose and a wrong axis are named", () => {
  assert(checkLinearGradients(linearGradientsWith("none")).pass);
  assertFailsWith(checkLinearGradients(linearGradientsWith("sign")), /∂E\/∂W .* a sign\?/);
  assertFailsWith(
    checkLinearGradients(linearGradientsWith("sum")),
    /off by a factor N = 20.*mean/,
  );
  assertFailsWith(
    checkLinearGradients(linearGradientsWith("transposed")),
    /shape 4×3, expected 3×4 — transposed\?/,
  );
  assertFailsWith(
    checkLinearGradients(linearGradientsWith("bias-sum-wrong-axis")),
    /∂E\/∂b has shape 1×20, expected 3×1/,
  );
});

Deno.test("3a SGD step: θ − η g passes; uphill, no η, not in place and a stub are named", async () => {
  assert(checkSgdStep((t, g, eta) => t.assign(tf.sub(t, tf.mul(eta, g)))).pass);
  assertFailsWith(checkSgdStep((t, g, eta) => t.assign(tf.add(t, tf.mul(eta, g)))), /a sign\?/);
  assertFailsWith(checkSgdStep((t, g) => t.assign(tf.sub(t, g))), /multiply it by η/);
  assertFailsWith(checkSgdStep((t, g, eta) => void tf.sub(t, tf.mul(eta, g))), /did not change/);
  resetExercises();
  await checkExercise("3a-sgd", () =>
    checkSgdStep(() => {
      throw new Error("not written yet: 3a-sgd — step");
    }), { throwOnFail: false });
  assertEquals(exerciseResult("3a-sgd"), {
    exercise: "3a-sgd",
    pass: false,
    message: "not written yet",
  });
});

Deno.test("3b logistic δ: (σ(U) − D)/N passes; sign and missing 1/N are named", () => {
  const N = 20;
  assert(checkLogisticDelta((U, D) => tf.div(tf.sub(tf.sigmoid(U), D), N)).pass);
  assertFailsWith(checkLogisticDelta((U, D) => tf.div(tf.sub(D, tf.sigmoid(U)), N)), /a sign\?/);
  assertFailsWith(checkLogisticDelta((U, D) => tf.sub(tf.sigmoid(U), D)), /factor N = 20/);
  // σ forgotten: no common factor, so only where and by how much.
  assertFailsWith(
    checkLogisticDelta((U, D) => tf.div(tf.sub(U, D), N)),
    /differs from central differences at \d+ of 20 entries, worst/,
  );
});

function softmaxGradientsWith(mistake: "none" | "sign" | "transposed" | "sum"): SoftmaxGradientsFn {
  return (W, b, X, D) =>
    tf.tidy(() => {
      const N = X.shape[1] as number;
      const Y = tf.softmax(tf.transpose(tf.add(tf.matMul(W, X), b))).transpose();
      let delta = tf.div(tf.sub(Y, D), mistake === "sum" ? 1 : N);
      if (mistake === "sign") delta = tf.neg(delta);
      return {
        dW: mistake === "transposed"
          ? tf.matMul(X, delta, false, true)
          : tf.matMul(delta, X, false, true),
        db: tf.sum(delta, 1, true),
      };
    });
}

Deno.test("3c softmax gradient: the right solution passes; sign, 1/N and transpose are named", () => {
  assert(checkSoftmaxGradients(softmaxGradientsWith("none")).pass);
  assertFailsWith(checkSoftmaxGradients(softmaxGradientsWith("sign")), /a sign\?/);
  assertFailsWith(checkSoftmaxGradients(softmaxGradientsWith("sum")), /factor N = 20/);
  assertFailsWith(checkSoftmaxGradients(softmaxGradientsWith("transposed")), /transposed\?/);
});

Deno.test("diagnoseValues: a transposed square matrix, a factor 1/N, a NaN, all zeros", () => {
  const reference = { shape: [2, 2], values: [1, 2, 3, 4] };
  assertFailsWith(
    diagnoseValues("M", { shape: [2, 2], values: [1, 3, 2, 4] }, reference),
    /transpose/,
  );
  assertFailsWith(
    diagnoseValues("M", { shape: [2, 2], values: [0.1, 0.2, 0.3, 0.4] }, reference, {
      batchSize: 10,
    }),
    /1\/N = 1\/10.*divided by N twice/,
  );
  assertFailsWith(
    diagnoseValues("M", { shape: [2, 2], values: [1, NaN, 3, 4] }, reference),
    /NaN at \(0, 1\)/,
  );
  assertFailsWith(
    diagnoseValues("M", { shape: [2, 2], values: [0, 0, 0, 0] }, reference),
    /all yours are 0/,
  );
  assertFailsWith(
    diagnoseValues("M", { shape: [2, 2], values: [1, 2, 3, 5] }, reference),
    /differs from central differences at 1 of 4 entries, worst \(1, 1\): yours 5\.000, central differences 4\.000$/,
  );
  assert(diagnoseValues("M", { shape: [2, 2], values: [1, 2, 3, 4.0001] }, reference).pass);
});

Deno.test("stubs throw 'not written yet', and requireExercise names the exercise to finish", async () => {
  const stub = stubFor("3a-sgd", "take one step");
  let thrown: unknown;
  try {
    new Function(stub)();
  } catch (error) {
    thrown = error;
  }
  assert(
    isNotWrittenYet(thrown) &&
      (thrown as Error).message === "not written yet: 3a-sgd — take one step",
  );
  resetExercises();
  let message = "";
  try {
    requireExercise("3a-sgd");
  } catch (error) {
    message = (error as Error).message;
  }
  assert(/needs exercise 3a-sgd: finish it first.*has not run/.test(message), message);
  await checkExercise("3a-sgd", () => ({ pass: true, message: "ok" }));
  requireExercise("3a-sgd"); // passes now
});
