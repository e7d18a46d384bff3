import { assert, assertEquals, assertThrows } from "./assert.ts";
import type { Plot } from "nodeplotlib";
import {
  CLASS_COLORS,
  classPoints,
  classScatter,
  confusionHeatmap,
  heatmap,
} from "../lib/viz/class_charts.ts";
import { inPanel } from "../lib/viz/charts.ts";

Deno.test("class charts: heat map, points by class and confusion matrix check their shapes", () => {
  const map = heatmap({ x: [0, 1], y: [0, 1, 2], z: [[0, 1], [1, 0], [0, 0]] }, {
    range: [0, 1],
    panel: 2,
  }) as unknown as Record<string, unknown>;
  assertEquals([map.zmin, map.zmax, map.xaxis, map.showscale], [0, 1, "x2", false]);
  assertThrows(() => heatmap({ x: [0, 1], y: [0], z: [[0]] }), Error, "one value per x");
  const byClass = classPoints([1, 2, 3], [4, 5, 6], [1, 0, 1], ["a", "b"]) as unknown as {
    x: number[];
    name: string;
  }[];
  assertEquals(byClass.map((t) => [t.name, t.x]), [["a", [2]], ["b", [1, 3]]]);
  assertThrows(() => classPoints([1], [1, 2], [0], ["a"]), Error, "differ in number");
  const confusion = confusionHeatmap([[9, 1], [0, 10]], ["cat", "dog"]) as unknown as {
    z: number[][];
    y: string[];
  };
  assertEquals(confusion.z, [[0, 10], [9, 1]]); // the first true class drawn at the top
  assertEquals(confusion.y, ["dog", "cat"]);
  assertThrows(() => confusionHeatmap([[1]], ["a", "b"]), Error, "2×2");
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
