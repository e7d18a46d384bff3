/**
 * Where the fine speckle of chapter 7's pictures comes from (issue 16): the same style transfer as
 * figure 2's panel C (the photo, *The Starry Night*, content at conv4_2, style at conv1_1 … conv5_1,
 * α/β = 10⁻³ by the balance rule, L-BFGS from white noise), changing one candidate cause at a time:
 *
 * - `figures`: as the figure notebooks run it (white noise of 4 grey levels, 8-bit weights);
 * - `quiet start`: white noise of 0.25 grey levels;
 * - `loud start`: white noise of 32 grey levels;
 * - `float32 layers`: conv1_1 … conv3_4 from the float32 copy of the weights
 *   (`vgg19_float32_partial_tfjs`) instead of the 8-bit ones;
 * - `painting 2×`: the painting read at twice the photo's long side (its strokes span twice as
 *   many pixels; its Gram matrices are rescaled to the photo's positions, as always).
 *
 * The speckle is measured as high-frequency energy: the mean over pixels and channels of the
 * squared difference between a pixel and the mean of its 3×3 neighbourhood (0–255 scale), after
 * every `--every` iterations, beside the same measure of the photo and of the painting.
 *
 * Usage: `deno run -A bench/gatys_speckle.ts [--size 128] [--iterations 300] [--every 50]`
 * (PNGs of the results go to `out/speckle/`). About 1 s per iteration at 128 px on 2 cores.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/runtime/backend.ts";
import { outDir } from "../lib/runtime/config.ts";
import { externalFile } from "../lib/data/external.ts";
import { highFrequencyEnergy } from "../lib/data/images.ts";
import { loadGatysImages } from "../lib/chapters/gatys_figures.ts";
import { readVgg19Weights, Vgg19, vggPreprocess } from "../lib/vision/vgg19.ts";
import { normalizeVgg19 } from "../lib/vision/vgg19_normalize.ts";
import { balancedContentWeight, startPulls } from "../lib/vision/style_balance.ts";
import { styleTransfer } from "../lib/vision/style_transfer.ts";
import { writePng } from "../lib/viz/image.ts";
import { showTable } from "../lib/viz/table.ts";

/** Replace conv1_1 … conv3_4's 8-bit weights by the float32 copy, where all its files exist. */
async function useFloat32Layers(
  convs: Awaited<ReturnType<typeof readVgg19Weights>>["convs"],
): Promise<number> {
  const dir = `${await externalFile("vgg19_float32_partial_tfjs", "VGG19 float32 copy")}/model`;
  const model = JSON.parse(await Deno.readTextFile(`${dir}/model.json`)) as {
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
  };
  let replaced = 0;
  for (const group of model.weightsManifest) {
    const parts: Uint8Array[] = [];
    try {
      for (const path of group.paths) parts.push(await Deno.readFile(`${dir}/${path}`));
    } catch {
      continue; // the copy is partial: groups past conv3_4 are absent
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    let offset = 0;
    for (const spec of group.weights) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(bytes.slice(offset, offset + 4 * n).buffer);
      offset += 4 * n;
      const [kerasName, kind] = spec.name.split("/");
      const conv = convs.find((c) => c.kerasName === kerasName);
      if (!conv) continue;
      const target = kind === "kernel" ? conv.kernel : conv.bias;
      if (target.length !== n) throw new Error(`float32 copy: ${spec.name} has ${n} values`);
      target.set(values);
      replaced++;
    }
  }
  return replaced;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "128" },
    iterations: { type: "string", default: "300" },
    every: { type: "string", default: "50" },
  },
});
const size = Number(values.size), iterations = Number(values.iterations);
const every = Number(values.every);
await initBackend();
const images = await loadGatysImages(size);
const photo = images.tubingen, painting = images.starry_night;
const [painting2x] = Object.values(await loadGatysImages(2 * size, ["starry_night"]));

/** The normalised network, with the 8-bit or the float32 weights in the first eight layers. */
async function network(float32Layers: boolean): Promise<Vgg19> {
  const { convs } = await readVgg19Weights();
  if (float32Layers && (await useFloat32Layers(convs)) !== 16) {
    throw new Error("float32 copy: expected the kernels and biases of conv1_1 … conv3_4");
  }
  const raw = new Vgg19(
    convs.map((c) => ({
      name: c.name,
      kerasName: c.kerasName,
      kernel: tf.tensor4d(c.kernel, c.kernelShape),
      bias: tf.tensor1d(c.bias),
    })),
    "avg",
  );
  const inputs = Object.values(images).map((image) => vggPreprocess(image));
  const { network } = normalizeVgg19(raw, inputs);
  tf.dispose(inputs);
  raw.dispose();
  return network;
}

const variants = [
  { name: "figures", noiseStd: 4, float32: false, style: painting },
  { name: "quiet start", noiseStd: 0.25, float32: false, style: painting },
  { name: "loud start", noiseStd: 32, float32: false, style: painting },
  { name: "float32 layers", noiseStd: 4, float32: true, style: painting },
  { name: "painting 2×", noiseStd: 4, float32: false, style: painting2x },
];
const rows: (string | number)[][] = [];
for (const v of variants) {
  const vgg = await network(v.float32);
  const alpha = balancedContentWeight(1e-3, startPulls(vgg, photo, v.style));
  const result = await styleTransfer(vgg, {
    content: photo,
    style: v.style,
    contentWeight: alpha,
    noiseStd: v.noiseStd,
    iterations,
    snapshotEvery: every,
    progress: false,
  });
  const trend = result.snapshots.map((s) => highFrequencyEnergy(s.image).toFixed(0));
  await writePng(`${outDir()}/speckle/${v.name.replace(/\W+/g, "_")}.png`, result.image);
  rows.push([
    v.name,
    highFrequencyEnergy(result.image),
    trend.join(" → "),
    highFrequencyEnergy(v.style),
    result.history[result.history.length - 1].style,
  ]);
  result.dispose();
  vgg.dispose();
}
console.log(
  `${photo.shape[1]}×${photo.shape[0]} px, ${iterations} L-BFGS iterations; ` +
    `the photo's high-frequency energy ${highFrequencyEnergy(photo).toFixed(0)}`,
);
await showTable(
  ["variant", "high-frequency energy", `every ${every} iterations`, "painting's", "L_style at end"],
  rows,
);
