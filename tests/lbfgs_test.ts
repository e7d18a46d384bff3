/**
 * L-BFGS and Adam on functions with known minima: the Rosenbrock function from the standard start
 * (−1.2, 1), quadratics, the two-loop recursion against the exact inverse Hessian.
 */
import { assert, assertAlmostEquals } from "./assert.ts";
import { type Evaluation, lbfgsDirection, minimizeLbfgs } from "../lib/optim/lbfgs.ts";
import { minimizeAdam } from "../lib/optim/adam.ts";

function rosenbrock(x: Float64Array): Evaluation {
  const [a, b] = x;
  return {
    value: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
    gradient: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)),
  };
}

/** An ill-conditioned quadratic ½ Σ d_i x_i² with d_i from 1 to 1000. */
function quadratic(n: number): (x: Float64Array) => Evaluation {
  const d = Float64Array.from({ length: n }, (_, i) => 1000 ** (i / (n - 1)));
  return (x) => {
    let value = 0;
    const gradient = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      value += 0.5 * d[i] * x[i] * x[i];
      gradient[i] = d[i] * x[i];
    }
    return { value, gradient };
  };
}

for (const lineSearch of ["wolfe", "armijo"] as const) {
  Deno.test(`L-BFGS (${lineSearch}) minimises Rosenbrock from (-1.2, 1) to 1e-6`, async () => {
    const result = await minimizeLbfgs(rosenbrock, [-1.2, 1], {
      lineSearch,
      maxIterations: 200,
    });
    assertAlmostEquals(result.x[0], 1, 1e-6, `x = ${result.x} after ${result.iterations}`);
    assertAlmostEquals(result.x[1], 1, 1e-6, `x = ${result.x}`);
    assert(result.value < 1e-12, `f = ${result.value}`);
    assert(result.iterations < 100, `${result.iterations} iterations (${result.reason})`);
    // every accepted step decreased f
    for (let k = 1; k < result.values.length; k++) {
      assert(result.values[k] < result.values[k - 1], `f rose at iteration ${k}`);
    }
  });
}

Deno.test("L-BFGS solves an ill-conditioned 50-d quadratic, Wolfe uses few evaluations", async () => {
  const f = quadratic(50);
  const x0 = Float64Array.from({ length: 50 }, (_, i) => Math.cos(i));
  const result = await minimizeLbfgs(f, x0, { maxIterations: 500, memory: 10 });
  assert(result.value < 1e-16, `f = ${result.value} (${result.reason})`);
  assert(
    result.evaluations < 1.5 * result.iterations + 10,
    `${result.evaluations} evaluations for ${result.iterations} iterations`,
  );
  assertAlmostEquals(x0[0], 1, 0, "x0 was modified");
});

Deno.test("two-loop recursion: one pair satisfies the secant equation, n pairs give H⁻¹g", () => {
  // f = ½ xᵀDx with D = diag(1, 4): y = D s. After the pairs of two coordinate steps, H = D⁻¹.
  const s = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
  const y = [Float64Array.of(1, 0), Float64Array.of(0, 4)];
  const p = lbfgsDirection([2, 8], s, y);
  assertAlmostEquals(p[0], -2, 1e-12);
  assertAlmostEquals(p[1], -2, 1e-12);
  const one = lbfgsDirection([1, 4], [Float64Array.of(1, 1)], [Float64Array.of(1, 4)]);
  assertAlmostEquals(one[0], -1, 1e-12);
  assertAlmostEquals(one[1], -1, 1e-12);
  const none = lbfgsDirection([3, -1], [], []);
  assertAlmostEquals(none[0], -3, 0);
  assertAlmostEquals(none[1], 1, 0);
});

Deno.test("L-BFGS stops on request, on the gradient tolerance, and accepts async objectives", async () => {
  let calls = 0;
  const stopped = await minimizeLbfgs(rosenbrock, [-1.2, 1], {
    onIteration: (info) => {
      calls++;
      return info.iteration < 3;
    },
  });
  assert(stopped.iterations === 3 && calls === 3, `${stopped.iterations} iterations`);
  assert(stopped.reason === "stopped by callback", stopped.reason);
  const asyncRun = await minimizeLbfgs(
    (x) => Promise.resolve(quadratic(5)(x)),
    [1, 1, 1, 1, 1],
    { gradientTolerance: 1e-6 },
  );
  assert(asyncRun.reason === "gradient tolerance", asyncRun.reason);
  assert(Math.max(...asyncRun.gradient.map(Math.abs)) <= 1e-6);
});

Deno.test("Adam approaches the minimum of Rosenbrock", async () => {
  const result = await minimizeAdam(rosenbrock, [-1.2, 1], {
    iterations: 5000,
    learningRate: 0.02,
  });
  assert(result.value < 1e-3, `f = ${result.value}`);
  assert(result.values.length === 5001 && result.evaluations === 5001);
});
