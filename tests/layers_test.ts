/**
 * The library's layers, as README's "Layout" states them: building blocks import only from the
 * layers below them, only `lib/chapters/` reads the course mode, and no modules import each other
 * in a loop.
 */
import { assertEquals } from "./assert.ts";
import { dirname, relative, resolve } from "node:path";
import { REPO_ROOT } from "../lib/runtime/config.ts";

/**
 * lib/'s folders from the bottom up: a module may import from its own folder and those before
 * it. `chapters/` (each chapter's set-ups and settings) is on top: nothing in lib imports it.
 */
const LAYERS = ["runtime", "viz", "data", "optim", "nn", "vision", "chapters"];

async function* typeScriptFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "node_modules") yield* typeScriptFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

/** Relative imports (static and dynamic, `import type` too) of every module, by repo path. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const folder of ["lib", "tools", "bench", "tests"]) {
    for await (const path of typeScriptFiles(`${REPO_ROOT}/${folder}`)) {
      // Code only: an import written in a doc comment's example is not an import.
      const text = (await Deno.readTextFile(path)).split("\n")
        .filter((line) => !/^\s*(\*|\/\/)/.test(line)).join("\n");
      const targets = [
        ...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.ts)["']/g),
      ].map((m) => relative(REPO_ROOT, resolve(dirname(path), m[1])));
      graph.set(relative(REPO_ROOT, path), [...new Set(targets)]);
    }
  }
  return graph;
}

const graph = await importGraph();

/** The layer of a lib module (`lib/<layer>/…`), or undefined outside lib. */
function layerOf(path: string): number | undefined {
  const m = /^lib\/([^/]+)\//.exec(path);
  if (m === null) return undefined;
  const index = LAYERS.indexOf(m[1]);
  return index < 0 ? Infinity : index;
}

Deno.test("lib/'s layers import only downwards (runtime < viz < data < optim < nn < vision < chapters)", () => {
  const violations: string[] = [];
  for (const [module, targets] of graph) {
    const from = layerOf(module);
    if (from === undefined) continue;
    if (from === Infinity) violations.push(`${module}: lib/ has no layer of that name`);
    for (const target of targets) {
      const to = layerOf(target);
      if (to !== undefined && to > from) violations.push(`${module} imports ${target}`);
    }
  }
  assertEquals(violations, []);
});

Deno.test("only lib/chapters/ reads the course mode (byMode, mode) among lib's building blocks", async () => {
  const readers: string[] = [];
  for (const module of graph.keys()) {
    if (!module.startsWith("lib/") || /^lib\/(chapters|runtime)\//.test(module)) continue;
    const text = await Deno.readTextFile(`${REPO_ROOT}/${module}`);
    if (/import\s*\{[^}]*\b(byMode|mode)\b[^}]*\}\s*from\s*["'][^"']*config\.ts["']/.test(text)) {
      readers.push(module);
    }
  }
  assertEquals(readers, []);
});

Deno.test("no import cycles: no modules import each other, directly or around a loop", () => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (module: string): void => {
    state.set(module, "open");
    stack.push(module);
    for (const target of graph.get(module) ?? []) {
      if (state.get(target) === "open") {
        cycles.push([...stack.slice(stack.indexOf(target)), target].join(" → "));
      } else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(module, "done");
  };
  for (const module of [...graph.keys()].sort()) if (!state.has(module)) visit(module);
  assertEquals(cycles, []);
});

Deno.test("every COURSE_* setting is read in lib/runtime/config.ts, nowhere else in lib or tools", async () => {
  const readers: string[] = [];
  for (const module of graph.keys()) {
    if (!/^(lib|tools)\//.test(module) || module === "lib/runtime/config.ts") continue;
    const text = await Deno.readTextFile(`${REPO_ROOT}/${module}`);
    if (/Deno\.env\.get\(\s*["'`]COURSE_/.test(text)) readers.push(module);
  }
  assertEquals(readers, []);
});
