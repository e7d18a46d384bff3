import { assertEquals, assertRejects } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { showImageRows, showTilePanels } from "../lib/viz/tile_panels.ts";

await initBackend();

Deno.test("showTilePanels and showImageRows refuse rows of the wrong size, naming the panel", async () => {
  const rows = tf.zeros([4, 10]);
  await assertRejects(
    () => showTilePanels("t", [{ rows, title: "weights" }]),
    Error,
    'panel "weights": expected rows of 28×28',
  );
  const a = tf.zeros([3, 784]), b = tf.zeros([2, 784]);
  await assertRejects(
    () => showImageRows("r", { digits: a, reconstructions: b }),
    Error,
    "digits: 3, reconstructions: 2",
  );
  tf.dispose([rows, a, b]);
  assertEquals(tf.memory().numTensors, 0);
});
