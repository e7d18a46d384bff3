/**
 * The chapter-7 set-up: one set-up at a time (a new one frees the previous, so that rerunning a
 * notebook's set-up cell does not pile up networks), an idempotent dispose, and α by the balance
 * rule (pulls measured once per painting, without leaking tensors).
 * Skipped, with the reason printed, without the images or the VGG19 weights.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { VGG19_FILES } from "../lib/data/external.ts";
import { needsData } from "./external_data.ts";
import { BALANCED_RATIO, balancedContentWeight } from "../lib/vision/style_balance.ts";
import {
  BALANCE_PAINTING,
  GATYS_IMAGES,
  GATYS_LONG_SIDE,
  gatysGridStyle,
  prepareGatysFigure,
} from "../lib/chapters/gatys_figures.ts";

await initBackend();

Deno.test("balancedContentWeight: α = (α/β)/10⁻³ · style pull / content pull", () => {
  const pulls = { content: 200, style: 2e-5 };
  assertEquals(BALANCED_RATIO, 1e-3);
  assertAlmostEquals(balancedContentWeight(1e-3, pulls), 1e-7, 1e-20); // equal pulls at 10⁻³
  assertAlmostEquals(balancedContentWeight(1e-5, pulls), 1e-9, 1e-22); // ∝ α/β
  for (const bad of [{ content: 0, style: 1 }, { content: 1, style: Number.NaN }]) {
    assertThrows(() => balancedContentWeight(1e-3, bad), Error, "must be positive");
  }
  assertThrows(() => balancedContentWeight(-1, pulls), Error, "α/β = -1");
  // anchored elsewhere: equal pulls at the given α/β, and still ∝ α/β
  assertAlmostEquals(balancedContentWeight(1e-4, pulls, 1e-4), 1e-7, 1e-20);
  assertAlmostEquals(balancedContentWeight(1e-3, pulls, 1e-4), 1e-6, 1e-19);
  assertThrows(() => balancedContentWeight(1e-3, pulls, 0), Error, "balanced at 0");
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
    const counted = tf.memory().numTensors;
    const pulls = second.pulls("starry_night");
    assertEquals(tf.memory().numTensors, counted, "measuring the pulls leaks no tensor");
    assertEquals(second.pulls("starry_night"), pulls, "measured once, then remembered");
    assertEquals(BALANCE_PAINTING, "starry_night");
    assertEquals(second.alphaFor(1e-4), balancedContentWeight(1e-4, pulls));
    // the balance at α: α·‖∇L_content‖ = ‖∇L_style‖ at the paper's 10⁻³ for the figure-2C pair
    assertAlmostEquals(second.alphaFor(1e-3) * pulls.content, pulls.style, 1e-12);
    const other = second.pulls("seated_nude");
    assertEquals(other.content, pulls.content, "the photo's pull is the photo's");
    assert(other.style !== pulls.style, "each painting pulls with its own strength");
    second.dispose();
    second.dispose();
    x.dispose();
    assertEquals(tf.memory().numTensors, before, "tensors left behind");
    assertThrows(() => second.pulls("shipwreck"), Error, "has been freed");
  },
});
