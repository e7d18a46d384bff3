/**
 * The natural logarithm of a float32, rounded to float32 — bit for bit `Math.fround(Math.log(v))`,
 * the value the cpu `Log` kernel stores — about twice as fast. A cross-entropy over an
 * autoencoder's [784, N] outputs takes one or two logarithms per entry; `Math.log` is a call into
 * V8's port of fdlibm at about 8 ns each on the course's machine.
 *
 * The same certified scheme as `fast_exp.ts`: log v is computed inline, as y, to a proven relative
 * error far below δ = 10⁻¹², and y is kept only when every double within relative δ of it rounds
 * to one float32; then the exact logarithm, and `Math.log`'s (within an ulp of it), round to that
 * float32 too. Otherwise `Math.log` itself is called. Two ways inline:
 *
 * - v within 1/64 of 1: log(1 + s) = s − s²/2 + s³/3 − … − s⁸/8 with s = v − 1 (exact): the
 *   series' tail is below s⁸/9 ≤ 4·10⁻¹⁶ relative, its roundings a few 10⁻¹⁶;
 * - otherwise, v = 2ᵉ·m with m ∈ [1, 2) read from v's float32 bits, c the centre of the 64th of
 *   [1, 2) that holds m, and r = (m − c)/c (|r| ≤ 2⁻⁷, m − c exact):
 *
 *       log v = e·ln 2 + log c + log(1 + r),   log(1 + r) = r − r²/2 + … − r⁶/6
 *
 *   whose terms' errors add to below 5·10⁻¹⁶ while |log v| ≥ 0.0155 here: under 4·10⁻¹⁴ relative.
 *
 * Anything else — NaN, ±∞, 0, negatives, subnormals, and a v that is not a float32 — goes to
 * `Math.log`. Tested on every float32 of [2⁻², 4) and of chosen binades, a spread sample of all
 * 2³² bit patterns and the edges (tests/fast_log_test.ts).
 *
 * @module
 */

/** Half-width δ of the interval whose float32 rounding must agree (see the module comment). */
const CERTIFIED = 1e-12;
const BELOW = 1 - CERTIFIED, ABOVE = 1 + CERTIFIED;
/** |v − 1| below which the series in v − 1 is used. */
const NEAR_ONE = 1 / 64;
/** Centres c = 1 + (j + ½)/64 of the 64 intervals of [1, 2), their inverses and logarithms. */
const CENTRES = Float64Array.from({ length: 64 }, (_, j) => 1 + (j + 0.5) / 64);
const INVERSE_CENTRES = CENTRES.map((c) => 1 / c);
const LOG_CENTRES = CENTRES.map(Math.log);
/** 2²³: a float32's mantissa field as a fraction. */
const MANTISSA_SCALE = 8388608;

/** The float32 whose bits are read (a view shared with {@linkcode bitsOf}). */
const word = new Float32Array(1);
const bitsOf = new Uint32Array(word.buffer);

/**
 * `Math.fround(Math.log(v))`, bit for bit, for any number `v` (fast when it is a positive normal
 * float32, as the cross-entropy's max(y, tiny) is).
 *
 * @example
 * ```ts
 * float32Log(Math.fround(0.3)) === Math.fround(Math.log(Math.fround(0.3))); // true
 * ```
 */
export function float32Log(v: number): number {
  const f = Math.fround;
  let y: number;
  const s = v - 1; // exact for v in [½, 2] (Sterbenz)
  if (s > -NEAR_ONE && s < NEAR_ONE) {
    y = s *
      (1 +
        s *
          (-1 / 2 + s * (1 / 3 + s * (-1 / 4 + s * (1 / 5 + s * (-1 / 6 + s * (1 / 7 - s / 8)))))));
  } else {
    word[0] = v;
    const bits = bitsOf[0];
    const biased = bits >>> 23; // the exponent field; ≥ 256 when the sign bit is set
    // Only a positive normal float32 that is exactly v takes the inline way.
    if (biased === 0 || biased >= 255 || word[0] !== v) return f(Math.log(v));
    const j = (bits >>> 17) & 63;
    const r = (1 + (bits & 0x7fffff) / MANTISSA_SCALE - CENTRES[j]) * INVERSE_CENTRES[j];
    const series = r * (1 + r * (-1 / 2 + r * (1 / 3 + r * (-1 / 4 + r * (1 / 5 - r / 6)))));
    y = (biased - 127) * Math.LN2 + LOG_CENTRES[j] + series;
  }
  // Every double within relative δ of y rounds to one float32 (rounding is monotone).
  const low = f(y * BELOW);
  return low === f(y * ABOVE) ? low : f(Math.log(v));
}

/** out[i] = log(x[i]) rounded to float32, bit for bit `Math.log`'s. `out` may be `x`. */
export function logInto(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = float32Log(x[i]);
}
