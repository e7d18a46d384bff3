import { assert } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { regression } from "../lib/nn/losses.ts";
import {
  createAutoencoder,
  disposeAutoencoder,
  logisticSquaredError,
} from "../lib/nn/autoencoder.ts";
import { autoencoderGradients } from "../lib/nn/autoencoder_gradients.ts";
import { checkAutoencoderGradients } from "../lib/nn/autoencoder_check.ts";

await initBackend();

for (const tied of [false, true]) {
  for (
    const [name, output] of [
      ["cross-entropy", undefined],
      ["squared error", regression],
      ["logistic + squared error", logisticSquaredError],
    ] as const
  ) {
    Deno.test(`hand gradients = finite differences (${tied ? "tied" : "untied"}, ${name}, with KL sparsity)`, () => {
      const rng = new Random(`${tied}/${name}`);
      const ae = createAutoencoder(7, 5, rng, { tied, output });
      const X = rng.uniformTensor([7, 6]);
      for (const sparsity of [undefined, { rho: 0.1, beta: 3 }]) {
        for (const row of checkAutoencoderGradients(ae, X, X, sparsity)) {
          assert(
            row.handVsNumerical < 1e-6,
            `${row.parameter}: hand vs differences ${row.handVsNumerical}`,
          );
          assert(
            row.handVsAutodiff < 1e-4,
            `${row.parameter}: hand vs autodiff ${row.handVsAutodiff}`,
          );
        }
      }
      X.dispose();
      disposeAutoencoder(ae);
    });
  }
}

Deno.test("the float64 check catches planted bugs: a wrong β, a missing tied term, a wrong output delta", () => {
  const rng = new Random("planted");
  const X = rng.uniformTensor([7, 6]);
  const sparsity = { rho: 0.1, beta: 3 };
  // β counted twice in the hidden deltas (the penalty's gradient doubled, the loss unchanged).
  const doubleBeta: typeof autoencoderGradients = (ae, Xin, D, options) =>
    autoencoderGradients(ae, Xin, D, {
      ...options,
      sparsity: options?.sparsity && { ...options.sparsity, beta: 2 * options.sparsity.beta },
    });
  // The tied W without its decoder term: the untied gradient of W with W̃ = Wᵀ.
  const encoderTermOnly: typeof autoencoderGradients = (ae, Xin, D, options) => {
    const out = autoencoderGradients(ae, Xin, D, options);
    const untied = createAutoencoder(ae.inputSize, ae.hiddenSize, new Random(0));
    untied.W.assign(ae.W);
    tf.tidy(() => untied.decoderW!.assign(tf.transpose(ae.W)));
    untied.decoderB.assign(ae.decoderB);
    const wrong = autoencoderGradients(untied, Xin, D, options);
    disposeAutoencoder(untied);
    tf.dispose([out.grads[0], wrong.loss, wrong.reconstruction, wrong.batchRhoHat]);
    tf.dispose(wrong.grads.slice(1));
    return { ...out, grads: [wrong.grads[0], ...out.grads.slice(1)] };
  };
  // Logistic + squared error treated as a matched pair (Δₒ = X̂ − X, the factor X̂(1 − X̂) lost).
  const matchedDelta: typeof autoencoderGradients = (ae, Xin, D, options) => {
    const pretend = { ...ae, output: { ...logisticSquaredError } };
    return autoencoderGradients(pretend, Xin, D, options);
  };
  const cases = [
    { name: "2β", gradients: doubleBeta, tied: false, output: regression, sparsity },
    { name: "tied term", gradients: encoderTermOnly, tied: true, output: regression },
    { name: "Δₒ", gradients: matchedDelta, tied: false, output: logisticSquaredError },
  ];
  for (const c of cases) {
    const ae = createAutoencoder(7, 5, rng.derive(c.name), { tied: c.tied, output: c.output });
    const rows = checkAutoencoderGradients(ae, X, X, c.sparsity, c.gradients);
    const worst = Math.max(...rows.map((r) => r.handVsNumerical));
    assert(worst > 1e-2, `${c.name}: the planted bug went unseen (${worst})`);
    disposeAutoencoder(ae);
  }
  X.dispose();
});
