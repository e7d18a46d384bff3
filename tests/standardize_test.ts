import { assertAlmostEquals, assertThrows } from "./assert.ts";
import { fitStandardizer, standardize } from "../lib/nn/standardize.ts";

Deno.test("standardisation gives mean 0 and std 1 on the training set and reuses its statistics", () => {
  const train = new Float32Array([1, 10, 5, 3, 30, 5, 5, 20, 5]); // 3 rows of 3; last constant
  const s = fitStandardizer(train, 3);
  assertAlmostEquals(s.mean[0], 3, 1e-9);
  assertAlmostEquals(s.std[1], Math.sqrt(200 / 3), 1e-6);
  const x = standardize(s, train);
  for (let i = 0; i < 2; i++) {
    const col = [x[i], x[3 + i], x[6 + i]];
    assertAlmostEquals(col.reduce((a, b) => a + b) / 3, 0, 1e-6);
    assertAlmostEquals(col.reduce((a, b) => a + b * b, 0) / 3, 1, 1e-5);
  }
  assertAlmostEquals(x[2], 0, 0); // constant feature: 0, not NaN
  const test = standardize(s, new Float32Array([3, 20, 6]));
  assertAlmostEquals(test[0], 0, 1e-6);
  assertAlmostEquals(test[2], 1, 1e-6);
  assertThrows(() => fitStandardizer(new Float32Array(5), 2), Error, "rows of 2");
});
