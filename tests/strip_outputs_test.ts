/**
 * Notebooks are stored without outputs, whatever the working copy holds: the git clean filter
 * strips them on `git add`, and the tests read what git stores.
 */
import { assert, assertEquals } from "./assert.ts";
import { FILTER_NAME, storedNotebook, stripOutputs } from "../tools/strip_outputs.ts";
import { listNotebooks, type Notebook, stemOf } from "../tools/notebook_file.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

const withOutputs: Notebook = {
  cells: [
    { cell_type: "markdown", metadata: {}, source: ["# T\n"] },
    {
      cell_type: "code",
      execution_count: 3,
      metadata: { execution: { "iopub.status.busy": "2026" }, tags: ["keep"] },
      outputs: [{ output_type: "stream", name: "stdout", text: ["1\n"] }],
      source: ["console.log(1);"],
    },
  ],
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5,
};

Deno.test("notebooks are stored without outputs (what git stores, not the working copy)", async () => {
  const dirty: string[] = [];
  for (const path of await listNotebooks()) {
    const stored = await storedNotebook(path) ?? await Deno.readTextFile(path);
    if (stripOutputs(stored) !== stored) dirty.push(stemOf(path));
  }
  assertEquals(
    dirty,
    [],
    "these notebooks are staged with outputs: run `deno task setup-git` once (a git filter " +
      "then strips outputs on `git add`) and stage them again",
  );
});

Deno.test("stripOutputs clears outputs, counts and run metadata, and keeps everything else", () => {
  const stripped = JSON.parse(stripOutputs(JSON.stringify(withOutputs)));
  assertEquals(stripped.cells[1].outputs, []);
  assertEquals(stripped.cells[1].execution_count, null);
  assertEquals(stripped.cells[1].metadata, { tags: ["keep"] });
  assertEquals(stripped.cells[1].source, ["console.log(1);"]);
  assertEquals(stripped.cells[0], withOutputs.cells[0]);
  const once = stripOutputs(JSON.stringify(withOutputs));
  assertEquals(stripOutputs(once), once); // idempotent
  assertEquals(stripOutputs("not json {"), "not json {"); // never loses a file
});

Deno.test("stored notebooks are byte-identical to their stripped form (the filter is a no-op on them)", async () => {
  const path = (await listNotebooks(["02_"]))[0];
  const text = await Deno.readTextFile(path);
  const cleared = JSON.parse(text) as Notebook;
  assertEquals(cleared.cells.every((c) => (c.outputs ?? []).length === 0), true);
  assertEquals(stripOutputs(text), text);
});

Deno.test("with the filter installed, git add stores a run notebook without outputs and keeps the working copy", async () => {
  const repo = await Deno.makeTempDir({ prefix: "strip-outputs-" });
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: repo, stdout: "piped", stderr: "piped" })
      .output();
    assert(out.success, `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  };
  try {
    await git("init", "-q");
    await git("config", "user.email", "t@example.org");
    await git("config", "user.name", "t");
    await git(
      "config",
      `filter.${FILTER_NAME}.clean`,
      `"${Deno.execPath()}" run --allow-read ${REPO_ROOT}/tools/strip_outputs.ts`,
    );
    await Deno.copyFile(`${REPO_ROOT}/.gitattributes`, `${repo}/.gitattributes`);
    await Deno.mkdir(`${repo}/notebooks`);
    const run = `${JSON.stringify(withOutputs, null, 1)}\n`;
    await Deno.writeTextFile(`${repo}/notebooks/01_t.ipynb`, run);
    await git("add", ".");
    await git("commit", "-qm", "t");
    const stored = await git("cat-file", "blob", ":notebooks/01_t.ipynb");
    assertEquals(stored, stripOutputs(run));
    assertEquals(await Deno.readTextFile(`${repo}/notebooks/01_t.ipynb`), run);
    assertEquals((await git("status", "--porcelain")).trim(), ""); // outputs alone are no change
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});
