import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { showImageRows, showTilePanels } from "../lib/viz/tile_panels.ts";
import { CLASS_COLORS, classScatter, inPanel } from "../lib/viz/chart_extras.ts";
import type { Plot } from "nodeplotlib";

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

Deno.test("classScatter: one trace per class with its points and colour; inPanel moves a trace", () => {
  const traces = classScatter([0, 1, 2, 3], [4, 5, 6, 7], [2, 0, 2, 9], 2) as unknown as {
    name: string;
    x: number[];
    y: number[];
    marker: { color: string };
    xaxis: string;
    yaxis: string;
    showlegend: boolean;
  }[];
  assertEquals(traces.map((t) => t.name), ["0", "2", "9"]);
  assertEquals(traces[1].x, [0, 2]);
  assertEquals(traces[1].y, [4, 6]);
  assertEquals(traces[2].marker.color, CLASS_COLORS[9]);
  assert(traces.every((t) => t.xaxis === "x2" && t.yaxis === "y2" && t.showlegend === false));
  assertThrows(() => classScatter([0], [0], [10]), Error, "label 10");
  assertThrows(() => classScatter([0, 1], [0], [1, 1]), Error, "differ");
  const moved = inPanel({ x: [1], y: [2] } as unknown as Plot, 1) as unknown as { xaxis: string };
  assertEquals(moved.xaxis, "x");
  assertThrows(() => inPanel({} as Plot, 0), Error, "panel must be");
});
