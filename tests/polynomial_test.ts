import { assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { legendreFeatures, legendreValues } from "../lib/data/polynomial.ts";

Deno.test("Legendre values match the closed forms P₂ = (3t² − 1)/2 and P₃ = (5t³ − 3t)/2", () => {
  for (const t of [-1, -0.3, 0, 0.5, 1]) {
    const p = legendreValues(t, 3);
    assertAlmostEquals(p[0], 1, 1e-12);
    assertAlmostEquals(p[1], t, 1e-12);
    assertAlmostEquals(p[2], (3 * t * t - 1) / 2, 1e-12);
    assertAlmostEquals(p[3], (5 * t ** 3 - 3 * t) / 2, 1e-12);
  }
  assertEquals(legendreValues(0.2, 0), [1]);
});

Deno.test("Legendre features rescale the input range to [−1, 1] and leave out P₀", () => {
  const phi = legendreFeatures([0, 0.5, 1], 2);
  assertEquals(Array.from(phi), [-1, 1, 0, -0.5, 1, 1]);
  assertEquals(legendreFeatures([2], 1, [0, 4])[0], 0);
  assertEquals(legendreFeatures([1, 2], 0).length, 0);
  assertThrows(() => legendreFeatures([1], 2, [1, 1]), Error, "hi > lo");
});
