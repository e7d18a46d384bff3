/**
 * `float32Log` and `logInto` store bit for bit what `Math.fround(Math.log(v))` gives: on every
 * float32 of [¼, 4) (both inline ways and their borders), of the binades where a cross-entropy's
 * max(y, 10⁻¹²) lies, a spread sample of all 2³² bit patterns, the edges, and numbers that are not
 * float32 values.
 */
import assert from "node:assert/strict";
import { float32Log, logInto } from "../lib/runtime/backends/blas/fast_log.ts";

/** Compare `logInto` with the formula on `x`; names the first few differences. */
function assertFormula(x: Float32Array, what: string): void {
  const got = new Float32Array(x.length);
  logInto(x, got);
  const gotBits = new Uint32Array(got.buffer);
  const expected = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) expected[i] = Math.log(x[i]);
  const expectedBits = new Uint32Array(expected.buffer);
  const wrong: string[] = [];
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    const bothNaN = got[i] !== got[i] && expected[i] !== expected[i];
    if (gotBits[i] !== expectedBits[i] && !bothNaN) {
      if (count++ < 3) wrong.push(`log(${x[i]}) = ${got[i]}, formula ${expected[i]}`);
    }
  }
  assert.equal(count, 0, `${what}: ${count} of ${x.length} differ: ${wrong.join("; ")}`);
}

/** Every float32 from `low` (inclusive) up to `high` (exclusive), both positive. */
function everyFloat(low: number, high: number): Float32Array {
  const start = new Uint32Array(new Float32Array([low]).buffer)[0];
  const end = new Uint32Array(new Float32Array([high]).buffer)[0];
  const bits = new Uint32Array(end - start);
  for (let i = 0; i < bits.length; i++) bits[i] = start + i;
  return new Float32Array(bits.buffer);
}

Deno.test("float32 log equals Math.log rounded to float32 on every float32 in [1/4, 4)", () => {
  assertFormula(everyFloat(0.25, 4), "1/4 ≤ v < 4");
});

Deno.test("float32 log equals its formula on every float32 of the binades of 10⁻¹², 10⁻⁶, 0.01 and 1000", () => {
  for (const v of [1e-12, 1e-6, 0.01, 1000]) {
    const low = 2 ** Math.floor(Math.log2(v));
    assertFormula(everyFloat(low, 2 * low), `[${low}, ${2 * low})`);
  }
});

Deno.test("float32 log equals its formula on a sample of all 2³² bit patterns", () => {
  const stride = 1009; // prime: every exponent and many mantissa endings
  const bits = new Uint32Array(Math.ceil(2 ** 32 / stride));
  for (let i = 0; i < bits.length; i++) bits[i] = i * stride;
  assertFormula(new Float32Array(bits.buffer), "every 1009th bit pattern");
});

Deno.test("float32 log at the edges, and of numbers that are not float32 values", () => {
  const f = Math.fround;
  const edges = [
    NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    -1,
    1,
    f(1 - 2 ** -24), // the float32 below 1
    f(1 + 2 ** -23), // the float32 above 1
    f(1 - 1 / 64), // the borders of the series about 1
    f(1 + 1 / 64),
    1.4e-45, // the smallest subnormal
    1.1754942e-38, // the largest subnormal
    1.1754944e-38, // the smallest normal
    f(3.4028235e38), // the largest float32
    f(1e-12), // the cross-entropy's tiny
  ];
  assertFormula(Float32Array.from(edges), "edges");
  // Not float32 values (a double between two floats32, a double beyond float32's range): the
  // formula is still what comes back.
  for (const v of [0.1, 1 / 3, 1 + 1e-10, 1 - 1e-10, 7.5e-300, 1e300, 2 ** -1074]) {
    assert.equal(Object.is(float32Log(v), f(Math.log(v))), true, `log(${v})`);
  }
});
