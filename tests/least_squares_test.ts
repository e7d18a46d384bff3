import { assertAlmostEquals, assertThrows } from "./assert.ts";
import { Random } from "../lib/runtime/random.ts";
import { fitError, fitRidge, predictLinear, solveLinearSystem } from "../lib/nn/least_squares.ts";

Deno.test("solveLinearSystem solves, pivoting past a zero, and refuses singular systems", () => {
  const x = solveLinearSystem([[0, 1], [2, 1]], [3, 5]);
  assertAlmostEquals(x[0], 1, 1e-12);
  assertAlmostEquals(x[1], 3, 1e-12);
  assertThrows(() => solveLinearSystem([[1, 2], [2, 4]], [1, 2]), Error, "singular");
});

Deno.test("least squares recovers an exact line; the gradient of the ridge objective vanishes", () => {
  const line = fitRidge(new Float32Array([0, 1, 2, 3]), 1, new Float32Array([1, 3, 5, 7]), 0);
  assertAlmostEquals(line.w[0], 2, 1e-9);
  assertAlmostEquals(line.b, 1, 1e-9);
  assertAlmostEquals(fitError(line, [0, 1, 2, 3], [1, 3, 5, 7]), 0, 1e-12);

  const rng = new Random(3);
  const n = 30, width = 3, lambda = 0.2;
  const X = rng.normalArray(n * width);
  const d = rng.normalArray(n);
  const fit = fitRidge(X, width, d, lambda);
  const residual = predictLinear(fit, X).map((y, r) => y - d[r]);
  // ∂E/∂b = mean residual; ∂E/∂wᵢ = mean(residual · xᵢ) + λ wᵢ.
  assertAlmostEquals(residual.reduce((a, b) => a + b, 0) / n, 0, 1e-12);
  for (let i = 0; i < width; i++) {
    let g = 0;
    for (let r = 0; r < n; r++) g += (residual[r] * X[r * width + i]) / n;
    assertAlmostEquals(g + lambda * fit.w[i], 0, 1e-12);
  }
  assertThrows(() => fitRidge(X, width, d, -1), Error, "lambda");
});

Deno.test("a fit without features is the mean of the targets", () => {
  const fit = fitRidge(new Float32Array(0), 0, new Float32Array([1, 2, 6]), 0);
  assertAlmostEquals(fit.b, 3, 1e-12);
  assertAlmostEquals(fitError(fit, [], [1, 2, 6]), (4 + 1 + 9) / 6, 1e-12);
});

Deno.test("fitError refuses an empty data set", () => {
  assertThrows(
    () => fitError({ w: Float64Array.of(2), b: 1 }, [], []),
    Error,
    "fitError: no targets",
  );
});
