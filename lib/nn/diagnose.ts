/**
 * Diagnosing a wrong derivative or update without giving the answer: compare what a student's
 * code returned with a reference computed from definitions (central differences of the error, the
 * update rule applied by numbers) and name the kind of mistake — a sign, a factor N (sum instead
 * of mean), a transposed matrix, a wrong shape — with where and by how much the two differ.
 *
 * The reference is never a stored answer: the exercise checks (`lib/chapters/exercise_checks.ts`)
 * compute it by {@linkcode numericalGradient}-style finite differences or invariants on fresh data.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The outcome of one comparison: whether it passed, and a one-line message saying why not. */
export interface Diagnosis {
  pass: boolean;
  message: string;
}

/** A matrix (or vector) as plain numbers: its shape and its values in row-major order. */
export interface Values {
  shape: readonly number[];
  values: ArrayLike<number>;
}

/** Options of {@linkcode diagnoseValues}. */
export interface DiagnoseOptions {
  /** Largest relative error (as `relativeError`) that still passes; default 1e-3. */
  tolerance?: number;
  /** The minibatch size N, to recognise a missing (or doubled) 1/N. */
  batchSize?: number;
  /** What the reference is called in messages; default "central differences". */
  reference?: string;
}

/** Plain values of a tensor or of {@linkcode Values}. */
export function valuesOf(x: tf.Tensor | Values): Values {
  return x instanceof tf.Tensor ? { shape: x.shape, values: x.dataSync() } : x;
}

const shapeText = (shape: readonly number[]): string =>
  shape.length === 0 ? "a scalar" : shape.join("×");

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>, scale = 1): number {
  let numerator = 0, denominator = 1e-8;
  for (let i = 0; i < a.length; i++) {
    numerator = Math.max(numerator, Math.abs(scale * a[i] - b[i]));
    denominator = Math.max(denominator, Math.abs(scale * a[i]) + Math.abs(b[i]));
  }
  return numerator / denominator;
}

function transposed({ shape, values }: Values): Values {
  const [rows, cols] = shape;
  const out = new Float64Array(values.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j];
  }
  return { shape: [cols, rows], values: out };
}

const fmt = (x: number): string => {
  const text = Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(3) : x.toExponential(2);
  return text.replace(/^-/, "−");
};

function position(index: number, shape: readonly number[]): string {
  if (shape.length <= 1) return `(${index})`;
  const cols = shape[shape.length - 1];
  return `(${Math.floor(index / cols)}, ${index % cols})`;
}

/** The least-squares factor k with yours ≈ k · reference, and how well it fits. */
function commonFactor(yours: ArrayLike<number>, reference: ArrayLike<number>): number {
  let yy = 0, yr = 0;
  for (let i = 0; i < yours.length; i++) {
    yy += yours[i] * yours[i];
    yr += yours[i] * reference[i];
  }
  return yy === 0 ? NaN : yr / yy; // reference ≈ (yr/yy) · yours
}

/**
 * Compare `yours` with `reference` (same quantity, e.g. ∂E/∂W by hand and by central differences)
 * and say what is wrong: the wrong shape (and whether it is the transpose), non-finite entries,
 * then, when the values differ, how many entries differ and the worst one, with a hint when the
 * whole difference is a sign, a factor N or 1/N (mean or sum?), another constant factor, a
 * transpose, or all zeros.
 *
 * @example
 * ```ts
 * diagnoseValues("∂E/∂W", { shape: [1, 2], values: [-0.4, 1] }, { shape: [1, 2], values: [0.4, -1] });
 * // { pass: false, message: "∂E/∂W differs from central differences at 2 of 2 entries, worst (0, 1): yours −1.000, central differences 1.000 — a sign?" }
 * ```
 */
export function diagnoseValues(
  name: string,
  yours: Values,
  reference: Values,
  options: DiagnoseOptions = {},
): Diagnosis {
  const { tolerance = 1e-3, batchSize, reference: refName = "central differences" } = options;
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((s, i) => s === b[i]);
  if (!same(yours.shape, reference.shape)) {
    const flipped = yours.shape.length === 2 && reference.shape.length === 2 &&
      same([...yours.shape].reverse(), reference.shape);
    return {
      pass: false,
      message: `${name} has shape ${shapeText(yours.shape)}, expected ${
        shapeText(reference.shape)
      }${flipped ? " — transposed? (which factor goes on which side of the product?)" : ""}`,
    };
  }
  const y = yours.values, r = reference.values;
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) {
      return {
        pass: false,
        message: `${name} has ${y[i]} at ${position(i, yours.shape)} — a log or division of 0?`,
      };
    }
  }
  const error = maxRelative(y, r);
  if (error <= tolerance) {
    return { pass: true, message: `${name} agrees with ${refName} (relative error ${fmt(error)})` };
  }
  let differing = 0, worst = 0, worstGap = -1;
  const scale = Math.max(1e-8, ...Array.from(r, Math.abs), ...Array.from(y, Math.abs));
  for (let i = 0; i < y.length; i++) {
    const gap = Math.abs(y[i] - r[i]);
    if (gap > tolerance * scale) differing++;
    if (gap > worstGap) [worst, worstGap] = [i, gap];
  }
  const where = `${name} differs from ${refName} at ${differing} of ${y.length} entries, worst ${
    position(worst, yours.shape)
  }: yours ${fmt(y[worst])}, ${refName} ${fmt(r[worst])}`;
  return { pass: false, message: `${where}${hint(yours, reference, tolerance, batchSize)}` };
}

function hint(yours: Values, reference: Values, tolerance: number, batchSize?: number): string {
  const y = yours.values, r = reference.values;
  if (Array.from(y).every((v) => v === 0)) {
    return " — all yours are 0: is the result computed but not returned or assigned?";
  }
  if (maxRelative(y, r, -1) <= tolerance) return " — a sign? (every entry has the opposite sign)";
  const k = commonFactor(y, r); // reference ≈ k · yours
  if (Number.isFinite(k) && maxRelative(y, r, k) <= tolerance) {
    const n = batchSize;
    if (n !== undefined && Math.abs(k * n - 1) < 1e-2) {
      return ` — off by a factor N = ${n}: yours is N times too large (a sum where the error is a mean?)`;
    }
    if (n !== undefined && Math.abs(k / n - 1) < 1e-2) {
      return ` — off by a factor 1/N = 1/${n}: yours is N times too small (divided by N twice?)`;
    }
    if (n !== undefined && Math.abs(k * n + 1) < 1e-2) {
      return ` — a sign, and off by a factor N = ${n} (a sum where the error is a mean?)`;
    }
    const factor = 1 / k;
    return ` — off by a constant factor: yours ≈ ${fmt(factor)} × ${"the reference"}`;
  }
  const [rows, cols] = yours.shape;
  if (yours.shape.length === 2 && rows === cols && rows > 1) {
    if (maxRelative(transposed(yours).values, r) <= tolerance) {
      return " — it matches the transpose: rows and columns swapped?";
    }
  }
  return "";
}

/**
 * Check one step of an update rule on a parameter: `before` and `after` are the parameter's
 * values around the student's step, `expected` the values the rule gives (computed by numbers in
 * the check). Names a step taken uphill (a sign), a step that ignored η, a parameter left
 * unchanged, and a step of the wrong size.
 */
export function diagnoseStep(
  name: string,
  before: Values,
  after: Values,
  expected: Values,
  eta: number,
  tolerance = 1e-4,
): Diagnosis {
  const shapeCheck = diagnoseValues(name, after, expected, { tolerance, reference: "the rule" });
  if (shapeCheck.pass || !same(after.shape, expected.shape)) return shapeCheck;
  const moved = Array.from(after.values, (v, i) => v - before.values[i]);
  const wanted = Array.from(expected.values, (v, i) => v - before.values[i]);
  const stepShape = { shape: after.shape, values: moved };
  const base = diagnoseValues(`the step of ${name}`, stepShape, {
    shape: after.shape,
    values: wanted,
  }, {
    tolerance,
    reference: "the rule",
  }).message.replace(/ — .*$/, "");
  if (moved.every((v) => Math.abs(v) < 1e-12)) {
    return {
      pass: false,
      message: `${name} did not change: assign the new value to the variable (in place)`,
    };
  }
  if (maxRelative(moved, wanted, -1) <= tolerance) {
    return { pass: false, message: `${base} — a sign? the step went uphill, along the gradient` };
  }
  if (maxRelative(moved, wanted, eta) <= tolerance) {
    return { pass: false, message: `${base} — the step is the whole gradient: multiply it by η` };
  }
  if (maxRelative(moved, wanted, -eta) <= tolerance) {
    return { pass: false, message: `${base} — a sign, and the step is not scaled by η` };
  }
  const k = commonFactor(moved, wanted);
  if (Number.isFinite(k) && maxRelative(moved, wanted, k) <= tolerance) {
    return { pass: false, message: `${base} — the right direction, but ${fmt(1 / k)} × the size` };
  }
  return { pass: false, message: base };
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
