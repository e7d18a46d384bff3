/**
 * The style-transfer objective: its settings and their errors, the targets (P, and A_l rescaled
 * to the image's positions), the loss terms adding up, the gradient through VGG19 against a
 * central difference, and the positions M_l of `style_layers.ts` against the network's maps.
 * The tests that run VGG19 are skipped, with the reason printed, without the weights.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { needsWeights, skipReason } from "./vgg19_weights.ts";
import { syntheticImage, vgg } from "./style_images.ts";
import { Vgg19, VGG19_LAYERS, vggPreprocess } from "../lib/vision/vgg19.ts";
import { gramMatrix } from "../lib/vision/gram.ts";
import {
  layerPositions,
  PAPER_STYLE_LAYERS,
  styleLayerSubsets,
} from "../lib/vision/style_layers.ts";
import {
  evaluateGatysLoss,
  resolveTargetSpec,
  styleTargets,
} from "../lib/vision/style_objective.ts";

await initBackend();

const ignore = skipReason !== undefined;

Deno.test("resolveTargetSpec: the paper's defaults, and one clear error per mistake", () => {
  const photo = tf.zeros([6, 8, 3]) as tf.Tensor3D;
  const both = resolveTargetSpec({ content: photo, style: photo });
  assertEquals([both.height, both.width], [6, 8]);
  assertEquals(both.contentLayer, "conv4_2");
  assertEquals(both.styleLayers, PAPER_STYLE_LAYERS);
  assertEquals(both.styleLayerWeights, [0.2, 0.2, 0.2, 0.2, 0.2]);
  assertEquals([both.alpha, both.beta], [1e-3, 1]);
  assertEquals(both.layers, ["conv4_2", ...PAPER_STYLE_LAYERS]);
  const styleOnly = resolveTargetSpec({ style: photo, size: [4, 4], contentWeight: 5 });
  assertEquals([styleOnly.alpha, styleOnly.beta], [0, 1]);
  assertEquals(styleOnly.layers, PAPER_STYLE_LAYERS);
  const contentOnly = resolveTargetSpec({
    content: photo,
    contentLayer: "conv1_1",
    styleWeight: 3,
  });
  assertEquals([contentOnly.alpha, contentOnly.beta, contentOnly.layers], [1e-3, 0, ["conv1_1"]]);
  assertEquals(contentOnly.styleLayers, []);
  assertEquals(styleLayerSubsets().map((s) => s.length), [1, 2, 3, 4, 5]);

  assertThrows(() => resolveTargetSpec({}), Error, "give a photo or a size");
  assertThrows(() => resolveTargetSpec({ size: [4, 4] }), Error, "give a photo or a painting");
  assertThrows(
    () => resolveTargetSpec({ content: photo, size: [6, 9] }),
    Error,
    "the photo is [6,8,3], the size [6,9]",
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => resolveTargetSpec({ content: photo, contentLayer: "conv9_9" as any }),
    Error,
    'unknown layer "conv9_9"',
  );
  assertThrows(
    () => resolveTargetSpec({ style: photo, size: [4, 4], styleLayerWeights: [1, 2] }),
    Error,
    "2 styleLayerWeights for 5 layers",
  );
  assertThrows(() => layerPositions("conv9_9" as "conv1_1", 8, 8), Error, "unknown layer");
  photo.dispose();
});

Deno.test("Vgg19: a freed network says so instead of failing inside tfjs", () => {
  const net = new Vgg19([], "avg");
  net.dispose();
  const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  assertThrows(() => net.features(x, ["conv1_1"]), Error, "has been freed");
  x.dispose();
});

Deno.test({
  name: needsWeights("layerPositions = the positions of VGG19's maps, odd sizes included"),
  ignore,
  fn: async () => {
    const net = await vgg();
    const layers = VGG19_LAYERS.filter((l) => l.startsWith("conv"));
    for (const [h, w] of [[35, 53], [32, 17]] as const) {
      const maps = net.features(tf.zeros([1, h, w, 3]) as tf.Tensor4D, layers);
      for (const layer of layers) {
        const [, mh, mw] = maps[layer].shape;
        assertEquals(layerPositions(layer, h, w), mh * mw, `${layer} at ${h}×${w}`);
      }
      tf.dispose(Object.values(maps));
    }
  },
});

Deno.test({
  name: needsWeights(
    "styleTargets: P is the photo's maps, A_l the painting's Gram × M_image/M_painting",
  ),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const painting = syntheticImage(48, 40, "painting"); // another size: A_l is rescaled
    const before = tf.memory().numTensors;
    const targets = styleTargets(net, {
      content: photo,
      style: painting,
      styleLayers: ["conv1_1", "conv3_1"],
    });
    const [P, A11, A31] = tf.tidy(() => {
      const photoMaps = net.features(vggPreprocess(photo), ["conv4_2"]);
      const paintingMaps = net.features(vggPreprocess(painting), ["conv1_1", "conv3_1"]);
      return [
        photoMaps.conv4_2,
        // M_l: 32·32 vs 48·40 positions at conv1_1, 8·8 vs 12·10 at conv3_1
        tf.mul(gramMatrix(paintingMaps.conv1_1), (32 * 32) / (48 * 40)),
        tf.mul(gramMatrix(paintingMaps.conv3_1), 64 / 120),
      ];
    });
    assertEquals(Array.from(targets.content!.P.dataSync()), Array.from(P.dataSync()));
    assertEquals(targets.style.map((s) => [s.layer, s.weight]), [["conv1_1", 0.5], [
      "conv3_1",
      0.5,
    ]]);
    assertEquals(Array.from(targets.style[0].A.dataSync()), Array.from(A11.dataSync()));
    assertEquals(Array.from(targets.style[1].A.dataSync()), Array.from(A31.dataSync()));
    tf.dispose([P, A11, A31]);
    targets.dispose();
    assertEquals(tf.memory().numTensors, before, "targets.dispose frees P and the A_l");
    tf.dispose([photo, painting]);
  },
});

Deno.test({
  name: needsWeights("evaluateGatysLoss: the terms add up; gradient = central difference; no leak"),
  ignore,
  fn: async () => {
    const net = await vgg();
    const photo = syntheticImage(32, 32, "photo");
    const painting = syntheticImage(40, 32, "painting");
    const targets = styleTargets(net, { content: photo, style: painting, contentWeight: 1e-3 });
    // the photo plus a little noise: away from ReLU kinks a small step sees a smooth function
    const photoInput = vggPreprocess(photo);
    const noise = new Random("noise").normalArray(32 * 32 * 3, 0, 4);
    const x = Float64Array.from(photoInput.dataSync(), (v, i) => v + noise[i]);
    photoInput.dispose();
    const before = tf.memory().numTensors;
    const { value, parts } = evaluateGatysLoss(net, targets, x);
    assertEquals(tf.memory().numTensors, before, "tensors left by an evaluation");
    assert(parts.content > 0 && parts.style > 0, JSON.stringify(parts));
    assertAlmostEquals(value, 1e-3 * parts.content + parts.style, 1e-5 * value);
    // each term's gradient, and the sum's, against a central difference along its own direction
    // u = g/‖g‖, where the slope is ‖g‖: a step of h = 0.3 moves the float32 loss by thousands of
    // its last places (along a random direction of that length the content term would swamp the
    // style term's share, and a step short enough to see a smooth function moves the loss by a few
    // dozen places) and stays short enough that the ReLU kinks it crosses change the slope by < 0.3 %
    const styleOnly = styleTargets(net, { style: painting, size: [32, 32] });
    const contentOnly = styleTargets(net, { content: photo, contentWeight: 1 });
    const terms = { L: targets, L_style: styleOnly, L_content: contentOnly };
    for (const [what, t] of Object.entries(terms)) {
      const g = evaluateGatysLoss(net, t, x).gradient;
      const norm = Math.sqrt(g.reduce((sum, v) => sum + v * v, 0));
      const h = 0.3;
      const at = (sign: number) =>
        evaluateGatysLoss(net, t, x.map((v, i) => v + sign * h * g[i] / norm)).value;
      const numeric = (at(1) - at(-1)) / (2 * h);
      assert(
        Math.abs(numeric - norm) <= 0.01 * norm,
        `${what}: directional derivative along its gradient ${norm} vs central difference ${numeric}`,
      );
    }
    styleOnly.dispose();
    contentOnly.dispose();
    assertThrows(() => evaluateGatysLoss(net, targets, x.subarray(1)), Error, "not 3·32·32");
    targets.dispose();
    tf.dispose([photo, painting]);
  },
});
