import { assert } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  createLinearModel,
  disposeLinearModel,
  linearGradients,
  type LinearOutput,
} from "../lib/nn/linear_models.ts";
import { numericalGradient, relativeError } from "../lib/nn/gradcheck.ts";
import { Random } from "../lib/runtime/random.ts";
import { normal } from "../lib/nn/initializers.ts";

await initBackend();

const CASES: [LinearOutput, number][] = [["identity", 2], ["logistic", 1], ["softmax", 3]];

function targets(output: LinearOutput, outputs: number, n: number, rng: Random): tf.Tensor2D {
  if (output === "identity") return rng.normalTensor([outputs, n]) as tf.Tensor2D;
  if (output === "logistic") {
    return tf.tensor2d(Array.from({ length: n }, () => rng.int(2)), [1, n]);
  }
  const labels = Array.from({ length: n }, () => rng.int(outputs));
  return tf.tidy(() => tf.transpose(tf.cast(tf.oneHot(labels, outputs), "float32")) as tf.Tensor2D);
}

Deno.test("hand-written gradients of the three single-layer models match autodiff and finite differences", () => {
  const rng = new Random(21);
  for (const [output, outputs] of CASES) {
    const model = createLinearModel(4, outputs, output, rng, normal(0.5));
    model.b.assign(rng.normalTensor([outputs, 1]));
    const X = rng.normalTensor([4, 6]);
    const D = targets(output, outputs, 6, rng);
    const { dW, db } = linearGradients(model, X, D);
    const lossOf = () => model.error(model.predict(X as tf.Tensor2D), D);
    const auto = tf.variableGrads(lossOf, [model.W, model.b]);
    const errW = relativeError(dW, auto.grads[model.W.name]);
    const errB = relativeError(db, auto.grads[model.b.name]);
    assert(errW < 1e-5 && errB < 1e-5, `${output}: autodiff ${errW}, ${errB}`);
    const numericW = numericalGradient((W) => {
      const saved = model.W.clone();
      model.W.assign(W);
      const e = lossOf();
      model.W.assign(saved);
      saved.dispose();
      return e;
    }, model.W);
    assert(relativeError(dW, numericW) < 5e-3, `${output}: numeric ${relativeError(dW, numericW)}`);
    disposeLinearModel(model);
  }
});
