/**
 * Plotly figures for the notebooks: written against nodeplotlib's `Plot`/`Layout` types (which
 * are plotly.js's), shown interactively in Jupyter and saved as static PNGs.
 *
 * {@linkcode showFigure} does three things:
 * 1. renders a PNG of fixed size (default 720×440, white, DejaVu Sans from npm) with
 *    `plotly.js-dist-min` inside a headless Chromium (see `chromium.ts`);
 * 2. saves it as `<outDir()>/figures/<currentNotebook()>-<name>.png`;
 * 3. inside Jupyter displays one output holding the plotly JSON
 *    (`application/vnd.plotly.v1+json`, interactive in JupyterLab and VS Code), the PNG
 *    (`image/png`, for nbconvert/HTML and viewers without plotly) and a `text/plain` line.
 *
 * Without a browser (none installed) figures are still shown interactively, no PNG is written,
 * and one line says once that static PNGs are off and why. A browser that fails, or a PNG that
 * cannot be saved (disk full), is an error naming the figure: a headless run fails.
 *
 * Never call nodeplotlib's `plot()`: it starts a web server that keeps the process alive.
 *
 * @example
 * ```ts
 * import type { Plot } from "nodeplotlib";
 * const data: Plot[] = [{ x: [1, 2, 3], y: [0.9, 0.5, 0.3], type: "scatter", name: "loss" }];
 * await showFigure("loss", data, figureLayout({ title: "Training loss", xTitle: "epoch", logY: true }));
 * ```
 *
 * @module
 */
import type { Layout, Plot } from "nodeplotlib";
import {
  findChromium,
  openPageRenderer,
  type PageRenderer,
  screenshotHtml,
  type ScreenshotSize,
} from "./chromium.ts";
import { requestFigure } from "./figure_service.ts";
import { figureServiceSetting } from "../runtime/config.ts";
import { inJupyter } from "../runtime/session.ts";
import { displayBundle, type FigureJson, noticeOnce, saveFigurePng, toBase64 } from "./figure.ts";

export type { FigureJson } from "./figure.ts";

/** Pixel size of a figure. */
export interface FigureSize {
  /** Width in pixels (default 720). */
  width?: number;
  /** Height in pixels (default 440). */
  height?: number;
  /** Pixel density of the PNG: 2 doubles both dimensions of the file (default 1). */
  scale?: number;
}

/** Default figure width in pixels. */
export const DEFAULT_WIDTH = 720;
/** Default figure height in pixels. */
export const DEFAULT_HEIGHT = 440;

const FONT_FAMILY = '"DejaVu Sans", Verdana, Arial, sans-serif';
const NODE_MODULES = new URL("../../node_modules/", import.meta.url);
const PLOTLY_FILE = new URL("plotly.js-dist-min/plotly.min.js", NODE_MODULES);
const CARTESIAN_PLOTLY_FILE = new URL(
  "plotly.js-cartesian-dist-min/plotly-cartesian.min.js",
  NODE_MODULES,
);
const FONT_FILE = new URL("dejavu-fonts-ttf/ttf/DejaVuSans.ttf", NODE_MODULES);

/**
 * The trace types of plotly.js's cartesian bundle (1.4 MB against the full bundle's 4.8 MB: a
 * browser starts it in 0.3 s instead of 1.7 s), which draws every figure of the course.
 */
export const CARTESIAN_TRACE_TYPES: ReadonlySet<string> = new Set([
  "bar",
  "box",
  "contour",
  "heatmap",
  "histogram",
  "histogram2d",
  "histogram2dcontour",
  "image",
  "pie",
  "scatter",
  "scatterternary",
  "violin",
]);

/**
 * The plotly.js bundle that draws `data`: the cartesian one when it has every trace type used
 * (plotly's default type is "scatter"), else the full one.
 *
 * @example
 * ```ts
 * plotlyBundleFor([{ y: [1, 2] }, { type: "heatmap", z: [[1]] }]); // the cartesian bundle
 * plotlyBundleFor([{ type: "scatter3d", x: [1], y: [1], z: [1] }]); // the full bundle
 * ```
 */
export function plotlyBundleFor(data: readonly unknown[]): URL {
  const cartesian = data.every((trace) =>
    CARTESIAN_TRACE_TYPES.has((trace as { type?: string }).type ?? "scatter")
  );
  return cartesian ? CARTESIAN_PLOTLY_FILE : PLOTLY_FILE;
}

/** Options of {@linkcode figureLayout}. */
export interface LayoutOptions {
  /** Figure title. */
  title?: string;
  /** Title of the x axis (of every subplot column when `grid` is set: use `xTitles`). */
  xTitle?: string;
  /** Title of the y axis. */
  yTitle?: string;
  /** Logarithmic x axis. */
  logX?: boolean;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Subplot grid: traces pick their cell with `xaxis: "x2", yaxis: "y2"`, … */
  grid?: { rows: number; columns: number };
  /** Per-subplot x axis titles (row-major), with `grid`. */
  xTitles?: string[];
  /** Per-subplot y axis titles (row-major), with `grid`. */
  yTitles?: string[];
  /** Per-subplot titles (row-major), with `grid`: drawn in bold at each subplot's top left. */
  subplotTitles?: string[];
  /** Show the legend (plotly's default: only with several traces). */
  showLegend?: boolean;
  /** Put the legend in one row under the plot (useful with subplot grids). */
  legendBelow?: boolean;
}

/**
 * A plotly layout for the common cases: titles, log axes, a grid of independent subplots.
 * Titles are written as `{ text }` objects, which plotly.js 3 requires.
 *
 * @example
 * ```ts
 * const layout = figureLayout({ title: "Loss", xTitle: "epoch", yTitle: "loss", logY: true });
 * const grid = figureLayout({ grid: { rows: 1, columns: 2 }, xTitles: ["w1", "w2"] });
 * ```
 */
export function figureLayout(options: LayoutOptions): Partial<Layout> {
  const layout: Record<string, unknown> = {};
  if (options.title !== undefined) layout.title = { text: options.title };
  if (options.showLegend !== undefined) layout.showlegend = options.showLegend;
  if (options.legendBelow) {
    // Below the x-axis titles: they sit about 40 px under the plot area.
    layout.legend = { orientation: "h", x: 0.5, xanchor: "center", y: -0.2, yanchor: "top" };
    layout.margin = { b: 100 };
  }
  if (options.subplotTitles) {
    layout.annotations = options.subplotTitles.map((text, i) => {
      const suffix = i === 0 ? "" : String(i + 1);
      return {
        text: `<b>${text}</b>`,
        showarrow: false,
        xref: `x${suffix} domain`,
        yref: `y${suffix} domain`,
        x: 0.02,
        y: 1,
        xanchor: "left",
        yanchor: "top",
      };
    });
  }
  const cells = options.grid ? options.grid.rows * options.grid.columns : 1;
  if (options.grid) {
    layout.grid = {
      rows: options.grid.rows,
      columns: options.grid.columns,
      pattern: "independent",
    };
  }
  for (let i = 0; i < cells; i++) {
    const suffix = i === 0 ? "" : String(i + 1);
    const xTitle = options.xTitles?.[i] ?? options.xTitle;
    const yTitle = options.yTitles?.[i] ?? options.yTitle;
    const xaxis: Record<string, unknown> = {};
    const yaxis: Record<string, unknown> = {};
    if (xTitle !== undefined) xaxis.title = { text: xTitle };
    if (yTitle !== undefined) yaxis.title = { text: yTitle };
    if (options.logX) xaxis.type = "log";
    if (options.logY) yaxis.type = "log";
    if (Object.keys(xaxis).length > 0) layout[`xaxis${suffix}`] = xaxis;
    if (Object.keys(yaxis).length > 0) layout[`yaxis${suffix}`] = yaxis;
  }
  return layout as Partial<Layout>;
}

/** Copy a value for JSON: typed arrays become plain arrays, string titles become `{ text }`. */
function toJson(value: unknown, key = ""): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>);
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v));
  if (typeof value === "string" && key === "title") return { text: value };
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v, k);
    return out;
  }
  return value;
}

/**
 * The JSON of a figure with the course defaults (size, white background, font) under the
 * caller's layout. Typed arrays become arrays; string titles become `{ text }` objects.
 *
 * @example
 * ```ts
 * const json = figureJson([{ y: new Float32Array([1, 2]) }], { title: "t" });
 * json.layout.width; // 720
 * ```
 */
export function figureJson(
  data: Plot[],
  layout: Partial<Layout> = {},
  size: FigureSize = {},
): FigureJson {
  const width = size.width ?? DEFAULT_WIDTH;
  const height = size.height ?? DEFAULT_HEIGHT;
  const user = toJson(layout) as Record<string, unknown>;
  const userFont = (user.font ?? {}) as Record<string, unknown>;
  const userMargin = (user.margin ?? {}) as Record<string, unknown>;
  return {
    data: toJson(data) as unknown[],
    layout: {
      paper_bgcolor: "#ffffff",
      plot_bgcolor: "#ffffff",
      ...user,
      margin: { l: 70, r: 30, t: user.title === undefined ? 30 : 60, b: 60, ...userMargin },
      font: { family: FONT_FAMILY, size: 13, color: "#222222", ...userFont },
      width,
      height,
      autosize: false,
    },
  };
}

let fontDataUrl: string | undefined;

/** JSON that is safe inside a <script> element ("<" cannot start "</script>"). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * The page that draws figures: plotly.js and the course font, and `window.__render(figure)`,
 * which replaces the drawing. With `figure`, `window.__ready` is that figure drawn; without,
 * the page waits for `__render` calls (the kernel's long-lived page), and plotly.js is not in it:
 * {@linkcode openPageRenderer} runs it afterwards, through a V8 code cache.
 */
async function pageHtml(figure?: FigureJson): Promise<string> {
  // The kernel's page (no figure) gets the cartesian bundle afterwards, from openPageRenderer.
  const plotly = figure === undefined ? CARTESIAN_PLOTLY_FILE : plotlyBundleFor(figure.data);
  fontDataUrl ??= `data:font/ttf;base64,${toBase64(await Deno.readFile(FONT_FILE))}`;
  return `<!doctype html>
<html><head><meta charset="utf-8">
<style>
@font-face { font-family: "DejaVu Sans"; src: url(${fontDataUrl}) format("truetype"); }
html, body { margin: 0; padding: 0; background: #ffffff; overflow: hidden; }
</style></head>
<body><div id="figure"></div>
${figure === undefined ? "" : `<script src="${plotly.href}"></script>`}
<script>
window.__render = async (figure) => {
  if (typeof Plotly === "undefined") throw new Error("plotly.js did not load from ${plotly.pathname}");
  await document.fonts.load('13px "DejaVu Sans"');
  Plotly.purge("figure");
  await Plotly.newPlot("figure", figure.data, figure.layout, { staticPlot: true, displayModeBar: false });
};
window.__ready = ${
    figure === undefined
      ? "document.fonts.load('13px \"DejaVu Sans\"')"
      : `window.__render(${scriptJson(figure)})`
  };
</script></body></html>`;
}

let kernelPage: Promise<PageRenderer> | undefined;

/**
 * Where the kernel's browser keeps V8's compiled code of plotly.js between kernels (see "Code
 * cache" in `chromium.ts`): the user's cache folder (`$XDG_CACHE_HOME`, else `~/.cache`), never a
 * shared temporary one, since the browser runs the code it finds there. `undefined` (no cache)
 * without a home folder; a folder that cannot be written (a sandbox) only means no cache.
 *
 * Measured on a 2-core machine under load (medians of 6 kernels' first figures), with the full
 * bundle: 3.7 CPU seconds (browser and Deno) and 5.2 s wall before, 2.8 CPU seconds and 3.7 s wall
 * with the cache; later figures are unchanged (about 0.2 s each). The kernel's page now loads the
 * cartesian bundle (see {@linkcode CARTESIAN_TRACE_TYPES}): a browser with its page ready in 2.2–2.7
 * CPU seconds and 1.5–1.8 s wall instead of 3.9 and 3.0 (quiet machine, with the cache; 0.1–0.2 s
 * more without).
 */
function plotlyCodeCacheDir(): string | undefined {
  const home = Deno.env.get("HOME");
  const cacheHome = Deno.env.get("XDG_CACHE_HOME") || (home ? `${home}/.cache` : undefined);
  return cacheHome === undefined ? undefined : `${cacheHome}/nn-course/v8-code-cache`;
}

/**
 * Render a figure to PNG bytes with plotly.js in a headless browser. Throws when no browser is
 * found or rendering fails. Usually called through {@linkcode showFigure}.
 *
 * Under `deno task reproduce` the figure is drawn by reproduce's one browser, over the Unix socket
 * that `COURSE_FIGURE_SERVICE` names (see `figure_service.ts`); should that fail, a line says so
 * and this kernel draws its figures itself from then on. Otherwise {@linkcode drawFigure}.
 *
 * @example
 * ```ts
 * const png = await renderFigurePng([{ y: [1, 3, 2] }], { title: { text: "t" } }, { width: 400, height: 300 });
 * ```
 */
export async function renderFigurePng(
  data: Plot[],
  layout: Partial<Layout> = {},
  size: FigureSize = {},
): Promise<Uint8Array> {
  const figure = figureJson(data, layout, size);
  const shot = {
    width: figure.layout.width as number,
    height: figure.layout.height as number,
    scale: size.scale ?? 1,
  };
  const service = figureServiceSetting();
  if (service !== undefined && !serviceFailed) {
    try {
      return await requestFigure(service, { figure, size: shot });
    } catch (error) {
      serviceFailed = true;
      console.warn(
        `static PNG: the figure service at ${service} failed (${(error as Error).message}); ` +
          "this kernel draws its figures itself from now on",
      );
    }
  }
  return await drawFigure(figure, shot);
}

/** Whether the figure service failed once in this process (then it is not asked again). */
let serviceFailed = false;

/**
 * Draw a figure's JSON to PNG bytes in this process's own headless browser.
 *
 * With `keepPage` (the default inside a Jupyter kernel) one browser page with plotly.js loaded
 * stays open for all figures (about 0.2 s a figure instead of 2 s), and plotly.js's compiled code
 * is cached between browsers (see `plotlyCodeCacheDir`); otherwise each figure starts and closes
 * its own browser, so nothing keeps the process alive. A figure with a trace type outside
 * plotly's cartesian bundle is always drawn the second way, with the full bundle.
 *
 * @example
 * ```ts
 * const png = await drawFigure(figureJson([{ y: [1, 3, 2] }]), { width: 720, height: 440 });
 * ```
 */
export async function drawFigure(
  figure: FigureJson,
  shot: ScreenshotSize,
  keepPage: boolean = inJupyter(),
): Promise<Uint8Array> {
  if (keepPage && plotlyBundleFor(figure.data) === CARTESIAN_PLOTLY_FILE) {
    kernelPage ??= pageHtml().then((html) =>
      openPageRenderer(html, {
        scripts: [CARTESIAN_PLOTLY_FILE],
        codeCacheDir: plotlyCodeCacheDir(),
      })
    );
    try {
      return await (await kernelPage).render(`window.__render(${scriptJson(figure)})`, shot);
    } catch (error) {
      // A broken long-lived page: start afresh next time, and draw this figure the slow way.
      const page = kernelPage;
      kernelPage = undefined;
      page.then((p) => p.close()).catch(() => {});
      console.warn(
        `static PNG: the kept browser page failed (${(error as Error).message}); retrying`,
      );
    }
  }
  return await screenshotHtml(await pageHtml(figure), shot);
}

/** Close the page {@linkcode drawFigure} keeps, if one is open (its browser ends with it). */
export async function closeKeptPage(): Promise<void> {
  const page = kernelPage;
  kernelPage = undefined;
  await page?.then((p) => p.close()).catch(() => {});
}

/**
 * Whether static PNGs can be rendered, and if not, why (no browser found).
 *
 * @example
 * ```ts
 * const { enabled, reason } = staticPngStatus();
 * ```
 */
export function staticPngStatus(): { enabled: boolean; reason?: string } {
  const { path, reason } = findChromium();
  return path !== undefined ? { enabled: true } : { enabled: false, reason };
}

/**
 * The most JSON a figure may send to the front end, bytes. A plotly figure travels inside one
 * Jupyter message; an 8 MB one (a histogram of 400 000 raw values) made jupyter_client reject the
 * Deno kernel's message as "Invalid Signature" in 2 of 3 runs, and it bloats the saved notebook
 * and the HTML page. Bin or subsample in the cell instead (`histogram` in `charts.ts` counts).
 */
export const MAX_FIGURE_BYTES = 2_000_000;

/** Throw one clear error when `figure` is larger than {@linkcode MAX_FIGURE_BYTES} as JSON. */
export function checkFigureSize(name: string, figure: unknown): void {
  const bytes = new TextEncoder().encode(JSON.stringify(figure)).length;
  if (bytes > MAX_FIGURE_BYTES) {
    throw new Error(
      `figure "${name}" is ${(bytes / 1e6).toFixed(1)} MB of JSON, more than ` +
        `${MAX_FIGURE_BYTES / 1e6} MB: bin or subsample its data in the cell (e.g. histogram() ` +
        `in lib/viz/charts.ts counts values into bins) — large display messages bloat the ` +
        `notebook and have broken Jupyter's message signatures`,
    );
  }
}

/**
 * Show a figure and save its PNG: renders `data`/`layout` at a fixed size, saves it as
 * `<outDir()>/figures/<currentNotebook()>-<name>.png`, and inside Jupyter displays one output
 * with the interactive plotly figure, the PNG and a text line. Resolves to nothing, so that a
 * notebook cell ending in `await showFigure(…)` shows the figure and no return value;
 * `figurePath(name)` gives the file.
 *
 * Without a browser (none installed) one line says once that static PNGs are off, and figures
 * are shown interactively only. With a browser, a figure that cannot be rendered or saved (the
 * browser fails, the disk is full) is an error: the interactive figure is still shown, then the
 * call throws `figure "<name>": …`, so that a headless run fails instead of keeping a stale PNG.
 *
 * @example
 * ```ts
 * await showFigure("accuracy", [{ x: epochs, y: acc, mode: "lines+markers" }], {
 *   title: { text: "Test accuracy" },
 * });
 * ```
 */
export async function showFigure(
  name: string,
  data: Plot[],
  layout: Partial<Layout> = {},
  options: FigureSize = {},
): Promise<void> {
  const figure = figureJson(data, layout, options);
  checkFigureSize(name, figure);
  let path: string | undefined;
  let png: Uint8Array | undefined;
  let failure: string | undefined;
  const status = staticPngStatus();
  if (status.enabled) {
    try {
      png = await renderFigurePng(data, layout, options);
    } catch (error) {
      failure = `figure "${name}": the browser could not render it: ${(error as Error).message}`;
    }
    if (png !== undefined) {
      try {
        path = await saveFigurePng(name, png);
      } catch (error) {
        failure = (error as Error).message;
      }
    }
  } else {
    noticeOnce(
      "static-png",
      `Static figure PNGs are off: ${status.reason}. Figures are shown interactively only.`,
    );
  }
  const bundle: Deno.jupyter.MediaBundle = {
    "application/vnd.plotly.v1+json": figure,
    "text/plain": path !== undefined ? `Figure "${name}" (saved to ${path})` : `Figure "${name}"`,
  };
  if (png !== undefined) bundle["image/png"] = toBase64(png);
  await displayBundle(bundle);
  if (failure !== undefined) throw new Error(failure);
}
