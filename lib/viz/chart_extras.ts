/**
 * Additions to `charts.ts` for figures by class and by panel: points coloured by their class
 * label (digits 0–9), and a trace moved into a panel of a several-panel chart.
 *
 * @example
 * ```ts
 * await showChart("codes", [...classScatter(x, y, labels), ...classScatter(px, py, labels, 2)], {
 *   title: "2-D codes", x: ["code 1", "PC 1"], y: ["code 2", "PC 2"],
 * });
 * ```
 *
 * @module
 */
import type { Plot } from "nodeplotlib";

/** Ten distinct colours, one per class (digit) 0–9. */
export const CLASS_COLORS: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/**
 * The trace moved to panel `panel` (1, 2, … from the left) of a `showChart` grid: for traces made
 * without a panel option, such as `histogram`'s bars.
 *
 * @example
 * ```ts
 * inPanel(histogram(means, "unit means", bins, 0), 2);
 * ```
 */
export function inPanel(trace: Plot, panel: number): Plot {
  if (!Number.isInteger(panel) || panel < 1) {
    throw new Error(`inPanel: panel must be 1, 2, …, not ${panel}`);
  }
  const suffix = panel === 1 ? "" : String(panel);
  return { ...trace, xaxis: `x${suffix}`, yaxis: `y${suffix}` } as Plot;
}

/**
 * One trace of small points per class: the points (x[i], y[i]) whose label is c, in
 * {@linkcode CLASS_COLORS}[c], named by the class, in panel `panel` (listed in the legend in the
 * first panel only).
 *
 * @example
 * ```ts
 * classScatter(codes1, codes2, mnist.test.labels); // ten traces "0" … "9"
 * ```
 */
export function classScatter(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  labels: ArrayLike<number>,
  panel = 1,
  markerSize = 3,
): Plot[] {
  if (x.length !== y.length || x.length !== labels.length) {
    throw new Error(
      `classScatter: ${x.length} x values, ${y.length} y values and ${labels.length} labels differ`,
    );
  }
  const classes = new Set(Array.from(labels));
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= CLASS_COLORS.length) {
      throw new Error(`classScatter: label ${c} is not a class 0…${CLASS_COLORS.length - 1}`);
    }
  }
  return [...classes].sort((a, b) => a - b).map((c) => {
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === c) {
        xs.push(x[i]);
        ys.push(y[i]);
      }
    }
    return inPanel({
      x: xs,
      y: ys,
      mode: "markers",
      name: String(c),
      marker: { color: CLASS_COLORS[c], size: markerSize },
      showlegend: panel === 1,
    } as unknown as Plot, panel);
  });
}
