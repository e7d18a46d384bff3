/**
 * The chapter-7 set-up: one set-up at a time (a new one frees the previous, so that rerunning a
 * notebook's set-up cell does not pile up networks), an idempotent dispose, and the calibrated α.
 * Skipped, with the reason printed, without the images or the VGG19 weights.
 */
import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { VGG19_FILES } from "../lib/data/external.ts";
import { needsData } from "./external_data.ts";
import {
  calibratedContentWeight,
  GATYS_IMAGES,
  GATYS_LONG_SIDE,
  gatysGridStyle,
  prepareGatysFigure,
} from "../lib/chapters/gatys_figures.ts";

await initBackend();

Deno.test("calibratedContentWeight: α = (α/β)·κ/M", () => {
  assertAlmostEquals(calibratedContentWeight(1e-3, 768), 1e-3 * 0.5 / 768, 1e-18);
  assertEquals(calibratedContentWeight(1e-2, 100, 2), 2e-4);
});

Deno.test("gatysGridStyle: a whole magnification to about the asked size, never below 1", () => {
  assertEquals(gatysGridStyle(3 * GATYS_LONG_SIDE), { padding: 4, scale: 3 });
  assertEquals(gatysGridStyle(2.4 * GATYS_LONG_SIDE).scale, 2);
  assertEquals(gatysGridStyle(GATYS_LONG_SIDE / 4).scale, 1);
  assertThrows(() => gatysGridStyle(0), Error, "must be > 0");
});

const files = [...Object.values(GATYS_IMAGES).map((i) => `gatys/${i.file}`), ...VGG19_FILES];

Deno.test({
  ...await needsData("prepareGatysFigure: a new set-up frees the previous one", files),
  fn: async () => {
    const before = tf.memory().numTensors;
    const first = await prepareGatysFigure(40);
    const held = tf.memory().numTensors - before;
    const second = await prepareGatysFigure(40);
    assertEquals(tf.memory().numTensors - before, held, "one set-up's tensors, not two");
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    assertThrows(() => first.vgg.features(x, ["conv1_1"]), Error, "has been freed");
    first.dispose(); // already freed: nothing happens, the second set-up is untouched
    assertEquals(tf.memory().numTensors - before, held + 1);
    assertEquals(second.alphaFor(1e-3), calibratedContentWeight(1e-3, second.contentPositions));
    second.dispose();
    second.dispose();
    x.dispose();
    assertEquals(tf.memory().numTensors, before, "tensors left behind");
  },
});
