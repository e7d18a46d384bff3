/**
 * The reproduce runner's bookkeeping without Jupyter: the index page lists every executed
 * notebook with its last status, and a notebook's figures are one set (kept after a successful
 * run, the previous set restored after a failed one).
 */
import { assert, assertEquals } from "./assert.ts";
import { readStatus, updateIndexPage } from "../tools/index_page.ts";
import { keepNewFigures, restoreFigures, setAsideFigures } from "../tools/figure_set.ts";
import type { NotebookReport } from "../tools/report.ts";

function report(stem: string, ok: boolean): NotebookReport {
  const problems = ok ? [] : [{ cell: 3, firstLine: "x", message: "Error: boom" }];
  return { stem, title: `Title ${stem}`, seconds: 1.25, cells: 4, ok, problems, reruns: 0 };
}

async function writeNotebook(path: string, heading: string): Promise<void> {
  const cells = [{ cell_type: "markdown", source: `# ${heading}`, metadata: {} }];
  await Deno.writeTextFile(
    path,
    JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 }),
  );
}

Deno.test("index.html lists every executed notebook with its last status", async () => {
  const out = await Deno.makeTempDir({ prefix: "course-index-test-" });
  try {
    await Deno.mkdir(`${out}/notebooks`);
    await Deno.mkdir(`${out}/html`);
    await writeNotebook(`${out}/notebooks/01_a.ipynb`, "Chapter A");
    await writeNotebook(`${out}/notebooks/02_b.ipynb`, "Chapter B");
    await writeNotebook(`${out}/notebooks/03_c.ipynb`, "Chapter C"); // executed before status.json
    await updateIndexPage(out, [report("02_b", false)], "quick");
    await updateIndexPage(out, [report("01_a", true)], "full"); // a later run of another notebook
    const status = await readStatus(`${out}/html`);
    assertEquals(Object.keys(status), ["01_a", "02_b", "03_c"]);
    assertEquals([status["01_a"].ok, status["01_a"].mode], [true, "full"]);
    assertEquals([status["02_b"].ok, status["02_b"].problem], [false, "Error: boom"]);
    assertEquals(status["03_c"].title, "Chapter C");
    const html = await Deno.readTextFile(`${out}/html/index.html`);
    const rows = html.split("\n").filter((line) => line.startsWith("<tr><td>"));
    assertEquals(rows.length, 3, html);
    assert(rows[0].includes('href="01_a.html"') && rows[0].includes('class="ok"'), rows[0]);
    assert(rows[1].includes('href="02_b.html"') && rows[1].includes('class="failed"'), rows[1]);
    assert(rows[2].includes("Chapter C") && rows[2].includes('class="unknown"'), rows[2]);
    const left = [...Deno.readDirSync(`${out}/html`)].map((e) => e.name).sort();
    assertEquals(left, ["index.html", "status.json"], "no temporary file is left");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("a notebook's figures: new set kept on success, previous set restored on failure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "course-figures-test-" });
  try {
    await Deno.writeTextFile(`${dir}/02_b-old.png`, "old");
    await Deno.writeTextFile(`${dir}/02_b-loss.png`, "old loss");
    await Deno.writeTextFile(`${dir}/02_bb-other.png`, "another notebook's");
    // A failed run: its partial figures go, the previous ones come back.
    await setAsideFigures(dir, "02_b");
    await Deno.writeTextFile(`${dir}/02_b-loss.png`, "new loss (partial run)");
    await restoreFigures(dir, "02_b");
    assertEquals(names(dir), ["02_b-loss.png", "02_b-old.png", "02_bb-other.png"]);
    assertEquals(await Deno.readTextFile(`${dir}/02_b-loss.png`), "old loss");
    // A runner killed midway: the next run starts from the set aside figures.
    await setAsideFigures(dir, "02_b");
    await Deno.writeTextFile(`${dir}/02_b-loss.png`, "new loss (killed run)");
    await setAsideFigures(dir, "02_b");
    assertEquals(await Deno.readTextFile(`${dir}/.previous-02_b/02_b-loss.png`), "old loss");
    // A successful run: only its own figures remain.
    await Deno.writeTextFile(`${dir}/02_b-loss.png`, "new loss");
    await keepNewFigures(dir, "02_b");
    assertEquals(names(dir), ["02_b-loss.png", "02_bb-other.png"]);
    assertEquals(await Deno.readTextFile(`${dir}/02_b-loss.png`), "new loss");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
