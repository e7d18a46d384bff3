/**
 * tools/fetch_weights.ts without a network: the file list and addresses, verification of local
 * files, a "download" served from the local data folder, a corrupt download rejected, and the
 * message when the network cannot be reached.
 */
import { needsWeights, skipReason, weightsDir } from "./vgg19_weights.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { runDeno } from "./run_deno.ts";
import { fetchWeights, rawUrl, verifyWeights, weightFiles } from "../tools/fetch_weights.ts";

/** A fetch that serves the files of `dir` by name, optionally damaging one. */
function localFetch(dir: string, damage?: string): typeof fetch {
  return (async (input: string | URL | Request) => {
    const name = String(input).split("/").at(-1) as string;
    const bytes = await Deno.readFile(`${dir}/${name}`);
    if (name === damage) bytes[0] ^= 1;
    return new Response(bytes);
  }) as typeof fetch;
}

Deno.test("the files to fetch: model.json and shards 1–20 at the recorded commit", () => {
  const files = weightFiles();
  assertEquals(files.length, 21);
  assertEquals(files[0].name, "model.json");
  assert(files.every((f) => f.url.startsWith("https://raw.githubusercontent.com/azertat/")));
  assert(files.every((f) => f.url.includes("/3c14b35a1b5037c331fe01da1b00d2d3bb09bba9/")));
  assertEquals(
    rawUrl("https://github.com/o/r/tree/" + "a".repeat(40) + "/m/s", "x.bin"),
    `https://raw.githubusercontent.com/o/r/${"a".repeat(40)}/m/s/x.bin`,
  );
});

Deno.test({
  name: needsWeights("verifyWeights accepts the data folder and finds missing and corrupt files"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const good = await verifyWeights(weightsDir);
    assertEquals([good.ok.length, good.missing, good.corrupt], [21, [], []]);
    const dir = await Deno.makeTempDir({ prefix: "fetch_weights_test_" });
    try {
      await Deno.copyFile(`${weightsDir}/model.json`, `${dir}/model.json`);
      const shard = await Deno.readFile(`${weightsDir}/group1-shard2of138.bin`);
      shard[5] ^= 1;
      await Deno.writeFile(`${dir}/group1-shard2of138.bin`, shard);
      const report = await verifyWeights(dir);
      assertEquals(report.ok, ["model.json"]);
      assertEquals(report.corrupt, ["group1-shard2of138.bin"]);
      assertEquals(report.missing.length, 19);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: needsWeights("fetchWeights downloads, verifies and keeps good files; rejects bad ones"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fetch_weights_test_" });
    try {
      // A corrupt download is refused and leaves nothing behind.
      const bad = "group1-shard4of138.bin";
      const error = await assertRejects(
        () => fetchWeights({ dir, fetcher: localFetch(weightsDir, bad) }),
        Error,
        "does not match",
      );
      assert(error.message.includes(bad), error.message);
      for await (const entry of Deno.readDir(dir)) assert(!entry.name.startsWith(bad));
      // A good source completes the folder; files fetched before are kept.
      const lines: string[] = [];
      const report = await fetchWeights({
        dir,
        fetcher: localFetch(weightsDir),
        log: (l) => lines.push(l),
      });
      assertEquals([report.ok.length, report.missing, report.corrupt], [21, [], []]);
      assertEquals(lines.length, 21 - 4); // model.json and shards 1–3 came in the first attempt
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("without a network, fetchWeights fails with one message saying what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fetch_weights_test_" });
  try {
    const offline = (() => Promise.reject(new TypeError("dns error"))) as typeof fetch;
    const error = await assertRejects(() => fetchWeights({ dir, fetcher: offline }), Error);
    for (const part of ["cannot download", "offline", "COURSE_DATA_DIR", "--check"]) {
      assert(error.message.includes(part), `"${part}" missing from: ${error.message}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch-weights refuses unknown flags and stray arguments instead of ignoring them", async () => {
  for (const args of [["--dirr", "/tmp/x"], ["--bogus"], ["somewhere"]]) {
    const r = await runDeno(["run", "--allow-all", "tools/fetch_weights.ts", ...args]);
    assert(r.code === 2, `${args.join(" ")}: exit ${r.code}\n${r.output}`);
    assert(r.output.startsWith("fetch-weights: ") && r.output.includes("usage:"), r.output);
  }
});
