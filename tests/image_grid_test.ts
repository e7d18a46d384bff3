import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { decode as decodePng } from "fast-png";
import { gridLayout, imageGrid, type ImageGridOptions } from "../lib/viz/image_grid.ts";
import { imagePanels, numbered, showImageGrid, showImagePanels } from "../lib/viz/image_panels.ts";
import { figurePath } from "../lib/viz/figure.ts";

/** Pixel (x, y) of an H×W×3 image as [r, g, b]. */
function pixel(data: Float32Array, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 3;
  return [data[i], data[i + 1], data[i + 2]];
}

Deno.test("gridLayout places tiles row-major with padding between and around", () => {
  const g = gridLayout([[28, 28], [28, 28], [28, 28]], { columns: 2, padding: 1 });
  assert.equal(g.width, 1 + 2 * 29);
  assert.equal(g.height, 1 + 2 * 29);
  assert.deepEqual(g.tiles.map((t) => [t.x, t.y]), [[1, 1], [30, 1], [1, 30]]);
  assert.equal(g.labels.length, 0);
  const centred = gridLayout([[4, 4], [2, 2]], { columns: 2, padding: 0, scale: 2 });
  assert.deepEqual(centred.tiles[1], { x: 8 + 2, y: 2, width: 4, height: 4 });
});

Deno.test("every tile lands at its position, pixel by pixel, on the background", async () => {
  // 5 tiles of 3×2 with distinct values; 3 columns, padding 2, grey background 50
  const tiles = Array.from(
    { length: 5 },
    (_, i) => tf.tensor2d(Array.from({ length: 6 }, (_, k) => 10 * i + k), [3, 2]),
  );
  const grid = await imageGrid(tiles, { columns: 3, padding: 2, background: 50 });
  const [height, width] = grid.shape;
  assert.equal(width, 2 + 3 * (2 + 2));
  assert.equal(height, 2 + 2 * (3 + 2));
  const data = grid.dataSync() as Float32Array;
  const expected = new Float32Array(width * height * 3).fill(50);
  tiles.forEach((_, i) => {
    const x0 = 2 + (i % 3) * 4, y0 = 2 + Math.floor(i / 3) * 5;
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 2; x++) {
        expected.fill(
          10 * i + y * 2 + x,
          ((y0 + y) * width + x0 + x) * 3,
          ((y0 + y) * width + x0 + x + 1) * 3,
        );
      }
    }
  });
  assert.deepEqual(Array.from(data), Array.from(expected));
  tf.dispose([...tiles, grid]);
});

Deno.test("normalisation: per tile min–max, shared range, symmetric around zero", async () => {
  const a = tf.tensor2d([[0, 1], [2, 4]]); // min 0, max 4
  const b = tf.tensor2d([[-2, 0], [1, 2]]); // min -2, max 2
  const opts = { columns: 2, padding: 0 };
  const check = async (normalize: Parameters<typeof imageGrid>[1], a0: number[], b0: number[]) => {
    const grid = await imageGrid([a, b], { ...opts, ...normalize });
    const data = grid.dataSync() as Float32Array;
    const row = (x0: number) =>
      [[x0, 0], [x0 + 1, 0], [x0, 1], [x0 + 1, 1]].map(([x, y]) => pixel(data, 4, x, y)[0]);
    assert.deepEqual(row(0), a0, `tile a, ${JSON.stringify(normalize)}`);
    assert.deepEqual(row(2), b0, `tile b, ${JSON.stringify(normalize)}`);
    grid.dispose();
  };
  await check({ normalize: "tile" }, [0, 63.75, 127.5, 255], [0, 127.5, 191.25, 255]);
  // shared: min -2, max 4 → (v + 2) · 255 / 6
  await check({ normalize: "shared" }, [85, 127.5, 170, 255], [0, 85, 127.5, 170]);
  // symmetric per tile: a → ±4, b → ±2; 0 is mid grey
  await check({ normalize: "symmetric" }, [127.5, 159.375, 191.25, 255], [0, 127.5, 191.25, 255]);
  // symmetric shared: ±4
  await check(
    { normalize: "symmetric-shared" },
    [127.5, 159.375, 191.25, 255],
    [63.75, 127.5, 159.375, 191.25],
  );
  await check({ normalize: [0, 2] }, [0, 127.5, 255, 255], [0, 0, 127.5, 255]);
  tf.dispose([a, b]);
});

Deno.test("a constant tile becomes mid grey; RGB tiles keep their colours; batches work", async () => {
  const batch = tf.tensor4d([7, 7, 7, 7, 0, 128, 255, 9, 9, 9, 9, 9], [2, 1, 2, 3]);
  const grid = await imageGrid(batch, { padding: 1, normalize: "none", background: [1, 2, 3] });
  const data = grid.dataSync() as Float32Array;
  const width = grid.shape[1];
  assert.deepEqual(grid.shape, [3, 7, 3]);
  assert.deepEqual(pixel(data, width, 1, 1), [7, 7, 7]);
  assert.deepEqual(pixel(data, width, 2, 1), [7, 0, 128]);
  assert.deepEqual(pixel(data, width, 0, 0), [1, 2, 3]);
  const flat = await imageGrid([tf.fill([2, 2], 3)], { normalize: "tile", padding: 0 });
  assert.deepEqual(Array.from(flat.dataSync()), new Array(12).fill(127.5));
  tf.dispose([batch, grid, flat]);
});

Deno.test("tiles of different sizes are centred in cells of the largest size", async () => {
  const big = tf.fill([4, 4], 200);
  const small = tf.fill([2, 2], 100);
  const grid = await imageGrid([big, small], { padding: 0, background: 0 });
  const data = grid.dataSync() as Float32Array;
  assert.deepEqual(grid.shape, [4, 8, 3]);
  assert.deepEqual(pixel(data, 8, 4, 0), [0, 0, 0]);
  assert.deepEqual(pixel(data, 8, 5, 1), [100, 100, 100]);
  assert.deepEqual(pixel(data, 8, 6, 2), [100, 100, 100]);
  assert.deepEqual(pixel(data, 8, 7, 3), [0, 0, 0]);
  tf.dispose([big, small, grid]);
});

Deno.test("labels are drawn in their own bands and never over tiles", async () => {
  const tiles = [tf.fill([20, 20], 255), tf.fill([20, 20], 255)];
  const options: ImageGridOptions = {
    padding: 4,
    background: 255,
    captions: ["content", "style"],
    columnTitles: ["A", "B"],
    rowTitles: ["row one"],
    title: "Gatys",
  };
  const geometry = gridLayout([[20, 20], [20, 20]], options);
  const grid = await imageGrid(tiles, options);
  const [height, width] = grid.shape;
  assert.equal(width, geometry.width);
  assert.equal(height, geometry.height);
  const data = grid.dataSync() as Float32Array;
  const dark = (x0: number, y0: number, x1: number, y1: number) => {
    let count = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) if (pixel(data, width, x, y)[0] < 128) count++;
    }
    return count;
  };
  for (const t of geometry.tiles) {
    assert.equal(dark(t.x, t.y, t.x + t.width, t.y + t.height), 0, "tiles stay white");
  }
  const t0 = geometry.tiles[0];
  assert.ok(dark(t0.x - 4, t0.y + 20, t0.x + 24, height) > 20, "a caption under tile 0");
  assert.ok(dark(0, 0, width, t0.y - 4) > 20, "title and column titles on top");
  assert.ok(dark(0, t0.y, t0.x - 4, t0.y + 20) > 20, "a row title on the left");
  tf.dispose([...tiles, grid]);
});

Deno.test("imageGrid leaks no tensors and rejects bad shapes", async () => {
  const tiles = [tf.zeros([3, 3]), tf.zeros([3, 3, 3])];
  const before = tf.memory().numTensors;
  const grid = await imageGrid(tiles, { captions: ["x", "y"] });
  assert.equal(tf.memory().numTensors, before + 1);
  await assert.rejects(imageGrid([tf.zeros([2, 2, 2])]), /H×W, H×W×1 or H×W×3/);
  await assert.rejects(imageGrid([]), /at least one image/);
  tf.dispose([...tiles, grid]);
});

// ---- image_panels.ts: grids shown in one call, panels side by side, numbered captions ----

Deno.test("imagePanels joins each panel's own grid in one row, gap pixels apart", async () => {
  // Panel A: two black 4×4 tiles, padding 1 → an 11×6 grid on white.
  // Panel B: one white 3×3 tile on black, padding 2 → a 7×7 grid.
  const black = [tf.zeros([4, 4]), tf.zeros([4, 4])];
  const white = tf.fill([3, 3], 255);
  const before = tf.memory().numTensors;
  const joined = await imagePanels([
    { images: black, columns: 2, padding: 1 },
    { images: [white], padding: 2, background: 0 },
  ], { gap: 10 });
  assert.equal(tf.memory().numTensors, before + 1, "only the result is left");
  // Cells of 11×7 (the larger grid), 10 px apart and around: 10 + 2·(11 + 10) by 10 + 7 + 10.
  assert.deepEqual(joined.shape, [27, 52, 3]);
  const data = joined.dataSync() as Float32Array;
  assert.deepEqual(pixel(data, 52, 5, 5), [255, 255, 255], "the gap is white");
  // A (6 px high) is centred in its 7-px cell: its grid starts at (10, 10).
  assert.deepEqual(pixel(data, 52, 10, 10), [255, 255, 255], "A's padding");
  assert.deepEqual(pixel(data, 52, 11, 11), [0, 0, 0], "A's first tile");
  assert.deepEqual(pixel(data, 52, 16, 11), [0, 0, 0], "A's second tile");
  // B (7 px wide) is centred in its 11-px cell: its grid starts at (10 + 21 + 2, 10).
  assert.deepEqual(pixel(data, 52, 33, 10), [0, 0, 0], "B's background");
  assert.deepEqual(pixel(data, 52, 35, 12), [255, 255, 255], "B's tile");
  assert.deepEqual(pixel(data, 52, 32, 12), [255, 255, 255], "white between B's grid and A's");
  await assert.rejects(imagePanels([]), /at least one panel/);
  tf.dispose([...black, white, joined]);
});

Deno.test("showImageGrid and showImagePanels save the figure and free what they made", async () => {
  const dir = await Deno.makeTempDir({ prefix: "image-panels-test-" });
  Deno.env.set("COURSE_OUT_DIR", dir);
  const tiles = [tf.fill([2, 3], 40), tf.fill([2, 3], 200)];
  const before = tf.memory().numTensors;
  await showImageGrid("grid", tiles, { columns: 1, padding: 1 });
  await showImagePanels("panels", [{ images: tiles }, { images: [tiles[0]] }], { gap: 3 });
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  const grid = decodePng(await Deno.readFile(figurePath("grid")));
  assert.deepEqual([grid.width, grid.height], [1 + 3 + 1, 1 + 2 * (2 + 1)]);
  assert.equal(grid.data[(2 * grid.width + 2) * grid.channels], 40, "the first tile's value");
  assert.equal(grid.data[(5 * grid.width + 2) * grid.channels], 200, "the second tile's value");
  const panels = decodePng(await Deno.readFile(figurePath("panels")));
  // Panel 1: 2 + 2·(3 + 2) = 12 wide (default columns ceil(√2) = 2), 2 + 2 + 2 = 6 high;
  // panel 2: 7×6. Joined with a gap of 3: 3 + 2·(12 + 3) = 33 by 3 + 6 + 3 = 12.
  assert.deepEqual([panels.width, panels.height], [33, 12]);
  tf.dispose(tiles);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("numbered captions count from 1, with an optional prefix", () => {
  assert.deepEqual(numbered(3), ["1", "2", "3"]);
  assert.deepEqual(numbered(2, "map "), ["map 1", "map 2"]);
  assert.deepEqual(numbered(0), []);
  assert.throws(() => numbered(1.5), /integer/);
});
