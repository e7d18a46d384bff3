/**
 * Text labels rasterised without a browser: an SVG made of `<text>` elements is rendered by
 * resvg (`@resvg/resvg-wasm`, a WebAssembly build of the Rust SVG renderer) with the DejaVu Sans
 * TrueType fonts from the npm package `dejavu-fonts-ttf`; system fonts are never used.
 *
 * Why this and not the alternatives (measured here):
 * - resvg renders from the given font bytes only, so labels are the same pixels on every
 *   machine, need no browser (they work in CI without Chromium and on a laptop without Chrome),
 *   and take ~20 ms per grid after a one-time ~60 ms start. It is typed and maintained.
 * - imagescript's `Image.renderText` fails under Deno 2 (its font wasm glue calls the removed
 *   `Deno.core.encode`).
 * - Chromium (HTML/SVG composite + screenshot) works but costs 1–3 s per image and uses system
 *   font fallback and hinting, so pixels differ between machines; it is kept for plotly only.
 *
 * @example
 * ```ts
 * const layer = await renderText(120, 20, [{ text: "conv4_2", x: 60, y: 15, anchor: "middle" }]);
 * // layer.rgba: 120×20 premultiplied RGBA, transparent where there is no text
 * ```
 *
 * @module
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";

/** One line of text; `y` is the baseline. */
export interface TextItem {
  text: string;
  /** Anchor point x in pixels. */
  x: number;
  /** Baseline y in pixels. */
  y: number;
  /** Which point of the text sits at `x` (default "start"). */
  anchor?: "start" | "middle" | "end";
  /** Font size in pixels (default 12). */
  size?: number;
  /** CSS colour (default "#000000"). */
  color?: string;
  /** Bold face (default false). */
  bold?: boolean;
}

/** A transparent layer of text: premultiplied RGBA, row-major. */
export interface TextLayer {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const NODE_MODULES = new URL("../../node_modules/", import.meta.url);
let fonts: Promise<Uint8Array[]> | undefined;

function loadRenderer(): Promise<Uint8Array[]> {
  fonts ??= (async () => {
    await initWasm(await Deno.readFile(new URL("@resvg/resvg-wasm/index_bg.wasm", NODE_MODULES)));
    return await Promise.all(
      ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) =>
        Deno.readFile(new URL(`dejavu-fonts-ttf/ttf/${f}`, NODE_MODULES))
      ),
    );
  })();
  return fonts;
}

/**
 * Text made safe to put inside an SVG/XML element or attribute: `<`, `>`, `&`, `"` and `'` become
 * character references.
 *
 * @example
 * ```ts
 * escapeXml("a < b & c"); // "a &#60; b &#38; c"
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Render a whole SVG document to PNG bytes with resvg and the course's DejaVu Sans fonts (no
 * system fonts, so the same pixels on every machine), at the size the SVG states.
 *
 * @example
 * ```ts
 * const png = await renderSvgPng('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"/>');
 * ```
 */
export async function renderSvgPng(svg: string): Promise<Uint8Array> {
  const fontBuffers = await loadRenderer();
  const resvg = new Resvg(svg, {
    font: { fontBuffers, loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
    background: "#ffffff",
  });
  const rendered = resvg.render();
  try {
    return rendered.asPng();
  } finally {
    rendered.free();
    resvg.free();
  }
}

/**
 * Rasterise text items onto a transparent `width`×`height` layer (DejaVu Sans, antialiased).
 *
 * @example
 * ```ts
 * const { rgba } = await renderText(100, 30, [{ text: "style", x: 50, y: 20, anchor: "middle", bold: true }]);
 * ```
 */
export async function renderText(
  width: number,
  height: number,
  items: TextItem[],
): Promise<TextLayer> {
  const fontBuffers = await loadRenderer();
  const texts = items.map((t) =>
    `<text x="${t.x}" y="${t.y}" text-anchor="${t.anchor ?? "start"}" font-size="${
      t.size ?? 12
    }" font-weight="${t.bold ? "bold" : "normal"}" fill="${escapeXml(t.color ?? "#000000")}">${
      escapeXml(t.text)
    }</text>`
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `font-family="DejaVu Sans">${texts.join("")}</svg>`;
  const resvg = new Resvg(svg, {
    font: { fontBuffers, loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
  });
  const rendered = resvg.render();
  try {
    return { width: rendered.width, height: rendered.height, rgba: rendered.pixels.slice() };
  } finally {
    rendered.free();
    resvg.free();
  }
}
