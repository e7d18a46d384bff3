/**
 * eˣ and the logistic 1/(1 + e⁻ᵘ) over float32 arrays, bit for bit what the cpu kernels store
 * (`Math.exp` in double, rounded once to float32), about twice as fast.
 *
 * `Math.exp` is a call into V8's port of fdlibm; the loops of an autoencoder's logistic outputs
 * ([784, N] values per evaluation) spent half of chapter 5's L-BFGS time in it. Here eˣ is
 * computed inline to about 5·10⁻¹⁴ relative error, and a result is kept only when it is
 * *certified* to round to the same float32 as the exact formula:
 *
 *   x = (64m + j)·ln2/64 + r,  |r| ≤ ln2/128,   eˣ = 2ᵐ · 2^(j/64) · (1 + r + r²/2 + r³/6 + r⁴/24)
 *
 * with 2^(j/64) and 2ᵐ from tables. The polynomial's error is below |r|⁵/5! ≤ 4·10⁻¹⁴, r's
 * rounding below 1·10⁻¹⁴ (|x| < 110), the rest a few double roundings: together under 10⁻¹³,
 * relative, in eˣ and in 1/(1 + e⁻ᵘ) alike. `Math.exp`'s own formula is within 10⁻¹⁵ of the
 * exact value. So if y(1 − δ) and y(1 + δ), with δ = 10⁻¹² (ten times the sum), round to the
 * same float32, the formula with `Math.exp` rounds to it too: every float32 in that interval does.
 * Otherwise (a few values in 10⁵, near a rounding boundary; and NaN, ±∞ and |x| ≥ 110) the
 * formula itself is evaluated. The result is therefore the formula's whatever the input.
 *
 * Tested on every float32 in chosen ranges and a spread sample of all 2³² bit patterns
 * (tests/fast_exp_test.ts); `deno task check-fast-exp` compares all 2³² of them.
 *
 * @module
 */

/** Half-width δ of the interval whose float32 rounding must agree (see the module comment). */
const CERTIFIED = 1e-12;
/** |x| below which the inline eˣ is used (the tables' reach; r's rounding is bounded for it). */
const REACH = 110;
const STEPS_PER_LN2 = 64;
const INV_STEP = STEPS_PER_LN2 / Math.LN2;
const STEP = Math.LN2 / STEPS_PER_LN2;
/** 1.5·2⁵²: adding and subtracting it rounds a double of magnitude < 2⁵¹ to an integer. */
const ROUNDER = 6755399441055744;
/** 2^(j/64), j = 0…63. */
const FRACTION_POWERS = Float64Array.from({ length: STEPS_PER_LN2 }, (_, j) => 2 ** (j / 64));
/** 2ᵐ for m = −MAX_POWER…MAX_POWER (exact: powers of two). */
const MAX_POWER = Math.ceil(REACH / Math.LN2) + 1;
const WHOLE_POWERS = Float64Array.from(
  { length: 2 * MAX_POWER + 1 },
  (_, i) => 2 ** (i - MAX_POWER),
);

/** eˣ to ~5·10⁻¹⁴ relative for |x| < {@linkcode REACH} (garbage outside: callers check). */
function nearExp(x: number): number {
  const steps = (x * INV_STEP + ROUNDER) - ROUNDER; // x / (ln2/64), rounded to an integer
  const r = x - steps * STEP;
  const k = steps | 0;
  const series = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
  return WHOLE_POWERS[(k >> 6) + MAX_POWER] * (FRACTION_POWERS[k & 63] * series);
}

const BELOW = 1 - CERTIFIED, ABOVE = 1 + CERTIFIED;

/**
 * out[i] = 1/(1 + e^(−u[i])) rounded to float32, bit for bit the `Sigmoid` kernel's formula with
 * `Math.exp`. `out` may be `u` (in place).
 */
export function logisticInto(u: Float32Array, out: Float32Array): void {
  const f = Math.fround;
  for (let i = 0; i < u.length; i++) {
    const x = -u[i];
    if (x > -REACH && x < REACH) {
      const y = 1 / (1 + nearExp(x));
      // Every double within relative δ of y rounds to one float32 (rounding is monotone).
      const low = f(y * BELOW);
      if (low === f(y * ABOVE)) {
        out[i] = low;
        continue;
      }
    }
    out[i] = 1 / (1 + Math.exp(x));
  }
}

/** out[i] = e^(x[i]) rounded to float32, bit for bit `Math.exp`'s. `out` may be `x`. */
export function expInto(x: Float32Array, out: Float32Array): void {
  const f = Math.fround;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi > -REACH && xi < REACH) {
      const y = nearExp(xi);
      const low = f(y * BELOW);
      if (low === f(y * ABOVE)) {
        out[i] = low;
        continue;
      }
    }
    out[i] = Math.exp(xi);
  }
}
