import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { SGD } from "../lib/optim/sgd.ts";
import {
  bowlError,
  bowlGradient,
  conditionNumber,
  descendBowl,
  leastSquaresHessian,
  quadraticBowl,
  rotatedBowl,
  symmetricEigenvalues,
} from "../lib/optim/quadratic.ts";

await initBackend();

Deno.test("a bowl's error and gradient match the formulas", () => {
  const bowl = quadraticBowl([[2, 1], [1, 4]], [1, -1]);
  // e = (1, 2): ½ eᵀHe = ½ (2 + 4 + 16) = 11; He = (4, 9).
  assertAlmostEquals(bowlError(bowl, [2, 1]), 11, 1e-12);
  assertEquals(bowlGradient(bowl, [2, 1]), [4, 9]);
  assertThrows(() => quadraticBowl([[1, 2], [0, 1]]), Error, "not symmetric");
});

Deno.test("a rotated bowl has the eigenvalues it was made from", () => {
  const bowl = rotatedBowl([1, 20], 0.7);
  const [big, small] = symmetricEigenvalues(bowl.hessian);
  assertAlmostEquals(big, 20, 1e-9);
  assertAlmostEquals(small, 1, 1e-9);
  assertAlmostEquals(conditionNumber(bowl.hessian), 20, 1e-8);
});

Deno.test("Jacobi eigenvalues: trace, determinant and a known 3×3 case", () => {
  const A = [[4, 1, 2], [1, 3, 0], [2, 0, 5]];
  const ev = symmetricEigenvalues(A);
  assertAlmostEquals(ev[0] + ev[1] + ev[2], 12, 1e-10);
  const det = 4 * (15 - 0) - 1 * (5 - 0) + 2 * (0 - 6);
  assertAlmostEquals(ev[0] * ev[1] * ev[2], det, 1e-9);
  assert(ev[0] >= ev[1] && ev[1] >= ev[2]);
  assertEquals(symmetricEigenvalues([[2, 1], [1, 2]]).map((v) => Math.round(v * 1e9) / 1e9), [
    3,
    1,
  ]);
  assertEquals(conditionNumber([[1, 0], [0, 0]]), Infinity);
});

Deno.test("gradient descent on a bowl converges below 2/λmax and diverges above", () => {
  const bowl = rotatedBowl([1, 10], 0.3, [1, 2]);
  const below = descendBowl(bowl, new SGD({ learningRate: 0.19 }), [-3, 3], 400);
  const above = descendBowl(bowl, new SGD({ learningRate: 0.21 }), [-3, 3], 400);
  assert(!below.diverged && below.error.at(-1)! < 1e-10, `below: ${below.error.at(-1)}`);
  assert(above.diverged, "above 2/λmax the run must diverge");
  assertEquals(below.path.length, 401);
  // With momentum μ the limit moves to 2(1 + μ)/λmax.
  const heavy = descendBowl(bowl, new SGD({ learningRate: 0.35, momentum: 0.9 }), [-3, 3], 3000);
  assert(!heavy.diverged && heavy.error.at(-1)! < 1e-8, `momentum: ${heavy.error.at(-1)}`);
  const tooHeavy = descendBowl(bowl, new SGD({ learningRate: 0.39, momentum: 0.9 }), [-3, 3], 3000);
  assert(tooHeavy.diverged, "above 2(1 + μ)/λmax the run must diverge");
});

Deno.test("a descent on a bowl leaves no tensors behind", () => {
  const bowl = rotatedBowl([1, 10], 0.3);
  descendBowl(bowl, new SGD({ learningRate: 0.1, momentum: 0.5 }), [1, 1], 3); // warm caches
  const before = tf.memory().numTensors;
  descendBowl(bowl, new SGD({ learningRate: 0.1, momentum: 0.5 }), [1, 1], 20);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("the least-squares Hessian is the mean of x̃x̃ᵀ", () => {
  assertEquals(leastSquaresHessian(new Float32Array([1, 3]), 1), [[1, 2], [2, 5]]);
  const H = leastSquaresHessian(new Float32Array([1, 0, 0, 2]), 2);
  assertEquals(H, [[1, 0.5, 1], [0.5, 0.5, 0], [1, 0, 2]]);
  assertThrows(() => leastSquaresHessian(new Float32Array(3), 2), Error, "rows of 2");
});
