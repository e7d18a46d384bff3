import { assert, assertEquals, assertThrows } from "./assert.ts";
import { diagramGeometry, diagramSvg, type NetworkDiagram } from "../lib/viz/diagram.ts";
import { renderSvgPng } from "../lib/viz/text.ts";

/** Exercise 3c's network: 4 inputs and a constant 1, 3 softmax outputs. */
const softmaxNet: NetworkDiagram = {
  layers: [
    { name: "input", units: ["x₁", "x₂", "x₃", "x₄"], bias: true },
    { name: "softmax", units: ["y₁", "y₂", "y₃"] },
  ],
  weights: ["W (3×4), b"],
  error: { label: "E = −Σₖ dₖ log yₖ", target: "d" },
};

Deno.test("diagramGeometry: one circle per unit, every unit joined to the next layer, outputs to the error", () => {
  const g = diagramGeometry(softmaxNet);
  assertEquals(g.units.length, 4 + 1 + 3);
  assertEquals(g.units.filter((u) => u.constant).map((u) => u.label), ["1"]);
  // (4 inputs + the constant) × 3 outputs, 3 outputs → error box, the target → error box.
  assertEquals(g.edges.length, 5 * 3 + 3 + 1);
  const labels = g.texts.map((t) => t.text);
  for (const label of ["x₁", "y₃", "input", "softmax", "W (3×4), b", "E = −Σₖ dₖ log yₖ", "d"]) {
    assert(labels.includes(label), `label ${label} missing from ${labels}`);
  }
  // Without a target, no arrow into the box from below; a hidden layer receives and sends edges.
  const deep = diagramGeometry({
    layers: [
      { name: "in", units: ["x₁", "x₂"], bias: true },
      { name: "hidden", units: ["h₁", "h₂", "h₃"], bias: true },
      { name: "out", units: ["y"] },
    ],
    error: { label: "E" },
  });
  assertEquals(deep.units.length, 3 + 4 + 1);
  assertEquals(deep.edges.length, 3 * 3 + 4 * 1 + 1); // the hidden constant receives no edge
});

Deno.test("diagramGeometry: everything lies inside the picture, which grows with layers and units", () => {
  const g = diagramGeometry(softmaxNet);
  for (const u of g.units) {
    assert(u.x - g.radius >= 0 && u.x + g.radius <= g.width, `unit ${u.label} x ${u.x}`);
    assert(u.y - g.radius >= 0 && u.y + g.radius <= g.height, `unit ${u.label} y ${u.y}`);
  }
  for (const e of g.edges) {
    for (const [x, y] of [[e.x1, e.y1], [e.x2, e.y2]]) {
      assert(x >= 0 && x <= g.width && y >= 0 && y <= g.height, `edge end (${x}, ${y})`);
    }
  }
  const box = g.errorBox;
  assert(box.x + box.width <= g.width && box.y >= 0 && box.y + box.height <= g.height);
  // A column of units is UNIT_GAP apart: more units make it taller, more layers wider.
  const small = diagramGeometry({
    layers: [{ name: "in", units: ["x"] }, { name: "out", units: ["y"] }],
    error: { label: "E" },
  });
  const tall = diagramGeometry({
    layers: [{ name: "in", units: ["a", "b", "c"] }, { name: "out", units: ["y"] }],
    error: { label: "E" },
  });
  const wide = diagramGeometry({
    layers: [{ name: "in", units: ["x"] }, { name: "h", units: ["h"] }, {
      name: "out",
      units: ["y"],
    }],
    error: { label: "E" },
  });
  assertEquals(tall.height - small.height, 2 * 50);
  assertEquals(wide.width - small.width, 150);
  // A longer error label widens the box and the picture.
  const longer = diagramGeometry({
    ...softmaxNet,
    error: { label: `${softmaxNet.error.label}!!!!` },
  });
  assert(longer.errorBox.width > g.errorBox.width && longer.width > g.width);
});

Deno.test("diagramSvg: labels are escaped, and resvg renders it at its stated size", async () => {
  const svg = diagramSvg({
    layers: [{ name: "in <&>", units: ["x\"'"] }, { name: "out", units: ["y"] }],
    error: { label: "E < 1 & more" },
  });
  assert(svg.includes("in &#60;&#38;&#62;") && svg.includes("x&#34;&#39;"), svg);
  assert(svg.includes("E &#60; 1 &#38; more"), svg);
  assert(!svg.includes("<&>") && !svg.includes("E < 1"), "a raw label got into the SVG");
  const g = diagramGeometry(softmaxNet);
  const png = await renderSvgPng(diagramSvg(softmaxNet));
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assertEquals([view.getUint32(16), view.getUint32(20)], [g.width, g.height]); // IHDR width, height
});

Deno.test("diagramGeometry: a diagram that cannot be drawn is one clear error", () => {
  const out = { name: "out", units: ["y"] };
  assertThrows(
    () => diagramGeometry({ layers: [out], error: { label: "E" } }),
    Error,
    "at least 2 layers",
  );
  assertThrows(
    () => diagramGeometry({ layers: [{ name: "in", units: [] }, out], error: { label: "E" } }),
    Error,
    `layer 0 ("in") has no units`,
  );
  assertThrows(
    () => diagramGeometry({ layers: [out, { ...out, bias: true }], error: { label: "E" } }),
    Error,
    "output layer",
  );
  assertThrows(
    () => diagramGeometry({ layers: [out, out], weights: ["a", "b"], error: { label: "E" } }),
    Error,
    "2 weight labels for 1 sets",
  );
  assertThrows(
    () => diagramGeometry({ layers: [out, out], error: { label: " " } }),
    Error,
    "error box needs a label",
  );
});
