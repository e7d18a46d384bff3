/**
 * The notebooks as a reader meets them: type-correct, and executed top
 * to bottom in fresh Deno kernels through real Jupyter (quick mode) without any error output.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  errorOutputs,
  listNotebooks,
  type Notebook,
  readNotebook,
  stemOf,
  textOf,
} from "../tools/notebook_file.ts";
import { typeCheckNotebooks } from "../tools/check_notebooks.ts";
import { runDeno } from "./run_deno.ts";
import { relative } from "node:path";
import { REPO_ROOT } from "../lib/runtime/config.ts";
import { missingExternalFiles } from "../lib/data/external.ts";
import { NOTEBOOK_DATA } from "../tools/notebook_data.ts";
import { needsData } from "./external_data.ts";
import { findQuotes, quoteProblems } from "../tools/result_quotes.ts";
import { resultsPath } from "../lib/runtime/results.ts";
import { staticPngStatus } from "../lib/viz/plot.ts";

const notebooks = await listNotebooks();
/** The notebooks whose required external data is here (all of them when the data is present). */
const runnable: string[] = [];
for (const path of notebooks) {
  const required = NOTEBOOK_DATA[stemOf(path)]?.required ?? [];
  if ((await missingExternalFiles(required)).length === 0) runnable.push(path);
}
const lacking = notebooks.filter((path) => !runnable.includes(path));

/** Run the runner behind `deno task reproduce` (the user's command) in quick mode. */
function reproduce(args: string[]): Promise<{ code: number; output: string }> {
  return runDeno(["run", "--allow-all", "tools/reproduce.ts", ...args], { COURSE_MODE: "quick" });
}

/** The numbers a reader sees: printed streams and Markdown tables (not timings of progress bars). */
function printedText(notebook: Notebook): string[] {
  return notebook.cells.flatMap((cell) =>
    (cell.outputs ?? []).flatMap((o) =>
      o.output_type === "stream"
        ? [textOf(o.text)]
        : o.data?.["text/markdown"]
        ? [textOf(o.data["text/markdown"] as string | string[])]
        : []
    )
  );
}

Deno.test("the course has its chapters in order", () => {
  const stems = notebooks.map(stemOf);
  for (const expected of ["01_introduction", "02_feedforward"]) {
    assert(stems.includes(expected), `missing notebook ${expected}`);
  }
});

Deno.test("every notebook's code cells type-check", async (t) => {
  const problems = await typeCheckNotebooks(notebooks);
  for (const path of notebooks) {
    await t.step(stemOf(path), () => {
      const found = problems.get(path) ?? [];
      assertEquals(found, [], found.join("\n"));
    });
  }
});

const out = await Deno.makeTempDir({ prefix: "course-out-" });

Deno.test("every notebook runs in quick mode through Jupyter without an error output", async () => {
  // Those that need absent external data are the skipped test below.
  const run = await reproduce([...(lacking.length === 0 ? [] : runnable), "--out", out]);
  assertEquals(run.code, 0, run.output);
  await Deno.stat(`${out}/html/index.html`);
  for (const path of runnable) {
    const stem = stemOf(path);
    const executed = await readNotebook(`${out}/notebooks/${stem}.ipynb`);
    assertEquals(errorOutputs(executed), [], stem);
    await Deno.stat(`${out}/html/${stem}.html`);
    // Every notebook prints its mode and backend first.
    assert(printedText(executed).join("").includes(`${stem} · mode quick · backend `), stem);
  }
  // With a browser, the figures were drawn by reproduce's one browser, not one per kernel.
  if (staticPngStatus().enabled) {
    const drawn = Number(run.output.match(/^figures: (\d+) drawn by reproduce's browser$/m)?.[1]);
    assert(
      drawn >= 20,
      `figures drawn by reproduce's browser: ${drawn}\n${run.output.slice(-600)}`,
    );
  }
});

Deno.test("every quick-mode number a notebook's Markdown quotes is what its quick run recorded", async () => {
  const problems: string[] = [];
  let checked = 0;
  for (const path of runnable) {
    const stem = stemOf(path);
    let recorded: Record<string, number> | undefined;
    try {
      const file = await Deno.readTextFile(resultsPath(out, stem, "quick"));
      recorded = (JSON.parse(file) as { results: Record<string, number> }).results;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const source = await readNotebook(path);
    for (const [i, cell] of source.cells.entries()) {
      if (cell.cell_type !== "markdown") continue;
      const quotes = findQuotes(textOf(cell.source)).quotes.filter((q) => q.mode === "quick");
      checked += quotes.length;
      problems.push(...quoteProblems(`${stem}.ipynb cell ${i + 1}`, quotes, { quick: recorded }));
    }
  }
  assertEquals(problems, [], problems.join("\n"));
  assert(checked > 0, "no quick-mode quote found: are the markers gone?");
});

if (lacking.length > 0) {
  // Only registered when data is missing, so that nothing is skipped when it is present.
  const files = [...new Set(lacking.flatMap((path) => NOTEBOOK_DATA[stemOf(path)].required))];
  Deno.test({
    ...await needsData(`${lacking.map(stemOf).join(", ")} run through Jupyter`, files),
    fn: () => {},
  });
}

Deno.test("every figure of 02 is a PNG in out/figures and inside the executed notebook", async () => {
  const executed = await readNotebook(`${out}/notebooks/02_feedforward.ipynb`);
  const embedded = executed.cells.flatMap((c) => c.outputs ?? []).filter((o) =>
    o.data?.["image/png"]
  );
  const files = [];
  for await (const entry of Deno.readDir(`${out}/figures`)) {
    if (entry.name.startsWith("02_feedforward-") && entry.name.endsWith(".png")) {
      files.push(entry.name);
    }
  }
  assert(files.length >= 3, `figures of 02 in out/figures: ${files}`);
  assertEquals(embedded.length, files.length, "each saved figure is also shown in the notebook");
});

Deno.test("a second run prints exactly the same numbers (determinism), into a relative --out", async () => {
  await Deno.mkdir(`${REPO_ROOT}/out`, { recursive: true });
  const again = await Deno.makeTempDir({ prefix: "course-again-", dir: `${REPO_ROOT}/out` });
  // Relative to the repository root, where reproduce runs (the kernels run in notebooks/).
  const run = await reproduce(["01", "02", "--out", relative(REPO_ROOT, again)]);
  assertEquals(run.code, 0, run.output);
  for (const stem of ["01_introduction", "02_feedforward"]) {
    const first = printedText(await readNotebook(`${out}/notebooks/${stem}.ipynb`));
    const second = printedText(await readNotebook(`${again}/notebooks/${stem}.ipynb`));
    assertEquals(second, first, stem);
  }
  const figures = [...Deno.readDirSync(`${again}/figures`)].map((e) => e.name);
  assert(figures.some((f) => f.startsWith("02_feedforward-")), `figures: ${figures}`);
  await Deno.remove(again, { recursive: true });
});

Deno.test("a planted throw fails the run, naming the notebook and the cell", async () => {
  const dir = await Deno.makeTempDir({ prefix: "course-planted-" });
  const source = await readNotebook(notebooks[0]);
  const planted: Notebook = {
    ...source,
    cells: [
      { cell_type: "markdown", source: "# Planted\n", metadata: {} },
      {
        cell_type: "code",
        source: "console.log(1);",
        metadata: {},
        outputs: [],
        execution_count: null,
      },
      {
        cell_type: "code",
        source: 'throw new Error("planted failure");',
        metadata: {},
        outputs: [],
        execution_count: null,
      },
    ],
  };
  await Deno.writeTextFile(`${dir}/99_planted.ipynb`, JSON.stringify(planted));
  const run = await reproduce([`${dir}/99_planted.ipynb`, "--out", `${dir}/out`]);
  assertEquals(run.code, 1, run.output);
  assert(run.output.includes("99_planted.ipynb, cell 3"), run.output);
  assert(run.output.includes("planted failure"), run.output);
  await Deno.remove(dir, { recursive: true });
});
