/**
 * Chart pieces for classifiers, in the style of `charts.ts` (to be passed to its `showChart`): a
 * model's output over the plane as a heat map, the data points coloured by class, and a confusion
 * matrix with its counts written in the cells.
 *
 * @example
 * ```ts
 * const map = evaluateOnGrid((P) => predict(net, P), { x: [-0.5, 1.5], y: [-0.5, 1.5] });
 * await showChart("regions", [
 *   heatmap(map, { range: [0, 1], colorbar: "y" }),
 *   ...classPoints(xs, ys, labels, ["class 0", "class 1"]),
 * ], { title: "Decision regions", x: "x₁", y: "x₂" });
 * ```
 *
 * @module
 */
import type { Plot } from "nodeplotlib";
import { inPanel, PALETTE, panelAxes } from "./charts.ts";

/** Values on a grid: z[i][j] at (x[j], y[i]) (what `evaluateOnGrid` in `decision_map.ts` returns). */
export interface Grid {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  z: ArrayLike<number>[];
}

/** How a heat map is drawn. */
export interface HeatmapStyle {
  /** The panel, 1 (default), 2, … from the left, as in `charts.ts`. */
  panel?: number;
  /** The values mapped to the two ends of the colour scale (default: the data's range). */
  range?: [number, number];
  /** A plotly colour scale name (default "RdBu": low values red, high values blue). */
  colorscale?: string;
  /** The title of a colour bar; without it no colour bar is drawn. */
  colorbar?: string;
}

/** Axes for a trace in `panel` (none for the first, as `charts.ts` leaves them). */
function axesOf(panel: number): Record<string, string> {
  const axes = panelAxes(panel); // validates
  return panel === 1 ? {} : axes;
}

/**
 * A heat map of z over the grid (x[j], y[i]): a classifier's output over the plane.
 *
 * @example
 * ```ts
 * heatmap({ x: [0, 1], y: [0, 1], z: [[0, 1], [1, 0]] }, { range: [0, 1], panel: 2 });
 * ```
 */
export function heatmap(grid: Grid, style: HeatmapStyle = {}): Plot {
  if (grid.z.length !== grid.y.length || grid.z.some((row) => row.length !== grid.x.length)) {
    throw new Error(
      `heatmap: z must have one row per y (${grid.y.length}) and one value per x (${grid.x.length})`,
    );
  }
  const trace: Record<string, unknown> = {
    x: grid.x,
    y: grid.y,
    z: grid.z,
    type: "heatmap",
    colorscale: style.colorscale ?? "RdBu",
    showscale: style.colorbar !== undefined,
    ...axesOf(style.panel ?? 1),
  };
  if (style.range) Object.assign(trace, { zmin: style.range[0], zmax: style.range[1] });
  if (style.colorbar !== undefined) trace.colorbar = { title: { text: style.colorbar } };
  return trace as unknown as Plot;
}

/**
 * The points (x[n], y[n]) as one trace per class, class k in palette colour k with a white rim
 * (visible on a heat map) and named `names[k]`.
 *
 * @example
 * ```ts
 * classPoints([0, 1], [0, 1], [0, 1], ["d = 0", "d = 1"], { size: 14, panel: 2 });
 * ```
 */
export function classPoints(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  classes: ArrayLike<number>,
  names: readonly string[],
  style: { panel?: number; size?: number } = {},
): Plot[] {
  if (x.length !== y.length || x.length !== classes.length) {
    throw new Error(
      `classPoints: ${x.length} x, ${y.length} y and ${classes.length} classes differ in number`,
    );
  }
  if (names.length > PALETTE.length) {
    throw new Error(`classPoints: ${names.length} classes, but only ${PALETTE.length} colours`);
  }
  return names.map((name, k) => {
    const members = Array.from(classes, (c, n) => c === k ? n : -1).filter((n) => n >= 0);
    return {
      x: members.map((n) => x[n]),
      y: members.map((n) => y[n]),
      mode: "markers",
      type: "scatter",
      name,
      marker: { size: style.size ?? 8, color: PALETTE[k], line: { color: "white", width: 1.5 } },
      ...axesOf(style.panel ?? 1),
    } as unknown as Plot;
  });
}

/**
 * A confusion matrix as a heat map with the counts written in the cells: row k is true class k,
 * drawn from the top; column j is predicted class j.
 *
 * @example
 * ```ts
 * confusionHeatmap([[9, 1], [0, 10]], ["cat", "dog"]);
 * ```
 */
export function confusionHeatmap(counts: number[][], classNames: readonly string[]): Plot {
  const k = classNames.length;
  if (counts.length !== k || counts.some((row) => row.length !== k)) {
    throw new Error(`confusionHeatmap: the matrix must be ${k}×${k} for ${k} class names`);
  }
  const topDown = [...counts].reverse(); // plotly draws row 0 at the bottom
  return {
    type: "heatmap",
    z: topDown,
    x: [...classNames],
    y: [...classNames].reverse(),
    colorscale: [[0, "#f7fbff"], [1, "#2171b5"]],
    showscale: false,
    text: topDown.map((row) => row.map(String)),
    texttemplate: "%{text}",
    textfont: { size: 18 },
  } as unknown as Plot;
}

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
