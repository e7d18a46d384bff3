/**
 * Style transfer on VGG19 with tiny images: the normalised network's mean activations, a few L-BFGS
 * steps lowering the loss by a large factor with the tensor count flat, the content/style-only
 * reconstructions with a complete loss history, and an interrupted run leaving no tensors behind.
 * Skipped, with the reason printed, when the VGG19 weights are not in the external data folder.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { needsWeights, skipReason } from "./vgg19_weights.ts";
import { syntheticImage, vgg } from "./style_images.ts";
import { loadVgg19, vggPreprocess } from "../lib/vision/vgg19.ts";
import { normalizeVgg19 } from "../lib/vision/vgg19_normalize.ts";
import { minimizeLbfgs } from "../lib/optim/lbfgs.ts";
import { requestInterruptForTesting } from "../lib/runtime/interrupt.ts";
import { styleLayerSubsets } from "../lib/vision/style_layers.ts";
import { evaluateGatysLoss, styleTargets } from "../lib/vision/style_objective.ts";
import { styleTransfer, whiteNoise } from "../lib/vision/style_transfer.ts";

await initBackend();

const ignore = skipReason !== undefined;

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
  name: needsWeights(
    "a few L-BFGS steps on a tiny style transfer lower the loss by a large factor; no leak",
  ),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const painting = syntheticImage(32, 32, "painting");
    const targets = styleTargets(net, { content: photo, style: painting });
    const x0 = whiteNoise(32, 32, { seed: 1, noiseStd: 32 });
    const counts: number[] = [];
    const result = await minimizeLbfgs((x) => evaluateGatysLoss(net, targets, x), x0, {
      maxIterations: 12,
      onIteration: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    const [before, after] = [result.values[0], result.value];
    assert(after < before / 20, `loss ${before} → ${after} in ${result.iterations} iterations`);
    assert(counts.every((c) => c === counts[0]), `tensor counts over iterations: ${counts}`);
    targets.dispose();
    tf.dispose([photo, painting]);
  },
});

Deno.test({
  name: needsWeights(
    "styleTransfer: reconstructions, snapshots, RGB output, a complete history, no tensors left",
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
    const { history, optimizer } = content;
    const first = history[0], last = history[history.length - 1];
    assert(
      last.content < first.content / 5,
      `content ${history.map((h) => h.content.toPrecision(3))}`,
    );
    assertEquals(first.style, 0);
    // one record per iteration, each the terms of the point L-BFGS accepted
    assertEquals(history.map((h) => h.iteration), [...Array(optimizer.iterations + 1).keys()]);
    assertEquals(history.map((h) => h.total), optimizer.values);
    history.forEach((h) => assertAlmostEquals(h.total, h.content, 1e-6 * h.total)); // α = 1
    assertEquals(first.evaluations, 1);
    assertEquals(last.evaluations, optimizer.evaluations);
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
    assertEquals(style.history[0].content, 0);
    style.dispose();
    assertEquals(tf.memory().numTensors, before, "tensors left behind");
    tf.dispose([photo, painting]);
  },
});

Deno.test({
  name: needsWeights("styleTransfer: an interrupted run throws Interrupted and frees everything"),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const before = tf.memory().numTensors;
    // the request lands at the loop's first hand-over to the event loop (after ~100 ms)
    setTimeout(requestInterruptForTesting, 0);
    await assertRejects(
      () =>
        styleTransfer(net, {
          content: photo,
          iterations: 10_000,
          snapshotEvery: 1,
          progress: false,
        }),
      Error,
      "interrupted at L-BFGS iteration",
    );
    assertEquals(tf.memory().numTensors, before, "tensors left behind");
    photo.dispose();
  },
});
