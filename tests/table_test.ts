/** Tables: HTML laid out for formulas (alignment by column kind, formulas on one line). */
import { assert, assertEquals } from "./assert.ts";
import { formatCell, tableHtml, tableMarkdown } from "../lib/viz/table.ts";

const headers = ["f", "f′ by hand", "rel. error"];
const rows = [
  ["tanh", "$1 - f(u)^2$", 3.2e-8],
  ["a<b & c", "$[u > 0]$", 0],
];
const text = rows.map((row) => row.map((cell) => formatCell(cell, 2)));

Deno.test("HTML tables: text and formulas left-aligned, numbers right-aligned, formulas unwrapped", () => {
  const html = tableHtml(headers, rows, text, "derivatives");
  const cells = [...html.matchAll(/<(td|th) style="([^"]*)">(.*?)<\/\1>/g)].map((m) => ({
    style: m[2],
    content: m[3],
  }));
  assertEquals(cells.length, 9);
  const [f, formula, error] = cells.slice(3, 6);
  assert(f.style.includes("text-align: left") && !f.style.includes("nowrap"), f.style);
  assert(formula.style.includes("text-align: left"), formula.style);
  assert(formula.style.includes("white-space: nowrap"), formula.style);
  assert(error.style.includes("text-align: right"), error.style);
  assertEquals(cells[2].style.includes("text-align: right"), true); // its header too
  assertEquals(formula.content, `<span style="display: inline-block">$1 - f(u)^2$</span>`);
  assertEquals(cells[6].content, "a&#60;b &#38; c"); // escaped
  // MathJax reads the text: [u > 0]
  assertEquals(cells[7].content, `<span style="display: inline-block">$[u &#62; 0]$</span>`);
  assert(html.includes(">derivatives</caption>"), html);
  assert(html.startsWith(`<table style="border-collapse: collapse; table-layout: auto;`), html);
});

Deno.test("Markdown tables: alignment row by column kind, pipes escaped", () => {
  const md = tableMarkdown(["name", "x"], [["a|b", 1]], [["a|b", "1"]]);
  assertEquals(md, "| name | x |\n| :--- | ---: |\n| a\\|b | 1 |");
});
