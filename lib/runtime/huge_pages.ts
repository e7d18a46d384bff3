/**
 * The process's memory pages, for a benchmark's header: Linux's transparent-huge-page (THP) mode
 * and the `GLIBC_TUNABLES` the process started with (`glibc.malloc.hugetlb=1` asks glibc's
 * `malloc`, which backs V8's ArrayBuffers in Deno, to mark its mapped memory for huge pages).
 *
 * The course sets neither. Session 10 gave every kernel `glibc.malloc.hugetlb=1` (through the
 * kernelspec) because on the course's 2-vCPU Firecracker VM (AMD EPYC, THP `madvise`) a fresh
 * 188 MB array filled in 640–670 ms in 4 KiB pages and 40–490 ms in huge ones. Measured again on
 * 2026-12-01 inside a course kernel, one style transfer at 256 px (30 L-BFGS iterations, alone,
 * alternating): 29.6 / 33.1, 24.6 / 40.7 and 25.0 / 28.7 s on one BLAS thread, 16.1 / 19.0 and
 * 16.8 / 19.9 s on two, without / with it (under `deno run` the two were equal), while the quick
 * course was a tie (159.1 / 162.1 and 167.1 / 160.7 s). So kernels run with glibc's defaults;
 * a user's own `GLIBC_TUNABLES` reaches a kernel unchanged.
 *
 * @example
 * ```ts
 * console.log(hugePageSummary()); // "THP madvise, GLIBC_TUNABLES unset"
 * ```
 *
 * @module
 */

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
