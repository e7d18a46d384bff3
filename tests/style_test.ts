/**
 * The repository stays formatted and lint-clean: `deno fmt --check`, `deno lint`, and the
 * notebooks' code cells formatted (tools/format_notebooks.ts; `deno fmt` skips notebooks).
 */
import { assertEquals } from "./assert.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

async function deno(args: string[]): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

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
