import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import {
  heNormal,
  heUniform,
  initializeNetwork,
  normal,
  uniform,
  xavierNormal,
  xavierUniform,
} from "../lib/nn/initializers.ts";
import { createNetwork } from "../lib/nn/network.ts";
import { relu } from "../lib/nn/activations.ts";
import { regression } from "../lib/nn/losses.ts";
import { Random } from "../lib/runtime/random.ts";

await initBackend();

Deno.test("each initializer draws the variance it promises, with mean 0", () => {
  const shape = [200, 300] as const;
  for (
    const init of [uniform(0.2), normal(0.05), xavierUniform, xavierNormal, heUniform, heNormal]
  ) {
    const W = init.draw(shape, new Random(7));
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
  assertThrows(() => uniform(0), Error, "positive");
});

Deno.test("initializers are deterministic and initializeNetwork sets W and zero biases", () => {
  const a = heNormal.draw([3, 4], new Random(1)).dataSync();
  const b = heNormal.draw([3, 4], new Random(1)).dataSync();
  assert(a.every((v, i) => v === b[i]));
  const net = createNetwork([4, 6, 2], relu, regression, new Random(2));
  net.layers[0].b.assign(tf.onesLike(net.layers[0].b));
  initializeNetwork(net, uniform(0.01), new Random(3));
  assert(net.layers.every((l) => l.W.dataSync().every((v) => Math.abs(v) <= 0.01)));
  assert(net.layers.every((l) => l.b.dataSync().every((v) => v === 0)));
});
