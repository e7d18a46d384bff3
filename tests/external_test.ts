/**
 * Tests of lib/data/external.ts: resolving files in the external data folder, the message for a
 * missing file, and sha256 checks.
 *
 * Run: `deno task test tests/external_test.ts`. The test against the real files reads the
 * external data folder (`COURSE_DATA_DIR`); when the files are absent it is skipped, and says so.
 */
import assert from "node:assert/strict";
import {
  DATA_DIR_ENV,
  EXTERNAL_FILES,
  externalFile,
  externalPath,
  FETCHABLE_FILES,
  sha256File,
  verifySha256,
} from "../lib/data/external.ts";
import { externalDataDir } from "../lib/runtime/config.ts";
import { needsData } from "./external_data.ts";

const REAL_DIR = externalDataDir();

/** Run `body` with COURSE_DATA_DIR set to `dir` and downloads forbidden, then restore both. */
async function withDataDir(dir: string, body: () => Promise<void>): Promise<void> {
  const names = [DATA_DIR_ENV, "COURSE_DATA_OFFLINE"];
  const before = names.map((name) => Deno.env.get(name));
  Deno.env.set(DATA_DIR_ENV, dir);
  Deno.env.set("COURSE_DATA_OFFLINE", "1");
  try {
    await body();
  } finally {
    names.forEach((name, i) => {
      if (before[i] === undefined) Deno.env.delete(name);
      else Deno.env.set(name, before[i]!);
    });
  }
}

Deno.test({
  ...await needsData("the real files resolve and match their sha256", FETCHABLE_FILES),
  fn: () =>
    withDataDir(REAL_DIR, async () => {
      const photo = await externalFile("gatys/tubingen.jpg", "content photo");
      assert.equal(photo, `${REAL_DIR}/gatys/tubingen.jpg`);
      assert.equal(await sha256File(photo), EXTERNAL_FILES["gatys/tubingen.jpg"].sha256);
      // A folder: every published file in it must be there and intact.
      const model = await externalFile("vgg19_uint8_tfjs", "VGG19 weights");
      assert.equal(model, `${REAL_DIR}/vgg19_uint8_tfjs`);
      for (const name of ["shipwreck", "starry_night", "the_scream", "composition_vii"]) {
        await externalFile(`gatys/${name}.jpg`);
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
  // The pinned download addresses: 21 VGG19 files and six images, raw files at a fixed commit.
  assert.equal(FETCHABLE_FILES.length, 27);
  for (const key of FETCHABLE_FILES) {
    const url = EXTERNAL_FILES[key].download!;
    assert.match(url, /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//, key);
    assert.ok(url.endsWith(`/${key.split("/").at(-1)}`), url);
  }
  assert.equal(EXTERNAL_FILES["vgg19_uint8_tfjs/model_notop.json"].download, undefined);
  assert.match(
    EXTERNAL_FILES["gatys/composition_vii.jpg"].download!,
    /fast-neural-style\/813c8344/,
  );
  assert.match(EXTERNAL_FILES["gatys/tubingen.jpg"].download!, /neural-style\/07c4b829/);
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
          assert.ok(message.includes("COURSE_DATA_OFFLINE=1 forbids downloads"), message);
          assert.ok(message.includes("deno task fetch-data"), message);
          assert.ok(message.includes("COURSE_DATA_MIRROR"), message);
          assert.ok(!message.includes("\n"), message);
          return true;
        },
      );
      await assert.rejects(
        externalFile("vgg19_uint8_tfjs"),
        /missing: 21 files in .*vgg19_uint8_tfjs\/model\.json.*\(VGG19 ImageNet weights.*published at https:\/\/github\.com\/azertat/,
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
          // model_notop.json is derived, not published: the course never needs it.
          assert.match(error.message, /External data missing: 20 files in /);
          assert.doesNotMatch(error.message, /model_notop/);
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
      // A known file is verified on first use (verify: false skips the check).
      const path = await externalFile("gatys/tubingen.jpg", "photo", { verify: false });
      assert.equal(path, `${dir}/gatys/tubingen.jpg`);
      await assert.rejects(externalFile("gatys/tubingen.jpg", "photo"), (
        error: Error,
      ) => {
        assert.match(error.message, /tubingen\.jpg is corrupt or a different version/);
        assert.ok(error.message.includes(EXTERNAL_FILES["gatys/tubingen.jpg"].sha256));
        assert.match(error.message, /deno task fetch-data/);
        assert.match(error.message, /raw\.githubusercontent\.com\/jcjohnson\/neural-style/);
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
