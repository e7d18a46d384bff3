/**
 * Style transfer on VGG19 with tiny images: the objective's gradient against a finite difference,
 * the normalised network's mean activations, a few L-BFGS steps lowering the loss by a large
 * factor with the tensor count flat, and the content/style-only reconstructions.
 * Skipped, with the reason printed, when the VGG19 weights are not in the external data folder.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { needsWeights, skipReason } from "./vgg19_weights.ts";
import { Random } from "../lib/runtime/random.ts";
import { loadVgg19, type Vgg19, vggPreprocess } from "../lib/vision/vgg19.ts";
import { normalizeVgg19 } from "../lib/vision/vgg19_normalize.ts";
import { minimizeLbfgs } from "../lib/optim/lbfgs.ts";
import { styleLayerSubsets, StyleObjective, styleTransfer } from "../lib/vision/style_transfer.ts";

await initBackend();

const ignore = skipReason !== undefined;

/** Smooth synthetic RGB images (0–255), so that no external image is needed. */
function syntheticImage(h: number, w: number, seed: string): tf.Tensor3D {
  const rng = new Random(seed);
  const f = [rng.uniform(0.1, 0.5), rng.uniform(0.1, 0.5), rng.uniform(0, 6)];
  const values = new Float32Array(h * w * 3);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let c = 0; c < 3; c++) {
        values[(i * w + j) * 3 + c] = 127.5 +
          100 * Math.sin(f[0] * i * (c + 1) + f[1] * j + f[2] + c);
      }
    }
  }
  return tf.tensor3d(values, [h, w, 3]);
}

let network: Vgg19 | undefined;
async function vgg(): Promise<Vgg19> {
  if (network === undefined) {
    const raw = await loadVgg19({ pooling: "avg" });
    const images = [syntheticImage(32, 32, "photo"), syntheticImage(32, 32, "painting")];
    const inputs = images.map((image) => vggPreprocess(image));
    network = normalizeVgg19(raw, inputs).network;
    raw.dispose();
    tf.dispose([...images, ...inputs]);
  }
  return network;
}

Deno.test({
  name: needsWeights(
    "normalised VGG19: every filter's mean activation is 1 on the normalising image",
  ),
  ignore,
  fn: async () => {
    const raw = await loadVgg19({ pooling: "avg" });
    const photo = syntheticImage(32, 48, "normalise");
    const x = vggPreprocess(photo);
    const { network: normal, means } = normalizeVgg19(raw, [x]);
    const maps = normal.features(x, ["conv1_1", "conv3_1", "conv5_1"]);
    for (const layer of ["conv1_1", "conv3_1", "conv5_1"] as const) {
      const m = tf.mean(maps[layer], [0, 1, 2]);
      const values = m.dataSync();
      const original = means[layer];
      const layerMean = original.reduce((a, b) => a + b, 0) / original.length;
      for (let k = 0; k < values.length; k++) {
        const floored = original[k] < 0.1 * layerMean;
        const expected = original[k] === 0 ? 0 : floored ? original[k] / (0.1 * layerMean) : 1;
        assertAlmostEquals(values[k], expected, 2e-3 * Math.max(1, expected), `${layer} ${k}`);
      }
      m.dispose();
    }
    tf.dispose([photo, x, ...Object.values(maps)]);
    normal.dispose();
    raw.dispose();
  },
});

Deno.test({
  name: needsWeights("style objective: gradient along a random direction = central difference"),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const painting = syntheticImage(40, 32, "painting");
    const objective = new StyleObjective(net, {
      content: photo,
      style: painting,
      contentWeight: 1e-3,
      tvWeight: 1e-4,
    });
    // the photo plus a little noise: away from ReLU kinks a small step sees a smooth function
    const noise = objective.initialImage("noise", { seed: 3, noiseStd: 4 });
    const x = objective.initialImage("content").map((v, i) => v + noise[i]);
    const { value, gradient, parts } = objective.evaluate(x);
    assert(parts.content > 0 && parts.style > 0 && parts.tv > 0, JSON.stringify(parts));
    assertAlmostEquals(value, 1e-3 * parts.content + parts.style + 1e-4 * parts.tv, 1e-4 * value);
    const d = new Random("direction").normalArray(x.length);
    let slope = 0;
    for (let i = 0; i < x.length; i++) slope += gradient[i] * d[i];
    const h = 0.01;
    const at = (sign: number) => objective.evaluate(x.map((v, i) => v + sign * h * d[i])).value;
    const numeric = (at(1) - at(-1)) / (2 * h);
    assert(
      Math.abs(numeric - slope) <= 0.02 * Math.abs(slope),
      `directional derivative ${slope} vs central difference ${numeric}`,
    );
    objective.dispose();
    tf.dispose([photo, painting]);
  },
});

Deno.test({
  name: needsWeights(
    "a few L-BFGS steps on a tiny style transfer lower the loss by a large factor; no leak",
  ),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const painting = syntheticImage(32, 32, "painting");
    const objective = new StyleObjective(net, { content: photo, style: painting });
    const x0 = objective.initialImage("noise", { seed: 1, noiseStd: 32 });
    const counts: number[] = [];
    const result = await minimizeLbfgs((x) => objective.evaluate(x), x0, {
      maxIterations: 12,
      onIteration: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    const [before, after] = [result.values[0], result.value];
    assert(after < before / 20, `loss ${before} → ${after} in ${result.iterations} iterations`);
    assert(counts.every((c) => c === counts[0]), `tensor counts over iterations: ${counts}`);
    objective.dispose();
    tf.dispose([photo, painting]);
  },
});

Deno.test({
  name: needsWeights(
    "styleTransfer: reconstructions, snapshots, RGB output, Adam, no tensors left",
  ),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const painting = syntheticImage(32, 32, "painting");
    const before = tf.memory().numTensors;
    const content = await styleTransfer(net, {
      content: photo,
      contentWeight: 1,
      contentLayer: "conv2_1",
      iterations: 20,
      snapshotEvery: 10,
      progress: false,
    });
    assertEquals(content.image.shape, [32, 32, 3]);
    assertEquals(content.snapshots.map((s) => s.iteration), [10, 20]);
    const first = content.history[0], last = content.history[content.history.length - 1];
    assert(
      last.content < first.content / 5,
      `content ${content.history.map((h) => h.content.toPrecision(3))}`,
    );
    assertEquals(first.style, 0);
    const pixels = content.image.dataSync();
    const [lo, hi] = [Math.min(...pixels), Math.max(...pixels)];
    assert(lo >= 0 && hi <= 255, `pixels in [${lo}, ${hi}]`);
    content.dispose();

    const style = await styleTransfer(net, {
      style: painting,
      styleLayers: styleLayerSubsets()[1],
      size: [24, 40],
      iterations: 10,
      progress: false,
    });
    assertEquals(style.image.shape, [24, 40, 3]);
    assert(
      style.history.at(-1)!.style < style.history[0].style / 5,
      `style ${style.history.map((h) => h.style.toPrecision(3))}`,
    );
    style.dispose();

    const adam = await styleTransfer(net, {
      content: photo,
      style: painting,
      optimizer: "adam",
      noiseStd: 32,
      iterations: 10,
      progress: false,
    });
    assert(adam.optimizer.values.at(-1)! < adam.optimizer.values[0], "Adam lowered the loss");
    adam.dispose();
    assertEquals(tf.memory().numTensors, before, "tensors left behind");
    tf.dispose([photo, painting]);
  },
});
