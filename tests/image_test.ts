import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { decode as decodePng, encode as encodeRawPng } from "fast-png";
import jpeg from "jpeg-js";
import { figurePath } from "../lib/viz/figure.ts";
import { encodePng, showImage, toPixels, writePng } from "../lib/viz/image.ts";
import { highFrequencyEnergy, readImage, resizeImage } from "../lib/data/images.ts";

async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "viz-image-test-" });
  Deno.env.set("COURSE_OUT_DIR", dir);
  return dir;
}

Deno.test("PNG round trip keeps every RGB pixel value", async () => {
  const dir = await tempDir();
  const values = Float32Array.from({ length: 5 * 7 * 3 }, (_, i) => (i * 37) % 256);
  const image = tf.tensor3d(values, [5, 7, 3]);
  await writePng(`${dir}/a.png`, image);
  const back = await readImage(`${dir}/a.png`);
  assert.deepEqual(back.shape, [5, 7, 3]);
  assert.deepEqual(Array.from(back.dataSync()), Array.from(values));
  tf.dispose([image, back]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("grey H×W and H×W×1 tensors give grey PNGs; reading replicates to RGB", async () => {
  const dir = await tempDir();
  const grey = tf.tensor2d([[0, 100], [200, 255]]);
  const png = decodePng(encodePng(grey));
  assert.equal(png.channels, 1);
  assert.deepEqual(Array.from(png.data), [0, 100, 200, 255]);
  const column = grey.expandDims(2);
  assert.deepEqual(encodePng(column), encodePng(grey));
  await writePng(`${dir}/g.png`, grey);
  const back = await readImage(`${dir}/g.png`);
  assert.deepEqual(Array.from(back.dataSync()), [
    0,
    0,
    0,
    100,
    100,
    100,
    200,
    200,
    200,
    255,
    255,
    255,
  ]);
  tf.dispose([grey, column, back]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("values are mapped from a given range, clamped and rounded", () => {
  const t = tf.tensor2d([[-1, 0, 0.5, 1, 2]]);
  assert.deepEqual(Array.from(toPixels(t, { range: [0, 1] }).data), [0, 0, 128, 255, 255]);
  assert.deepEqual(Array.from(toPixels(t, { range: [-1, 1] }).data), [0, 128, 191, 255, 255]);
  const raw = tf.tensor2d([[-5, 300, 12.4]]);
  assert.deepEqual(Array.from(toPixels(raw).data), [0, 255, 12]);
  assert.throws(() => toPixels(tf.zeros([2, 2, 2])), /H×W, H×W×1 or H×W×3/);
  tf.dispose([t, raw]);
});

Deno.test("JPEG files are read by their magic bytes (close to the encoded colours)", async () => {
  const dir = await tempDir();
  const width = 16, height = 8;
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([200, 40, 90, 255], p * 4);
  const encoded = jpeg.encode({ width, height, data: rgba }, 95);
  await Deno.writeFile(`${dir}/photo.png`, encoded.data); // wrong extension on purpose
  const image = await readImage(`${dir}/photo.png`);
  assert.deepEqual(image.shape, [8, 16, 3]);
  const mean = Array.from(image.mean([0, 1]).dataSync());
  [200, 40, 90].forEach((v, i) => assert.ok(Math.abs(mean[i] - v) < 4, `channel ${i}: ${mean[i]}`));
  image.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("16-bit and RGBA PNGs are scaled to 0–255 and lose alpha", async () => {
  const dir = await tempDir();
  const data16 = new Uint16Array([0, 65535, 257 * 10, 257 * 20, 257 * 30, 65535]);
  await Deno.writeFile(
    `${dir}/deep.png`,
    encodeRawPng({ width: 2, height: 1, data: data16, channels: 3, depth: 16 }),
  );
  const deep = await readImage(`${dir}/deep.png`);
  assert.deepEqual(Array.from(deep.dataSync()).map(Math.round), [0, 255, 10, 20, 30, 255]);
  const rgba = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  await Deno.writeFile(
    `${dir}/alpha.png`,
    encodeRawPng({ width: 2, height: 1, data: rgba, channels: 4, depth: 8 }),
  );
  const alpha = await readImage(`${dir}/alpha.png`);
  assert.deepEqual(Array.from(alpha.dataSync()), [1, 2, 3, 5, 6, 7]);
  tf.dispose([deep, alpha]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a missing or corrupt image gives one clear error naming the path", async () => {
  const dir = await tempDir();
  const missing = `${dir}/nope.jpg`;
  await assert.rejects(readImage(missing), (e: Error) => {
    assert.equal(e.message, `Cannot read image "${missing}": no such file`);
    return true;
  });
  const truncated = `${dir}/broken.png`;
  const good = encodePng(tf.tidy(() => tf.fill([20, 20, 3], 128)));
  await Deno.writeFile(truncated, good.slice(0, 40));
  await assert.rejects(readImage(truncated), (e: Error) => {
    assert.match(e.message, new RegExp(`^Cannot decode image "${truncated}": `));
    assert.ok(!e.message.includes("\n"), "one line, no codec stack");
    return true;
  });
  const text = `${dir}/notes.jpg`;
  await Deno.writeTextFile(text, "hello");
  await assert.rejects(readImage(text), {
    message: `Cannot decode image "${text}": it is neither a PNG nor a JPEG file`,
  });
  const badJpeg = `${dir}/bad.jpg`;
  await Deno.writeFile(badJpeg, new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  await assert.rejects(readImage(badJpeg), new RegExp(`^Error: Cannot decode image "${badJpeg}"`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resizeImage keeps the aspect ratio with the long side given, and leaks nothing", () => {
  const image = tf.zeros([300, 200, 3]) as tf.Tensor3D;
  const before = tf.memory().numTensors;
  const small = resizeImage(image, 150);
  assert.deepEqual(small.shape, [150, 100, 3]);
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose([image, small]);
});

Deno.test("showImage saves the figure PNG under COURSE_OUT_DIR/figures", async () => {
  const dir = await tempDir();
  const image = tf.tidy(() => tf.linspace(0, 1, 12).reshape([3, 4]));
  await showImage("ramp", image, { range: [0, 1] });
  const path = figurePath("ramp");
  assert.equal(path, `${dir}/figures/script-ramp.png`);
  const png = decodePng(await Deno.readFile(path));
  assert.equal(png.width, 4);
  assert.equal(png.height, 3);
  assert.equal(png.data[0], 0);
  assert.equal(png.data[11], 255);
  image.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("highFrequencyEnergy: 0 for a flat image, a checkerboard's by hand, bad shapes refused", () => {
  const flat = tf.fill([5, 6, 3], 200) as tf.Tensor3D;
  assert.equal(highFrequencyEnergy(flat), 0);
  // ±1 checkerboard: around a centre ±1 the four corners match it and the four edges do not, so
  // the neighbourhood's mean is ±1/9 and every pixel differs from it by 8/9
  const board = tf.tensor3d(
    Array.from({ length: 4 * 4 }, (_, i) => ((i % 4) + Math.floor(i / 4)) % 2 ? 1 : -1),
    [4, 4, 1],
  );
  assert.ok(Math.abs(highFrequencyEnergy(board) - (8 / 9) ** 2) < 1e-6);
  assert.throws(() => highFrequencyEnergy(tf.zeros([2, 5, 3]) as tf.Tensor3D), /3×3/);
  tf.dispose([flat, board]);
});
