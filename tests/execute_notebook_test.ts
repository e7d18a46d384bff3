/**
 * The executor behind `reproduce` and `grade` (`tools/execute_notebook.py`) keeps every line a
 * cell prints, also what the Deno kernel forwards after it has reported the cell done: cells that
 * end with hundreds of console.log lines and a console.error line (most of it arrives late) come
 * back complete, in order, with consecutive execution counts and no trace of the fence that the
 * executor sends after each cell; and a cell that replaces console.log (so that the fence cannot
 * come back) costs the fence's wait once, not the notebook.
 */
import { assertEquals } from "./assert.ts";
import { executeNotebook } from "../tools/jupyter.ts";
import { codeNotebookJson } from "./notebook_fixture.ts";
import { type Cell, type Notebook, readNotebook, textOf } from "../tools/notebook_file.ts";

const CELLS = 8, LINES = 300;

function loudCell(k: number): string {
  return [
    `for (let i = 0; i < ${LINES}; i++) console.log("cell ${k} line " + i);`,
    `console.error("cell ${k} to stderr");`,
    `console.log("cell ${k} last");`,
  ].join("\n");
}

/** Run code cells `sources` through the executor; the executed notebook. */
async function execute(sources: string[]): Promise<Notebook> {
  const dir = await Deno.makeTempDir({ prefix: "course-late-output-" });
  try {
    await Deno.writeTextFile(`${dir}/cells.ipynb`, codeNotebookJson(sources));
    const result = await executeNotebook(`${dir}/cells.ipynb`, `${dir}/cells.out.ipynb`, {
      cellTimeoutSeconds: 120,
    });
    assertEquals(result.ok, true, result.failure?.message ?? result.stderr);
    return await readNotebook(`${dir}/cells.out.ipynb`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What cell `cell` printed on stream `name`. */
function printed(cell: Cell, name: "stdout" | "stderr"): string {
  return (cell.outputs ?? []).filter((o) => o.output_type === "stream" && o.name === name)
    .map((o) => textOf(o.text)).join("");
}

Deno.test("the executor keeps every line a cell prints, late ones included", async () => {
  const executed = await execute(Array.from({ length: CELLS }, (_, k) => loudCell(k)));
  executed.cells.forEach((cell, k) => {
    const expected = Array.from({ length: LINES }, (_, i) => `cell ${k} line ${i}\n`).join("") +
      `cell ${k} last\n`;
    assertEquals(printed(cell, "stdout"), expected, `stdout of cell ${k}`);
    assertEquals(printed(cell, "stderr"), `cell ${k} to stderr\n`, `stderr of cell ${k}`);
    assertEquals(cell.execution_count, k + 1, `execution count of cell ${k}`);
  });
});

Deno.test("a cell that silences console.log does not stop the notebook (the fence gives up)", async () => {
  const executed = await execute([
    `console.log("before");`,
    `console.log = () => {};\nconsole.error("silenced");`,
    `console.error("after");`,
  ]);
  assertEquals(executed.cells.map((cell) => cell.execution_count), [1, 2, 3]);
  assertEquals(printed(executed.cells[0], "stdout"), "before\n");
  assertEquals(printed(executed.cells[1], "stderr"), "silenced\n");
  assertEquals(printed(executed.cells[2], "stderr"), "after\n");
});
