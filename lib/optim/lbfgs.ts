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
 * positive definite and p is a descent direction). The recursion (`lbfgsDirection`, with `dot`)
 * is written in chapter 7 (`notebooks/07_style_transfer.ipynb`, §7.2) and copied here.
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
 * **Bad values**: a trial point where f = +∞ counts as "too far" (the line search steps back).
 * f = NaN, or a non-finite gradient where f is finite, stops the run as `"non-finite value or
 * gradient"`; f = −∞ or f below `valueLimit` stops it as `"unbounded below"`. In both cases the
 * result is the last accepted (finite) iterate and `detail` says what was seen in which iteration.
 * A non-finite starting value or gradient, and invalid options, are errors.
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
import { beginInterruptibleLoop, checkpoint } from "../runtime/interrupt.ts";

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
  /**
   * Stop with `"unbounded below"` when an evaluated f falls below this (default −∞: only when
   * f = −∞). Use it for objectives that may have no minimum.
   */
  valueLimit?: number;
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
  | "stopped by callback"
  | "non-finite value or gradient"
  | "unbounded below";

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
  /**
   * For `"non-finite value or gradient"` and `"unbounded below"`: what was seen, and in which
   * iteration (e.g. "f = NaN at a trial point of iteration 7").
   */
  detail?: string;
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

// @saved-from notebooks/07_style_transfer.ipynb — edit it there, then `deno task save-cells`
/** The inner product aᵀb. */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The L-BFGS search direction p = −H g by the two-loop recursion, from the stored pairs s_k, y_k
 * (oldest first, every y_kᵀs_k > 0). With no pairs it is −g.
 */
export function lbfgsDirection(
  gradient: ArrayLike<number>,
  s: readonly Float64Array[],
  y: readonly Float64Array[],
): Float64Array {
  const n = gradient.length, m = s.length;
  const q = Float64Array.from(gradient); // q ← g
  const alpha = new Float64Array(m), rho = new Float64Array(m);
  for (let k = m - 1; k >= 0; k--) { // newest … oldest
    rho[k] = 1 / dot(y[k], s[k]); // ρ_k = 1/(y_kᵀs_k)
    alpha[k] = rho[k] * dot(s[k], q); // a_k = ρ_k s_kᵀq
    const yk = y[k];
    for (let i = 0; i < n; i++) q[i] -= alpha[k] * yk[i]; // q ← q − a_k y_k
  }
  const gamma = m > 0 ? dot(s[m - 1], y[m - 1]) / dot(y[m - 1], y[m - 1]) : 1; // γ, newest pair
  for (let i = 0; i < n; i++) q[i] *= gamma; // r ← γ q (r is kept in q)
  for (let k = 0; k < m; k++) { // oldest … newest
    const beta = rho[k] * dot(y[k], q); // ρ_k y_kᵀ r
    const sk = s[k];
    for (let i = 0; i < n; i++) q[i] += sk[i] * (alpha[k] - beta); // r ← r + s_k (a_k − ρ_k y_kᵀr)
  }
  for (let i = 0; i < n; i++) q[i] = -q[i]; // p = −r
  return q;
}
// @end-saved

/** The options of {@linkcode minimizeLbfgs} with defaults filled in, checked. */
interface Settings {
  maxIterations: number;
  maxEvaluations: number;
  memory: number;
  gradientTolerance: number;
  valueTolerance: number;
  valueLimit: number;
  lineSearch: "wolfe" | "armijo";
  c1: number;
  c2: number;
  initialMove: number;
  maxLineSearchEvaluations: number;
}

/** `options` with defaults; throws one message naming the first invalid option and its value. */
function settingsOf(options: LbfgsOptions): Settings {
  const bad = (name: string, value: unknown, need: string): never => {
    throw new Error(`minimizeLbfgs: ${name} must be ${need}, got ${value}`);
  };
  const positiveInteger = (name: keyof LbfgsOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (!(Number.isInteger(value) && (value as number) >= 1)) {
      bad(name, value, "a positive integer");
    }
    return value as number;
  };
  const finiteAtLeastZero = (name: keyof LbfgsOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (!(Number.isFinite(value) && (value as number) >= 0)) bad(name, value, "finite and ≥ 0");
    return value as number;
  };
  const maxIterations = positiveInteger("maxIterations", 100);
  const settings: Settings = {
    maxIterations,
    maxEvaluations: positiveInteger("maxEvaluations", Math.ceil(2.5 * maxIterations) + 20),
    memory: positiveInteger("memory", 20),
    gradientTolerance: finiteAtLeastZero("gradientTolerance", 1e-10),
    valueTolerance: finiteAtLeastZero("valueTolerance", 0),
    valueLimit: options.valueLimit ?? -Infinity,
    lineSearch: options.lineSearch ?? "wolfe",
    c1: options.c1 ?? 1e-4,
    c2: options.c2 ?? 0.9,
    initialMove: options.initialMove ?? 1,
    maxLineSearchEvaluations: positiveInteger("maxLineSearchEvaluations", 20),
  };
  if (typeof settings.valueLimit !== "number" || Number.isNaN(settings.valueLimit)) {
    bad("valueLimit", settings.valueLimit, "a number (−Infinity for none)");
  }
  if (settings.lineSearch !== "wolfe" && settings.lineSearch !== "armijo") {
    bad("lineSearch", settings.lineSearch, `"wolfe" or "armijo"`);
  }
  const { c1, c2 } = settings;
  if (!(c1 > 0 && c1 < c2 && c2 < 1)) {
    throw new Error(`minimizeLbfgs: need 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}`);
  }
  if (!(Number.isFinite(settings.initialMove) && settings.initialMove > 0)) {
    bad("initialMove", settings.initialMove, "finite and > 0");
  }
  if (options.onIteration !== undefined && typeof options.onIteration !== "function") {
    bad("onIteration", options.onIteration, "a function");
  }
  return settings;
}

/** Thrown inside a run by {@linkcode Evaluator} to end it with `reason`; never escapes. */
class Stop extends Error {
  constructor(readonly reason: StopReason, message: string) {
    super(message);
  }
}

/** A point with its value and gradient. */
interface Point {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
}

/** Evaluates the objective, counts evaluations, and stops the run on bad values. */
class Evaluator {
  evaluations = 0;
  constructor(
    private readonly objective: Objective,
    private readonly n: number,
    private readonly settings: Settings,
  ) {}

  /** Whether the evaluation budget is spent. */
  get spent(): boolean {
    return this.evaluations >= this.settings.maxEvaluations;
  }

  /** f and ∇f at x, unchecked (except the gradient's length). */
  async raw(x: Float64Array): Promise<Point> {
    this.evaluations++;
    const e = await this.objective(x);
    if (e.gradient.length !== this.n) {
      throw new Error(
        `objective returned a gradient of length ${e.gradient.length}, not ${this.n}`,
      );
    }
    return { x, value: e.value, gradient: Float64Array.from(e.gradient) };
  }

  /**
   * f and ∇f at a trial point. f = +∞ is returned (the line search steps back); f = NaN, f = −∞,
   * f below the limit, or a non-finite gradient at a finite f throw {@linkcode Stop}.
   */
  async at(x: Float64Array): Promise<Point> {
    const point = await this.raw(x);
    const { value, gradient } = point;
    if (Number.isNaN(value)) throw new Stop("non-finite value or gradient", "f = NaN");
    if (value < this.settings.valueLimit || value === -Infinity) {
      throw new Stop("unbounded below", `f = ${value} < valueLimit ${this.settings.valueLimit}`);
    }
    if (value !== Infinity) {
      const i = gradient.findIndex((gi) => !Number.isFinite(gi));
      if (i >= 0) {
        throw new Stop("non-finite value or gradient", `gradient[${i}] = ${gradient[i]}`);
      }
    }
    return point;
  }
}

/** The point x + step·p with its value, gradient and slope ∇fᵀp. */
async function trial(
  evaluator: Evaluator,
  from: Point,
  p: Float64Array,
  step: number,
): Promise<Trial> {
  const n = p.length, x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = from.x[i] + step * p[i];
  const e = await evaluator.at(x);
  return { step, value: e.value, slope: dot(e.gradient, p), x, gradient: e.gradient };
}

/** A line search from `from` along the descent direction p (slope0 = ∇f(from)ᵀp < 0). */
type LineSearch = (
  evaluator: Evaluator,
  settings: Settings,
  from: Point,
  p: Float64Array,
  slope0: number,
  step0: number,
) => Promise<Trial | undefined>;

/** Backtracking from step0 until sufficient decrease (Armijo); undefined if none is found. */
const armijoSearch: LineSearch = async (evaluator, settings, from, p, slope0, step0) => {
  const f = from.value;
  let step = step0;
  for (let k = 0; k < settings.maxLineSearchEvaluations && !evaluator.spent; k++) {
    const t = await trial(evaluator, from, p, step);
    if (Number.isFinite(t.value) && t.value <= f + settings.c1 * step * slope0) return t;
    // minimiser of the quadratic through f(0), f'(0) and f(step), kept in [0.1, 0.5]·step
    const q = Number.isFinite(t.value)
      ? -slope0 * step * step / (2 * (t.value - f - slope0 * step))
      : 0.1 * step;
    step = Math.min(0.5 * step, Math.max(0.1 * step, Number.isNaN(q) ? 0.1 * step : q)); // q: ∞/∞
  }
  return undefined;
};

/** Strong-Wolfe line search: bracket, then zoom (Nocedal & Wright 3.5/3.6). */
const wolfeSearch: LineSearch = async (evaluator, settings, from, p, slope0, step0) => {
  const f = from.value, { c1, c2, maxLineSearchEvaluations: budget } = settings;
  const sufficient = (t: Trial) => t.value <= f + c1 * t.step * slope0;
  const curvature = (t: Trial) => Math.abs(t.slope) <= -c2 * slope0;
  let used = 0; // evaluations in this line search
  const canEvaluate = () => !evaluator.spent && used < budget;

  /** Shrinks the bracket [lo, hi] (lo: the lower value) to a point meeting both conditions. */
  const zoom = async (lo: Trial, hi: Trial): Promise<Trial | undefined> => {
    while (canEvaluate()) {
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
      const t = await trial(evaluator, from, p, step);
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

  let previous: Trial = { ...from, step: 0, slope: slope0 };
  let step = step0;
  while (canEvaluate()) {
    used++;
    const t = await trial(evaluator, from, p, step);
    if (t.value === f && used < budget / 2 && t.slope <= c2 * slope0) {
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

/** The curvature pairs s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k, oldest first. */
interface History {
  s: Float64Array[];
  y: Float64Array[];
}

/** Stores the pair of the step from → to if yᵀs > 0 (keeps H positive definite), at most `memory`. */
function remember(history: History, from: Point, to: Point, memory: number): void {
  const n = from.x.length, sk = new Float64Array(n), yk = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sk[i] = to.x[i] - from.x[i];
    yk[i] = to.gradient[i] - from.gradient[i];
  }
  if (dot(sk, yk) > 1e-12 * dot(yk, yk)) {
    history.s.push(sk);
    history.y.push(yk);
    if (history.s.length > memory) {
      history.s.shift();
      history.y.shift();
    }
  }
}

/**
 * One iteration's step: the L-BFGS direction and a line search along it; if that fails, the
 * history is cleared and a steepest-descent step is tried. Undefined if both fail.
 */
async function nextPoint(
  evaluator: Evaluator,
  settings: Settings,
  point: Point,
  history: History,
): Promise<Trial | undefined> {
  const search = settings.lineSearch === "wolfe" ? wolfeSearch : armijoSearch;
  const steepest = () => {
    history.s.length = 0;
    history.y.length = 0;
    return lbfgsDirection(point.gradient, history.s, history.y);
  };
  let p = lbfgsDirection(point.gradient, history.s, history.y);
  if (!(dot(point.gradient, p) < 0)) p = steepest(); // not a descent direction (should not happen)
  const firstStep = history.s.length === 0 ? settings.initialMove / maxAbs(p) : 1;
  const t = await search(evaluator, settings, point, p, dot(point.gradient, p), firstStep);
  if (t !== undefined || history.s.length === 0) return t;
  p = steepest();
  return await search(
    evaluator,
    settings,
    point,
    p,
    dot(point.gradient, p),
    settings.initialMove / maxAbs(p),
  );
}

/** The starting point, evaluated; throws if x0, f(x0) or ∇f(x0) is not finite. */
async function startingPoint(evaluator: Evaluator, x0: ArrayLike<number>): Promise<Point> {
  const x = Float64Array.from(x0);
  const bad = x.findIndex((xi) => !Number.isFinite(xi));
  if (bad >= 0) throw new Error(`minimizeLbfgs: x0[${bad}] is ${x[bad]}`);
  const start = await evaluator.raw(x);
  if (!Number.isFinite(start.value)) {
    throw new Error(`minimizeLbfgs: the objective is ${start.value} at the starting point`);
  }
  const i = start.gradient.findIndex((gi) => !Number.isFinite(gi));
  if (i >= 0) {
    throw new Error(
      `minimizeLbfgs: the gradient at the starting point has [${i}] = ${start.gradient[i]}`,
    );
  }
  return start;
}

/**
 * Minimise `objective` from `x0` by L-BFGS with a Wolfe (default) or Armijo line search; see
 * the module notes. `x0` is not modified. Invalid options and a non-finite start are errors.
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
  const settings = settingsOf(options);
  const evaluator = new Evaluator(objective, x0.length, settings);
  beginInterruptibleLoop();
  let point = await startingPoint(evaluator, x0);
  const values = [point.value];
  const history: History = { s: [], y: [] };
  let iteration = 0;
  let reason: StopReason = "max iterations", detail: string | undefined;
  if (point.value < settings.valueLimit) {
    reason = "unbounded below";
    detail = `f = ${point.value} < valueLimit ${settings.valueLimit} at the starting point`;
  }
  while (detail === undefined) {
    if (maxAbs(point.gradient) <= settings.gradientTolerance) {
      reason = "gradient tolerance";
      break;
    }
    if (iteration >= settings.maxIterations) {
      reason = "max iterations";
      break;
    }
    if (evaluator.spent) {
      reason = "max evaluations";
      break;
    }
    let next: Trial | undefined;
    try {
      next = await nextPoint(evaluator, settings, point, history);
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      reason = error.reason;
      detail = `${error.message} at a trial point of iteration ${iteration + 1}`;
      break;
    }
    if (next === undefined) {
      reason = "line search failed";
      break;
    }
    remember(history, point, next, settings.memory);
    const decrease = point.value - next.value;
    point = { x: next.x, value: next.value, gradient: next.gradient };
    iteration++;
    values.push(point.value);
    const goOn = await options.onIteration?.({
      iteration,
      evaluations: evaluator.evaluations,
      value: point.value,
      gradientNorm: maxAbs(point.gradient),
      step: next.step,
      x: point.x,
    });
    if (goOn === false) {
      reason = "stopped by callback";
      break;
    }
    await checkpoint(() => `L-BFGS iteration ${iteration} (f = ${point.value.toPrecision(6)})`);
    if (decrease <= settings.valueTolerance * Math.max(Math.abs(point.value), 1)) {
      reason = "value tolerance";
      break;
    }
  }
  const { x, value, gradient } = point;
  const result: OptimizeResult = {
    x,
    value,
    gradient,
    iterations: iteration,
    evaluations: evaluator.evaluations,
    values,
    reason,
  };
  if (detail !== undefined) result.detail = detail;
  return result;
}
