import { assert, assertThrows } from "./assert.ts";
import { chartLayout, line, onceInLegend, PALETTE, points } from "../lib/viz/charts.ts";

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
