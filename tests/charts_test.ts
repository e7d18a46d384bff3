import { assert, assertEquals, assertThrows } from "./assert.ts";
import { chartLayout, histogram, line, onceInLegend, PALETTE, points } from "../lib/viz/charts.ts";

Deno.test("line and points: palette colours, dashes, markers, panels, legend entries", () => {
  const a = line([1, 2], [3, 4], "a") as unknown as Record<string, unknown>;
  assert(
    JSON.stringify(a) === JSON.stringify({
      x: [1, 2],
      y: [3, 4],
      mode: "lines",
      name: "a",
      line: { color: PALETTE[0] },
    }),
    JSON.stringify(a),
  );
  const b = line([1], [2], "b", { color: 2, dash: "dash", markers: true, panel: 2, legend: false });
  assert(
    JSON.stringify(b) === JSON.stringify({
      x: [1],
      y: [2],
      mode: "lines+markers",
      name: "b",
      line: { color: PALETTE[2], dash: "dash" },
      showlegend: false,
      xaxis: "x2",
      yaxis: "y2",
    }),
    JSON.stringify(b),
  );
  const p = points([0], [1], "data") as unknown as { marker: { color: string } };
  assert(p.marker.color === "black");
  assertThrows(() => line([1], [1], "c", { color: PALETTE.length }), Error, "palette index");
  assertThrows(() => line([1], [1], "c", { panel: 0 }), Error, "panel");
});

Deno.test("chartLayout: one row of panels, axes with log/range/powers, legend below", () => {
  const layout = chartLayout({
    title: "t",
    x: ["epoch", { title: "λ", log: true, powers: true }],
    y: { title: "E", log: true, range: [-2, 1] },
    panelTitles: ["left", "right"],
    legendBelow: true,
    equalAxes: true,
    layout: { barmode: "overlay" },
  }) as Record<string, unknown>;
  const json = (k: string) => JSON.stringify(layout[k]);
  assert(json("grid") === JSON.stringify({ rows: 1, columns: 2, pattern: "independent" }));
  assert(json("xaxis") === JSON.stringify({ title: { text: "epoch" } }), json("xaxis"));
  assert(
    json("xaxis2") ===
      JSON.stringify({ title: { text: "λ" }, type: "log", exponentformat: "power" }),
    json("xaxis2"),
  );
  for (const [k, anchor] of [["yaxis", "x"], ["yaxis2", "x2"]]) {
    const want = { title: { text: "E" }, type: "log", range: [-2, 1], scaleanchor: anchor };
    assert(json(k) === JSON.stringify(want), json(k));
  }
  assert((layout.legend as { orientation: string }).orientation === "h");
  assert((layout.annotations as unknown[]).length === 2 && layout.barmode === "overlay");
  const single = chartLayout({ title: "s", x: "x", y: "y" }) as Record<string, unknown>;
  assert(single.grid === undefined && single.xaxis2 === undefined && single.legend === undefined);
  const titled = chartLayout({ title: "p", x: "x", y: "y", panelTitles: ["a", "b"] });
  assert(JSON.stringify((titled as Record<string, unknown>).yaxis2) === '{"title":{"text":"y"}}');
  assertThrows(
    () => chartLayout({ title: "t", x: ["a", "b", "c"], y: ["d", "e"] }),
    Error,
    "3 x axes and 2 y axes",
  );
});

Deno.test("onceInLegend: a repeated name gets no second legend entry, unless it asks for one", () => {
  const traces = onceInLegend([
    line([1], [1], "run"),
    line([1], [2], "run", { panel: 2 }),
    line([1], [3], "other", { panel: 2 }),
    { ...line([1], [4], "run"), showlegend: true },
  ]) as unknown as { showlegend?: boolean }[];
  assert(JSON.stringify(traces.map((t) => t.showlegend)) === "[null,false,null,true]");
});

Deno.test("histogram counts into [start + k·size, start + (k+1)·size), leaves out what is outside, sends only the bins", () => {
  const values = [0, 0.019, 0.02, 0.5, 0.999, 1, -0.1, 0.04];
  const trace = histogram(values, "h", { start: 0, end: 1, size: 0.02 }) as unknown as {
    x: number[];
    y: number[];
    width: number;
    type: string;
  };
  assertEquals(trace.type, "bar");
  assertEquals(trace.x.length, 50);
  assertEquals(trace.width, 0.02);
  assertEquals([trace.y[0], trace.y[1], trace.y[2], trace.y[25], trace.y[49]], [2, 1, 1, 1, 1]);
  assertEquals(trace.y.reduce((a, b) => a + b, 0), 6); // 1 and −0.1 are outside [0, 1)
  const fractions = histogram(values, "h", { start: 0, end: 1, size: 0.02 }, 0, {
    probability: true,
  }) as unknown as { y: number[] };
  assertEquals(fractions.y[0], 2 / values.length);
  const many = histogram(new Float32Array(400_000).fill(0.3), "many", {
    start: 0,
    end: 1,
    size: 0.02,
  });
  assert(JSON.stringify(many).length < 5_000, "400 000 values become 50 bars");
  assertThrows(() => histogram([1], "bad", { start: 1, end: 0, size: 0.1 }), Error, "bins need");
});
