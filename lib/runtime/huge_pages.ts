/**
 * Large arrays in transparent huge pages: the one setting that asks glibc's `malloc` (which backs
 * V8's ArrayBuffers in Deno) to mark the memory it maps with `madvise(MADV_HUGEPAGE)`, so that
 * Linux fills a fresh array 2 MiB at a time instead of 4 KiB at a time.
 *
 * Why: every fresh tensor of a training run is first-touch memory, and a page fault costs far
 * more than the arithmetic on the page. Measured on the course's 2-vCPU Firecracker VM (AMD EPYC,
 * THP mode `madvise`): writing a fresh 188 MB Float32Array (MNIST's training images) took
 * 640–670 ms in 4 KiB pages and 40–490 ms in huge pages (`loadMnist`, all 70 000 images:
 * 840–1 080 ms → 150–610 ms); one style-transfer run at 256 px, alone or two at a time, took the
 * same time either way. The values computed never depend on it: it changes where memory comes
 * from, not what is in it (the quick course prints the same numbers and draws the same figures).
 *
 * glibc reads `GLIBC_TUNABLES` once, when a process starts, so the setting is given to processes
 * before they start: the course's kernelspec (`jupyter/kernels/deno/kernel.json`, its `env`) for
 * every notebook kernel, live or headless (Jupyter sets a kernelspec's variables over the ones it
 * inherits, so there it replaces a user's own value), and `deno task test` for the tests (where a
 * user's own value wins). Where it means nothing it is ignored: glibc before 2.35 (no such
 * tunable), musl, macOS, Windows, THP `never`.
 *
 * @example
 * ```ts
 * new Deno.Command(Deno.execPath(), { args: ["test"], env: hugePageEnv() });
 * ```
 *
 * @module
 */

/** The glibc tunable: `malloc` marks its mapped memory for transparent huge pages. */
export const HUGE_PAGE_TUNABLE = "glibc.malloc.hugetlb=1";

/**
 * `{ GLIBC_TUNABLES }` for a child process: the user's own value when they set one (theirs wins,
 * whatever it says), else {@linkcode HUGE_PAGE_TUNABLE}.
 */
export function hugePageEnv(
  current: string | undefined = Deno.env.get("GLIBC_TUNABLES"),
): { GLIBC_TUNABLES: string } {
  return { GLIBC_TUNABLES: current || HUGE_PAGE_TUNABLE };
}

/** What the kernel's transparent-huge-page mode is, or `undefined` where there is no such file. */
export function transparentHugePageMode(): "always" | "madvise" | "never" | undefined {
  try {
    const text = Deno.readTextFileSync("/sys/kernel/mm/transparent_hugepage/enabled");
    const chosen = /\[(always|madvise|never)\]/.exec(text)?.[1];
    return chosen as "always" | "madvise" | "never" | undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line on this process's pages for a benchmark's header: the THP mode and the
 * `GLIBC_TUNABLES` it started with, e.g. `THP madvise, GLIBC_TUNABLES=glibc.malloc.hugetlb=1`.
 */
export function hugePageSummary(): string {
  const tunables = Deno.env.get("GLIBC_TUNABLES");
  return `THP ${transparentHugePageMode() ?? "unknown"}, ` +
    (tunables ? `GLIBC_TUNABLES=${tunables}` : "GLIBC_TUNABLES unset");
}
