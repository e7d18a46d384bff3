/**
 * The repository stays formatted and lint-clean: `deno fmt --check`, `deno lint`, and the
 * notebooks' code cells formatted (tools/format_notebooks.ts; `deno fmt` skips notebooks).
 */
import { assertEquals } from "./assert.ts";
import { runDeno as deno } from "./run_deno.ts";

Deno.test("deno fmt --check is clean", async () => {
  const run = await deno(["fmt", "--check"]);
  assertEquals(run.code, 0, run.output);
});

Deno.test("notebook code cells are formatted", async () => {
  const run = await deno(["run", "--allow-all", "tools/format_notebooks.ts", "--check"]);
  assertEquals(run.code, 0, run.output);
});

Deno.test("an unformatted notebook cell is reported", async () => {
  const { formatCodeCells } = await import("../tools/format_notebooks.ts");
  const dir = await Deno.makeTempDir();
  const notebook = {
    cells: [{ cell_type: "code", source: ["const  x=1"], metadata: {}, outputs: [] }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  await Deno.writeTextFile(`${dir}/n.ipynb`, JSON.stringify(notebook));
  const changed = await formatCodeCells([`${dir}/n.ipynb`]);
  assertEquals(changed.map((c) => [c.cell, c.formatted]), [[1, "const x = 1;"]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno lint is clean", async () => {
  const run = await deno(["lint"]);
  assertEquals(run.code, 0, run.output);
});
