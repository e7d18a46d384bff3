/**
 * Tests of lib/data/iris.ts and the committed data/iris.csv.
 *
 * Run: `deno test -A tests/iris_test.ts`
 */
import assert from "node:assert/strict";
import {
  IRIS_CSV_PATH,
  IRIS_FEATURES,
  IRIS_SPECIES,
  irisTensors,
  loadIris,
  parseIrisCsv,
  splitIris,
} from "../lib/data/iris.ts";
import { Random } from "../lib/runtime/random.ts";

const HEADER = "sepal_length,sepal_width,petal_length,petal_width,species";

function columnMeans(features: Float32Array, count: number): number[] {
  const sums = [0, 0, 0, 0];
  for (let i = 0; i < count; i++) for (let j = 0; j < 4; j++) sums[j] += features[i * 4 + j];
  return sums.map((sum) => sum / count);
}

Deno.test("iris.csv has 150 flowers, 50 of each species, in file order", async () => {
  const iris = await loadIris();
  assert.equal(iris.count, 150);
  assert.equal(iris.rows.length, 150);
  assert.equal(iris.features.length, 600);
  assert.equal(iris.labels.length, 150);
  const perClass = [0, 0, 0];
  for (const label of iris.labels) perClass[label]++;
  assert.deepEqual(perClass, [50, 50, 50]);
  // The file lists the species in blocks of 50: setosa, versicolor, virginica.
  for (let i = 0; i < 150; i++) assert.equal(iris.labels[i], Math.floor(i / 50));
  assert.equal(iris.rows[0].species, "setosa");
  assert.deepEqual([...iris.features.subarray(0, 4)], [5.1, 3.5, 1.4, 0.2].map(Math.fround));
  assert.deepEqual(
    [...iris.features.subarray(149 * 4)],
    [5.9, 3.0, 5.1, 1.8].map(Math.fround),
  );
});

Deno.test("the column means are the well-known ones (5.843, 3.057, 3.758, 1.199)", async () => {
  const iris = await loadIris();
  const means = columnMeans(iris.features, iris.count);
  [5.843, 3.057, 3.758, 1.199].forEach((expected, j) => {
    assert.ok(
      Math.abs(means[j] - expected) < 5e-4,
      `${IRIS_FEATURES[j]} mean ${means[j].toFixed(4)}, expected ${expected}`,
    );
  });
  // Exact sums, which a single wrong value changes (sums of the one-decimal values × 10).
  const sums = [0, 0, 0, 0];
  for (const row of iris.rows) {
    [row.sepalLength, row.sepalWidth, row.petalLength, row.petalWidth]
      .forEach((value, j) => (sums[j] += Math.round(value * 10)));
  }
  assert.deepEqual(sums, [8765, 4586, 5637, 1799]);
});

Deno.test("rows 35 and 38 have Fisher's values, not the UCI copy's errors", async () => {
  const { rows } = await loadIris();
  const values = (i: number) => {
    const row = rows[i - 1];
    return [row.sepalLength, row.sepalWidth, row.petalLength, row.petalWidth];
  };
  assert.deepEqual(values(35), [4.9, 3.1, 1.5, 0.2]); // UCI: petal width 0.1
  assert.deepEqual(values(38), [4.9, 3.6, 1.4, 0.1]); // UCI: 4.9, 3.1, 1.5, 0.1
});

Deno.test("tensors: [150, 4] features and one-hot [150, 3] targets", async () => {
  const { xs, ys } = irisTensors(await loadIris());
  try {
    assert.deepEqual(xs.shape, [150, 4]);
    assert.deepEqual(ys.shape, [150, 3]);
    assert.deepEqual(ys.sum(0).arraySync(), [50, 50, 50]);
  } finally {
    xs.dispose();
    ys.dispose();
  }
});

Deno.test("splitIris is stratified, disjoint, shuffled and reproducible", async () => {
  const iris = await loadIris();
  const { train, test } = splitIris(iris, { testFraction: 0.2, random: new Random(7) });
  assert.equal(train.count, 120);
  assert.equal(test.count, 30);
  for (const [part, each] of [[train, 40], [test, 10]] as const) {
    const perClass = [0, 0, 0];
    for (const label of part.labels) perClass[label]++;
    assert.deepEqual(perClass, [each, each, each]);
  }
  const all = new Set([...train.rows, ...test.rows]);
  assert.equal(all.size, 150, "every flower in exactly one set");
  assert.ok(test.labels.some((label, i) => i > 0 && label !== test.labels[i - 1] && label === 0));
  const again = splitIris(iris, { testFraction: 0.2, random: new Random(7) });
  assert.deepEqual([...again.test.features], [...test.features]);
  const other = splitIris(iris, { testFraction: 0.2, random: new Random(8) });
  assert.notDeepEqual([...other.test.features], [...test.features]);
  assert.throws(() => splitIris(iris, { testFraction: 1.5 }), /testFraction must be in \[0, 1\]/);
});

Deno.test("a malformed file gives one error with the file and line number", async () => {
  const cases: [string, RegExp][] = [
    [`${HEADER}\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,setosa\n`, /line 3: expected 5 .* found 4/],
    [`${HEADER}\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0,abc,0.2,setosa\n`, /line 3: petal_length "abc"/],
    [`${HEADER}\n5.1,3.5,1.4,0.2,rose\n`, /line 2: unknown species "rose"/],
    [`${HEADER}\n5.1,3.5,1.4,0.2,setosa\n\n5.1,3.5,1.4,0.2,setosa\n`, /line 3: empty line/],
    [`a,b,c,d,e\n5.1,3.5,1.4,0.2,setosa\n`, /line 1: expected the header/],
    [`${HEADER}\n`, /line 2: no data lines/],
  ];
  const dir = await Deno.makeTempDir({ prefix: "iris_test_" });
  try {
    for (const [text, what] of cases) {
      const path = `${dir}/bad.csv`;
      await Deno.writeTextFile(path, text);
      await assert.rejects(loadIris(path), (error: Error) => {
        assert.equal(error.constructor, Error);
        assert.ok(error.message.startsWith(`Iris file ${path} line `), error.message);
        assert.match(error.message, what);
        return true;
      });
    }
    await assert.rejects(
      loadIris(`${dir}/missing.csv`),
      /Iris file .*missing\.csv: cannot be read/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseIrisCsv accepts CRLF line ends and a final newline", () => {
  const rows = parseIrisCsv(`${HEADER}\r\n6.3,3.3,6.0,2.5,virginica\r\n`);
  assert.deepEqual(rows, [{
    sepalLength: 6.3,
    sepalWidth: 3.3,
    petalLength: 6.0,
    petalWidth: 2.5,
    species: "virginica",
  }]);
  assert.deepEqual(IRIS_SPECIES, ["setosa", "versicolor", "virginica"]);
  assert.ok(IRIS_CSV_PATH.endsWith("/data/iris.csv"));
});
