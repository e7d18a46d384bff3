import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import {
  type Activation,
  identity,
  logistic,
  relu,
  softplus,
  tanh,
} from "../lib/nn/activations.ts";
import {
  binaryClassification,
  multiclassClassification,
  type OutputLayer,
  regression,
  softmax,
} from "../lib/nn/losses.ts";
import {
  autodiffGradients,
  backpropGradients,
  backward,
  createNetwork,
  disposeNetwork,
  dropoutMasks,
  forward,
  type ForwardPass,
  layerGradientNorms,
  type Network,
  networkError,
  parameters,
} from "../lib/nn/network.ts";
import {
  checkNetworkGradients,
  networkErrorFloat64,
  relativeError,
  sampledNumericalGradient,
  sampleIndices,
} from "../lib/nn/gradcheck.ts";
import { backpropModel, type History, networkModel, train } from "../lib/nn/training.ts";
import { SGD } from "../lib/optim/sgd.ts";
import { makeDataset } from "../lib/nn/minibatches.ts";

await initBackend();

/** Inputs X [inputs, n] and matching targets D for the output layer, from a seeded stream. */
function batchFor(sizes: readonly number[], output: OutputLayer, n: number, rng: Random) {
  const X = rng.normalTensor([sizes[0], n]);
  const k = sizes[sizes.length - 1];
  let D: tf.Tensor;
  if (output === regression) D = rng.normalTensor([k, n]);
  else if (output === binaryClassification) {
    D = tf.tensor2d(Float32Array.from({ length: k * n }, () => rng.int(2)), [k, n]);
  } else {
    const labels = Int32Array.from({ length: n }, () => rng.int(k));
    D = tf.tidy(() => tf.transpose(tf.oneHot(tf.tensor1d(labels, "int32"), k)).toFloat());
  }
  return { X, D };
}

const ACTIVATIONS: Activation[] = [logistic, tanh, relu, identity, softplus];
const OUTPUTS: OutputLayer[] = [regression, binaryClassification, multiclassClassification];
const SHAPES: number[][] = [[4, 3], [5, 7, 2], [6, 8, 5, 3], [3, 6, 6, 6, 6, 4]];

Deno.test("hand backprop equals tf autodiff within 1e-4 for depths 1–5, all activations and outputs", () => {
  let seed = 0;
  for (const sizes of SHAPES) {
    for (const hidden of ACTIVATIONS) {
      for (const output of OUTPUTS) {
        const rng = new Random(`case-${seed++}`);
        const net = createNetwork(sizes, hidden, output, rng.derive("init"));
        // Random biases: with b = 0 a column of zero inputs gives u = 0 exactly, where ReLU's
        // hand derivative (0) and tfjs's (1) pick different subgradients.
        for (const layer of net.layers) layer.b.assign(rng.normalTensor(layer.b.shape, 0, 0.3));
        const { X, D } = batchFor(sizes, output, 9, rng.derive("data"));
        const hand = backpropGradients(net, X, D);
        const auto = autodiffGradients(net, X, D);
        assertAlmostEquals(hand.loss.dataSync()[0], auto.loss.dataSync()[0], 1e-6);
        hand.grads.forEach((g, i) => {
          assertEquals(g.shape, parameters(net)[i].shape);
          const e = relativeError(g, auto.grads[i]);
          assert(
            e < 1e-4,
            `[${sizes}] ${hidden.name} / ${output.problem}, parameter ${i}: relative error ${e}`,
          );
        });
        tf.dispose([X, D, hand.loss, ...hand.grads, auto.loss, ...auto.grads]);
        disposeNetwork(net);
      }
    }
  }
});

Deno.test("three-way check: hand = autodiff = float64 central differences, sampled on big layers", () => {
  for (const hidden of [logistic, tanh, relu]) {
    const sizes = [60, 40, 20, 10];
    const rng = new Random(`three-way-${hidden.name}`);
    const net = createNetwork(sizes, hidden, multiclassClassification, rng.derive("init"));
    const { X, D } = batchFor(sizes, multiclassClassification, 16, rng.derive("data"));
    const hand = backward(net, forward(net, X), D);
    const rows = checkNetworkGradients(net, X, D, hand, { samples: 25, rng: rng.derive("s") });
    assertEquals(rows.map((r) => r.layer), [1, 2, 3]);
    assertEquals(rows.map((r) => r.shape), ["40×60", "20×40", "10×20"]);
    assertEquals(rows.map((r) => r.checked), [25 + 25, 25 + 20, 25 + 10]);
    for (const row of rows) {
      assert(row.ok, `${hidden.name} layer ${row.layer}: ${JSON.stringify(row)}`);
      assert(row.autodiffVsNumerical < 1e-4, `autodiff vs numerical ${row.autodiffVsNumerical}`);
    }
    tf.dispose([X, D, ...hand]);
    disposeNetwork(net);
  }
});

/** A backward pass with a classic bug: f′ evaluated at the layer's output z instead of u. */
function buggyBackward(net: Network, pass: ForwardPass, D: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const n = pass.y.shape[1]!;
    const grads: tf.Tensor[] = [];
    let delta: tf.Tensor = tf.sub(pass.y, D);
    for (let l = net.layers.length - 1; l >= 0; l--) {
      grads[2 * l] = tf.div(tf.matMul(delta, pass.z[l], false, true), n);
      grads[2 * l + 1] = tf.div(tf.sum(delta, 1, true), n);
      if (l > 0) {
        const back = tf.matMul(net.layers[l].W, delta, true, false);
        delta = tf.mul(net.layers[l - 1].activation!.derivative(pass.z[l]), back); // bug: z, not u
      }
    }
    return grads;
  });
}

Deno.test("the gradient checker flags a planted bug in a backward pass", () => {
  const sizes = [8, 6, 5, 3];
  const rng = new Random("planted");
  const net = createNetwork(sizes, tanh, multiclassClassification, rng.derive("init"));
  const { X, D } = batchFor(sizes, multiclassClassification, 10, rng.derive("data"));
  const pass = forward(net, X);
  const good = backward(net, pass, D);
  const bad = buggyBackward(net, pass, D);
  const goodRows = checkNetworkGradients(net, X, D, good);
  const badRows = checkNetworkGradients(net, X, D, bad);
  assert(goodRows.every((r) => r.ok), "the correct backward pass passes");
  // The output layer's gradient does not go through the bug; the layers below do.
  assert(badRows[2].ok, "layer 3 is untouched by the bug");
  for (const row of badRows.slice(0, 2)) {
    assert(!row.ok, `layer ${row.layer} must be flagged`);
    assert(row.handVsNumerical > 1e-2, `layer ${row.layer}: ${row.handVsNumerical}`);
    assert(row.handVsAutodiff > 1e-2, `layer ${row.layer}: ${row.handVsAutodiff}`);
  }
  tf.dispose([X, D, ...good, ...bad]);
  disposeNetwork(net);
});

Deno.test("dropout in the hand backprop: same masks, same gradients as autodiff and as numbers", () => {
  const sizes = [10, 12, 8, 4];
  // logistic and tanh take f′ from the layer's output, which a mask changes: they must not then.
  for (const activation of [relu, logistic, tanh]) {
    const rng = new Random("dropout");
    const net = createNetwork(sizes, activation, multiclassClassification, rng.derive("init"));
    const { X, D } = batchFor(sizes, multiclassClassification, 7, rng.derive("data"));
    const masks = dropoutMasks(net, 7, { input: 0.2, hidden: 0.5 }, rng.derive("masks"));
    assertEquals(masks.map((m) => m?.shape), [[10, 7], [12, 7], [8, 7]]);
    const hand = backpropGradients(net, X, D, masks);
    const rows = checkNetworkGradients(net, X, D, hand.grads, { masks });
    assert(rows.every((r) => r.ok), `${activation.name}: ${JSON.stringify(rows)}`);
    // The masks matter: without them the gradients differ.
    const plain = backpropGradients(net, X, D);
    assert(relativeError(plain.grads[0], hand.grads[0]) > 1e-2, activation.name);
    assertEquals(dropoutMasks(net, 7, {}, rng).every((m) => m === undefined), true);
    tf.dispose([X, D, hand.loss, ...hand.grads, plain.loss, ...plain.grads, ...masks]);
    disposeNetwork(net);
  }
});

Deno.test("float64 error agrees with the tfjs error; sampled differences; sample indices", () => {
  const sizes = [5, 4, 3];
  for (const output of OUTPUTS) {
    const rng = new Random(`f64-${output.problem}`);
    const net = createNetwork(sizes, softplus, output, rng.derive("init"));
    const { X, D } = batchFor(sizes, output, 6, rng.derive("data"));
    const e32 = tf.tidy(() => networkError(net, X, D).dataSync()[0]);
    assertAlmostEquals(networkErrorFloat64(net, X, D), e32, 1e-5 * Math.max(1, e32));
    tf.dispose([X, D]);
    disposeNetwork(net);
  }
  const indices = sampleIndices(1000, 20, new Random(1));
  assertEquals(indices.length, 20);
  assertEquals(new Set(indices).size, 20);
  assert(indices.every((v, i) => i === 0 || v > indices[i - 1]));
  assertEquals(Array.from(sampleIndices(3, 20, new Random(1))), [0, 1, 2]);
  const W = new Random(2).normalTensor([30, 40]);
  const picks = sampleIndices(W.size, 10, new Random(3));
  const numeric = sampledNumericalGradient((w) => tf.sum(tf.square(w)), W, picks, 1e-2);
  const values = W.dataSync();
  picks.forEach((p, k) => assertAlmostEquals(numeric[k], 2 * values[p], 1e-2));
  W.dispose();
});

Deno.test("backward rejects an unmatched output layer and mismatched targets", () => {
  const unmatched: OutputLayer = {
    problem: "softmax with squared error",
    activation: softmax,
    error: (y, d) => tf.tidy(() => tf.div(tf.mul(0.5, tf.sum(tf.square(tf.sub(d, y)))), 2)),
    f64: { activation: multiclassClassification.f64.activation, error: regression.f64.error },
  };
  const net = createNetwork([3, 4, 2], tanh, unmatched, new Random(1));
  const X = tf.ones([3, 2]);
  assertThrows(() => backward(net, forward(net, X), tf.ones([2, 2])), Error, "matched pairs");
  assertThrows(() => backpropModel(net), Error, "matched pairs");
  const ok = createNetwork([3, 4, 2], tanh, regression, new Random(1));
  assertThrows(() => backward(ok, forward(ok, X), tf.ones([3, 2])), Error, "do not match");
  const deeper = createNetwork([3, 4, 4, 2], tanh, regression, new Random(1));
  assertThrows(() => backward(deeper, forward(ok, X), tf.ones([2, 2])), Error, "the network 3");
  assertThrows(() => forward(ok, X, [undefined, undefined, undefined]), Error, "3 dropout masks");
  disposeNetwork(deeper);
  X.dispose();
  disposeNetwork(net);
  disposeNetwork(ok);
});

Deno.test("one backprop SGD step lowers the loss; no tensor leak over many steps", () => {
  const sizes = [20, 16, 16, 5];
  const rng = new Random("step");
  const { X, D } = batchFor(sizes, multiclassClassification, 32, rng.derive("data"));
  for (const dropout of [undefined, { input: 0.1, hidden: 0.3 }]) {
    const net = createNetwork(sizes, tanh, multiclassClassification, rng.derive("init"));
    const model = backpropModel(net, { dropout });
    const optimizer = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const lossOf = () => tf.tidy(() => networkError(net, X, D).dataSync()[0]);
    const before = lossOf();
    const first = model.lossAndGradients(X as tf.Tensor2D, D as tf.Tensor2D, rng);
    optimizer.step(model.parameters, first.grads);
    tf.dispose([first.loss, ...first.grads]);
    if (dropout === undefined) assert(lossOf() < before, `loss ${before} → ${lossOf()}`);
    const count = tf.memory().numTensors; // velocities now exist
    for (let i = 0; i < 60; i++) {
      const { loss, grads } = model.lossAndGradients(X as tf.Tensor2D, D as tf.Tensor2D, rng);
      optimizer.step(model.parameters, grads);
      tf.dispose([loss, ...grads]);
    }
    assertEquals(tf.memory().numTensors, count, "tensors after 60 steps");
    assert(lossOf() < before, "60 steps lower the loss");
    optimizer.dispose();
    disposeNetwork(net);
  }
  tf.dispose([X, D]);
});

Deno.test("training with hand backprop follows the autodiff model step for step, with and without dropout", async () => {
  const rng = new Random("same-path");
  const features = rng.normalArray(200 * 6);
  const targets = Float32Array.from({ length: 200 }, (_, i) => features[6 * i] > 0 ? 1 : 0);
  const data = makeDataset(features, targets, 6, 1);
  const runs: { history: History; W: number[] }[] = [];
  const dropout = { input: 0.1, hidden: 0.3 };
  const makers = [
    (net: Network) => networkModel(net),
    (net: Network) => backpropModel(net),
    (net: Network) => networkModel(net, { dropout }),
    (net: Network) => backpropModel(net, { dropout }),
  ];
  for (const make of makers) {
    const net = createNetwork([6, 8, 1], logistic, binaryClassification, new Random("w"));
    const history = await train(make(net), data, {
      optimizer: new SGD({ learningRate: 0.5 }),
      epochs: 3,
      batchSize: 20,
      rng: new Random("t"),
      progress: false,
    });
    runs.push({ history, W: Array.from(net.layers[0].W.dataSync()) });
    disposeNetwork(net);
  }
  for (const [a, b] of [[0, 1], [2, 3]]) {
    assert(relativeError(runs[a].W, runs[b].W) < 1e-4, `same weights after 3 epochs (${a}, ${b})`);
    runs[a].history.trainLoss.forEach((l, i) =>
      assertAlmostEquals(runs[b].history.trainLoss[i], l, 1e-4)
    );
    assert(runs[b].history.trainLoss[3] < runs[b].history.trainLoss[0]);
  }
  // The same masks were drawn, yet dropout changed the path.
  assert(relativeError(runs[0].W, runs[2].W) > 1e-3, "dropout makes a difference");
});

Deno.test("creating and disposing a network leaves no tensors", () => {
  const before = tf.memory().numTensors;
  const net = createNetwork([7, 5, 3], relu, regression, new Random(1));
  assertEquals(tf.memory().numTensors, before + 4, "W⁽¹⁾, b⁽¹⁾, W⁽²⁾, b⁽²⁾");
  disposeNetwork(net);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("layerGradientNorms: one entry per layer, Frobenius norms", () => {
  const grads = [
    tf.tensor2d([[3, 4]]),
    tf.tensor2d([[0]]),
    tf.tensor2d([[1], [1]]),
    tf.zeros([2, 1]),
  ];
  const norms = layerGradientNorms(grads);
  assertEquals(norms.map((n) => n.layer), [1, 2]);
  assertAlmostEquals(norms[0].weightNorm, 5, 1e-6);
  assertAlmostEquals(norms[0].weightRms, 5 / Math.sqrt(2), 1e-6);
  assertAlmostEquals(norms[1].weightNorm, Math.SQRT2, 1e-6);
  assertEquals(norms[1].biasNorm, 0);
  assertThrows(() => layerGradientNorms(grads.slice(0, 3)), Error, "pairs");
  tf.dispose(grads);
});

Deno.test("vanishing gradients: through six logistic layers ∂E/∂W⁽ˡ⁾ shrinks towards the input, through tanh it does not", () => {
  const sizes = [50, 50, 50, 50, 50, 50, 50, 10];
  const rng = new Random("vanishing");
  const { X, D } = batchFor(sizes, multiclassClassification, 200, rng.derive("data"));
  const before = tf.memory().numTensors;
  /** RMS entry of ∂E/∂W⁽ˡ⁾ per layer at initialisation (σ = 1/√fan-in), by hand backprop. */
  const profile = (activation: Activation) => {
    const net = createNetwork(sizes, activation, multiclassClassification, rng.derive("init"));
    const { loss, grads } = backpropGradients(net, X, D);
    const rms = layerGradientNorms(grads).map((n) => n.weightRms);
    tf.dispose([loss, ...grads]);
    disposeNetwork(net);
    return rms;
  };
  const sigmoid = profile(logistic);
  const tangent = profile(tanh);
  assertEquals(sigmoid.length, 7);
  assertEquals(tf.memory().numTensors, before, "no tensors left");
  // f′ ≤ 1/4 for the logistic function: six layers shrink the deltas by about 4⁻⁵ from layer 6 to 1.
  assert(sigmoid[0] / sigmoid[5] < 1e-2, `logistic ratio ${sigmoid[0] / sigmoid[5]}`);
  assert(tangent[0] / tangent[5] > 0.2, `tanh ratio ${tangent[0] / tangent[5]}`);
  tf.dispose([X, D]);
});
