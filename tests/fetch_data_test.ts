/**
 * Fetching external data: `deno task fetch-data` against a loopback mirror of the data folder
 * (everything fetched and verified, a second run fetches nothing, a corrupted shard rejected by
 * name), fetch on first use through `externalFile`, the mirror setting, which notebooks
 * `reproduce` marks `needs data`, and the test runner's count of skipped tests.
 * Nothing here reaches the internet: every server is on 127.0.0.1.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { externalFile, FETCHABLE_FILES, PATCH_FILES, VGG19_FILES } from "../lib/data/external.ts";
import { dataMirror, externalDataDir } from "../lib/runtime/config.ts";
import { needsDataLine, prepareExternalData } from "../tools/reproduce_data.ts";
import { dataFor, NEEDS_DATA_MARK, NOTEBOOK_DATA } from "../tools/notebook_data.ts";
import { listNotebooks, stemOf } from "../tools/notebook_file.ts";
import { needsData } from "./external_data.ts";
import { runDeno } from "./run_deno.ts";

const REAL_DIR = externalDataDir();

/** Serve `root` over HTTP on 127.0.0.1, flipping one byte of the file `damage` (a path). */
function mirrorOf(root: string, damage?: string): { base: string; server: Deno.HttpServer } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    const path = decodeURIComponent(new URL(r.url).pathname).slice(1);
    try {
      const bytes = await Deno.readFile(`${root}/${path}`);
      if (path === damage) bytes[bytes.length >> 1] ^= 1;
      return new Response(bytes);
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { base: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`, server };
}

/** Set environment variables for `body`, then restore them. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    await body();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      out.push(...await listTree(`${dir}/${entry.name}`, `${prefix}${entry.name}/`));
    } else out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

Deno.test({
  ...await needsData(
    "fetch-data from a loopback mirror: fetches and verifies all, then nothing; rejects a bad shard",
    FETCHABLE_FILES,
  ),
  fn: async () => {
    const bad = "vgg19_uint8_tfjs/group1-shard7of138.bin";
    const good = mirrorOf(REAL_DIR);
    const corrupt = mirrorOf(REAL_DIR, bad);
    const dir = await Deno.makeTempDir({ prefix: "fetch_data_test_" });
    const dir2 = await Deno.makeTempDir({ prefix: "fetch_data_test_" });
    const run = (target: string, mirror: string, args: string[] = []) =>
      runDeno(["run", "--allow-all", "tools/fetch_data.ts", ...args], {
        COURSE_DATA_DIR: target,
        COURSE_DATA_MIRROR: mirror,
        COURSE_DATA_OFFLINE: "0",
        COURSE_PROGRESS: "silent",
      });
    try {
      const first = await run(dir, good.base);
      assertEquals(first.code, 0, first.output);
      assert(first.output.includes(`fetched 27 file(s) (22.4 MB) from ${good.base}`), first.output);
      assert(first.output.includes("27 of 27 external files verified"), first.output);
      assertEquals((await listTree(dir)).length, 27);
      const second = await run(dir, good.base);
      assertEquals(second.code, 0, second.output);
      assert(second.output.includes("nothing to fetch"), second.output);
      const check = await run(dir, good.base, ["--check"]);
      assertEquals(check.code, 0, check.output);
      const wrong = await run(dir, good.base, ["--chek"]);
      assertEquals(wrong.code, 2, wrong.output);
      assert(wrong.output.includes("usage: deno task fetch-data"), wrong.output);

      // A mirror with one corrupted shard: that file is named, nothing corrupt is left.
      const third = await run(dir2, corrupt.base);
      assertEquals(third.code, 1, third.output);
      assert(
        third.output.includes(`cannot fetch ${bad} from ${corrupt.base}/${bad}`),
        third.output,
      );
      assert(third.output.includes("does not match"), third.output);
      assert(third.output.includes("26 of 27 external files verified"), third.output);
      assert(third.output.includes("deno task fetch-data"), third.output);
      const left = await listTree(dir2);
      assertEquals(left.length, 26);
      assert(!left.some((name) => name.startsWith(bad)), String(left));
    } finally {
      await good.server.shutdown();
      await corrupt.server.shutdown();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(dir2, { recursive: true });
    }
  },
});

Deno.test({
  ...await needsData("externalFile fetches a missing file on first use, then verifies it", [
    "gatys/shipwreck.jpg",
  ]),
  fn: async () => {
    const mirror = mirrorOf(REAL_DIR);
    const dir = await Deno.makeTempDir({ prefix: "fetch_data_test_" });
    try {
      await withEnv({
        COURSE_DATA_DIR: dir,
        COURSE_DATA_MIRROR: mirror.base,
        COURSE_DATA_OFFLINE: "0",
        COURSE_PROGRESS: "silent",
      }, async () => {
        const path = await externalFile("gatys/shipwreck.jpg");
        assertEquals(path, `${dir}/gatys/shipwreck.jpg`);
        assertEquals(await listTree(dir), ["gatys/shipwreck.jpg"]);
      });
    } finally {
      await mirror.server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a mirror that serves something else: the first use fails naming file and source", async () => {
  // Small fake files: no real data needed.
  const root = await Deno.makeTempDir({ prefix: "fetch_data_test_root_" });
  const dir = await Deno.makeTempDir({ prefix: "fetch_data_test_" });
  await Deno.mkdir(`${root}/gatys`);
  await Deno.writeTextFile(`${root}/gatys/the_scream.jpg`, "not a painting");
  const mirror = mirrorOf(root);
  try {
    await withEnv({
      COURSE_DATA_DIR: dir,
      COURSE_DATA_MIRROR: `${mirror.base}/`,
      COURSE_DATA_OFFLINE: "0",
      COURSE_PROGRESS: "silent",
    }, async () => {
      const error = await assertRejects(() => externalFile("gatys/the_scream.jpg"), Error);
      for (
        const part of [
          "External data missing",
          `cannot fetch gatys/the_scream.jpg from ${mirror.base}/gatys/the_scream.jpg`,
          "does not match",
          "COURSE_DATA_MIRROR",
        ]
      ) {
        assert(error.message.includes(part), `"${part}" missing from: ${error.message}`);
      }
      assertEquals(await listTree(dir), []);
    });
  } finally {
    await mirror.server.shutdown();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("COURSE_DATA_MIRROR must be an http(s) URL; a trailing slash is dropped", async () => {
  await withEnv({ COURSE_DATA_MIRROR: "http://127.0.0.1:8000/data/" }, () => {
    assertEquals(dataMirror(), "http://127.0.0.1:8000/data");
    return Promise.resolve();
  });
  for (const bad of ["ftp://host/data", "/srv/data", "localhost:8000"]) {
    await withEnv({ COURSE_DATA_MIRROR: bad }, () => {
      assertThrows(() => dataMirror(), Error, "COURSE_DATA_MIRROR must be an http");
      return Promise.resolve();
    });
  }
});

Deno.test("reproduce, offline with no data: only the VGG19 notebooks need data; 05 runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fetch_data_test_" });
  try {
    await withEnv({ COURSE_DATA_DIR: dir, COURSE_DATA_OFFLINE: "1" }, async () => {
      const stems = (await listNotebooks()).map(stemOf);
      const lines: string[] = [];
      const lacking = await prepareExternalData(stems, { log: (l) => lines.push(l) });
      assertEquals(
        [...lacking.keys()].sort(),
        [
          "06_cnn",
          "07_style_transfer",
          "07a_gatys_figure_1",
          "07b_gatys_figure_2",
          "07c_gatys_figure_3",
        ],
      );
      assertEquals(lacking.get("06_cnn"), [...VGG19_FILES, "gatys/tubingen.jpg"]);
      assertEquals(lines.length, 1);
      assert(lines[0].includes("not fetched (COURSE_DATA_OFFLINE=1)"), lines[0]);
      const line = needsDataLine("06_cnn", lacking.get("06_cnn")!);
      for (
        const part of [
          "06_cnn: needs data",
          "22 files",
          "deno task fetch-data",
          "COURSE_DATA_MIRROR",
        ]
      ) {
        assert(line.includes(part), `"${part}" missing from: ${line}`);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the table of notebook data matches what the notebooks use", async () => {
  const notebooks = await listNotebooks();
  const stems = notebooks.map(stemOf);
  for (const stem of Object.keys(NOTEBOOK_DATA)) assert(stems.includes(stem), stem);
  for (const path of notebooks) {
    const source = await Deno.readTextFile(path);
    const { required, optional } = dataFor([stemOf(path)]);
    if (/loadVgg19|prepareGatysFigure/.test(source)) {
      for (const file of VGG19_FILES) assert(required.includes(file), `${stemOf(path)}: ${file}`);
    }
    if (/naturalImagePatches/.test(source)) {
      for (const file of PATCH_FILES) assert(optional.includes(file), `${stemOf(path)}: ${file}`);
    }
    if (required.length + optional.length === 0) {
      assert(!/externalFile|loadGatysImages|GATYS_IMAGES/.test(source), stemOf(path));
    }
  }
});

Deno.test("deno task test counts skipped tests, names them, and CI's switch fails on data skips", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fetch_data_test_runner_" });
  try {
    const file = `${dir}/tiny_test.ts`;
    await Deno.writeTextFile(
      file,
      `Deno.test("plain", () => {});\n` +
        `Deno.test({ name: "needy [skipped: ${NEEDS_DATA_MARK}: x missing]", ignore: true, fn() {} });\n`,
    );
    const plain = await runDeno(["run", "--allow-all", "tools/test.ts", file], {
      COURSE_REQUIRE_DATA: "0",
    });
    assertEquals(plain.code, 0, plain.output);
    // The runner's own last two lines (Deno's stderr comes after them in `output`).
    const lines = plain.output.split("\n");
    const last = lines.lastIndexOf("1 passed, 0 failed, 1 skipped");
    assert(last > 0, plain.output);
    assert(
      lines[last - 1].startsWith("skipped 1: 1 for missing external data") &&
        lines[last - 1].endsWith(": needy"),
      plain.output,
    );
    const ci = await runDeno(["run", "--allow-all", "tools/test.ts", file], {
      COURSE_REQUIRE_DATA: "1",
    });
    assertEquals(ci.code, 1, ci.output);
    assert(ci.output.split("\n").includes("1 passed, 1 failed, 1 skipped"), ci.output);
    assert(ci.output.includes("COURSE_REQUIRE_DATA=1"), ci.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
