import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  confusionMatrix,
  logisticRegressionExercise,
  softmaxIrisExercise,
} from "../lib/nn/exercises.ts";
import { linearRegressionData, logisticRegressionData } from "../lib/data/synthetic.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

Deno.test("the synthetic data follow the exercises' recipes", () => {
  const a = linearRegressionData(new Random(1));
  assertEquals(a.count, 200);
  assert(a.features.every((x) => x >= -4 && x < 4));
  const b = logisticRegressionData(new Random(1), 4000);
  const positive = b.targets.reduce((s, d) => s + d, 0) / b.count;
  assertAlmostEquals(positive, 0.125, 0.03); // the corner above x₂ = x₁ + 1 is 1/8 of the square
});

Deno.test("exercise 3b: logistic regression beats the majority-class baseline (quick mode)", async () => {
  const r = await logisticRegressionExercise();
  assert(r.majorityBaseline > 0.8, `baseline ${r.majorityBaseline}`);
  assert(r.accuracy >= r.majorityBaseline + 0.05, `${r.accuracy} vs ${r.majorityBaseline}`);
  // The learned boundary x₂ = −(w₁x₁ + b)/w₂ is near the true x₂ = x₁ + 1.
  assertAlmostEquals(-r.boundary.w1 / r.boundary.w2, 1, 0.3);
  assertAlmostEquals(-r.boundary.b / r.boundary.w2, 1, 0.3);
});

Deno.test("exercise 3c: softmax regression reaches ≥ 95% test accuracy on Iris (quick mode)", async () => {
  const r = await softmaxIrisExercise();
  assert(r.testAccuracy >= 0.95, `test accuracy ${r.testAccuracy}`);
  assertEquals(r.confusion.flat().reduce((a, b) => a + b), r.test.count);
  assertEquals(confusionMatrix([0, 1, 1], [0, 1, 0], 2), [[1, 0], [1, 1]]);
});
