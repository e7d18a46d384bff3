import assert from "node:assert/strict";
import { median, pairedRatio } from "../bench/paired.ts";

Deno.test("median: odd and even lengths, unsorted input left as it was; empty is an error", () => {
  const values = [3, 1, 2];
  assert.equal(median(values), 2);
  assert.deepEqual(values, [3, 1, 2]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /empty/);
});

Deno.test("pairedRatio compares within rounds, so a drift that both sides share cancels", () => {
  // Three slow rounds (both sides ~2× slower), then two fast ones; `a` always 5 % faster than `b`.
  const slow = [2, 2, 2], fast = [1, 1];
  const a = [...slow, ...fast].map((t) => [0.95 * t, 0.95 * t, 0.95 * t]);
  const b = [...slow, ...fast].map((t) => [t, t, t]);
  const { ratio, roundRatios } = pairedRatio(a, b);
  assert.equal(roundRatios.length, 5);
  for (const r of roundRatios) assert.ok(Math.abs(r - 0.95) < 1e-12);
  assert.ok(Math.abs(ratio - 0.95) < 1e-12);
  // The machine speeds up between round 3's tfjs block and its torch block: pooled over all
  // runs, 9 of `a`'s 15 are slow and 6 of `b`'s, and the ratio of the pooled medians is 1.9.
  const aDrift = [2, 2, 2, 1, 1].map((t) => [0.95 * t, 0.95 * t, 0.95 * t]);
  const bDrift = [2, 2, 1, 1, 1].map((t) => [t, t, t]);
  const pooled = median(aDrift.flat()) / median(bDrift.flat());
  assert.ok(Math.abs(pooled - 1.9) < 1e-12);
  assert.ok(Math.abs(pairedRatio(aDrift, bDrift).ratio - 0.95) < 1e-12);
});

Deno.test("pairedRatio takes each round's median, so one stray run does not decide", () => {
  const { roundRatios, ratio } = pairedRatio([[0.010, 0.011, 0.050]], [[0.011, 0.011, 0.011]]);
  assert.ok(Math.abs(roundRatios[0] - 1) < 1e-12);
  assert.ok(Math.abs(ratio - 1) < 1e-12);
  assert.ok(pairedRatio([[2]], [[1]]).ratio === 2);
});

Deno.test("pairedRatio refuses unequal rounds, no rounds and non-positive times", () => {
  assert.throws(() => pairedRatio([[1]], [[1], [1]]), /same positive number of rounds/);
  assert.throws(() => pairedRatio([], []), /same positive number of rounds/);
  assert.throws(() => pairedRatio([[0]], [[1]]), /round 1/);
  assert.throws(() => pairedRatio([[1]], [[NaN]]), /round 1/);
});
