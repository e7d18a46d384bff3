/**
 * Small network diagrams drawn by code: layers of units as columns of circles, every unit joined
 * to every unit of the next layer, and the error function as a box fed by the output units and
 * the target. A diagram is described by a typed {@linkcode NetworkDiagram}; {@linkcode diagramGeometry}
 * places everything, {@linkcode diagramSvg} writes an SVG, and {@linkcode showDiagram} displays it
 * in Jupyter and saves it as a figure PNG (rendered by resvg with the course's fonts, as `text.ts`).
 *
 * @example
 * ```ts
 * await showDiagram("network", {
 *   layers: [
 *     { name: "input", units: ["x"], bias: true },
 *     { name: "identity", units: ["z"] },
 *   ],
 *   weights: ["w, b"],
 *   error: { label: "E = ½(z − d)²", target: "d" },
 * });
 * ```
 *
 * @module
 */
import { displayBundle, saveFigurePng, toBase64 } from "./figure.ts";
import { escapeXml, renderSvgPng } from "./text.ts";

/** One layer: a column of units, drawn top to bottom. */
export interface DiagramLayer {
  /** What the layer is, written under its column ("input", "softmax", …). */
  name: string;
  /** The labels of its units, top to bottom ("x₁", "y", …); at least one. */
  units: string[];
  /** Add a constant unit "1" under the others, feeding the next layer: the bias as a weight. */
  bias?: boolean;
}

/** A network to draw: layers from the inputs to the outputs, and the error function. */
export interface NetworkDiagram {
  /** At least two layers; each unit feeds every (non-constant) unit of the next layer. */
  layers: DiagramLayer[];
  /** A label for each set of connections, between layer l and l + 1 (one fewer than layers). */
  weights?: string[];
  /** The error box after the output layer, and the target it compares the outputs with. */
  error: { label: string; target?: string };
}

/** A unit's circle: centre, label, and whether it is a constant input. */
export interface DiagramUnit {
  x: number;
  y: number;
  label: string;
  constant: boolean;
}

/** A straight connection from (x1, y1) to (x2, y2), drawn with an arrow head at the end. */
export interface DiagramEdge {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A line of text; `y` is its baseline, `anchor` which point of the text sits at `x`. */
export interface DiagramText {
  x: number;
  y: number;
  text: string;
  anchor: "start" | "middle" | "end";
  size: number;
}

/** Where everything of a diagram goes, in pixels. */
export interface DiagramGeometry {
  width: number;
  height: number;
  /** The unit radius. */
  radius: number;
  units: DiagramUnit[];
  /** Unit to unit, then output unit to error box, then target to error box (if any). */
  edges: DiagramEdge[];
  texts: DiagramText[];
  /** The error box (top-left corner and size) and its label. */
  errorBox: { x: number; y: number; width: number; height: number; label: string };
}

const RADIUS = 17;
const UNIT_GAP = 50; // between unit centres in a column
const COLUMN_GAP = 150; // between column centres
const MARGIN = 24;
const FONT = 14;
const SMALL_FONT = 12;
const TOP = 30; // room for the weight labels above the columns
const BOTTOM = 34; // room for the layer names under the columns

/** About how wide `text` is in DejaVu Sans at `size` pixels (its glyphs average ≈ 0.62 em). */
function textWidth(text: string, size: number): number {
  return Math.ceil([...text].length * size * 0.62);
}

function checkDiagram(diagram: NetworkDiagram): void {
  const { layers, weights, error } = diagram;
  if (layers.length < 2) {
    throw new Error(`network diagram: needs at least 2 layers, got ${layers.length}`);
  }
  layers.forEach((layer, l) => {
    if (layer.units.length === 0) {
      throw new Error(`network diagram: layer ${l} ("${layer.name}") has no units`);
    }
  });
  if (layers.at(-1)!.bias) {
    throw new Error(
      `network diagram: the output layer ("${layers.at(-1)!.name}") has no bias unit`,
    );
  }
  if (weights !== undefined && weights.length !== layers.length - 1) {
    throw new Error(
      `network diagram: ${weights.length} weight labels for ${
        layers.length - 1
      } sets of connections`,
    );
  }
  if (error.label.trim() === "") throw new Error("network diagram: the error box needs a label");
}

/**
 * Place the units, connections, labels and error box of a diagram. Throws one clear error for a
 * diagram that cannot be drawn (fewer than 2 layers, an empty layer, a bias on the output layer,
 * the wrong number of weight labels, an empty error label).
 *
 * @example
 * ```ts
 * const g = diagramGeometry({
 *   layers: [{ name: "in", units: ["x₁", "x₂"] }, { name: "out", units: ["y"] }],
 *   error: { label: "E" },
 * });
 * g.units.length; // 3
 * g.edges.length; // 2 unit to unit + 1 output to error
 * ```
 */
export function diagramGeometry(diagram: NetworkDiagram): DiagramGeometry {
  checkDiagram(diagram);
  const { layers, weights, error } = diagram;
  const tallest = Math.max(...layers.map((l) => l.units.length + (l.bias ? 1 : 0)));
  const columnHeight = (tallest - 1) * UNIT_GAP + 2 * RADIUS;
  const middle = TOP + columnHeight / 2;
  // The first column leaves room on its left for its circles and for half of its name.
  const left = MARGIN + Math.max(RADIUS, textWidth(layers[0].name, SMALL_FONT) / 2);
  const columnX = (l: number) => left + l * COLUMN_GAP;

  const columns: DiagramUnit[][] = layers.map((layer, l) => {
    const labels = layer.bias ? [...layer.units, "1"] : layer.units;
    const top = middle - ((labels.length - 1) * UNIT_GAP) / 2;
    return labels.map((label, i) => ({
      x: columnX(l),
      y: top + i * UNIT_GAP,
      label,
      constant: layer.bias === true && i === labels.length - 1,
    }));
  });
  const units = columns.flat();

  const edges: DiagramEdge[] = [];
  const join = (a: { x: number; y: number }, b: { x: number; y: number }, endGap: number) => {
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    const [dx, dy] = [(b.x - a.x) / length, (b.y - a.y) / length];
    edges.push({
      x1: a.x + dx * RADIUS,
      y1: a.y + dy * RADIUS,
      x2: b.x - dx * endGap,
      y2: b.y - dy * endGap,
    });
  };
  for (let l = 0; l + 1 < columns.length; l++) {
    const receivers = columns[l + 1].filter((u) => !u.constant);
    for (const from of columns[l]) for (const to of receivers) join(from, to, RADIUS + 2);
  }

  const boxWidth = textWidth(error.label, FONT) + 24;
  const boxHeight = 36;
  const boxX = columnX(layers.length - 1) + COLUMN_GAP - 20;
  const boxY = middle - boxHeight / 2;
  for (const output of columns.at(-1)!) {
    // To the box's left side, at the unit's height where the box reaches it.
    const end = { x: boxX - 1, y: Math.min(Math.max(output.y, boxY + 6), boxY + boxHeight - 6) };
    join(output, end, 0);
  }

  const texts: DiagramText[] = units.map((u) => ({
    x: u.x,
    y: u.y + FONT * 0.36,
    text: u.label,
    anchor: "middle",
    size: FONT,
  }));
  const nameY = TOP + columnHeight + BOTTOM - 12;
  layers.forEach((layer, l) => {
    texts.push({ x: columnX(l), y: nameY, text: layer.name, anchor: "middle", size: SMALL_FONT });
  });
  weights?.forEach((label, l) => {
    const x = (columnX(l) + columnX(l + 1)) / 2;
    texts.push({ x, y: TOP - 12, text: label, anchor: "middle", size: SMALL_FONT });
  });
  texts.push({
    x: boxX + boxWidth / 2,
    y: middle + FONT * 0.36,
    text: error.label,
    anchor: "middle",
    size: FONT,
  });
  let height = TOP + columnHeight + BOTTOM;
  if (error.target !== undefined) {
    const targetY = boxY + boxHeight + 44;
    texts.push({
      x: boxX + boxWidth / 2,
      y: targetY,
      text: error.target,
      anchor: "middle",
      size: FONT,
    });
    edges.push({
      x1: boxX + boxWidth / 2,
      y1: targetY - FONT - 2,
      x2: boxX + boxWidth / 2,
      y2: boxY + boxHeight + 2,
    });
    height = Math.max(height, targetY + 10);
  }
  const nameWidths = layers.map((layer, l) => columnX(l) + textWidth(layer.name, SMALL_FONT) / 2);
  const width = Math.ceil(Math.max(boxX + boxWidth, ...nameWidths) + MARGIN);
  return {
    width,
    height: Math.ceil(height),
    radius: RADIUS,
    units,
    edges,
    texts,
    errorBox: { x: boxX, y: boxY, width: boxWidth, height: boxHeight, label: error.label },
  };
}

/** A number written with at most two decimals, for SVG coordinates. */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * The diagram as an SVG document (DejaVu Sans, white background); every label is escaped.
 *
 * @example
 * ```ts
 * const svg = diagramSvg({ layers: [{ name: "in", units: ["x"] }, { name: "out", units: ["y"] }], error: { label: "E" } });
 * svg.startsWith("<svg"); // true
 * ```
 */
export function diagramSvg(diagram: NetworkDiagram): string {
  const g = diagramGeometry(diagram);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" ` +
    `viewBox="0 0 ${g.width} ${g.height}" font-family="DejaVu Sans, sans-serif">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker></defs>`,
    `<rect width="${g.width}" height="${g.height}" fill="#ffffff"/>`,
  ];
  for (const e of g.edges) {
    parts.push(
      `<line x1="${px(e.x1)}" y1="${px(e.y1)}" x2="${px(e.x2)}" y2="${px(e.y2)}" ` +
        `stroke="#555555" stroke-width="1.2" marker-end="url(#arrow)"/>`,
    );
  }
  for (const u of g.units) {
    const style = u.constant
      ? `fill="#f2f2f2" stroke="#555555" stroke-dasharray="4 3"`
      : `fill="#dbe9f6" stroke="#1f77b4"`;
    parts.push(
      `<circle cx="${px(u.x)}" cy="${px(u.y)}" r="${g.radius}" ${style} stroke-width="1.5"/>`,
    );
  }
  const box = g.errorBox;
  parts.push(
    `<rect x="${px(box.x)}" y="${px(box.y)}" width="${px(box.width)}" height="${px(box.height)}" ` +
      `rx="5" fill="#fdebd3" stroke="#ff7f0e" stroke-width="1.5"/>`,
  );
  for (const t of g.texts) {
    parts.push(
      `<text x="${px(t.x)}" y="${px(t.y)}" text-anchor="${t.anchor}" font-size="${t.size}" ` +
        `fill="#222222">${escapeXml(t.text)}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/**
 * Show a network diagram and save it as figure `name`: the PNG goes to
 * `<outDir()>/figures/<currentNotebook()>-<name>.png`, and inside Jupyter one output holds the SVG
 * (`image/svg+xml`), the PNG and a text line. Returns nothing, so a cell ending in it shows only
 * the diagram.
 *
 * @example
 * ```ts
 * await showDiagram("network", {
 *   layers: [{ name: "input", units: ["x₁", "x₂"], bias: true }, { name: "logistic", units: ["y"] }],
 *   error: { label: "E = −d log y − (1 − d) log(1 − y)", target: "d" },
 * });
 * ```
 */
export async function showDiagram(name: string, diagram: NetworkDiagram): Promise<void> {
  const svg = diagramSvg(diagram);
  const png = await renderSvgPng(svg);
  const path = await saveFigurePng(name, png);
  await displayBundle({
    "image/svg+xml": svg,
    "image/png": toBase64(png),
    "text/plain": `Diagram "${name}" (saved to ${path})`,
  });
}
