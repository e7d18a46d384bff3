/**
 * Numbers in prose against the numbers the code recorded (tools/result_quotes.ts): the parser and
 * comparison on planted texts, then every quote in the course's notebooks and README against the
 * committed table of full-mode results. Quick-mode quotes are checked against a live quick run
 * in tests/notebooks_test.ts.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  findQuotes,
  FULL_MODE_TABLE,
  quoteMatches,
  quoteProblems,
  readFullModeTable,
  recordFullModeRun,
  unmarkedFullModeNumbers,
} from "../tools/result_quotes.ts";
import { listNotebooks, readNotebook, stemOf } from "../tools/notebook_file.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

Deno.test("findQuotes reads plain, grouped, percent and LaTeX numbers before their markers", () => {
  const text = "acc 98.19 %<!-- full: test_accuracy_pct -->, ratio $1.4\\times10^{-2}$" +
    "<!-- full: gradient_ratio -->,\n60\u2009000<!-- quick: images --> images, 12\\,832" +
    "<!-- full: parameters --> and 35<!-- full: 05b_pretraining/gain -->×";
  const { quotes, problems } = findQuotes(text);
  assertEquals(problems, []);
  assertEquals(
    quotes.map((q) => [q.mode, q.notebook, q.name, q.value, q.decimals, q.exponent, q.line]),
    [
      ["full", undefined, "test_accuracy_pct", 98.19, 2, 0, 1],
      ["full", undefined, "gradient_ratio", 1.4e-2, 1, -2, 1],
      ["quick", undefined, "images", 60000, 0, 0, 2],
      ["full", undefined, "parameters", 12832, 0, 0, 2],
      ["full", "05b_pretraining", "gain", 35, 0, 0, 2],
    ],
  );
});

Deno.test("findQuotes reports a marker without a number, a bad mode and a bad name", () => {
  const { quotes, problems } = findQuotes(
    "text <!-- full: alone -->\n3.2<!-- fast: x --> 4<!-- full: Bad-Name --> 5<!-- full: 4x/y -->",
  );
  assertEquals(quotes, []);
  assertEquals(problems.length, 4, problems.join("\n"));
  assert(problems.some((p) => /line 1: marker <!-- full: alone --> follows no number/.test(p)));
  assert(problems.some((p) => /neither full nor quick/.test(p)));
  assert(problems.some((p) => /"Bad-Name" is not a result name/.test(p)));
  assert(problems.some((p) => /"4x" in a marker is not a notebook's file stem/.test(p)));
});

Deno.test("markers in code (inline or fenced) are examples, not quotes", () => {
  const text = "write `98.19 %<!-- full: a -->` like this\n```\n2.5<!-- full: b -->\n```\n" +
    "and 3.5<!-- full: c --> here";
  const { quotes, problems } = findQuotes(text);
  assertEquals(problems, []);
  assertEquals(quotes.map((q) => [q.name, q.line]), [["c", 5]]);
  assertEquals(unmarkedFullModeNumbers("In full mode, `2.5 %` is an example."), []);
});

Deno.test("a quote matches a recorded value that rounds to it at the quote's precision", () => {
  const [pct, sci, whole] = findQuotes(
    "98.19<!-- full: a --> $4\\times10^{-4}$<!-- full: b --> 35<!-- full: c -->",
  ).quotes;
  assert(quoteMatches(pct, 98.1875) && quoteMatches(pct, 98.194));
  assert(!quoteMatches(pct, 98.196) && !quoteMatches(pct, 98.18));
  assert(quoteMatches(sci, 3.6e-4) && quoteMatches(sci, 4.49e-4));
  assert(!quoteMatches(sci, 3.4e-4) && !quoteMatches(sci, 4e-3));
  assert(quoteMatches(whole, 35.4) && !quoteMatches(whole, 35.6));
});

Deno.test("quoteProblems names a missing run, an unrecorded result and a changed number", () => {
  const { quotes } = findQuotes("2.79<!-- full: error_pct --> 9<!-- quick: ratio -->");
  assertEquals(quoteProblems("nb.ipynb cell 3", quotes, { full: { error_pct: 2.79 } }), [
    "nb.ipynb cell 3, line 1: quotes quick-mode result ratio, but no quick-mode run was recorded",
  ]);
  assertEquals(
    quoteProblems("nb", quotes, { full: { error_pct: 2.81 }, quick: { other: 1 } }),
    [
      "nb, line 1: says 2.79 for full-mode error_pct, but the run recorded 2.81",
      "nb, line 1: quotes quick-mode result ratio, which the run did not record (recorded: other)",
    ],
  );
  assertEquals(
    quoteProblems("nb", quotes, { full: { error_pct: 2.7899 }, quick: { ratio: 9.2 } }),
    [],
  );
});

Deno.test("unmarked full-mode results are found; set-ups, settings, sizes and timings pass", () => {
  const flagged = unmarkedFullModeNumbers(
    "In full mode the test error is 2.36 %. Quick mode gives 9 %.\n\n" +
      "Full mode: 60 000 images, 20 epochs, $\\eta = 0.5$, 256×192 px, 55.5 min wall.\n\n" +
      "In full mode the ratio is 35×.\n\n" +
      "In full mode it is 98.19 %<!-- full: test_accuracy_pct -->.",
  );
  assertEquals(flagged.length, 2, flagged.join("\n"));
  assert(flagged[0].startsWith("In full mode the test error is 2.36 %."), flagged[0]);
  assert(flagged[1].includes("35×"), flagged[1]);
});

/** Each Markdown cell of each course notebook, with where it is. */
async function markdownCells(): Promise<{ stem: string; where: string; text: string }[]> {
  const cells = [];
  for (const path of await listNotebooks()) {
    const notebook = await readNotebook(path);
    for (const [i, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== "markdown") continue;
      const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      cells.push({ stem: stemOf(path), where: `${stemOf(path)}.ipynb cell ${i + 1}`, text });
    }
  }
  return cells;
}

Deno.test(`every full-mode number the notebooks and README quote is in ${FULL_MODE_TABLE}`, async () => {
  const table = await readFullModeTable(`${REPO_ROOT}/${FULL_MODE_TABLE}`);
  const problems: string[] = [];
  let checked = 0;
  const check = (where: string, text: string, stem?: string) => {
    const found = findQuotes(text);
    problems.push(...found.problems.map((p) => `${where}: ${p}`));
    for (const quote of found.quotes.filter((q) => q.mode === "full")) {
      const notebook = quote.notebook ?? stem;
      if (notebook === undefined) {
        problems.push(
          `${where}, line ${quote.line}: name the notebook: <!-- full: <stem>/${quote.name} -->`,
        );
        continue;
      }
      checked++;
      problems.push(...quoteProblems(where, [quote], { full: table[notebook]?.results }));
    }
  };
  for (const cell of await markdownCells()) check(cell.where, cell.text, cell.stem);
  check("README.md", await Deno.readTextFile(`${REPO_ROOT}/README.md`));
  assertEquals(problems, [], problems.join("\n"));
  assert(checked > 0, "no full-mode quote was found: are the markers gone?");
});

Deno.test("no sentence about full mode states a measured number without a marker", async () => {
  const problems: string[] = [];
  for (const cell of await markdownCells()) {
    problems.push(...unmarkedFullModeNumbers(cell.text).map((s) => `${cell.where}: ${s}`));
  }
  const readme = await Deno.readTextFile(`${REPO_ROOT}/README.md`);
  problems.push(...unmarkedFullModeNumbers(readme).map((s) => `README.md: ${s}`));
  assertEquals(
    problems,
    [],
    `mark each quoted result (<!-- full: name -->):\n${problems.join("\n")}`,
  );
});

Deno.test(`${FULL_MODE_TABLE}: every entry names its run and holds finite numbers`, async () => {
  const table = await readFullModeTable(`${REPO_ROOT}/${FULL_MODE_TABLE}`);
  const stems = (await listNotebooks()).map(stemOf);
  for (const [stem, entry] of Object.entries(table)) {
    assert(stems.includes(stem), `${stem} is not a course notebook`);
    assert(/^\d{4}-\d\d-\d\d$/.test(entry.recorded), `${stem}: recorded ${entry.recorded}`);
    assert(entry.commit.length > 0 && entry.machine.length > 0, stem);
    for (const [name, value] of Object.entries(entry.results)) {
      assert(Number.isFinite(value), `${stem}.${name} = ${value}`);
    }
  }
});

Deno.test("recordFullModeRun keeps notebooks in order, replaces an entry, drops one that records nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "course-table-" });
  const path = `${dir}/table.json`;
  const entry = (results: Record<string, number>) => ({
    recorded: "2026-11-30",
    commit: "abc1234",
    machine: "2 × test CPU",
    seconds: 1,
    results,
  });
  await Promise.all([
    recordFullModeRun(path, "05b_pretraining", entry({ gain: 35 })),
    recordFullModeRun(path, "04_backpropagation", entry({ test_accuracy_pct: 98.19 })),
  ]);
  await recordFullModeRun(path, "05b_pretraining", entry({ gain: 34 }));
  let table = await readFullModeTable(path);
  assertEquals(Object.keys(table), ["04_backpropagation", "05b_pretraining"]);
  assertEquals(table["05b_pretraining"].results, { gain: 34 });
  await recordFullModeRun(path, "04_backpropagation", entry({}));
  table = await readFullModeTable(path);
  assertEquals(Object.keys(table), ["05b_pretraining"]);
  await Deno.remove(dir, { recursive: true });
});
