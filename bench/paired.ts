/**
 * The ratio of two frameworks' times measured in alternating blocks, read as a paired comparison.
 *
 * `bench/vs_torch.ts` times tfjs and PyTorch in rounds: a block of tfjs runs, then a block of
 * torch runs, round after round, so that both see the same machine. On a shared virtual machine
 * the speed of *both* moves between rounds (2026-12-02, the 2-vCPU Zen 5: a 1024² product took
 * 0.019 s on both sides for three rounds, then 0.010 s on both), and the ratio of the two overall
 * medians then depends on how many slow runs fell to each side — one such run gave 1.87 for a
 * product that both sides hand to the same OpenBLAS call. The rounds are pairs: each round's
 * ratio compares runs a few milliseconds apart, and the median over rounds of those ratios
 * ({@linkcode pairedRatio}) is what the alternation was for.
 *
 * @example
 * ```ts
 * const { ratio, roundRatios } = pairedRatio([[0.019, 0.019], [0.010, 0.011]], [[0.020], [0.010]]);
 * // roundRatios [0.95, 1.05], ratio 1.0
 * ```
 *
 * @module
 */

/** The median of a non-empty list (the mean of the two middle values for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of an empty list");
  const sorted = [...values].sort((p, q) => p - q);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The paired comparison of one workload: each round's ratio of medians, and their median. */
export interface PairedRatio {
  /** median over rounds r of median(a runs in r) / median(b runs in r). */
  ratio: number;
  /** Each round's median(a) / median(b), in the order the rounds ran. */
  roundRatios: number[];
}

/**
 * Compare times `a` and `b` taken in alternating rounds (`a[r]` and `b[r]`: the runs of round r,
 * seconds): each round's ratio of medians, and the median of those ratios. Below 1: `a` is faster.
 */
export function pairedRatio(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): PairedRatio {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(
      `pairedRatio: need the same positive number of rounds on both sides, got ${a.length} and ` +
        `${b.length}`,
    );
  }
  const roundRatios = a.map((runs, r) => {
    const [ma, mb] = [median(runs), median(b[r])];
    if (!(ma > 0) || !(mb > 0)) {
      throw new Error(`pairedRatio: round ${r + 1} has a median time of ${ma} and ${mb} s`);
    }
    return ma / mb;
  });
  return { ratio: median(roundRatios), roundRatios };
}
