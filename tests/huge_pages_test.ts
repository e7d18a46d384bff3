/**
 * Large arrays in transparent huge pages (`lib/runtime/huge_pages.ts`): the kernelspec and the
 * test runner give glibc the tunable, a user's own `GLIBC_TUNABLES` wins in the runner, and — on
 * Linux with glibc ≥ 2.35 and THP `madvise` or `always` — a Deno process started with it really
 * holds a fresh 64 MB Float32Array in huge pages, and (under `madvise`) one started without it
 * does not.
 */
import assert from "node:assert/strict";
import {
  HUGE_PAGE_TUNABLE,
  hugePageEnv,
  hugePageSummary,
  transparentHugePageMode,
} from "../lib/runtime/huge_pages.ts";
import { runDeno } from "./run_deno.ts";

const CHILD_FLAG = "COURSE_HUGE_PAGES_TEST_CHILD";

/** In the child: fill a fresh 64 MB array and print the kB of this process in huge pages. */
function runChild(): void {
  const values = new Float32Array(16 << 20);
  for (let i = 0; i < values.length; i++) values[i] = i;
  const smaps = Deno.readTextFileSync("/proc/self/smaps_rollup");
  const kB = Number(/AnonHugePages:\s+(\d+) kB/.exec(smaps)?.[1] ?? NaN);
  console.log(JSON.stringify({ anonHugeKb: kB, last: values[values.length - 1] }));
}

/** glibc's version as [major, minor], or undefined where there is no glibc (musl, macOS). */
async function glibcVersion(): Promise<[number, number] | undefined> {
  try {
    const out = await new Deno.Command("getconf", { args: ["GNU_LIBC_VERSION"] }).output();
    const match = /glibc (\d+)\.(\d+)/.exec(new TextDecoder().decode(out.stdout));
    return match ? [Number(match[1]), Number(match[2])] : undefined;
  } catch {
    return undefined;
  }
}

async function hugeKbOfChild(tunables: string): Promise<number> {
  const { code, output } = await runDeno(
    ["run", "--allow-all", new URL(import.meta.url).pathname],
    { [CHILD_FLAG]: "1", GLIBC_TUNABLES: tunables },
  );
  assert.equal(code, 0, output);
  const result = JSON.parse(output.trim().split("\n").at(-1)!) as {
    anonHugeKb: number;
    last: number;
  };
  assert.equal(result.last, (16 << 20) - 1); // the array was really written
  assert.ok(Number.isFinite(result.anonHugeKb), "no AnonHugePages line in smaps_rollup");
  return result.anonHugeKb;
}

if (Deno.env.get(CHILD_FLAG)) {
  runChild();
} else {
  Deno.test("the course kernelspec gives every kernel the huge-page tunable", () => {
    const spec = JSON.parse(
      Deno.readTextFileSync(new URL("../jupyter/kernels/deno/kernel.json", import.meta.url)),
    ) as { env?: Record<string, string> };
    assert.equal(spec.env?.GLIBC_TUNABLES, HUGE_PAGE_TUNABLE);
  });

  Deno.test("hugePageEnv: the tunable unless the user set GLIBC_TUNABLES", () => {
    assert.deepEqual(hugePageEnv(undefined), { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" });
    assert.deepEqual(hugePageEnv(""), { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" });
    assert.deepEqual(hugePageEnv("glibc.malloc.arena_max=2"), {
      GLIBC_TUNABLES: "glibc.malloc.arena_max=2",
    });
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

  Deno.test("a process started with the tunable holds a fresh large array in huge pages", async (t) => {
    const mode = transparentHugePageMode();
    const glibc = await glibcVersion();
    const usable = mode !== undefined && mode !== "never" && glibc !== undefined &&
      (glibc[0] > 2 || (glibc[0] === 2 && glibc[1] >= 35));
    if (!usable) {
      const why = `THP mode ${mode ?? "unknown"}, glibc ${glibc?.join(".") ?? "absent"}`;
      console.warn(`huge pages cannot be checked here (${why})`);
      await t.step({ name: `(no THP with glibc ≥ 2.35 here: ${why})`, ignore: true, fn: () => {} });
      return;
    }
    const withTunable = await hugeKbOfChild(HUGE_PAGE_TUNABLE);
    assert.ok(withTunable >= 2048, `${withTunable} kB in huge pages with ${HUGE_PAGE_TUNABLE}`);
    if (mode === "madvise") {
      const without = await hugeKbOfChild("");
      assert.equal(without, 0, `${without} kB in huge pages without the tunable (THP madvise)`);
    }
  });
}
