/**
 * L-BFGS and Adam on functions with known minima: the Rosenbrock function from the standard start
 * (−1.2, 1), quadratics, the two-loop recursion against the exact inverse Hessian.
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "./assert.ts";
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

// Numbers recorded before lbfgs.ts was split into functions (issue 18): a refactoring must keep
// them bit for bit, since notebooks 05a and 07* print results of this optimiser.
Deno.test("L-BFGS iterates are pinned bit for bit (Rosenbrock, both line searches; a 30-d quadratic)", async () => {
  const pinned = {
    wolfe: {
      iterates: [
        [1, -1.0141802037876089, 1.0758448147805677, 4.280493213706968, 0.0008618728952337249],
        [2, -1.0263617638695683, 1.0684357397821918, 4.128693836242194, 1],
        [5, -1.0197353501753956, 1.0352590807077322, 4.081447900264377, 1],
        [10, -0.6578011462501353, 0.4055398363813156, 2.822084844295195, 1],
        [20, 0.3822261278471191, 0.12180609273372328, 0.44064846529232016, 1],
      ],
      end: [39, 48, 1.0000000000029314, 1.0000000000058813, 8.627264088409696e-24],
    },
    armijo: {
      iterates: [
        [1, -0.897654615819803, 1.1234062792572233, 13.68949638294988, 0.001402344082468446],
        [2, -0.9995904479864186, 1.0708915371771082, 4.512601160228036, 1],
        [5, -1.022401203391972, 1.0545790784932871, 4.098708926194777, 1],
        [10, -0.6207149761384747, 0.371148808073136, 2.646706111718895, 1],
        [20, 0.12799951781900126, -0.03171517315924907, 0.9917366993316209, 1],
      ],
      end: [46, 54, 1.0000000000000104, 1.0000000000000204, 1.2863363135760124e-28],
    },
  };
  for (const lineSearch of ["wolfe", "armijo"] as const) {
    const iterates: number[][] = [];
    const r = await minimizeLbfgs(rosenbrock, [-1.2, 1], {
      lineSearch,
      maxIterations: 200,
      onIteration: (i) => {
        if ([1, 2, 5, 10, 20].includes(i.iteration)) {
          iterates.push([i.iteration, i.x[0], i.x[1], i.value, i.step]);
        }
      },
    });
    assertEquals(iterates, pinned[lineSearch].iterates, lineSearch);
    assertEquals([r.iterations, r.evaluations, r.x[0], r.x[1], r.value], pinned[lineSearch].end);
    assertEquals(r.reason, "gradient tolerance");
  }
  const n = 30;
  const x0 = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
  const q = await minimizeLbfgs(quadratic(n), x0, { maxIterations: 25, memory: 5 });
  assertEquals([q.iterations, q.evaluations, q.reason], [25, 26, "max iterations"]);
  assertEquals([q.values[1], q.values[10], q.values[25]], [
    294.01813196905323,
    7.385601794772567,
    0.8946715993244704,
  ]);
  assertEquals([q.x[0], q.x[29]], [0.7013062337566347, 0.0018589022986596326]);
});

Deno.test("Adam approaches the minimum of Rosenbrock", async () => {
  const result = await minimizeAdam(rosenbrock, [-1.2, 1], {
    iterations: 5000,
    learningRate: 0.02,
  });
  assert(result.value < 1e-3, `f = ${result.value}`);
  assert(result.values.length === 5001 && result.evaluations === 5001);
});

const finite = (a: ArrayLike<number>) => Array.from(a).every(Number.isFinite);

Deno.test("L-BFGS stops on a NaN gradient or value with the iteration, returning the last finite iterate", async () => {
  // Rosenbrock whose gradient (or value) turns NaN once x₀ > 0: the run passes there near iteration 20
  for (const broken of ["gradient", "value"] as const) {
    const objective = (x: Float64Array): Evaluation => {
      const e = rosenbrock(x);
      if (x[0] <= 0) return e;
      return broken === "gradient"
        ? { value: e.value, gradient: Float64Array.of(NaN, e.gradient[1]) }
        : { value: NaN, gradient: e.gradient };
    };
    const r = await minimizeLbfgs(objective, [-1.2, 1], { maxIterations: 200 });
    assertEquals(r.reason, "non-finite value or gradient", `${broken}: ${r.reason}`);
    assert(r.detail?.includes(`iteration ${r.iterations + 1}`), `${broken}: ${r.detail}`);
    assert(r.detail?.includes(broken === "gradient" ? "gradient[0] = NaN" : "f = NaN"), r.detail);
    assert(finite(r.x) && finite(r.gradient) && Number.isFinite(r.value), `${r.x} ${r.gradient}`);
    assert(r.x[0] <= 0, `returned the bad point ${r.x}`);
    assertEquals(r.values.length, r.iterations + 1);
    assertEquals(r.value, r.values[r.iterations]);
    assert(r.evaluations < 60, `${r.evaluations} evaluations`);
  }
});

Deno.test("L-BFGS stops as unbounded below at f = −∞ or past valueLimit, with a finite result", async () => {
  // log(1 − x) from 0: the first trial (the largest coordinate moves by 1) lands on f = −∞
  const logarithm = (x: Float64Array): Evaluation => ({
    value: Math.log(1 - x[0]),
    gradient: Float64Array.of(-1 / (1 - x[0])),
  });
  // −exp(x): Wolfe's extrapolation overflows f to −∞ within a few iterations
  const exponential = (x: Float64Array): Evaluation => ({
    value: -Math.exp(x[0]),
    gradient: Float64Array.of(-Math.exp(x[0])),
  });
  for (const lineSearch of ["wolfe", "armijo"] as const) {
    for (const [name, objective] of [["log", logarithm], ["exp", exponential]] as const) {
      if (lineSearch === "armijo" && name === "exp") continue; // backtracking never reaches −∞
      const r = await minimizeLbfgs(objective, [0], { lineSearch, maxIterations: 1000 });
      const what = `${lineSearch}, ${name}: ${r.reason} after ${r.evaluations}`;
      assertEquals(r.reason, "unbounded below", what);
      assert(r.detail?.includes("f = -Infinity"), r.detail);
      assert(Number.isFinite(r.value) && finite(r.x) && finite(r.gradient), `f = ${r.value}`);
      assert(r.evaluations < 50, what);
    }
    const limited = await minimizeLbfgs(exponential, [0], {
      lineSearch,
      valueLimit: -1e6,
      maxIterations: 1000,
    });
    assertEquals(limited.reason, "unbounded below", lineSearch);
    assert(limited.detail?.includes("< valueLimit -1000000"), limited.detail);
    assert(limited.value >= -1e6 && finite(limited.x), `${limited.value}`);
    assert(limited.evaluations < 60, `${lineSearch}: ${limited.evaluations} evaluations`);
  }
  const linear = (x: Float64Array): Evaluation => ({ value: -x[0], gradient: Float64Array.of(-1) });
  const atStart = await minimizeLbfgs(linear, [1e7], { valueLimit: -1e6 });
  assertEquals([atStart.reason, atStart.iterations, atStart.x[0]], ["unbounded below", 0, 1e7]);
});

Deno.test("L-BFGS rejects invalid options and a non-finite start with one message", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ maxIterations: NaN }, "maxIterations must be a positive integer, got NaN"],
    [{ maxIterations: 0 }, "maxIterations must be a positive integer, got 0"],
    [{ maxIterations: 2.5 }, "maxIterations must be a positive integer, got 2.5"],
    [{ maxEvaluations: -1 }, "maxEvaluations must be a positive integer, got -1"],
    [{ memory: 0 }, "memory must be a positive integer, got 0"],
    [{ maxLineSearchEvaluations: Infinity }, "maxLineSearchEvaluations must be a positive"],
    [{ gradientTolerance: -1 }, "gradientTolerance must be finite and ≥ 0, got -1"],
    [{ valueTolerance: NaN }, "valueTolerance must be finite and ≥ 0, got NaN"],
    [{ valueLimit: NaN }, "valueLimit must be a number"],
    [{ lineSearch: "newton" }, `lineSearch must be "wolfe" or "armijo", got newton`],
    [{ c1: 0.95 }, "need 0 < c1 < c2 < 1, got c1 = 0.95, c2 = 0.9"],
    [{ initialMove: 0 }, "initialMove must be finite and > 0, got 0"],
  ];
  for (const [options, message] of cases) {
    await assertRejects(() => minimizeLbfgs(rosenbrock, [-1.2, 1], options), Error, message);
  }
  await assertRejects(() => minimizeLbfgs(rosenbrock, [NaN, 1]), Error, "x0[0] is NaN");
  await assertRejects(
    () => minimizeLbfgs(() => ({ value: 1, gradient: Float64Array.of(0, Infinity) }), [0, 0]),
    Error,
    "gradient at the starting point has [1] = Infinity",
  );
});
