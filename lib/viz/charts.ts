/**
 * Course defaults for the everyday figure: curves and points in one palette, one or more panels
 * side by side, axis titles, log axes and ranges, the legend in a row under the plot. A figure cell
 * then says only what is plotted against what:
 *
 * @example
 * ```ts
 * await showChart("loss", [line(history.epoch, history.trainLoss, "training", { markers: true })], {
 *   title: "Training error",
 *   x: "epoch",
 *   y: { title: "E (log scale)", log: true },
 * });
 * ```
 *
 * Everything else plotly offers still goes through `layout` (or straight to `showFigure`).
 *
 * @module
 */
import type { Layout, Plot } from "nodeplotlib";
import { figureLayout, type FigureSize, showFigure } from "./plot.ts";

/** The course's colours: trace styles take `color: i` for the i-th. */
export const PALETTE: readonly string[] = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
];

/** How a trace looks and where it goes. */
export interface TraceStyle {
  /** A {@linkcode PALETTE} index or a CSS colour (default: the first palette colour). */
  color?: number | string;
  /** A dashed or dotted line (default solid). */
  dash?: "dash" | "dot";
  /** Mark the points on a line (default false). */
  markers?: boolean;
  /** The size of those marks in pixels (default plotly's, 6). */
  markerSize?: number;
  /** The line width in pixels (default plotly's, 2). */
  width?: number;
  /** The panel, 1 (default), 2, … from the left. */
  panel?: number;
  /** Listed in the legend (default true). */
  legend?: boolean;
}

function colorOf(color: number | string | undefined): string {
  if (typeof color === "number") {
    if (!Number.isInteger(color) || color < 0 || color >= PALETTE.length) {
      throw new Error(`charts: palette index ${color} is not in 0…${PALETTE.length - 1}`);
    }
    return PALETTE[color];
  }
  return color ?? PALETTE[0];
}

/**
 * The axes of panel `panel` (1, 2, … from the left) of a {@linkcode showChart} grid:
 * `{ xaxis: "x2", yaxis: "y2" }` for the second, `"x"`, `"y"` for the first.
 *
 * @example
 * ```ts
 * panelAxes(3); // { xaxis: "x3", yaxis: "y3" }
 * ```
 */
export function panelAxes(panel: number): { xaxis: string; yaxis: string } {
  if (!Number.isInteger(panel) || panel < 1) {
    throw new Error(`charts: panel must be 1, 2, …, not ${panel}`);
  }
  const suffix = panel === 1 ? "" : String(panel);
  return { xaxis: `x${suffix}`, yaxis: `y${suffix}` };
}

/**
 * The trace moved to panel `panel` of a {@linkcode showChart} grid: for traces made without a
 * panel option, such as {@linkcode histogram}'s bars.
 *
 * @example
 * ```ts
 * inPanel(histogram(means, "unit means", bins, 0), 2);
 * ```
 */
export function inPanel(trace: Plot, panel: number): Plot {
  return { ...trace, ...panelAxes(panel) } as Plot;
}

function placement(style: TraceStyle): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (style.legend === false) out.showlegend = false;
  const panel = style.panel ?? 1;
  const axes = panelAxes(panel);
  if (panel > 1) Object.assign(out, axes);
  return out;
}

/**
 * A curve through the points (x[i], y[i]).
 *
 * @example
 * ```ts
 * line(h.epoch, h.testLoss, "test", { color: 1, panel: 2, legend: false });
 * ```
 */
export function line(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  name: string,
  style: TraceStyle = {},
): Plot {
  const lineStyle: Record<string, unknown> = { color: colorOf(style.color) };
  if (style.dash) lineStyle.dash = style.dash;
  if (style.width !== undefined) lineStyle.width = style.width;
  const trace: Record<string, unknown> = {
    x,
    y,
    mode: style.markers ? "lines+markers" : "lines",
    name,
    line: lineStyle,
    ...placement(style),
  };
  if (style.markerSize !== undefined) {
    trace.marker = { size: style.markerSize, color: lineStyle.color };
  }
  return trace as unknown as Plot;
}

/**
 * Points (x[i], y[i]) without a line (default colour black, as data points are drawn).
 *
 * @example
 * ```ts
 * points(train.features, train.targets, "training points");
 * ```
 */
export function points(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  name: string,
  style: TraceStyle = {},
): Plot {
  return {
    x,
    y,
    mode: "markers",
    name,
    marker: { color: colorOf(style.color ?? "black"), size: 7 },
    ...placement(style),
  } as unknown as Plot;
}

/**
 * A histogram of `values` with the given bins, counted here and drawn as bars, see-through so that
 * several overlay (pass `layout: { barmode: "overlay" }`); `color` as in {@linkcode TraceStyle}.
 * Bin k holds start + k·size ≤ v < start + (k + 1)·size; values outside [start, end) are left
 * out. Counting in the kernel keeps the figure small however many values there are (a plotly
 * histogram would carry every value to the front end: 400 000 of them made an 8 MB message).
 * `probability: true` gives fractions of all values instead of counts.
 *
 * @example
 * ```ts
 * histogram(norms, "no regularisation", { start: 0, end: 4, size: 0.05 }, 0);
 * ```
 */
export function histogram(
  values: ArrayLike<number>,
  name: string,
  bins: { start: number; end: number; size: number },
  color?: number | string,
  options: { probability?: boolean } = {},
): Plot {
  const { start, end, size } = bins;
  if (!(size > 0) || !(end > start)) {
    throw new Error(
      `histogram "${name}": bins need end > start and size > 0, got ${JSON.stringify(bins)}`,
    );
  }
  const count = Math.ceil((end - start) / size - 1e-9);
  const counts = new Array<number>(count).fill(0);
  for (let i = 0; i < values.length; i++) {
    const k = Math.floor((values[i] - start) / size);
    if (k >= 0 && k < count && values[i] < end) counts[k]++;
  }
  const total = options.probability ? values.length : 1;
  return {
    x: counts.map((_, k) => start + (k + 0.5) * size),
    y: counts.map((c) => c / total),
    width: size,
    type: "bar",
    name,
    opacity: 0.6,
    marker: { color: colorOf(color) },
  } as unknown as Plot;
}

/**
 * The contour lines (grey, no colour bar, no legend entry) of z[i][j] over the grid (x[j], y[i]),
 * in the given panel: the backdrop of a path on an error surface.
 *
 * @example
 * ```ts
 * contours(w1s, w2s, w2s.map((b) => w1s.map((a) => error([a, b]))));
 * ```
 */
export function contours(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>[],
  panel = 1,
): Plot {
  return {
    x,
    y,
    z,
    type: "contour",
    colorscale: "Greys",
    reversescale: true,
    showscale: false,
    contours: { coloring: "lines" },
    ncontours: 14,
    hoverinfo: "skip",
    ...placement({ panel, legend: false }),
  } as unknown as Plot;
}

/**
 * A dotted vertical line at x across the whole height of the plot, for `layout.shapes`.
 *
 * @example
 * ```ts
 * showChart("norms", traces, { title, x, y, layout: { shapes: [verticalLine(1.5)] } });
 * ```
 */
export function verticalLine(x: number): Record<string, unknown> {
  return {
    type: "line",
    x0: x,
    x1: x,
    yref: "paper",
    y0: 0,
    y1: 1,
    line: { color: "black", dash: "dot" },
  };
}

/** An axis: its title, and optionally a log scale, a range, powers of ten as tick labels. */
export interface Axis {
  /** The axis title. */
  title: string;
  /** A logarithmic axis. */
  log?: boolean;
  /** The shown range (for a log axis, in powers of ten as plotly takes it). */
  range?: [number, number];
  /** Tick labels as powers (10⁻³) instead of SI prefixes. */
  powers?: boolean;
}

/** What {@linkcode chartLayout} and {@linkcode showChart} take. */
export interface ChartOptions extends FigureSize {
  /** The figure's title. */
  title: string;
  /** The x axis (the same in every panel), or one per panel from the left. */
  x: string | Axis | (string | Axis)[];
  /** The y axis (the same in every panel), or one per panel from the left. */
  y: string | Axis | (string | Axis)[];
  /** A title drawn at the top left of each panel (their number sets the number of panels). */
  panelTitles?: string[];
  /** One legend row under the plot, clear of the x-axis titles (default: plotly's, on the right). */
  legendBelow?: boolean;
  /** The same scale on both axes of each panel (a circle looks round). */
  equalAxes?: boolean;
  /** Further plotly layout settings (shapes, barmode, …), applied last. */
  layout?: Partial<Layout>;
}

/** How many panels: as many as the longest of the x axes, the y axes and the panel titles. */
function panelCount(options: ChartOptions): number {
  const count = (v: unknown) => Array.isArray(v) ? v.length : 1;
  return Math.max(count(options.x), count(options.y), count(options.panelTitles));
}

function axisJson(axis: string | Axis): Record<string, unknown> {
  const a = typeof axis === "string" ? { title: axis } : axis;
  const out: Record<string, unknown> = { title: { text: a.title } };
  if (a.log) out.type = "log";
  if (a.range) out.range = a.range;
  if (a.powers) out.exponentformat = "power";
  return out;
}

/**
 * The plotly layout of {@linkcode showChart}: a grid of independent panels in one row when `x`
 * or `y` lists several axes.
 *
 * @example
 * ```ts
 * chartLayout({ title: "t", x: ["epoch", "epoch"], y: ["E", "accuracy"], legendBelow: true });
 * ```
 */
export function chartLayout(options: ChartOptions): Partial<Layout> {
  const xs = Array.isArray(options.x) ? options.x : [options.x];
  const ys = Array.isArray(options.y) ? options.y : [options.y];
  const panels = panelCount(options);
  if (xs.length !== panels && xs.length !== 1 || ys.length !== panels && ys.length !== 1) {
    throw new Error(
      `chartLayout: ${xs.length} x axes and ${ys.length} y axes for ${panels} panels`,
    );
  }
  const layout: Record<string, unknown> = figureLayout({
    title: options.title,
    grid: panels > 1 ? { rows: 1, columns: panels } : undefined,
    subplotTitles: options.panelTitles,
  });
  for (let i = 0; i < panels; i++) {
    const suffix = i === 0 ? "" : String(i + 1);
    layout[`xaxis${suffix}`] = axisJson(xs[xs.length === 1 ? 0 : i]);
    const yaxis = axisJson(ys[ys.length === 1 ? 0 : i]);
    if (options.equalAxes) yaxis.scaleanchor = `x${suffix}`;
    layout[`yaxis${suffix}`] = yaxis;
  }
  if (options.legendBelow) {
    layout.legend = { orientation: "h", x: 0.5, xanchor: "center", y: -0.24, yanchor: "top" };
    layout.margin = { b: 140 };
  }
  return { ...layout, ...options.layout } as Partial<Layout>;
}

/**
 * The traces with one legend entry per name: a trace whose name an earlier trace already has (the
 * same run in a second panel) is left out of the legend, unless it says otherwise.
 *
 * @example
 * ```ts
 * onceInLegend([line(e, loss, "run"), line(e, acc, "run", { panel: 2 })]); // the 2nd: no entry
 * ```
 */
export function onceInLegend(traces: Plot[]): Plot[] {
  const seen = new Set<string>();
  return traces.map((trace) => {
    const t = trace as Record<string, unknown>;
    const name = typeof t.name === "string" ? t.name : undefined;
    if (name === undefined) return trace;
    const repeated = seen.has(name);
    seen.add(name);
    return repeated && t.showlegend === undefined ? { ...trace, showlegend: false } : trace;
  });
}

/**
 * Show and save a figure (see `showFigure`) with the layout of {@linkcode chartLayout}, one legend
 * entry per name ({@linkcode onceInLegend}) and the size in `options`. Defaults: 720×440 for one
 * panel; for several, 480 pixels of width per panel and the legend below.
 *
 * @example
 * ```ts
 * await showChart("errors", [line(K, train, "training"), line(K, test, "test", { color: 1 })], {
 *   title: "Capacity", x: "degree K", y: { title: "E", log: true },
 * });
 * ```
 */
export async function showChart(name: string, traces: Plot[], options: ChartOptions) {
  const panels = panelCount(options);
  const several = panels > 1;
  const layout = chartLayout({ legendBelow: several, ...options });
  const width = options.width ?? (several ? 480 * panels : undefined);
  await showFigure(name, onceInLegend(traces), layout, {
    width,
    height: options.height,
    scale: options.scale,
  });
}
