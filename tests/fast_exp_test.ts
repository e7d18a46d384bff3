/**
 * `expInto` and `logisticInto` store bit for bit what `Math.exp(x)` and `1 / (1 + Math.exp(−x))`
 * rounded to float32 give: on every float32 of the binades where an autoencoder's inputs lie, a
 * spread sample of all 2³² bit patterns, and the edges (NaN, ±∞, ±0, subnormals, overflow and
 * underflow, the inline path's reach). `deno task check-fast-exp` compares all 2³² patterns.
 */
import assert from "node:assert/strict";
import { expInto, logisticInto } from "../lib/runtime/backends/blas/fast_exp.ts";

const reference = {
  exp: (x: Float32Array) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
    return out;
  },
  logistic: (x: Float32Array) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
    return out;
  },
};

/** Compare both functions with their formulas on `x`; names the first few differences. */
function assertFormulas(x: Float32Array, what: string): void {
  for (const [name, fast] of [["exp", expInto], ["logistic", logisticInto]] as const) {
    const expected = reference[name](x);
    const got = new Float32Array(x.length);
    fast(x, got);
    const expectedBits = new Uint32Array(expected.buffer), gotBits = new Uint32Array(got.buffer);
    const wrong: string[] = [];
    let count = 0;
    for (let i = 0; i < x.length; i++) {
      const bothNaN = got[i] !== got[i] && expected[i] !== expected[i];
      if (gotBits[i] !== expectedBits[i] && !bothNaN) {
        if (count++ < 3) wrong.push(`${name}(${x[i]}) = ${got[i]}, formula ${expected[i]}`);
      }
    }
    assert.equal(count, 0, `${what}: ${count} of ${x.length} differ: ${wrong.join("; ")}`);
  }
}

/** Every float32 from `low` (inclusive) up to `high` (exclusive), both positive, and their negatives. */
function everyFloat(low: number, high: number): Float32Array {
  const start = new Uint32Array(new Float32Array([low]).buffer)[0];
  const end = new Uint32Array(new Float32Array([high]).buffer)[0];
  const bits = new Uint32Array(2 * (end - start));
  for (let i = 0; i < end - start; i++) {
    bits[2 * i] = start + i;
    bits[2 * i + 1] = (start + i) | 0x8000_0000;
  }
  return new Float32Array(bits.buffer);
}

Deno.test("exp and logistic equal their formulas on every float32 with 1 ≤ |x| < 4", () => {
  assertFormulas(everyFloat(1, 4), "1 ≤ |x| < 4");
});

Deno.test("exp and logistic equal their formulas on a sample of all 2³² bit patterns", () => {
  const stride = 1009; // prime: every exponent and many mantissa endings
  const bits = new Uint32Array(Math.ceil(2 ** 32 / stride));
  for (let i = 0; i < bits.length; i++) bits[i] = i * stride;
  assertFormulas(new Float32Array(bits.buffer), "every 1009th bit pattern");
});

Deno.test("exp and logistic equal their formulas at the edges", () => {
  const f = Math.fround;
  const edges = [
    NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    1.4e-45, // the smallest subnormal
    -1.4e-45,
    1.1754942e-38, // the largest subnormal
    f(3.4028235e38),
    -f(3.4028235e38),
    f(88.72283), // eˣ overflows float32 above about 88.7228
    f(88.72284),
    f(-87.33655), // eˣ becomes subnormal
    f(-103.97208), // and rounds to 0 below about −103.972
    f(-103.97209),
    f(-104),
    16.635532, // 1/(1 + e⁻ˣ) rounds to 1 above about 16.6355
    16.635534,
    f(109.99999), // the inline path's reach, 110
    110,
    f(110.00001),
    f(-109.99999),
    -110,
    f(-110.00001),
  ];
  const around = edges.flatMap((v) => {
    if (!Number.isFinite(v)) return [v];
    const bits = new Uint32Array(new Float32Array([v]).buffer)[0];
    const next = new Float32Array(
      new Uint32Array([bits - 2, bits - 1, bits, bits + 1, bits + 2]).buffer,
    );
    return Array.from(next);
  });
  assertFormulas(Float32Array.from(around), "edges");
});

Deno.test("exp and logistic work in place", () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => (i - 500) / 7);
  for (
    const [fast, formula] of [[expInto, reference.exp], [logisticInto, reference.logistic]] as const
  ) {
    const values = x.slice();
    fast(values, values);
    assert.deepEqual(values, formula(x));
  }
});
