/**
 * One source for the code a chapter teaches: every `// @save` cell equals its region in `lib/`,
 * and the tool that copies them finds every kind of drift.
 */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  regionHead,
  type SavedCell,
  savedCellsOf,
  syncSavedCells,
  withSavedCells,
} from "../tools/saved_cells.ts";
import { listNotebooks, readNotebook, sourceOf, stemOf } from "../tools/notebook_file.ts";

const cell = (code: string, notebook = "notebooks/03a_x.ipynb", n = 2): SavedCell => ({
  notebook,
  cell: n,
  module: "lib/nn/x.ts",
  code,
});

Deno.test("every saved cell equals its region in lib/ (edit the notebook, then `deno task save-cells`)", async () => {
  const drifts = await syncSavedCells({ check: true });
  assertEquals(drifts.map((d) => `${d.module}: ${d.message}`), []);
});

Deno.test("no Markdown cell quotes code: the code a chapter shows runs in its cells", async () => {
  const quoted: string[] = [];
  for (const path of await listNotebooks()) {
    (await readNotebook(path)).cells.forEach((c, i) => {
      if (
        c.cell_type === "markdown" && /^\s*```\s*(ts|typescript|js|javascript)\b/m.test(sourceOf(c))
      ) {
        quoted.push(`${stemOf(path)}, cell ${i + 1}`);
      }
    });
  }
  assertEquals(quoted, []);
});

Deno.test("savedCellsOf finds marked cells and rejects a malformed marker", () => {
  const cells = [
    { cell_type: "markdown", source: "// @save lib/nn/x.ts\nnot code" },
    { cell_type: "code", source: ["// @save lib/nn/x.ts\n", "export const a = 1;\n\n"] },
    { cell_type: "code", source: "const b = 2;" },
  ];
  assertEquals(savedCellsOf("notebooks/n.ipynb", cells), [
    { notebook: "notebooks/n.ipynb", cell: 2, module: "lib/nn/x.ts", code: "export const a = 1;" },
  ]);
  assertThrows(
    () => savedCellsOf("notebooks/n.ipynb", [{ cell_type: "code", source: "// @save nn/x.ts" }]),
    Error,
    "malformed marker",
  );
});

Deno.test("withSavedCells replaces regions in order, appends new ones and drops orphans", () => {
  const head = '/** A module. */\nimport * as tf from "x";\n';
  const module = `${head}\n${regionHead("notebooks/03a_x.ipynb")}\nexport const a = 1;\n` +
    `// @end-saved\n\nexport const handWritten = 3;\n`;
  // Unchanged cells: unchanged text.
  assertEquals(withSavedCells("m", module, [cell("export const a = 1;")]), module);
  // An edited cell replaces the region's body, leaving the hand-written code around it.
  const edited = withSavedCells("m", module, [cell("export const a = 2;")]);
  assert(edited.includes("export const a = 2;") && !edited.includes("export const a = 1;"));
  assert(edited.startsWith(head) && edited.endsWith("export const handWritten = 3;\n"));
  // A second cell is appended as a new region at the end.
  const two = withSavedCells("m", module, [
    cell("export const a = 1;"),
    cell("export const c = 4;"),
  ]);
  assert(
    two.endsWith(`${regionHead("notebooks/03a_x.ipynb")}\nexport const c = 4;\n// @end-saved\n`),
  );
  // With no cells the region goes.
  assert(!withSavedCells("m", module, []).includes("@saved-from"));
  // An unterminated region is an error naming the module.
  assertThrows(
    () => withSavedCells("lib/m.ts", `${regionHead("notebooks/a.ipynb")}\nx\n`, []),
    Error,
    "lib/m.ts",
  );
});

Deno.test("the check names notebook, cell and line of an edited region; the sync repairs it", async () => {
  const root = await Deno.makeTempDir({ prefix: "saved-cells-" });
  try {
    await Deno.mkdir(`${root}/lib/nn`, { recursive: true });
    await Deno.mkdir(`${root}/notebooks`);
    const notebook = `${root}/notebooks/03a_x.ipynb`;
    await Deno.writeTextFile(
      notebook,
      JSON.stringify({
        cells: [
          { cell_type: "markdown", source: "# x" },
          { cell_type: "code", source: "// @save lib/nn/x.ts\nexport const a = 1;\n" },
        ],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    const module = `${root}/lib/nn/x.ts`;
    const region = `${regionHead("notebooks/03a_x.ipynb")}\nexport const a = 1;\n// @end-saved\n`;
    await Deno.writeTextFile(module, `/** x */\n\n${region.replace("a = 1", "a = 2")}`);
    const options = { root, notebooks: [notebook] };
    const drifts = await syncSavedCells({ check: true, ...options });
    assertEquals(drifts.length, 1);
    assertEquals(drifts[0].module, "lib/nn/x.ts");
    assert(
      drifts[0].message.includes("notebooks/03a_x.ipynb, cell 2: line 1") &&
        drifts[0].message.includes("export const a = 2;"),
      drifts[0].message,
    );
    assertEquals(
      await Deno.readTextFile(module),
      `/** x */\n\n${region.replace("a = 1", "a = 2")}`,
    );
    await syncSavedCells({ check: false, ...options }); // copy the cell into the module
    assertEquals(await Deno.readTextFile(module), `/** x */\n\n${region}`);
    assertEquals(await syncSavedCells({ check: true, ...options }), []);
    // A module region whose cell was deleted is drift too.
    await Deno.writeTextFile(
      notebook,
      JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
    );
    const orphan = await syncSavedCells({ check: true, ...options });
    assert(orphan[0]?.message.includes("0 marked cell(s)"), orphan[0]?.message);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
