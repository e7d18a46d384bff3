/**
 * The checks of chapters 4 and 5's exercises: the backward pass over the layers (`04`), and the
 * sparse autoencoder's derivative of the KL term and its whole gradient (`05`). Each runs the
 * student's function on fresh seeded networks and compares it with central differences of the
 * error — computed through the course's forward definitions (`forward`, `autoencoderObjective`)
 * or, for the KL term, from its formula in float64 — through `lib/nn/diagnose.ts`, which names
 * the kind of mistake. No answer is stored.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randomFor } from "../runtime/random.ts";
import { type Activation, logistic, softplus, tanh } from "../nn/activations.ts";
import {
  binaryClassification,
  multiclassClassification,
  type OutputLayer,
  regression,
} from "../nn/losses.ts";
import { diagnoseValues, type Diagnosis, valuesOf } from "../nn/diagnose.ts";
import {
  createNetwork,
  type DenseLayer,
  disposeNetwork,
  dropoutMasks,
  forward,
  type ForwardPass,
  type Network,
} from "../nn/network.ts";
import {
  type Autoencoder,
  createAutoencoder,
  disposeAutoencoder,
  logisticSquaredError,
} from "../nn/autoencoder.ts";
import {
  type AutoencoderGradients,
  autoencoderObjective,
  type SparsityOptions,
} from "../nn/autoencoder_gradients.ts";
import { firstFailure, GRADIENT_TOLERANCE, numeric, scoped } from "./exercise_checks.ts";

/** The signature of exercise 4-backward's `backward`. */
export type BackwardFn = (net: Network, pass: ForwardPass, D: tf.Tensor) => tf.Tensor[];

/** Random targets [k, n] that fit the output layer (one-hot, 0/1, or real). */
function targetsFor(output: OutputLayer, k: number, n: number, seed: string): tf.Tensor {
  const rng = randomFor(seed);
  if (output === regression) return rng.normalTensor([k, n]);
  const labels = Array.from({ length: n }, () => rng.int(k));
  return tf.tensor2d(
    Array.from(
      { length: k },
      (_, r) =>
        labels.map((label) => output === binaryClassification ? rng.int(2) : +(label === r)),
    ),
  );
}

const superscript = (l: number): string => String(l).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[+d]);

/** The networks the backward pass is checked on: depth, hidden f and output pair vary. */
const BACKWARD_CASES: {
  sizes: number[];
  hidden: Activation;
  output: OutputLayer;
  dropout?: boolean;
}[] = [
  { sizes: [4, 5, 3], hidden: tanh, output: multiclassClassification },
  { sizes: [3, 6, 5, 2], hidden: logistic, output: binaryClassification },
  { sizes: [4, 5, 4, 3, 2], hidden: softplus, output: regression },
  { sizes: [4, 6, 5, 3], hidden: logistic, output: multiclassClassification, dropout: true },
];

/**
 * Check exercise 4-backward's `backward` on four networks (4-5-3 tanh/softmax, 3-6-5-2
 * logistic/logistic, 4-5-4-3-2 softplus/identity, and 4-6-5-3 logistic/softmax with dropout
 * masks on the input and hidden layers) and a minibatch of N = 7: every ∂E/∂W⁽ˡ⁾ and
 * ∂E/∂b⁽ˡ⁾ against central differences of E through `forward`. A fail names the network, the
 * parameter and the kind of mistake; when the output layer agrees and a lower layer does not, it
 * says so (the step from Δ⁽ˡ⁾ to Δ⁽ˡ⁻¹⁾ is then the place to look).
 */
export function checkBackward(backward: BackwardFn): Diagnosis {
  const N = 7;
  for (const [c, { sizes, hidden, output, dropout }] of BACKWARD_CASES.entries()) {
    const where = `on the ${
      sizes.join("-")
    } network (${hidden.name} hidden units, ${output.problem} output${
      dropout ? ", with dropout masks" : ""
    })`;
    const diagnosis = scoped((): Diagnosis => {
      const rng = randomFor(`check-4-backward/${c}`);
      const net = createNetwork(sizes, hidden, output, rng.derive("init"));
      try {
        const X = rng.derive("X").normalTensor([sizes[0], N]);
        const D = targetsFor(output, sizes[sizes.length - 1], N, `check-4-backward/${c}/D`);
        const masks = dropout
          ? dropoutMasks(net, N, { input: 0.2, hidden: 0.5 }, rng.derive("masks"))
          : undefined;
        const grads = backward(net, forward(net, X, masks), D);
        const L = net.layers.length;
        if (!Array.isArray(grads) || grads.length !== 2 * L) {
          return {
            pass: false,
            message: `${where}: backward returned ${
              Array.isArray(grads) ? grads.length : "no array of"
            } gradients, expected 2L = ${2 * L}: ∂E/∂W⁽¹⁾, ∂E/∂b⁽¹⁾, ∂E/∂W⁽²⁾, … in this order`,
          };
        }
        const missing = grads.findIndex((g) => !(g instanceof tf.Tensor));
        if (missing >= 0) {
          const l = Math.floor(missing / 2) + 1;
          return {
            pass: false,
            message: `${where}: grads[${missing}] (∂E/∂${missing % 2 === 0 ? "W" : "b"}⁽${
              superscript(l)
            }⁾) is not a tensor — is every layer's entry filled?`,
          };
        }
        const errorWith = (l: number, part: "W" | "b") => (value: tf.Tensor) => {
          const layers = net.layers.map((layer, i): DenseLayer =>
            i === l ? { ...layer, [part]: value as tf.Variable } : layer
          );
          const changed: Network = { ...net, layers };
          return net.output.error(forward(changed, X, masks).y, D);
        };
        const failures: { layer: number; diagnosis: Diagnosis }[] = [];
        for (let l = L; l >= 1; l--) {
          for (const part of ["W", "b"] as const) {
            const name = `∂E/∂${part}⁽${superscript(l)}⁾`;
            const d = diagnoseValues(
              name,
              valuesOf(grads[2 * l - (part === "W" ? 2 : 1)]),
              numeric(errorWith(l - 1, part), net.layers[l - 1][part]),
              { tolerance: GRADIENT_TOLERANCE, batchSize: N },
            );
            if (!d.pass) failures.push({ layer: l, diagnosis: d });
          }
        }
        if (failures.length === 0) return { pass: true, message: "" };
        const first = failures[0];
        const outputAgrees = first.layer < L;
        return {
          pass: false,
          message: `${where}: ${first.diagnosis.message}${
            dropout
              ? " (without dropout every gradient agrees: the masks multiplied Z⁽ˡ⁾ in the " +
                "forward pass, so Z⁽ˡ⁾ is no longer f(U⁽ˡ⁾))"
              : outputAgrees
              ? ` (layers ${first.layer + 1}…${L} agree: look at how Δ goes down from layer ${
                first.layer + 1
              } to layer ${first.layer})`
              : ""
          }`,
        };
      } finally {
        disposeNetwork(net);
      }
    });
    if (!diagnosis.pass) return diagnosis;
  }
  return {
    pass: true,
    message: "every ∂E/∂W⁽ˡ⁾ and ∂E/∂b⁽ˡ⁾ of four networks (2–4 layers, three hidden f, all " +
      "three output pairs, one with dropout masks; N = 7) agrees with central differences",
  };
}

/** The signature of exercise 5-kl's `sparsityDelta`: ∂(β KL(ρ ‖ ρ̂ⱼ))/∂ρ̂ⱼ, shaped like ρ̂. */
export type SparsityDeltaFn = (rho: number, beta: number, rhoHat: tf.Tensor) => tf.Tensor;

/** β Σⱼ KL(ρ ‖ ρ̂ⱼ) in float64, from the definition. */
function betaKl(rho: number, beta: number, q: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < q.length; j++) {
    sum += rho * Math.log(rho / q[j]) + (1 - rho) * Math.log((1 - rho) / (1 - q[j]));
  }
  return beta * sum;
}

/**
 * Check exercise 5-kl's derivative of the sparsity penalty: at ρ̂ = 0.02 … 0.9 (6 hidden units)
 * for (ρ, β) = (0.05, 3) and (0.2, 0.5), against central differences (in float64) of the KL term
 * alone, β Σⱼ KL(ρ ‖ ρ̂ⱼ) with KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂)). Every fail
 * says "wrong KL derivative" and, where it can, the kind (a sign, a factor such as a missing β).
 */
export function checkSparsityDelta(sparsityDelta: SparsityDeltaFn): Diagnosis {
  const rhoHats = [0.02, 0.05, 0.1, 0.3, 0.6, 0.9];
  for (const [rho, beta] of [[0.05, 3], [0.2, 0.5]]) {
    const diagnosis = scoped((): Diagnosis => {
      const rhoHat = tf.tensor2d(rhoHats, [rhoHats.length, 1]);
      const mine = sparsityDelta(rho, beta, rhoHat);
      const h = 1e-7;
      const reference = rhoHats.map((_, j) => {
        const at = (delta: number) =>
          betaKl(rho, beta, rhoHats.map((q, i) => i === j ? q + delta : q));
        return (at(h) - at(-h)) / (2 * h);
      });
      return diagnoseValues("∂(β KL)/∂ρ̂", valuesOf(mine), {
        shape: [rhoHats.length, 1],
        values: reference,
      }, { tolerance: 1e-4, reference: "central differences of β KL(ρ ‖ ρ̂)" });
    });
    if (!diagnosis.pass) {
      return {
        pass: false,
        message: `wrong KL derivative (ρ = ${rho}, β = ${beta}): ${diagnosis.message}`,
      };
    }
  }
  return {
    pass: true,
    message: "∂(β KL)/∂ρ̂ agrees with central differences of the KL term at six ρ̂ for two (ρ, β)",
  };
}

/** The signature of exercise 5-gradient's `autoencoderGradients` (ρ̂ the batch mean here). */
export type AutoencoderGradientsFn = (
  ae: Autoencoder,
  Xin: tf.Tensor,
  X: tf.Tensor,
  options?: { sparsity?: SparsityOptions },
) => AutoencoderGradients;

/** The autoencoders the gradient is checked on, without and then with the sparsity penalty. */
const AUTOENCODER_CASES: {
  tied: boolean;
  output: OutputLayer;
  sparsity?: SparsityOptions;
}[] = [
  { tied: false, output: binaryClassification },
  { tied: false, output: regression },
  { tied: true, output: binaryClassification },
  { tied: false, output: logisticSquaredError },
  { tied: false, output: binaryClassification, sparsity: { rho: 0.1, beta: 3 } },
  { tied: true, output: regression, sparsity: { rho: 0.2, beta: 0.5 } },
];

/**
 * Check exercise 5-gradient's hand gradient of the sparse autoencoder on a 7-5-7 autoencoder
 * (logistic hidden units) and N = 6 examples: J against `autoencoderObjective`, and every
 * ∂J/∂θ against central differences of J, for untied and tied weights, the three output pairs
 * and two sparsity penalties. A fail names the case and the parameter, and where the cases
 * without the penalty agree, that the KL term's part is what is wrong (likewise tied vs untied,
 * and the unmatched logistic + squared-error pair).
 */
export function checkSparseAutoencoderGradients(
  autoencoderGradients: AutoencoderGradientsFn,
): Diagnosis {
  const N = 6;
  const passed: string[] = [];
  for (const [c, { tied, output, sparsity }] of AUTOENCODER_CASES.entries()) {
    const where = `${tied ? "tied" : "untied"}, ${
      output === logisticSquaredError ? "logistic outputs with squared error" : output.problem
    }${sparsity ? `, sparsity ρ = ${sparsity.rho}, β = ${sparsity.beta}` : ", no sparsity"}`;
    const diagnosis = scoped((): Diagnosis => {
      const rng = randomFor(`check-5-gradient/${c}`);
      const ae = createAutoencoder(7, 5, rng.derive("init"), { tied, output });
      try {
        ae.b.assign(rng.derive("b").normalTensor([5, 1], 0, 0.5) as tf.Tensor2D);
        const X = rng.derive("X").uniformTensor([7, N]);
        const mine = autoencoderGradients(ae, X, X, sparsity ? { sparsity } : {});
        const objective = (changed: Autoencoder) => autoencoderObjective(changed, X, X, sparsity);
        const names = tied ? ["W", "b", "b̃"] : ["W", "b", "W̃", "b̃"];
        const fields: (keyof Autoencoder)[] = tied
          ? ["W", "b", "decoderB"]
          : ["W", "b", "decoderW", "decoderB"];
        const grads = mine?.grads;
        if (!Array.isArray(grads) || grads.length !== names.length) {
          return {
            pass: false,
            message: `grads must hold ${names.length} gradients (${names.join(", ")}), not ${
              Array.isArray(grads) ? grads.length : "none"
            }`,
          };
        }
        const missing = [mine.loss, ...grads].findIndex((g) => !(g instanceof tf.Tensor));
        if (missing >= 0) {
          return {
            pass: false,
            message:
              `${missing === 0 ? "loss" : `grads[${missing - 1}] (∂J/∂${names[missing - 1]})`} ` +
              "is not a tensor",
          };
        }
        const diagnoses = [
          diagnoseValues("J", valuesOf(mine.loss), valuesOf(objective(ae)), {
            tolerance: 1e-4,
            batchSize: N,
            reference: "autoencoderObjective",
          }),
          ...fields.map((field, i) =>
            diagnoseValues(
              `∂J/∂${names[i]}`,
              valuesOf(grads[i]),
              numeric(
                (value) => objective({ ...ae, [field]: value as tf.Variable }),
                ae[field] as tf.Variable,
              ),
              { tolerance: GRADIENT_TOLERANCE, batchSize: N },
            )
          ),
        ];
        return firstFailure(diagnoses, "");
      } finally {
        disposeAutoencoder(ae);
      }
    });
    if (!diagnosis.pass) {
      const plainPassed = passed.some((p) => p.endsWith("no sparsity"));
      const untiedPassed = passed.some((p) => p.startsWith("untied"));
      const hint = sparsity && plainPassed
        ? " — without the penalty every gradient agrees, so the KL term's part of Δʰⁱᵈ is " +
          "wrong: a wrong KL derivative, or β s 1ᵀ added in the wrong place?"
        : tied && untiedPassed
        ? " — untied weights agree: with tied weights W is used twice (encoder and decoder)"
        : output === logisticSquaredError
        ? " — the matched pairs agree: logistic outputs with the squared error are not a " +
          "matched pair, so Δᵒᵘᵗ is not X̂ − X"
        : "";
      return { pass: false, message: `(${where}) ${diagnosis.message}${hint}` };
    }
    passed.push(where);
  }
  return {
    pass: true,
    message: `J and every ∂J/∂θ agree with central differences in all ${passed.length} cases ` +
      "(untied and tied, three output pairs, with and without the KL penalty)",
  };
}
