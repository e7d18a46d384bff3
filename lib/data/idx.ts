/**
 * A reader for the IDX format, the simple binary format the MNIST files come in.
 *
 * An IDX file is a big-endian header followed by raw data:
 *
 * | bytes          | meaning                                                        |
 * |----------------|----------------------------------------------------------------|
 * | 0–1            | always 0                                                       |
 * | 2              | element type (0x08 = unsigned byte, the only one MNIST uses)   |
 * | 3              | number of dimensions d                                         |
 * | 4 … 4 + 4d − 1 | the d sizes, each a 32-bit big-endian unsigned integer        |
 * | then           | the elements, row-major, one byte each                         |
 *
 * Read as one 32-bit number, the first four bytes are the "magic number": 2049 (0x00000801) for a
 * vector of labels and 2051 (0x00000803) for a stack of 2-D images. So a label file has an 8-byte
 * header and an image file a 16-byte one.
 *
 * Every problem is reported as one `Error` whose message names the file and what is wrong, so a
 * truncated download or a wrong file never surfaces as a `RangeError` from deep inside.
 *
 * @module
 */

/** The magic number of an IDX file of unsigned bytes with one dimension (labels). */
export const IDX_LABELS_MAGIC = 2049;

/** The magic number of an IDX file of unsigned bytes with three dimensions (images). */
export const IDX_IMAGES_MAGIC = 2051;

/** What MNIST keeps in an IDX file of each magic number, for messages. */
const IDX_KINDS: Record<number, string> = {
  [IDX_LABELS_MAGIC]: "labels",
  [IDX_IMAGES_MAGIC]: "images",
};

/** A magic number as 0x and eight hex digits. */
function hex(magic: number): string {
  return `0x${magic.toString(16).padStart(8, "0")}`;
}

/** The header of an IDX file of unsigned bytes. */
export interface IdxHeader {
  /** The magic number (2049 or 2051 for MNIST). */
  magic: number;
  /** The sizes, e.g. `[60000, 28, 28]`. */
  shape: number[];
  /** Length of the header in bytes (4 + 4 × dimensions): where the data starts. */
  headerBytes: number;
  /** Number of data bytes (the product of the sizes). */
  dataBytes: number;
}

/** The contents of an IDX file of unsigned bytes. */
export interface IdxArray extends IdxHeader {
  /** The elements, row-major: a view into the file's bytes (no copy). */
  data: Uint8Array;
}

/** The longest possible IDX header (255 dimensions): read this much to be sure to have it all. */
export const IDX_MAX_HEADER_BYTES: number = 4 + 4 * 255;

const UNSIGNED_BYTE = 0x08;

/**
 * Check the header of an IDX file of unsigned bytes, and that the file's size is exactly what the
 * header implies. Lets a caller validate a file from its first bytes and its size before reading
 * the rest (e.g. to decode it in chunks).
 *
 * @param head the first bytes of the file: all of it, or at least its first
 *   `min(fileSize, IDX_MAX_HEADER_BYTES)` bytes
 * @param fileSize the size of the whole file in bytes
 * @param name how to name the file in an error message (usually its path)
 * @param expectedMagic when given, a different magic number is an error, reported before any
 *   size check (e.g. an images file where a labels file belongs)
 * @throws Error `"<name>: <what is wrong>"` for a short, truncated, over-long or non-IDX file
 *
 * @example
 * ```ts
 * const head = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2]);
 * parseIdxHeader(head, 10, "tiny"); // { magic: 2049, shape: [2], headerBytes: 8, dataBytes: 2 }
 * ```
 */
export function parseIdxHeader(
  head: Uint8Array,
  fileSize: number,
  name: string,
  expectedMagic?: number,
): IdxHeader {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    fail("is gzip-compressed; decompress it first (gunzip)");
  }
  if (fileSize < 4) {
    fail(`has ${fileSize} bytes, too short to hold an IDX header (not an IDX file?)`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getUint32(0, false);
  const dims = head[3];
  if (head[0] !== 0 || head[1] !== 0 || head[2] !== UNSIGNED_BYTE || dims === 0) {
    fail(
      `bad magic number ${magic} (${hex(magic)}); ` +
        `an IDX file of unsigned bytes starts with 0x000008NN (e.g. ${IDX_LABELS_MAGIC} or ` +
        `${IDX_IMAGES_MAGIC}): not an IDX file, or corrupt`,
    );
  }
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    const guess = IDX_KINDS[magic] === undefined ? "" : ` (${IDX_KINDS[magic]} file?)`;
    fail(
      `${IDX_KINDS[expectedMagic] ?? "IDX"} file has magic ${hex(magic)}${guess}, ` +
        `expected ${hex(expectedMagic)}`,
    );
  }
  const headerBytes = 4 + 4 * dims;
  if (fileSize < headerBytes) {
    fail(
      `has ${fileSize} bytes, but its ${dims}-dimensional header needs ${headerBytes}: truncated`,
    );
  }
  if (head.length < headerBytes) {
    throw new Error(`parseIdxHeader: pass at least the first ${headerBytes} bytes of ${name}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < dims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const dataBytes = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + dataBytes;
  if (fileSize !== expected) {
    const why = fileSize < expected ? "truncated" : "has extra bytes after the data";
    fail(
      `the header (shape [${shape.join(", ")}]) says the file has ${expected} bytes, ` +
        `but it has ${fileSize}: ${why}`,
    );
  }
  return { magic, shape, headerBytes, dataBytes };
}

/**
 * Parse the bytes of a whole IDX file of unsigned bytes (see {@linkcode parseIdxHeader} for the
 * checks).
 *
 * @param bytes the whole file
 * @param name how to name the file in an error message (usually its path)
 * @param expectedMagic when given, a different magic number is an error (before size checks)
 * @throws Error `"<name>: <what is wrong>"` for a short, truncated, over-long or non-IDX file
 *
 * @example
 * ```ts
 * const labels = parseIdx(await Deno.readFile("train-labels-idx1-ubyte"), "train-labels");
 * console.log(labels.magic, labels.shape); // 2049 [60000]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string, expectedMagic?: number): IdxArray {
  const header = parseIdxHeader(bytes, bytes.length, name, expectedMagic);
  return { ...header, data: bytes.subarray(header.headerBytes) };
}
