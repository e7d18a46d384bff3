/**
 * The executor behind `reproduce` and `grade` (`tools/execute_notebook.py`) keeps every line a
 * cell prints, also what the Deno kernel forwards after it has reported the cell done: cells that
 * end with hundreds of console.log lines and a console.error line (most of it arrives late) come
 * back complete, in order, with consecutive execution counts and no trace of the fence that the
 * executor sends after each cell.
 */
import { assertEquals } from "./assert.ts";
import { executeNotebook } from "../tools/jupyter.ts";
import { readNotebook, textOf } from "../tools/notebook_file.ts";

const CELLS = 8, LINES = 300;

function loudCell(k: number): string {
  return [
    `for (let i = 0; i < ${LINES}; i++) console.log("cell ${k} line " + i);`,
    `console.error("cell ${k} to stderr");`,
    `console.log("cell ${k} last");`,
  ].join("\n");
}

Deno.test("the executor keeps every line a cell prints, late ones included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "course-late-output-" });
  try {
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      cells: Array.from({ length: CELLS }, (_, k) => ({
        cell_type: "code",
        id: `cell-${k}`,
        metadata: {},
        execution_count: null,
        outputs: [],
        source: loudCell(k),
      })),
    };
    await Deno.writeTextFile(`${dir}/loud.ipynb`, JSON.stringify(notebook));
    const result = await executeNotebook(`${dir}/loud.ipynb`, `${dir}/loud.out.ipynb`, {
      cellTimeoutSeconds: 120,
    });
    assertEquals(result.ok, true, result.failure?.message ?? result.stderr);
    const executed = await readNotebook(`${dir}/loud.out.ipynb`);
    executed.cells.forEach((cell, k) => {
      const printed = (name: string) =>
        (cell.outputs ?? []).filter((o) => o.output_type === "stream" && o.name === name)
          .map((o) => textOf(o.text)).join("");
      const expected = Array.from({ length: LINES }, (_, i) => `cell ${k} line ${i}\n`).join("") +
        `cell ${k} last\n`;
      assertEquals(printed("stdout"), expected, `stdout of cell ${k}`);
      assertEquals(printed("stderr"), `cell ${k} to stderr\n`, `stderr of cell ${k}`);
      assertEquals(cell.execution_count, k + 1, `execution count of cell ${k}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
