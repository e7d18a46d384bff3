/**
 * lib/vision/vgg19.ts and lib/vision/preprocess.ts: VGG19 loads from the external data folder,
 * maps a 1×224×224×3 image to the expected shape at every layer, computes conv1_1 exactly as the
 * dequantised weights say, and reports missing or corrupt weight files clearly.
 *
 * The tests that need the weights are skipped, with the reason printed, when the external data
 * folder lacks them (CI sets COURSE_DATA_DIR, so they run there).
 */
import * as tf from "@tensorflow/tfjs";
import { needsWeights, skipReason, weightsDir } from "./vgg19_weights.ts";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "./assert.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import {
  loadVgg19,
  readVgg19Weights,
  VGG19_LAYERS,
  vggDeprocess,
  vggPreprocess,
} from "../lib/vision/vgg19.ts";
import { VGG_MEAN_BGR } from "../lib/vision/preprocess.ts";

await initBackend();

Deno.test("vggPreprocess: RGB 0–255 → BGR minus the ImageNet mean, and back", () => {
  const rgb = tf.tensor3d([10, 20, 30, 255, 0, 128], [1, 2, 3]);
  const x = vggPreprocess(rgb);
  assertEquals(x.shape, [1, 1, 2, 3]);
  const v = x.dataSync();
  const expected = [30 - VGG_MEAN_BGR[0], 20 - VGG_MEAN_BGR[1], 10 - VGG_MEAN_BGR[2]];
  expected.forEach((e, i) => assertAlmostEquals(v[i], e, 1e-4));
  assertAlmostEquals(v[3], 128 - VGG_MEAN_BGR[0], 1e-4);
  const back = vggDeprocess(x);
  assertEquals(Array.from(back.dataSync()).map(Math.round), [10, 20, 30, 255, 0, 128]);
  tf.dispose([rgb, x, back]);
});

Deno.test({
  name: needsWeights("VGG19 loads and gives the expected shape at every layer (1×224×224×3)"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const vgg = await loadVgg19();
    assertEquals(vgg.parameterCount, 20_024_384);
    const before = tf.memory().numTensors;
    const x = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    const maps = vgg.features(x, VGG19_LAYERS);
    const blocks = [[224, 64], [112, 128], [56, 256], [28, 512], [14, 512]];
    for (const layer of VGG19_LAYERS) {
      const block = Number(layer[4]) - 1; // "conv3_2" and "pool3" are in block 3
      const [side, channels] = blocks[block];
      const s = layer.startsWith("pool") ? side / 2 : side;
      assertEquals(maps[layer].shape, [1, s, s, channels], layer);
    }
    tf.dispose([x, ...Object.values(maps)]);
    assertEquals(tf.memory().numTensors, before, "features() leaked tensors");
    vgg.dispose();
  },
});

/** The first two tensors of the weight group, read and dequantised here without the loader. */
async function conv1_1ByHand(): Promise<{ kernel: Float32Array; bias: Float32Array }> {
  const model = JSON.parse(await Deno.readTextFile(`${weightsDir}/model.json`));
  const group = model.weightsManifest[0];
  const [k, b] = group.weights;
  assertEquals([k.name, b.name], ["block1_conv1/kernel", "block1_conv1/bias"]);
  assertEquals([k.shape, b.shape], [[3, 3, 3, 64], [64]]);
  const shard = await Deno.readFile(`${weightsDir}/${group.paths[0]}`);
  const dequantise = (q: Uint8Array, spec: { quantization: { scale: number; min: number } }) =>
    Float32Array.from(q, (v) => v * spec.quantization.scale + spec.quantization.min);
  return {
    kernel: dequantise(shard.subarray(0, 1728), k),
    bias: dequantise(shard.subarray(1728, 1728 + 64), b),
  };
}

Deno.test({
  name: needsWeights("conv1_1 matches a direct computation from the dequantised weights"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const { kernel, bias } = await conv1_1ByHand();
    // The known statistics of VGG's first layer: these are trained ImageNet weights.
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const std = (a: Float32Array) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
    assertAlmostEquals(mean(kernel), -0.0020, 5e-4);
    assertAlmostEquals(std(kernel), 0.191, 2e-3);
    assertAlmostEquals(mean(bias), 0.468, 2e-3);

    const [H, W] = [5, 7];
    const input = new Random(41).uniformArray(H * W * 3, -120, 130);
    const vgg = await loadVgg19();
    const x = tf.tensor4d(input, [1, H, W, 3]);
    const { conv1_1 } = vgg.features(x, ["conv1_1"]);
    const got = conv1_1.dataSync();
    // y[r, c, o] = ReLU(b[o] + Σ_{i,j,k} x[r + i − 1, c + j − 1, k] · w[i, j, k, o]), zero padding.
    let worst = 0;
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        for (let o = 0; o < 64; o++) {
          let sum = bias[o];
          for (let i = 0; i < 3; i++) {
            for (let j = 0; j < 3; j++) {
              const rr = r + i - 1, cc = c + j - 1;
              if (rr < 0 || rr >= H || cc < 0 || cc >= W) continue;
              for (let k = 0; k < 3; k++) {
                sum += input[(rr * W + cc) * 3 + k] * kernel[((i * 3 + j) * 3 + k) * 64 + o];
              }
            }
          }
          const expected = Math.max(sum, 0);
          worst = Math.max(worst, Math.abs(got[(r * W + c) * 64 + o] - expected));
        }
      }
    }
    assert(worst < 1e-3, `conv1_1 differs from the direct computation by up to ${worst}`);
    tf.dispose([x, conv1_1]);
    vgg.dispose();
  },
});

Deno.test({
  name: needsWeights("average and max pooling give different maps of the same shape"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const [avg, max] = await Promise.all([loadVgg19({ pooling: "avg" }), loadVgg19()]);
    const x = new Random(3).uniformTensor([1, 32, 32, 3], -100, 100) as tf.Tensor4D;
    const a = avg.features(x, ["conv2_1"]).conv2_1, m = max.features(x, ["conv2_1"]).conv2_1;
    assertEquals(a.shape, [1, 16, 16, 128]);
    assertEquals(a.shape, m.shape);
    assert(tf.tidy(() => tf.max(tf.abs(tf.sub(a, m))).dataSync()[0]) > 1);
    tf.dispose([x, a, m]);
    avg.dispose();
    max.dispose();
  },
});

/** A folder with links to every weight file except the ones given, written as `bytes`. */
async function copyWith(replaced: Record<string, Uint8Array | null>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vgg19_test_" });
  for await (const entry of Deno.readDir(weightsDir)) {
    if (entry.name in replaced) {
      const bytes = replaced[entry.name];
      if (bytes !== null) await Deno.writeFile(`${dir}/${entry.name}`, bytes);
    } else {
      await Deno.symlink(`${weightsDir}/${entry.name}`, `${dir}/${entry.name}`);
    }
  }
  return dir;
}

Deno.test({
  name: needsWeights("a corrupt weight file is reported with its name and where to get it"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const name = "group1-shard7of138.bin";
    const bytes = await Deno.readFile(`${weightsDir}/${name}`);
    bytes[1000] ^= 0xff;
    const dir = await copyWith({ [name]: bytes });
    try {
      const error = await assertRejects(() => readVgg19Weights({ dir }), Error, name);
      for (const part of ["corrupt", "sha256", "deno task fetch-data", "azertat/tfjs_models"]) {
        assert(error.message.includes(part), `"${part}" missing from: ${error.message}`);
      }
      // Without verification the same folder loads (the check is what catches it).
      const { convs } = await readVgg19Weights({ dir, verify: false });
      assertEquals(convs.length, 16);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: needsWeights("missing weight files are reported in one message with where to get them"),
  ignore: skipReason !== undefined,
  fn: async () => {
    const gone = Object.fromEntries(
      [18, 19, 20].map((i) => [`group1-shard${i}of138.bin`, null]),
    );
    const dir = await copyWith(gone);
    try {
      const error = await assertRejects(() => readVgg19Weights({ dir }), Error, "missing");
      for (const part of ["3 of the 20", "group1-shard18of138.bin", "deno task fetch-data"]) {
        assert(error.message.includes(part), `"${part}" missing from: ${error.message}`);
      }
      await assertRejects(
        () => readVgg19Weights({ dir: `${dir}/nowhere` }),
        Error,
        "model.json",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a model.json that is not JSON is reported by name, not as a parser's stack", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vgg19_test_" });
  try {
    await Deno.writeTextFile(`${dir}/model.json`, "<html>rate limited</html>");
    const error = await assertRejects(() => readVgg19Weights({ dir, verify: false }), Error);
    assert(error.message.includes(`${dir}/model.json is not JSON`), error.message);
    assert(error.message.includes("deno task fetch-data"), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
