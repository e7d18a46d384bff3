import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import type { Plot } from "nodeplotlib";
import { findChromium } from "../lib/viz/chromium.ts";
import { figurePath } from "../lib/viz/figure.ts";
import {
  CARTESIAN_TRACE_TYPES,
  checkFigureSize,
  figureJson,
  figureLayout,
  MAX_FIGURE_BYTES,
  plotlyBundleFor,
  renderFigurePng,
  showFigure,
} from "../lib/viz/plot.ts";

const chromium = findChromium();
const noChromium = chromium.path === undefined;
const skipNote = noChromium ? ` (skipped: ${chromium.reason})` : "";

const data: Plot[] = [
  { x: [1, 2, 3, 4], y: [1, 0.5, 0.3, 0.2], type: "scatter", mode: "lines+markers", name: "train" },
  { x: [1, 2, 3, 4], y: [1.2, 0.7, 0.5, 0.45], type: "scatter", name: "test" },
];

/** Count pixels that are not (near) white, and those close to plotly's first trace colour. */
function inspect(png: { data: ArrayLike<number>; channels: number }) {
  let ink = 0, blue = 0;
  for (let i = 0; i < png.data.length; i += png.channels) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (r < 200 || g < 200 || b < 200) ink++;
    if (Math.abs(r - 0x1f) < 30 && Math.abs(g - 0x77) < 30 && Math.abs(b - 0xb4) < 30) blue++;
  }
  return { ink, blue };
}

Deno.test("figureLayout writes titles as { text }, log axes and subplot grids", () => {
  assert.deepEqual(figureLayout({ title: "Loss", xTitle: "epoch", logY: true }), {
    title: { text: "Loss" },
    xaxis: { title: { text: "epoch" } },
    yaxis: { type: "log" },
  });
  const grid = figureLayout({ grid: { rows: 1, columns: 2 }, xTitles: ["a", "b"], yTitle: "y" });
  assert.deepEqual(grid.grid, { rows: 1, columns: 2, pattern: "independent" });
  assert.deepEqual(grid.xaxis2, { title: { text: "b" } });
  assert.deepEqual(grid.yaxis2, { title: { text: "y" } });
});

Deno.test("figureJson: fixed size, white background, typed arrays and string titles fixed", () => {
  const json = figureJson(
    [{ y: new Float32Array([1, 2]) as unknown as number[] }],
    { title: "t", xaxis: { title: "x" } } as never,
  );
  assert.deepEqual(json.data, [{ y: [1, 2] }]);
  assert.equal(json.layout.width, 720);
  assert.equal(json.layout.height, 440);
  assert.equal(json.layout.paper_bgcolor, "#ffffff");
  assert.deepEqual(json.layout.title, { text: "t" });
  assert.deepEqual(json.layout.xaxis, { title: { text: "x" } });
  assert.equal(figureJson([], {}, { width: 300 }).layout.width, 300);
});

Deno.test({
  name: `showFigure saves a non-blank PNG of the requested size${skipNote}`,
  ignore: noChromium,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "viz-plot-test-" });
    Deno.env.set("COURSE_OUT_DIR", dir);
    const start = performance.now();
    await showFigure(
      "loss",
      data,
      figureLayout({ title: "Loss", xTitle: "epoch", logY: true }),
    );
    const ms = performance.now() - start;
    const path = figurePath("loss");
    assert.equal(path, `${dir}/figures/script-loss.png`);
    const png = decodePng(await Deno.readFile(path));
    assert.equal(png.width, 720);
    assert.equal(png.height, 440);
    const { ink, blue } = inspect(png);
    assert.ok(ink > 2000, `the figure has ink (${ink} dark pixels)`);
    assert.ok(blue > 100, `the first trace is drawn in plotly blue (${blue} pixels)`);
    // white background in the corners
    assert.deepEqual(Array.from(png.data.slice(0, 3)), [255, 255, 255]);
    console.log(`rendered 720×440 in ${ms.toFixed(0)} ms`);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: `renderFigurePng honours width, height and scale${skipNote}`,
  ignore: noChromium,
  fn: async () => {
    const png = decodePng(
      await renderFigurePng([{ y: [3, 1, 2], type: "bar" }], {}, {
        width: 300,
        height: 200,
        scale: 2,
      }),
    );
    assert.equal(png.width, 600);
    assert.equal(png.height, 400);
    assert.ok(inspect(png).blue > 1000, "bars are drawn");
  },
});

Deno.test("the cartesian plotly bundle registers exactly the trace types it is chosen for", async () => {
  const bundle = plotlyBundleFor([{ y: [1] }]);
  assert.match(bundle.pathname, /plotly-cartesian\.min\.js$/);
  // Each trace module of a bundle registers itself as {moduleType:"trace",name:"<type>",…}.
  const registered = (source: string) =>
    new Set([...source.matchAll(/moduleType:"trace",name:"(\w+)"/g)].map((m) => m[1]));
  assert.deepEqual(registered(await Deno.readTextFile(bundle)), new Set(CARTESIAN_TRACE_TYPES));
  const full = plotlyBundleFor([{ type: "scatter3d", x: [1], y: [1], z: [1] } as Plot]);
  assert.match(full.pathname, /plotly\.min\.js$/);
  assert.ok(registered(await Deno.readTextFile(full)).size > 40, "the full bundle has every type");
  for (const type of ["scatter", "bar", "heatmap", "contour", "histogram"]) {
    assert.equal(plotlyBundleFor([{ y: [1] }, { type } as Plot]), bundle, `${type} is cartesian`);
  }
  assert.equal(plotlyBundleFor([{ y: [1] }, { type: "scatterpolar" } as Plot]), full);
});

Deno.test({
  name: `a trace type outside the cartesian bundle is drawn with the full one${skipNote}`,
  ignore: noChromium,
  fn: async () => {
    const polar: Plot[] = [
      { type: "scatterpolar", r: [1, 2, 3, 2], theta: [0, 90, 180, 270], fill: "toself" } as Plot,
    ];
    const png = decodePng(await renderFigurePng(polar, {}, { width: 300, height: 300 }));
    assert.ok(inspect(png).blue > 500, "the polar trace is drawn");
  },
});

Deno.test("without a browser figures still work, and one line says PNGs are off", async () => {
  const plotUrl = new URL("../lib/viz/plot.ts", import.meta.url).href;
  const code = `
    import { showFigure } from ${JSON.stringify(plotUrl)};
    await showFigure("a", [{ y: [1, 2] }]);
    await showFigure("b", [{ y: [2, 1] }]);
    console.log("RESULT done");`;
  const dir = await Deno.makeTempDir({ prefix: "viz-plot-test-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: new URL("..", import.meta.url).pathname,
    env: { COURSE_CHROMIUM: `${dir}/no-such-browser`, COURSE_OUT_DIR: dir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = stdout.trim().split("\n");
  assert.deepEqual(lines, [
    `Static figure PNGs are off: COURSE_CHROMIUM is "${dir}/no-such-browser", which is not a file. ` +
    "Figures are shown interactively only.",
    "RESULT done",
  ]);
  // No PNG was written.
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a figure over 2 MB of JSON is refused with one message naming it and the fix", () => {
  const small = figureJson([{ x: [1, 2, 3], type: "scatter" } as Plot], {});
  checkFigureSize("small", small); // no error
  const big = figureJson([{ x: Array.from({ length: 200_000 }, (_, i) => i / 7) } as Plot], {});
  assert.throws(
    () => checkFigureSize("activations", big),
    /figure "activations" is \d+\.\d MB of JSON, more than 2 MB: bin or subsample/,
  );
  assert.ok(MAX_FIGURE_BYTES === 2_000_000);
});
