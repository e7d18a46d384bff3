/**
 * L-BFGS (limited-memory BFGS, Nocedal 1980; Liu & Nocedal 1989) for smooth unconstrained
 * minimisation of f: ℝⁿ → ℝ, written here because tfjs has none. Gatys et al. (2015) optimise the
 * image's pixels with it.
 *
 * It works on flat `Float64Array` parameter vectors and an objective `x ↦ {value, gradient}`
 * (synchronous or returning a promise), so it is independent of tfjs and testable on the
 * Rosenbrock function.
 *
 * **Direction** (the two-loop recursion): with the last m pairs s_k = x_{k+1} − x_k,
 * y_k = g_{k+1} − g_k and ρ_k = 1/(y_kᵀs_k), the product H g of the L-BFGS inverse-Hessian
 * approximation with the gradient is
 *
 *   q ← g;  for k = newest … oldest: a_k = ρ_k s_kᵀq,  q ← q − a_k y_k
 *   r ← γ q with γ = s_newestᵀ y_newest / y_newestᵀ y_newest  (the initial H₀ = γI)
 *   for k = oldest … newest: b = ρ_k y_kᵀ r,  r ← r + s_k (a_k − b)
 *
 * and the search direction is p = −r. A pair is stored only if y_kᵀs_k > 0 (then H stays
 * positive definite and p is a descent direction).
 *
 * **Step length**: a line search along p from α = 1 (on the first iteration α = initialMove/‖g‖∞:
 * the largest coordinate moves by `initialMove`, default 1). `"wolfe"` (default) finds a step
 * satisfying the strong Wolfe conditions
 *
 *   f(x + αp) ≤ f(x) + c₁ α gᵀp                (sufficient decrease, Armijo)
 *   |∇f(x + αp)ᵀp| ≤ c₂ |gᵀp|                   (curvature)
 *
 * by bracketing and zooming with safeguarded cubic interpolation (Nocedal & Wright, "Numerical
 * Optimization", algorithms 3.5 and 3.6); `"armijo"` backtracks (safeguarded quadratic
 * interpolation) until sufficient decrease holds. If a line search fails, the memory is cleared
 * and a steepest-descent step is tried; if that fails too, the run stops.
 *
 * @example
 * ```ts
 * const rosenbrock = (x: Float64Array) => ({
 *   value: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
 *   gradient: Float64Array.of(
 *     -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
 *     200 * (x[1] - x[0] ** 2),
 *   ),
 * });
 * const result = await minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1));
 * result.x; // ≈ [1, 1]
 * ```
 *
 * @module
 */

/** The value and gradient of an objective at one point. */
export interface Evaluation {
  /** f(x). */
  value: number;
  /** ∇f(x), the same length as x (may be a Float32Array). */
  gradient: Float64Array | Float32Array;
}

/** An objective: x ↦ f(x) and ∇f(x). It must not keep or modify x. */
export type Objective = (x: Float64Array) => Evaluation | Promise<Evaluation>;

/** What the optimiser reports after each iteration. */
export interface IterationInfo {
  /** Iterations done (1 after the first step). */
  iteration: number;
  /** Objective evaluations so far (line-search trials included). */
  evaluations: number;
  /** f at the new point. */
  value: number;
  /** ‖∇f‖∞ at the new point. */
  gradientNorm: number;
  /** The accepted step length α. */
  step: number;
  /** The new point (the optimiser's own array: copy it to keep it). */
  x: Float64Array;
}

/**
 * Called after each iteration; return `false` (or a promise of it) to stop. The optimiser awaits
 * it, so a progress bar or snapshot can be written between iterations.
 */
export type IterationCallback = (info: IterationInfo) => void | boolean | Promise<void | boolean>;

/** Options of {@linkcode minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Most iterations (default 100). */
  maxIterations?: number;
  /** Most objective evaluations, line searches included (default 2.5 × maxIterations + 20). */
  maxEvaluations?: number;
  /** Pairs (s, y) kept (default 20). */
  memory?: number;
  /** Stop when ‖∇f‖∞ ≤ this (default 1e-10). */
  gradientTolerance?: number;
  /**
   * Stop when f decreases by no more than `valueTolerance · max(|f|, 1)` in one iteration
   * (default 0: only when f stops decreasing).
   */
  valueTolerance?: number;
  /** Line search (default "wolfe"). */
  lineSearch?: "wolfe" | "armijo";
  /** Sufficient-decrease constant c₁ (default 1e-4). */
  c1?: number;
  /** Curvature constant c₂ of the Wolfe conditions (default 0.9). */
  c2?: number;
  /**
   * How far the largest coordinate moves on the first trial of a steepest-descent step (the
   * first iteration, and after a reset): α = initialMove / ‖g‖∞ (default 1).
   */
  initialMove?: number;
  /** Most evaluations in one line search (default 20). */
  maxLineSearchEvaluations?: number;
  /** Called after each iteration (see {@linkcode IterationCallback}). */
  onIteration?: IterationCallback;
}

/** Why a run stopped. */
export type StopReason =
  | "gradient tolerance"
  | "value tolerance"
  | "max iterations"
  | "max evaluations"
  | "line search failed"
  | "stopped by callback";

/** The outcome of {@linkcode minimizeLbfgs} (and {@linkcode ./adam.ts}'s `minimizeAdam`). */
export interface OptimizeResult {
  /** The best point found. */
  x: Float64Array;
  /** f(x). */
  value: number;
  /** ∇f(x). */
  gradient: Float64Array;
  /** Iterations done. */
  iterations: number;
  /** Objective evaluations. */
  evaluations: number;
  /** f after each iteration, starting with f(x₀) (length iterations + 1). */
  values: number[];
  /** Why it stopped. */
  reason: StopReason;
}

/** One evaluated point on the search line. */
interface Trial {
  step: number;
  value: number;
  /** Directional derivative ∇f(x + step·p)ᵀp. */
  slope: number;
  x: Float64Array;
  gradient: Float64Array;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * The minimiser of the cubic through (a, fa, da) and (b, fb, db) (values and slopes), or
 * undefined when it has none. Safeguards are the caller's.
 */
function cubicMinimizer(
  a: number,
  fa: number,
  da: number,
  b: number,
  fb: number,
  db: number,
): number | undefined {
  // Nocedal & Wright eq. 3.59
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return undefined;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * The L-BFGS search direction −H g by the two-loop recursion (see the module notes), from the
 * stored pairs s_k, y_k (oldest first, every y_kᵀs_k > 0). With no pairs it is −g.
 *
 * @example
 * ```ts
 * // one pair from f = ½(x₁² + 4x₂²): s = [1, 1], y = [1, 4]
 * lbfgsDirection([1, 4], [Float64Array.of(1, 1)], [Float64Array.of(1, 4)]); // ≈ [-1, -1]
 * ```
 */
export function lbfgsDirection(
  gradient: ArrayLike<number>,
  s: readonly Float64Array[],
  y: readonly Float64Array[],
): Float64Array {
  const n = gradient.length, m = s.length;
  const q = Float64Array.from(gradient);
  const alpha = new Float64Array(m), rho = new Float64Array(m);
  for (let k = m - 1; k >= 0; k--) {
    rho[k] = 1 / dot(y[k], s[k]);
    alpha[k] = rho[k] * dot(s[k], q);
    const yk = y[k];
    for (let i = 0; i < n; i++) q[i] -= alpha[k] * yk[i];
  }
  const gamma = m > 0 ? dot(s[m - 1], y[m - 1]) / dot(y[m - 1], y[m - 1]) : 1;
  for (let i = 0; i < n; i++) q[i] *= gamma;
  for (let k = 0; k < m; k++) {
    const beta = rho[k] * dot(y[k], q);
    const sk = s[k];
    for (let i = 0; i < n; i++) q[i] += sk[i] * (alpha[k] - beta);
  }
  for (let i = 0; i < n; i++) q[i] = -q[i];
  return q;
}

/**
 * Minimise `objective` from `x0` by L-BFGS with a Wolfe (default) or Armijo line search; see
 * the module notes. `x0` is not modified.
 *
 * @example
 * ```ts
 * const quadratic = (x: Float64Array) => ({
 *   value: x[0] ** 2 + 10 * x[1] ** 2,
 *   gradient: Float64Array.of(2 * x[0], 20 * x[1]),
 * });
 * const { x, iterations } = await minimizeLbfgs(quadratic, Float64Array.of(3, 1));
 * ```
 */
export async function minimizeLbfgs(
  objective: Objective,
  x0: ArrayLike<number>,
  options: LbfgsOptions = {},
): Promise<OptimizeResult> {
  const maxIterations = options.maxIterations ?? 100;
  const maxEvaluations = options.maxEvaluations ?? Math.ceil(2.5 * maxIterations) + 20;
  const memory = options.memory ?? 20;
  const gradientTolerance = options.gradientTolerance ?? 1e-10;
  const valueTolerance = options.valueTolerance ?? 0;
  const c1 = options.c1 ?? 1e-4, c2 = options.c2 ?? 0.9;
  const lineEvals = options.maxLineSearchEvaluations ?? 20;
  const useWolfe = (options.lineSearch ?? "wolfe") === "wolfe";
  const initialMove = options.initialMove ?? 1;
  if (!(c1 > 0 && c1 < c2 && c2 < 1)) throw new Error(`need 0 < c1 < c2 < 1, got ${c1}, ${c2}`);
  const n = x0.length;

  let evaluations = 0;
  const evaluate = async (x: Float64Array): Promise<{ value: number; gradient: Float64Array }> => {
    evaluations++;
    const e = await objective(x);
    if (e.gradient.length !== n) {
      throw new Error(`objective returned a gradient of length ${e.gradient.length}, not ${n}`);
    }
    return { value: e.value, gradient: Float64Array.from(e.gradient) };
  };

  let x: Float64Array = Float64Array.from(x0);
  let { value: f, gradient: g }: { value: number; gradient: Float64Array } = await evaluate(x);
  if (!Number.isFinite(f)) throw new Error(`the objective is ${f} at the starting point`);
  const values = [f];
  const s: Float64Array[] = [], y: Float64Array[] = [];
  let iteration = 0;
  let reason: StopReason = "max iterations";

  /** The point x + step·p with its value, gradient and slope. */
  const trial = async (p: Float64Array, step: number): Promise<Trial> => {
    const xt = new Float64Array(n);
    for (let i = 0; i < n; i++) xt[i] = x[i] + step * p[i];
    const e = await evaluate(xt);
    return { step, value: e.value, slope: dot(e.gradient, p), x: xt, gradient: e.gradient };
  };

  /** Backtracking until sufficient decrease (Armijo). */
  const armijo = async (p: Float64Array, slope0: number, step0: number) => {
    let step = step0;
    for (let k = 0; k < lineEvals && evaluations < maxEvaluations; k++) {
      const t = await trial(p, step);
      if (Number.isFinite(t.value) && t.value <= f + c1 * step * slope0) return t;
      // minimiser of the quadratic through f(0), f'(0) and f(step), kept in [0.1, 0.5]·step
      const q = Number.isFinite(t.value)
        ? -slope0 * step * step / (2 * (t.value - f - slope0 * step))
        : 0.1 * step;
      step = Math.min(0.5 * step, Math.max(0.1 * step, q));
    }
    return undefined;
  };

  /** Strong-Wolfe line search: bracket, then zoom (Nocedal & Wright 3.5/3.6). */
  const wolfe = async (p: Float64Array, slope0: number, step0: number) => {
    const start: Trial = { step: 0, value: f, slope: slope0, x, gradient: g };
    const sufficient = (t: Trial) => t.value <= f + c1 * t.step * slope0;
    const curvature = (t: Trial) => Math.abs(t.slope) <= -c2 * slope0;

    let used = 0; // evaluations in this line search
    const zoom = async (lo: Trial, hi: Trial): Promise<Trial | undefined> => {
      while (evaluations < maxEvaluations && used < lineEvals) {
        const width = Math.abs(hi.step - lo.step);
        const left = Math.min(lo.step, hi.step), right = Math.max(lo.step, hi.step);
        let step = Number.isFinite(hi.value)
          ? cubicMinimizer(lo.step, lo.value, lo.slope, hi.step, hi.value, hi.slope)
          : undefined;
        if (step === undefined || step < left + 0.1 * width || step > right - 0.1 * width) {
          step = (lo.step + hi.step) / 2; // bisect when the cubic is unusable or too near an end
        }
        if (width <= 1e-12 * Math.max(1, right)) break;
        used++;
        const t = await trial(p, step);
        if (!sufficient(t) || !(t.value < lo.value)) {
          hi = t;
        } else {
          if (curvature(t)) return t;
          if (t.slope * (hi.step - lo.step) >= 0) hi = lo;
          lo = t;
        }
      }
      // out of evaluations: the best point so far, if it decreased f at all
      return lo.step > 0 ? lo : undefined;
    };

    let previous = start;
    let step = step0;
    while (evaluations < maxEvaluations && used < lineEvals) {
      used++;
      const t = await trial(p, step);
      if (t.value === f && used < lineEvals / 2 && t.slope <= c2 * slope0) {
        step *= 10; // too small a step to change f at all (finite precision): go further
        continue;
      }
      if (!Number.isFinite(t.value) || !sufficient(t) || (used > 1 && t.value >= previous.value)) {
        return await zoom(previous, t);
      }
      if (curvature(t)) return t;
      if (t.slope >= 0) return await zoom(t, previous);
      previous = t;
      step *= 4; // still going down steeply: extrapolate
    }
    return previous.step > 0 ? previous : undefined;
  };

  while (true) {
    const gNorm = maxAbs(g);
    if (gNorm <= gradientTolerance) {
      reason = "gradient tolerance";
      break;
    }
    if (iteration >= maxIterations) {
      reason = "max iterations";
      break;
    }
    if (evaluations >= maxEvaluations) {
      reason = "max evaluations";
      break;
    }
    let p = lbfgsDirection(g, s, y);
    let slope = dot(g, p);
    if (!(slope < 0)) { // not a descent direction (should not happen): restart
      s.length = 0;
      y.length = 0;
      p = lbfgsDirection(g, s, y);
      slope = dot(g, p);
    }
    const firstStep = s.length === 0 ? initialMove / maxAbs(p) : 1;
    const search = useWolfe ? wolfe : armijo;
    let t = await search(p, slope, firstStep);
    if (t === undefined && s.length > 0) { // forget the curvature pairs, try steepest descent
      s.length = 0;
      y.length = 0;
      p = lbfgsDirection(g, s, y);
      slope = dot(g, p);
      t = await search(p, slope, initialMove / maxAbs(p));
    }
    if (t === undefined) {
      reason = "line search failed";
      break;
    }
    const sk = new Float64Array(n), yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = t.x[i] - x[i];
      yk[i] = t.gradient[i] - g[i];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * dot(yk, yk)) { // keep H positive definite
      s.push(sk);
      y.push(yk);
      if (s.length > memory) {
        s.shift();
        y.shift();
      }
    }
    const decrease = f - t.value;
    x = t.x;
    f = t.value;
    g = t.gradient;
    iteration++;
    values.push(f);
    const goOn = await options.onIteration?.({
      iteration,
      evaluations,
      value: f,
      gradientNorm: maxAbs(g),
      step: t.step,
      x,
    });
    if (goOn === false) {
      reason = "stopped by callback";
      break;
    }
    if (decrease <= valueTolerance * Math.max(Math.abs(f), 1)) {
      reason = "value tolerance";
      break;
    }
  }
  return { x, value: f, gradient: g, iterations: iteration, evaluations, values, reason };
}
