/**
 * Tests of lib/data/external.ts: resolving files in the external data folder, the message for a
 * missing file, and sha256 checks.
 *
 * Run: `deno test -A tests/external_test.ts`. The tests against the real files use
 * `COURSE_DATA_DIR` when set, else `shared/data` beside the checkout, else `data/external`; when
 * none holds the files they are skipped, and say so.
 */
import assert from "node:assert/strict";
import {
  DATA_DIR_ENV,
  EXTERNAL_FILES,
  externalFile,
  externalPath,
  sha256File,
  verifySha256,
} from "../lib/data/external.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The folder holding the real external files, or undefined. */
function realDataDir(): string | undefined {
  const candidates = [
    Deno.env.get(DATA_DIR_ENV),
    `${REPO_ROOT}/../shared/data`,
    `${REPO_ROOT}/data/external`,
  ];
  return candidates.find((dir) => dir !== undefined && dir !== "" && isDir(`${dir}/gatys`));
}

const REAL_DIR = realDataDir();
const SKIP_REASON = REAL_DIR === undefined
  ? ` [SKIPPED: no external data found (${DATA_DIR_ENV} unset, no ../shared/data, no data/external)]`
  : "";
if (SKIP_REASON !== "") console.log(`external_test:${SKIP_REASON}`);

/** Run `body` with COURSE_DATA_DIR set to `dir`, then restore it. */
async function withDataDir(dir: string, body: () => Promise<void>): Promise<void> {
  const before = Deno.env.get(DATA_DIR_ENV);
  Deno.env.set(DATA_DIR_ENV, dir);
  try {
    await body();
  } finally {
    if (before === undefined) Deno.env.delete(DATA_DIR_ENV);
    else Deno.env.set(DATA_DIR_ENV, before);
  }
}

Deno.test({
  name: `the real files resolve and match their sha256${SKIP_REASON}`,
  ignore: REAL_DIR === undefined,
  fn: () =>
    withDataDir(REAL_DIR!, async () => {
      const photo = await externalFile("gatys/tubingen.jpg", "content photo", { verify: true });
      assert.equal(photo, `${REAL_DIR}/gatys/tubingen.jpg`);
      assert.equal(await sha256File(photo), EXTERNAL_FILES["gatys/tubingen.jpg"].sha256);
      // A folder: every known file in it must be there, and with verify, intact.
      const model = await externalFile("vgg19_uint8_tfjs", "VGG19 weights", { verify: true });
      assert.equal(model, `${REAL_DIR}/vgg19_uint8_tfjs`);
      for (const name of ["shipwreck", "starry_night", "the_scream", "composition_vii"]) {
        await externalFile(`gatys/${name}.jpg`, undefined, { verify: true });
      }
    }),
});

Deno.test("the table of known files is complete and well formed", () => {
  const paths = Object.keys(EXTERNAL_FILES);
  assert.equal(paths.filter((path) => path.startsWith("vgg19_uint8_tfjs/")).length, 22);
  assert.equal(paths.filter((path) => path.startsWith("vgg19_float32_partial_tfjs/")).length, 10);
  assert.equal(paths.filter((path) => path.startsWith("gatys/")).length, 6);
  for (const [path, info] of Object.entries(EXTERNAL_FILES)) {
    assert.match(info.sha256, /^[0-9a-f]{64}$/, path);
    assert.ok(info.bytes > 0 && info.url.startsWith("https://") && info.licence !== "", path);
  }
  assert.ok(EXTERNAL_FILES["vgg19_uint8_tfjs/model_notop.json"]);
  assert.ok(EXTERNAL_FILES["vgg19_uint8_tfjs/group1-shard20of138.bin"]);
  assert.equal(EXTERNAL_FILES["gatys/seated-nude.jpg"].redistributable, false);
  assert.match(EXTERNAL_FILES["gatys/seated-nude.jpg"].licence, /NOT public domain/);
  assert.match(EXTERNAL_FILES["gatys/tubingen.jpg"].licence, /CC BY 3\.0/);
  assert.match(EXTERNAL_FILES["gatys/tubingen.jpg"].publisher, /Andreas Praefcke/);
});

Deno.test("a missing file: one message with the path, the variable and the origin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "external_test_" });
  try {
    await withDataDir(dir, async () => {
      await assert.rejects(
        externalFile("gatys/tubingen.jpg", "the content photo"),
        (error: Error) => {
          assert.equal(error.constructor, Error);
          const message = error.message;
          assert.ok(message.includes(`${dir}/gatys/tubingen.jpg`), message);
          assert.ok(message.includes("(the content photo)"), message);
          assert.ok(message.includes(`${DATA_DIR_ENV} is "${dir}"`), message);
          assert.ok(message.includes("commons.wikimedia.org"), message);
          assert.ok(message.includes("CC BY 3.0"), message);
          assert.ok(!message.includes("\n"), message);
          return true;
        },
      );
      await assert.rejects(
        externalFile("vgg19_uint8_tfjs"),
        /missing: .*\/vgg19_uint8_tfjs \(VGG19 ImageNet weights.*published at https:\/\/github\.com\/azertat/,
      );
      await assert.rejects(
        externalFile("notes/unknown.txt"),
        /External data missing: .*notes\/unknown\.txt.*COURSE_DATA_DIR.*not in the course's table/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder with known files missing lists them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "external_test_" });
  try {
    await Deno.mkdir(`${dir}/vgg19_uint8_tfjs`);
    await Deno.writeTextFile(`${dir}/vgg19_uint8_tfjs/model.json`, "{}");
    await withDataDir(dir, async () => {
      await assert.rejects(
        externalFile("vgg19_uint8_tfjs", "VGG19 weights"),
        (error: Error) => {
          assert.match(error.message, /External data missing: 21 files in /);
          assert.match(error.message, /vgg19_uint8_tfjs\/group1-shard1of138\.bin/);
          assert.match(error.message, /COURSE_DATA_DIR/);
          assert.match(error.message, /azertat\/tfjs_models/);
          return true;
        },
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a changed file fails sha256 verification, naming both sums", async () => {
  const dir = await Deno.makeTempDir({ prefix: "external_test_" });
  try {
    await Deno.mkdir(`${dir}/gatys`);
    await Deno.writeTextFile(`${dir}/gatys/tubingen.jpg`, "not the photo");
    await withDataDir(dir, async () => {
      // Without verify, presence is enough.
      assert.equal(await externalFile("gatys/tubingen.jpg"), `${dir}/gatys/tubingen.jpg`);
      await assert.rejects(externalFile("gatys/tubingen.jpg", "photo", { verify: true }), (
        error: Error,
      ) => {
        assert.match(error.message, /tubingen\.jpg is corrupt or a different version/);
        assert.ok(error.message.includes(EXTERNAL_FILES["gatys/tubingen.jpg"].sha256));
        assert.match(error.message, /Get the original from https:\/\/commons\.wikimedia\.org/);
        return true;
      });
      // A file outside the table can be checked against a given sum.
      await Deno.writeTextFile(`${dir}/abc.txt`, "abc");
      const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
      assert.equal(await externalFile("abc.txt", "test", { sha256: abc }), `${dir}/abc.txt`);
      await assert.rejects(externalFile("abc.txt", "test", { sha256: "0".repeat(64) }), /sha256/);
      await assert.rejects(externalFile("abc.txt", "test", { verify: true }), /no sha256 is known/);
      await assert.rejects(verifySha256(`${dir}/abc.txt`, "1".repeat(64)), /expected 1111/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("paths must stay inside the external data folder", () => {
  assert.throws(() => externalPath("../secret"), /must be a path inside/);
  assert.throws(() => externalPath("/etc/passwd"), /must be a path inside/);
  assert.throws(() => externalPath(""), /must be a path inside/);
  assert.ok(externalPath("./gatys/x.jpg").endsWith("/gatys/x.jpg"));
});
