import { assertAlmostEquals, assertThrows } from "./assert.ts";
import {
  constantRate,
  exponentialDecay,
  inverseTimeDecay,
  stepDecay,
} from "../lib/optim/schedules.ts";

Deno.test("schedules give their formulas", () => {
  assertAlmostEquals(constantRate(0.1)(50), 0.1);
  assertAlmostEquals(stepDecay(0.1, 0.5, 10)(9), 0.1);
  assertAlmostEquals(stepDecay(0.1, 0.5, 10)(25), 0.025);
  assertAlmostEquals(exponentialDecay(0.1, 0.9)(2), 0.081, 1e-12);
  assertAlmostEquals(inverseTimeDecay(0.1, 1)(3), 0.025);
  assertThrows(() => constantRate(0), Error, "positive");
  assertThrows(() => stepDecay(0.1, 2, 1), Error, "factor");
});
