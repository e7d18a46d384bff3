import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  ACTIVATIONS,
  logistic,
  maxout,
  maxoutDerivative,
  relu,
  softplus,
  tanh,
} from "../lib/nn/activations.ts";
import { autodiffDerivative, relativeError } from "../lib/nn/gradcheck.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

Deno.test("every activation's float64 version computes the same f as its tensor version", () => {
  const u = new Random(8).uniformTensor([200], -8, 8);
  const values = u.dataSync();
  for (const activation of ACTIVATIONS) {
    const z = activation.f(u);
    const error = relativeError(z, Array.from(values, (v) => activation.f64(v)));
    assert(error < 1e-6, `${activation.name}: float64 and tensor versions differ by ${error}`);
    z.dispose();
  }
  u.dispose();
});

Deno.test("every hand-derived activation derivative equals tfjs autodiff", () => {
  // Avoid u = 0 exactly, where ReLU is not differentiable.
  const u = new Random(7).uniformTensor([200], -6, 6);
  for (const activation of ACTIVATIONS) {
    const hand = activation.derivative(u);
    const auto = autodiffDerivative(activation.f, u);
    const error = relativeError(hand, auto);
    assert(error < 1e-5, `${activation.name}: relative error ${error}`);
    tf.dispose([hand, auto]);
  }
  u.dispose();
});

Deno.test("activations take their textbook values", () => {
  const u = tf.tensor1d([-1, 0, 2]);
  const expect = (t: tf.Tensor, values: number[]) =>
    Array.from(t.dataSync()).forEach((v, i) => assertAlmostEquals(v, values[i], 1e-6));
  expect(logistic.f(u), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
  expect(tanh.f(u), [Math.tanh(-1), 0, Math.tanh(2)]);
  expect(relu.f(u), [0, 0, 2]);
  expect(softplus.f(u), [Math.log1p(Math.exp(-1)), Math.log(2), Math.log1p(Math.exp(2))]);
  // Softplus stays finite where log(1 + e^u) would overflow in float32.
  assertAlmostEquals(softplus.f(tf.scalar(100)).dataSync()[0], 100, 1e-4);
});

Deno.test("maxout takes the maximum of each unit's pieces and routes the gradient to it", () => {
  const u = tf.tensor2d([[1, 5, 2, -1, 0, -3]]);
  assertEquals(Array.from(maxout(u, 3).dataSync()), [5, 0]);
  assertEquals(Array.from(maxoutDerivative(u, 3).dataSync()), [0, 1, 0, 0, 1, 0]);
  const v = new Random(3).uniformTensor([4, 12], -2, 2);
  const auto = autodiffDerivative((x) => maxout(x, 4), v);
  assert(relativeError(maxoutDerivative(v, 4), auto) < 1e-6);
  assertThrows(() => maxout(u, 4), Error, "multiple of pieces");
});
