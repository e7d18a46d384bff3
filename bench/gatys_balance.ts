/**
 * Why figure 2's panels E and F come out as texture (issue 16): two measurements of the balance
 * α/β of chapter 7 (`07_style_transfer`, §7.4), where α for the paper's α/β is the same for every
 * painting and fixed by equal start pulls of the photo and *The Starry Night* at 10⁻³.
 *
 * 1. **The paintings' pulls against each other**: ‖∇ₓL_style(x₀)‖ on the white-noise start for
 *    each of the five paintings, relative to *The Starry Night*'s, at several image sizes and with
 *    VGG19 as it is (`raw`) or normalised on the six images (as the figures), on the photo alone
 *    or on the five paintings. If the ratios moved much with size or normalisation, one of those
 *    deviations from the paper could explain E and F; the table shows whether they do. With the
 *    rule, each panel's content/style pull ratio at the start is (α/β)/10⁻³ divided by its
 *    painting's relative pull: the table prints it for B … F at the paper's α/β.
 * 2. **Iterations** (`--long-run N`, 0 to skip): panel F (Kandinsky, α/β = 10⁻⁴ by the rule) for N
 *    L-BFGS iterations, printing the two weighted terms every N/8 iterations — does the photo come
 *    back if the optimisation runs longer than the figure's 250 iterations?
 *
 * Usage: `deno run -A bench/gatys_balance.ts [--sizes 128,256,512] [--long-run 1000]
 * [--long-size 256]` (the long run's snapshots go to `out/balance/`). The pulls take about a
 * minute on two cores; the long run about 0.35 s an iteration at 256 px.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/runtime/backend.ts";
import { outDir } from "../lib/runtime/config.ts";
import {
  BALANCE_PAINTING,
  type GatysImage,
  loadGatysImages,
  prepareGatysFigure,
} from "../lib/chapters/gatys_figures.ts";
import { loadVgg19, type Vgg19, vggPreprocess } from "../lib/vision/vgg19.ts";
import { normalizeVgg19 } from "../lib/vision/vgg19_normalize.ts";
import { BALANCED_RATIO, startPulls } from "../lib/vision/style_balance.ts";
import { styleTransfer } from "../lib/vision/style_transfer.ts";
import { writePng } from "../lib/viz/image.ts";
import { showTable } from "../lib/viz/table.ts";

/** Figure 2's panels B … F: painting and the paper's α/β. */
const PANELS: readonly { label: string; painting: GatysImage; ratio: number }[] = [
  { label: "B", painting: "shipwreck", ratio: 1e-3 },
  { label: "C", painting: "starry_night", ratio: 1e-3 },
  { label: "D", painting: "the_scream", ratio: 1e-3 },
  { label: "E", painting: "seated_nude", ratio: 1e-4 },
  { label: "F", painting: "composition_vii", ratio: 1e-4 },
];

/** A positive whole number from an option, or one error naming the option. */
function wholeNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`--${name} must be a whole number ≥ 0, not "${text}"`);
  }
  return value;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "128,256,512" },
    "long-run": { type: "string", default: "1000" },
    "long-size": { type: "string", default: "256" },
  },
});
const sizes = values.sizes.split(",").map((s) => wholeNumber("sizes", s.trim()));
const longRun = wholeNumber("long-run", values["long-run"]);
const longSize = wholeNumber("long-size", values["long-size"]);
await initBackend();

// 1. The paintings' start pulls relative to The Starry Night's, by size and normalisation
const rows: (string | number)[][] = [];
for (const size of sizes) {
  const images = await loadGatysImages(size);
  const raw = await loadVgg19({ pooling: "avg" });
  const normalisations: [string, tf.Tensor3D[] | undefined][] = [
    ["none (raw)", undefined],
    ["six images (the figures)", Object.values(images)],
    ["the photo", [images.tubingen]],
    ["the five paintings", PANELS.map((p) => images[p.painting])],
  ];
  for (const [name, set] of normalisations) {
    let vgg: Vgg19 = raw;
    if (set) {
      const inputs = set.map((image) => vggPreprocess(image));
      vgg = normalizeVgg19(raw, inputs).network;
      tf.dispose(inputs);
    }
    const style = PANELS.map((p) => startPulls(vgg, images.tubingen, images[p.painting]).style);
    const anchor = style[PANELS.findIndex((p) => p.painting === BALANCE_PAINTING)];
    const relative = style.map((s) => s / anchor);
    rows.push([
      `${images.tubingen.shape[1]}×${images.tubingen.shape[0]}`,
      name,
      ...relative.map((r) => r.toFixed(2)),
      // content/style pull ratio at the start, panel by panel, under the rule
      PANELS.map((p, i) => (p.ratio / BALANCED_RATIO / relative[i]).toFixed(2)).join(" "),
    ]);
    if (vgg !== raw) vgg.dispose();
  }
  raw.dispose();
  tf.dispose(Object.values(images));
}
await showTable(
  [
    "size",
    "normalised on",
    ...PANELS.map((p) => `${p.painting}'s pull`),
    `content/style pull at the start, ${PANELS.map((p) => p.label).join(" ")}`,
  ],
  rows,
  { caption: `Style pulls relative to ${BALANCE_PAINTING}'s (the rule's anchor, 1 by definition)` },
);

// 2. Panel F for longer than the figure's 250 iterations
if (longRun > 0) {
  const setup = await prepareGatysFigure(longSize);
  const panel = PANELS[PANELS.length - 1];
  const alpha = setup.alphaFor(panel.ratio);
  const every = Math.max(1, Math.round(longRun / 8));
  const result = await styleTransfer(setup.vgg, {
    content: setup.photo,
    style: setup.images[panel.painting],
    contentWeight: alpha,
    iterations: longRun,
    snapshotEvery: every,
    progress: `panel ${panel.label}, α/β = ${panel.ratio}`,
  });
  const start = result.history[0];
  await showTable(
    ["iteration", "α · L_content", "β · L_style", "α · L_content / its value at the start"],
    result.history
      .filter((h) => h.iteration % every === 0 || h === result.history.at(-1))
      .map((h) => [h.iteration, alpha * h.content, h.style, h.content / start.content]),
    { caption: `Panel ${panel.label} (${panel.painting}, α/β = ${panel.ratio} by the rule)` },
  );
  const lowest = Math.min(...result.history.slice(1).map((h) => h.content / start.content));
  console.log(
    `${setup.width}×${setup.height} px, ${result.optimizer.iterations} iterations, ` +
      `${result.seconds.toFixed(0)} s; the content term's lowest value after the start: ` +
      `${lowest.toFixed(3)} × its value on the white noise`,
  );
  for (const s of result.snapshots) {
    await writePng(`${outDir()}/balance/${panel.painting}_${s.iteration}.png`, s.image);
  }
  result.dispose();
  setup.dispose();
}
Deno.exit(0);
