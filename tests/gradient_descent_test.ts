import { assert, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { gradientDescent } from "../lib/nn/gradient_descent.ts";

await initBackend();

Deno.test("gradient descent reaches the minimum of a quadratic at the predicted rate", () => {
  // E(x) = (x − 3)², x ← x − η·2(x − 3): the distance to 3 shrinks by (1 − 2η) each step.
  const x = tf.variable(tf.scalar(0));
  gradientDescent([x], () => tf.square(tf.sub(x, 3)) as tf.Scalar, {
    steps: 10,
    learningRate: 0.1,
  });
  const expected = 3 - 3 * 0.8 ** 10;
  assert(Math.abs(x.dataSync()[0] - expected) < 1e-5, `${x.dataSync()[0]} vs ${expected}`);
  x.dispose();
});

Deno.test("a diverging run stops with a message naming the step", () => {
  const x = tf.variable(tf.scalar(1));
  assertThrows(
    () => gradientDescent([x], () => tf.pow(x, 4) as tf.Scalar, { steps: 100, learningRate: 10 }),
    Error,
    "diverged",
  );
  x.dispose();
});
