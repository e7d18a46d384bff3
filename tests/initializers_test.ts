import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  fanInNormal,
  heNormal,
  heUniform,
  normal,
  ufldlUniform,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from "../lib/nn/initializers.ts";
import { createNetwork, disposeNetwork } from "../lib/nn/network.ts";
import { createLinearModel, disposeLinearModel } from "../lib/nn/linear_models.ts";
import { createAutoencoder, disposeAutoencoder } from "../lib/nn/autoencoder.ts";
import { Conv2DLayer } from "../lib/nn/conv.ts";
import { createCnn, disposeCnn } from "../lib/nn/cnn.ts";
import { relu, tanh } from "../lib/nn/activations.ts";
import { regression } from "../lib/nn/losses.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

Deno.test("each initializer draws the variance it promises, with mean 0", () => {
  const shape = [200, 300] as const;
  for (
    const init of [
      uniform(0.2),
      normal(0.05),
      fanInNormal,
      xavierUniform,
      xavierNormal,
      heUniform,
      heNormal,
      ufldlUniform,
    ]
  ) {
    const W = init.draw(shape, new Random(7));
    assertEquals(W.shape, [200, 300]);
    const values = W.dataSync();
    let mean = 0, sq = 0;
    for (const v of values) [mean, sq] = [mean + v / values.length, sq + (v * v) / values.length];
    const expected = init.variance(shape[1], shape[0]);
    assertAlmostEquals(mean, 0, 4 * Math.sqrt(expected / values.length), `${init.name} mean`);
    assert(Math.abs(sq / expected - 1) < 0.03, `${init.name}: variance ${sq} vs ${expected}`);
    W.dispose();
  }
  assertAlmostEquals(heNormal.variance(50, 7), 2 / 50, 1e-12);
  assertAlmostEquals(xavierUniform.variance(50, 70), 2 / 120, 1e-12);
  assertAlmostEquals(ufldlUniform.variance(50, 70), 2 / 121, 1e-12);
  assertAlmostEquals(fanInNormal.variance(50, 70), 1 / 50, 1e-12);
  assertThrows(() => uniform(0), Error, "positive");
  assertThrows(() => normal(-1), Error, "positive");
  assertThrows(() => heNormal.draw([3, 0], new Random(1)), Error, "[fanOut, fanIn]");
});

Deno.test("zeros draws nothing from the stream", () => {
  const rng = new Random(4);
  const W = zeros.draw([3, 4], rng);
  assert(W.dataSync().every((v) => v === 0));
  assertEquals(rng.uniform(0, 1), new Random(4).uniform(0, 1));
  W.dispose();
});

// The networks, linear models and autoencoders draw their weights through the initializers; these
// draws must stay those of the explicit formulas they replaced (same stream, order, distribution).
const bits = (t: tf.Tensor) => Array.from(t.dataSync());

Deno.test("createNetwork draws N(0, 1/fanIn) layer by layer, bit for bit, or by its init", () => {
  const tensors = tf.memory().numTensors;
  const net = createNetwork([5, 7, 3, 2], tanh, regression, new Random("net"));
  const rng = new Random("net");
  for (const [l, fanIn] of [5, 7, 3].entries()) {
    const units = net.sizes[l + 1];
    const expected = rng.normalTensor([units, fanIn], 0, 1 / Math.sqrt(fanIn));
    assertEquals(bits(net.layers[l].W), bits(expected), `layer ${l + 1}`);
    assert(net.layers[l].b.dataSync().every((v) => v === 0));
    expected.dispose();
  }
  const he = createNetwork([5, 7, 2], relu, regression, new Random("he"), heNormal);
  const rngHe = new Random("he");
  const first = rngHe.normalTensor([7, 5], 0, Math.sqrt(2 / 5));
  assertEquals(bits(he.layers[0].W), bits(first));
  first.dispose();
  disposeNetwork(net);
  disposeNetwork(he);
  assertEquals(tf.memory().numTensors, tensors);
});

Deno.test("createLinearModel draws N(0, 0.01²) by default, or zeros, bit for bit", () => {
  const tensors = tf.memory().numTensors;
  const model = createLinearModel(6, 3, "softmax", new Random("lin"));
  const expected = new Random("lin").normalTensor([3, 6], 0, 0.01);
  assertEquals(bits(model.W), bits(expected));
  const flat = createLinearModel(6, 1, "identity", new Random("lin"), zeros);
  assert(flat.W.dataSync().every((v) => v === 0));
  expected.dispose();
  disposeLinearModel(model);
  disposeLinearModel(flat);
  assertEquals(tf.memory().numTensors, tensors);
});

Deno.test("createAutoencoder draws W, then W̃, from U(±√(6/(in + hidden + 1))), bit for bit", () => {
  for (const tied of [false, true]) {
    const ae = createAutoencoder(9, 4, new Random("ae"), { tied });
    const rng = new Random("ae");
    const r = Math.sqrt(6 / (9 + 4 + 1));
    const W = rng.uniformTensor([4, 9], -r, r), Wd = rng.uniformTensor([9, 4], -r, r);
    assertEquals(bits(ae.W), bits(W));
    if (!tied) assertEquals(bits(ae.decoderW!), bits(Wd));
    assertEquals(ae.decoderW === undefined, tied);
    tf.dispose([W, Wd]);
    disposeAutoencoder(ae);
  }
});

Deno.test("convolution layers and the CNN's dense layers draw He-normal weights, bit for bit", () => {
  const layer = new Conv2DLayer(
    { filterSize: 3, inChannels: 2, outChannels: 4 },
    new Random("conv"),
  );
  const expected = new Random("conv").normalArray(3 * 3 * 2 * 4, 0, Math.sqrt(2 / (3 * 3 * 2)));
  assertEquals(Array.from(layer.W.dataSync()), Array.from(expected));
  assertEquals(layer.W.shape, [3, 3, 2, 4]);
  layer.dispose();
  const cnn = createCnn({ channels: [2], filterSize: 3, hidden: 5 }, new Random("cnn"));
  const fanIn = cnn.hidden.W.shape[1];
  const hidden = new Random("cnn").derive("hidden").normalArray(5 * fanIn, 0, Math.sqrt(2 / fanIn));
  assertEquals(Array.from(cnn.hidden.W.dataSync()), Array.from(hidden));
  disposeCnn(cnn);
  assertThrows(() => heNormal.drawShaped([3, 0], 1, 1, new Random(1)), Error, "positive integers");
});
