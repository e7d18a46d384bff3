import { assert, assertEquals } from "./assert.ts";
import { perceptronOutput, trainPerceptron } from "../lib/nn/perceptron.ts";

const corners = [[0, 0], [0, 1], [1, 0], [1, 1]];

Deno.test("the perceptron learns AND and OR (linearly separable)", () => {
  for (const targets of [[0, 0, 0, 1], [0, 1, 1, 1]] as (0 | 1)[][]) {
    const p = trainPerceptron(corners, targets);
    assert(p.converged);
    assertEquals(corners.map((x) => perceptronOutput(p, x)), targets);
  }
});

Deno.test("the perceptron never classifies XOR correctly", () => {
  const p = trainPerceptron(corners, [0, 1, 1, 0], { epochs: 500 });
  assert(!p.converged);
  assertEquals(p.errorsPerEpoch.length, 500);
  assert(Math.min(...p.errorsPerEpoch) >= 1);
});
