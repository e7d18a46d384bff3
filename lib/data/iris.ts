/**
 * Fisher's Iris data set: 150 flowers, 50 of each of three species, four measurements in cm.
 * The file is committed as `data/iris.csv` (provenance in `data/README.md`).
 *
 * @example
 * ```ts
 * const iris = await loadIris();
 * console.log(iris.count, iris.features.length, iris.labels[0]); // 150 600 0
 * const { train, test } = splitIris(iris, { testFraction: 0.2 });
 * ```
 *
 * @module
 */
import { COMMITTED_DATA_DIR } from "../runtime/config.ts";
import { Random, randomFor } from "../runtime/random.ts";
import { type LabeledTensors, labeledTensors } from "./tensors.ts";

/** The CSV columns of the four measurements, in order (cm). */
export const IRIS_FEATURES = [
  "sepal_length",
  "sepal_width",
  "petal_length",
  "petal_width",
] as const;

/** The three species; a label is an index into this list. */
export const IRIS_SPECIES = ["setosa", "versicolor", "virginica"] as const;

/** One of {@linkcode IRIS_SPECIES}. */
export type IrisSpecies = typeof IRIS_SPECIES[number];

/** The committed file, `<repo>/data/iris.csv`. */
export const IRIS_CSV_PATH: string = `${COMMITTED_DATA_DIR}/iris.csv`;

/** One flower, as in one line of the CSV file. */
export interface IrisRow {
  /** Sepal length in cm. */
  sepalLength: number;
  /** Sepal width in cm. */
  sepalWidth: number;
  /** Petal length in cm. */
  petalLength: number;
  /** Petal width in cm. */
  petalWidth: number;
  /** The species. */
  species: IrisSpecies;
}

/** The data set as rows and as arrays ready for training. */
export interface IrisData {
  /** The flowers, in file order. */
  rows: IrisRow[];
  /** The measurements, `count` × 4, row-major, in the order of {@linkcode IRIS_FEATURES}. */
  features: Float32Array;
  /** The species of each flower as an index into {@linkcode IRIS_SPECIES} (0, 1 or 2). */
  labels: Uint8Array;
  /** Number of flowers. */
  count: number;
}

/**
 * Parse the Iris CSV text: a header line naming the five columns, then one flower per line.
 *
 * A plain split on line breaks and commas is enough here, and no CSV library is used: the file
 * is a fixed, committed table of plain decimal numbers and three bare species names, with no
 * quoting, embedded commas or escapes, and every field is checked below. (A general CSV parser
 * would be needed for files with quoted fields.)
 *
 * @param text the file's contents
 * @param source how to name the file in an error message
 * @throws Error `"<source> line <n>: <what is wrong>"` for a bad header, a line with the wrong
 *   number of fields, a value that is not a positive number, or an unknown species
 *
 * @example
 * ```ts
 * const rows = parseIrisCsv(
 *   "sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n",
 * );
 * console.log(rows[0].species); // "setosa"
 * ```
 */
export function parseIrisCsv(text: string, source = "iris.csv"): IrisRow[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const fail = (line: number, what: string): never => {
    throw new Error(`${source} line ${line}: ${what}`);
  };
  const expectedHeader = [...IRIS_FEATURES, "species"].join(",");
  if (lines[0].trim() !== expectedHeader) {
    fail(1, `expected the header "${expectedHeader}", found "${lines[0]}"`);
  }
  const rows: IrisRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") {
      if (lines.slice(i).every((rest) => rest.trim() === "")) break; // trailing newline(s)
      fail(i + 1, "empty line");
    }
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length !== 5) {
      fail(i + 1, `expected 5 comma-separated fields, found ${fields.length}`);
    }
    const values = fields.slice(0, 4).map((field, j) => {
      const value = Number(field);
      if (field === "" || !Number.isFinite(value) || value <= 0) {
        fail(i + 1, `${IRIS_FEATURES[j]} "${field}" is not a positive number`);
      }
      return value;
    });
    const species = fields[4] as IrisSpecies;
    if (!IRIS_SPECIES.includes(species)) {
      fail(i + 1, `unknown species "${fields[4]}" (expected one of ${IRIS_SPECIES.join(", ")})`);
    }
    const [sepalLength, sepalWidth, petalLength, petalWidth] = values;
    rows.push({ sepalLength, sepalWidth, petalLength, petalWidth, species });
  }
  if (rows.length === 0) fail(2, "no data lines after the header");
  return rows;
}

/**
 * Turn rows into the training arrays: features `count` × 4 and species indices.
 *
 * @example
 * ```ts
 * const data = irisFromRows(parseIrisCsv(await Deno.readTextFile(IRIS_CSV_PATH)));
 * ```
 */
export function irisFromRows(rows: IrisRow[]): IrisData {
  const features = new Float32Array(rows.length * 4);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    features.set([row.sepalLength, row.sepalWidth, row.petalLength, row.petalWidth], i * 4);
    labels[i] = IRIS_SPECIES.indexOf(row.species);
  });
  return { rows, features, labels, count: rows.length };
}

/**
 * Load the Iris data set from `data/iris.csv` (or another file in the same format).
 *
 * @throws Error naming the file when it cannot be read, or the file and line when it is malformed
 *
 * @example
 * ```ts
 * const { count, features, labels } = await loadIris();
 * console.log(count, features.subarray(0, 4), labels[0]); // 150 [5.1, 3.5, 1.4, 0.2] 0
 * ```
 */
export async function loadIris(path: string = IRIS_CSV_PATH): Promise<IrisData> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Iris file ${path}: cannot be read (${(error as Error).message})`);
  }
  return irisFromRows(parseIrisCsv(text, `Iris file ${path}`));
}

/**
 * The feature tensor [N, 4] and one-hot target tensor [N, 3]. The caller owns them.
 *
 * @example
 * ```ts
 * const { xs, ys } = irisTensors(await loadIris());
 * console.log(xs.shape, ys.shape); // [150, 4] [150, 3]
 * ```
 */
export function irisTensors(data: IrisData): LabeledTensors {
  return labeledTensors(data.features, data.labels, 4, IRIS_SPECIES.length);
}

/** Options of {@linkcode splitIris}. */
export interface SplitIrisOptions {
  /** Fraction of each species put in the test set (default 0.2, i.e. 10 of 50). */
  testFraction?: number;
  /** The random stream that shuffles (default `randomFor("iris-split")`). */
  random?: Random;
}

/**
 * A stratified random split into training and test sets: the same fraction of each species goes
 * to the test set, so both keep the 1:1:1 balance; each set comes in shuffled order. The same
 * seed gives the same split.
 *
 * @example
 * ```ts
 * const { train, test } = splitIris(await loadIris(), { testFraction: 0.2 });
 * console.log(train.count, test.count); // 120 30
 * ```
 */
export function splitIris(
  data: IrisData,
  options: SplitIrisOptions = {},
): { train: IrisData; test: IrisData } {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction >= 0 && testFraction <= 1)) {
    throw new Error(`splitIris: testFraction must be in [0, 1], not ${testFraction}`);
  }
  const random = options.random ?? randomFor("iris-split");
  const train: IrisRow[] = [];
  const test: IrisRow[] = [];
  IRIS_SPECIES.forEach((species) => {
    const rows = data.rows.filter((row) => row.species === species);
    const order = random.permutation(rows.length);
    const testCount = Math.round(rows.length * testFraction);
    order.forEach((index, k) => (k < testCount ? test : train).push(rows[index]));
  });
  // Mix the species, so that the sets are not sorted by class.
  const shuffled = (rows: IrisRow[]): IrisRow[] =>
    Array.from(random.permutation(rows.length), (index) => rows[index]);
  return { train: irisFromRows(shuffled(train)), test: irisFromRows(shuffled(test)) };
}
