import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { linearRegressionData, logisticRegressionData } from "../lib/data/synthetic.ts";
import { confusionMatrix } from "../lib/nn/training.ts";
import { Random } from "../lib/runtime/random.ts";

Deno.test("the synthetic data follow the exercises' recipes", () => {
  const a = linearRegressionData(new Random(1));
  assertEquals(a.count, 200);
  assert(a.features.every((x) => x >= -4 && x < 4));
  // d = x − 1 + ε: the residuals have mean ≈ 0 and variance ≈ 1.
  const residuals = Array.from(a.features, (x, n) => a.targets[n] - (x - 1));
  const mean = residuals.reduce((s, r) => s + r, 0) / a.count;
  const variance = residuals.reduce((s, r) => s + (r - mean) ** 2, 0) / a.count;
  assertAlmostEquals(mean, 0, 0.2);
  assertAlmostEquals(variance, 1, 0.25);
  const b = logisticRegressionData(new Random(1), 4000);
  const positive = b.targets.reduce((s, d) => s + d, 0) / b.count;
  assertAlmostEquals(positive, 0.125, 0.03); // the corner above x₂ = x₁ + 1 is 1/8 of the square
});

Deno.test("confusionMatrix counts true class by predicted class and rejects bad classes", () => {
  assertEquals(confusionMatrix([0, 1, 1], [0, 1, 0], 2), [[1, 0], [1, 1]]);
  assertThrows(() => confusionMatrix([0, 1], [0], 2), Error, "2 labels but 1 predictions");
  assertThrows(() => confusionMatrix([0, 2], [0, 1], 2), Error, "example 1 has class 2");
});
