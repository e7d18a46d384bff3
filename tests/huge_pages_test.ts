/**
 * The process's pages (`lib/runtime/huge_pages.ts`): the course's kernelspec leaves glibc's
 * `malloc` at its defaults (the huge-page tunable made style transfers in a kernel slower, see the
 * module), and the bench header names the THP mode and the tunables a process started with.
 */
import assert from "node:assert/strict";
import { hugePageSummary, transparentHugePageMode } from "../lib/runtime/huge_pages.ts";

Deno.test("the course kernelspec sets no GLIBC_TUNABLES (a user's own reaches the kernel)", () => {
  const spec = JSON.parse(
    Deno.readTextFileSync(new URL("../jupyter/kernels/deno/kernel.json", import.meta.url)),
  ) as { env?: Record<string, string> };
  assert.deepEqual(spec.env, { NO_COLOR: "1" });
});

Deno.test("hugePageSummary names the THP mode and the tunables the process started with", () => {
  const saved = Deno.env.get("GLIBC_TUNABLES");
  const mode = transparentHugePageMode() ?? "unknown";
  try {
    Deno.env.set("GLIBC_TUNABLES", "glibc.malloc.arena_max=2");
    assert.equal(hugePageSummary(), `THP ${mode}, GLIBC_TUNABLES=glibc.malloc.arena_max=2`);
    Deno.env.delete("GLIBC_TUNABLES");
    assert.equal(hugePageSummary(), `THP ${mode}, GLIBC_TUNABLES unset`);
  } finally {
    if (saved === undefined) Deno.env.delete("GLIBC_TUNABLES");
    else Deno.env.set("GLIBC_TUNABLES", saved);
  }
});

Deno.test("transparentHugePageMode reads Linux's choice, or nothing where there is none", () => {
  const mode = transparentHugePageMode();
  let text: string | undefined;
  try {
    text = Deno.readTextFileSync("/sys/kernel/mm/transparent_hugepage/enabled");
  } catch {
    text = undefined;
  }
  if (text === undefined) assert.equal(mode, undefined);
  else assert.ok(mode !== undefined && text.includes(`[${mode}]`), `${mode} not chosen in ${text}`);
});
