/**
 * Activations kept in channel blocks across a frozen network (`lib/nn/blocked.ts`, the `blas`
 * backend's "chain" layout): the conversions' layout and zero padding (through oneDNN and
 * through the fallback loops); a small VGG-like network with random weights (channel counts
 * that are not multiples of the block, average and max pooling, several taps) and, when the
 * weights are present, the real VGG19's style-transfer maps, whose features and input gradient
 * must equal those of today's per-call blocked layout bit for bit; the oneDNN reorders a step
 * leaves (the input, the taps, none per layer); and no leaked tensors. Run it at oneDNN's native
 * instruction set and with `ONEDNN_MAX_CPU_ISA=AVX2`. Skipped where oneDNN cannot be opened.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { dnnlIsa, setupBlas } from "../lib/runtime/backends/blas/backend.ts";
import {
  chainBlock,
  dnnlConvLayout,
  dnnlStats,
  type LayoutSetting,
} from "../lib/runtime/backends/blas/dnnl_conv.ts";
import { blockedToNhwc, nhwcToBlocked } from "../lib/runtime/backends/blas/blocked.ts";
import {
  blockedFrozenConvBiasRelu,
  blockedPool,
  chainedBlock,
  fromChannelBlocks,
  toChannelBlocks,
} from "../lib/nn/blocked.ts";
import { frozenConvBiasRelu } from "../lib/nn/conv.ts";
import { Random } from "../lib/runtime/random.ts";
import {
  loadVgg19,
  Vgg19,
  VGG19_CONV_LAYERS,
  type Vgg19Layer,
  type Vgg19Pooling,
} from "../lib/vision/vgg19.ts";
import { skipReason as weightsSkipReason } from "./vgg19_weights.ts";

let description = "";
try {
  description = await setupBlas();
} catch (error) {
  description = `no BLAS: ${error instanceof Error ? error.message : String(error)}`;
}
const hasDnnl = description.includes("convolutions oneDNN");
const isa = dnnlIsa() ?? "";
const ignore = !hasDnnl;
if (ignore) console.log(`skipped: oneDNN is not available (${description})`);

/** Run `f` with the convolutions' layout set to `layout`, restoring the setting after. */
function withLayout<T>(layout: LayoutSetting, f: () => T): T {
  const before = dnnlConvLayout.activations;
  dnnlConvLayout.activations = layout;
  try {
    return f();
  } finally {
    dnnlConvLayout.activations = before;
  }
}

/** The values of `t` as a plain array, `t` disposed. */
function take(t: tf.Tensor): Float32Array {
  const values = Float32Array.from(t.dataSync() as Float32Array);
  t.dispose();
  return values;
}

/** The index of the first element where a and b differ bit for bit, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length, "lengths differ");
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

Deno.test({
  name: "channel blocks: [n, c/b, h, w, c mod b] with zero padding, both ways, oneDNN and loops",
  ignore,
  fn: () => {
    const rng = new Random(11);
    const block = chainBlock(isa.startsWith("avx512") ? "avx512_core" : "avx2") ?? 8;
    for (const [n, h, w, c] of [[2, 5, 7, 12], [1, 2, 3, 3], [1, 9, 4, 2 * block]]) {
      const values = rng.uniformArray(n * h * w * c, -1, 1);
      const x = tf.tensor4d(values, [n, h, w, c]);
      const blocked = toChannelBlocks(x, block);
      const groups = Math.ceil(c / block);
      assertEquals(blocked.shape, [n, groups, h, w, block]);
      const b = blocked.dataSync();
      for (let i = 0; i < n; i++) {
        for (let g = 0; g < groups; g++) {
          for (let p = 0; p < h * w; p++) {
            for (let j = 0; j < block; j++) {
              const ch = g * block + j;
              const expected = ch < c ? values[(i * h * w + p) * c + ch] : 0;
              const at = ((i * groups + g) * h * w + p) * block + j;
              assert(b[at] === expected, `[${n},${h},${w},${c}] at ${at}: ${b[at]} ≠ ${expected}`);
            }
          }
        }
      }
      const loops = new Float32Array(b.length);
      nhwcToBlocked(values, { batch: n, channels: c, height: h, width: w, block }, loops);
      assertEquals(firstDifference(loops, Float32Array.from(b)), -1, "the loop disagrees");
      const back = new Float32Array(values.length);
      blockedToNhwc(loops, { batch: n, channels: c, height: h, width: w, block }, back);
      assertEquals(firstDifference(back, values), -1, "the loop's way back disagrees");
      assertEquals(firstDifference(take(fromChannelBlocks(blocked, c)), values), -1);
      tf.dispose([x, blocked]);
    }
  },
});

Deno.test({
  name:
    "chain: 'chain' and 'auto' chain at every instruction set; the block by instruction set; other backends none",
  ignore,
  fn: async () => {
    withLayout("chain", () => {
      assertEquals(chainBlock("avx2"), 8);
      assertEquals(chainBlock("avx512_core"), 16);
      assertEquals(chainedBlock("custom"), undefined);
    });
    withLayout("auto", () => {
      assertEquals(chainBlock("avx2"), 8);
      assertEquals(chainBlock("avx512_core"), 16);
    });
    withLayout("nhwc", () => assertEquals(chainBlock("avx512_core"), undefined));
    withLayout("blocked", () => assertEquals(chainBlock("avx2"), undefined));
    withLayout("nhwc", () => assertEquals(chainedBlock(), undefined));
    await tf.setBackend("cpu");
    try {
      withLayout("chain", () => assertEquals(chainedBlock(), undefined));
    } finally {
      await tf.setBackend("blas");
    }
  },
});

/** Channel counts of a small VGG-like network: not multiples of 8 or 16 in places. */
const SMALL_CHANNELS = [20, 24, 40, 20, 36, 40, 36, 32, 48, 16, 16, 16, 16, 16, 16, 16];

/** A VGG19-shaped network with random weights and SMALL_CHANNELS (the caller disposes it). */
function smallVgg(rng: Random, pooling: Vgg19Pooling): Vgg19 {
  let channels = 3;
  const convs = VGG19_CONV_LAYERS.map((name, i) => {
    const out = SMALL_CHANNELS[i];
    const kernel = rng.normalTensor([3, 3, channels, out], 0, Math.sqrt(2 / (9 * channels)));
    const bias = rng.normalTensor([out], 0, 0.05);
    channels = out;
    return {
      name,
      kerasName: name,
      kernel: kernel as tf.Tensor4D,
      bias: bias as tf.Tensor1D,
    };
  });
  return new Vgg19(convs, pooling);
}

/**
 * The maps of `layers` and the gradient with respect to x of Σ_l Σ m_l ⊙ r_l (fixed random
 * weights r_l, so that every tap's gradient differs from pixel to pixel), under `layout`.
 */
function featuresAndGradient(
  vgg: Vgg19,
  x: tf.Tensor4D,
  layers: readonly Vgg19Layer[],
  layout: LayoutSetting,
  weights: tf.Tensor[],
): Float32Array[] {
  return withLayout(layout, () => {
    const maps = vgg.features(x, layers);
    const values = layers.map((l) => take(maps[l]));
    const grad = tf.grad((input: tf.Tensor) => {
      const m = vgg.features(input as tf.Tensor4D, layers);
      return tf.addN(layers.map((l, i) => tf.sum(tf.mul(m[l], weights[i]))));
    });
    return [...values, take(tf.tidy(() => grad(x)))];
  });
}

/** The random weights r_l of {@linkcode featuresAndGradient}, one per map of `layers`. */
function tapWeights(vgg: Vgg19, x: tf.Tensor4D, layers: readonly Vgg19Layer[], rng: Random) {
  const maps = vgg.features(x, layers);
  const weights = layers.map((l) => rng.normalTensor(maps[l].shape));
  tf.dispose(Object.values(maps));
  return weights;
}

function assertSameBits(chain: Float32Array[], reference: Float32Array[], names: string[]) {
  chain.forEach((values, i) => {
    const at = firstDifference(values, reference[i]);
    assert(
      at < 0,
      `${names[i]}: the chain gives ${values[at]} at ${at}, the per-call layout ${
        reference[i][at]
      }`,
    );
  });
}

for (const pooling of ["avg", "max"] as const) {
  Deno.test({
    name: `chain, small VGG (${pooling} pooling): the per-call blocked layout's maps and ` +
      `gradient bit for bit, few reorders, no leaks`,
    ignore,
    fn: () => {
      const rng = new Random(pooling === "avg" ? 21 : 22);
      const vgg = smallVgg(rng, pooling);
      const x = rng.uniformTensor([2, 21, 18, 3], -50, 50) as tf.Tensor4D;
      const layers: Vgg19Layer[] = ["conv1_1", "conv2_1", "conv3_2", "pool3", "conv4_1"];
      const weights = tapWeights(vgg, x, layers, rng);
      const names = [...layers, "dx"];
      const reference = featuresAndGradient(vgg, x, layers, "blocked", weights);
      const chain = featuresAndGradient(vgg, x, layers, "chain", weights);
      assertSameBits(chain, reference, names);
      // The chain's reorders in one call of featuresAndGradient: in the forward pass alone and
      // in the gradient's forward pass, the input and each map; in the backward pass, each
      // map's gradient and the input's; none per layer (9 convolutions, 3 pools here). At most:
      // the first layer may take NHWC as it is, tiny maps go through the loops instead.
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        const reorders = dnnlStats.reorders;
        featuresAndGradient(vgg, x, layers, "chain", weights);
        counts.push(dnnlStats.reorders - reorders);
        assertEquals(tf.memory().numTensors, before, `tensors after step ${step + 1}`);
      }
      assert(counts.every((c) => c <= 3 + 3 * layers.length), `reorders per step: ${counts}`);
      tf.dispose([x, ...weights]);
      vgg.dispose();
    },
  });
}

Deno.test({
  name: "chain, VGG19's weights: the style-transfer maps and gradient bit for bit",
  ignore: ignore || weightsSkipReason !== undefined,
  fn: async () => {
    const vgg = await loadVgg19({ pooling: "avg" });
    const rng = new Random(23);
    const x = rng.uniformTensor([1, 48, 40, 3], -100, 100) as tf.Tensor4D;
    const layers: Vgg19Layer[] = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1"];
    const weights = tapWeights(vgg, x, layers, rng);
    const reference = featuresAndGradient(vgg, x, layers, "blocked", weights);
    const [fusedBefore, masksBefore] = [dnnlStats.fusedCalls, dnnlStats.reluGradients];
    const chain = featuresAndGradient(vgg, x, layers, "chain", weights);
    assertSameBits(chain, reference, [...layers, "dx"]);
    // At AVX2 and AVX-512 the chain's convolutions add the bias and apply ReLU in oneDNN's
    // post-ops (all 13 layers, twice: the maps, then the gradient's forward pass) and take the
    // ReLU's gradient by oneDNN (13 layers), as seen on a Zen 3 (avx2) and a Zen 5
    // (avx512_core_bf16); elsewhere only where the post-ops keep oneDNN's kernel.
    if (isa === "avx2" || isa.startsWith("avx512_core")) {
      assertEquals(dnnlStats.fusedCalls - fusedBefore, 2 * 13, "fused convolutions");
      assertEquals(dnnlStats.reluGradients - masksBefore, 13, "oneDNN ReLU gradients");
    }
    tf.dispose([x, ...weights]);
    vgg.dispose();
  },
});

Deno.test({
  name: "chain: a NaN in the image stays NaN in the maps and the gradient, as per call",
  ignore,
  fn: () => {
    const rng = new Random(25);
    const vgg = smallVgg(rng, "avg");
    const values = rng.uniformTensor([1, 20, 20, 3], -50, 50);
    const pixels = Float32Array.from(values.dataSync() as Float32Array);
    values.dispose();
    pixels[3 * (20 * 7 + 9) + 1] = NaN;
    const x = tf.tensor4d(pixels, [1, 20, 20, 3]);
    const layers: Vgg19Layer[] = ["conv1_2", "conv2_1", "conv3_1"];
    const weights = tapWeights(vgg, x, layers, rng);
    const reference = featuresAndGradient(vgg, x, layers, "blocked", weights);
    const chain = featuresAndGradient(vgg, x, layers, "chain", weights);
    assertSameBits(chain, reference, [...layers, "dx"]);
    for (const [i, layer] of layers.entries()) {
      assert(chain[i].some((v) => Number.isNaN(v)), `${layer} has no NaN left`);
    }
    tf.dispose([x, ...weights]);
    vgg.dispose();
  },
});

Deno.test({
  name: "channel blocks of 3 (no oneDNN format: the loops and sgemm) match the NHWC layers",
  ignore,
  fn: () => {
    const rng = new Random(24);
    const x = rng.uniformTensor([2, 9, 11, 4], -1, 1) as tf.Tensor4D;
    const w1 = rng.normalTensor([3, 3, 4, 7], 0, 0.3) as tf.Tensor4D;
    const w2 = rng.normalTensor([3, 3, 7, 5], 0, 0.3) as tf.Tensor4D;
    const [b1, b2] = [
      rng.normalTensor([7], 0, 0.1),
      rng.normalTensor([5], 0, 0.1),
    ] as tf.Tensor1D[];
    const r = rng.normalTensor([2, 4, 5, 5]);
    const nhwc = (input: tf.Tensor) => {
      const h = frozenConvBiasRelu(input as tf.Tensor4D, w1, b1, { padding: "same" });
      const p = tf.avgPool(h, 2, 2, "valid");
      return frozenConvBiasRelu(p, w2, b2, { padding: "same" });
    };
    const blocked = (input: tf.Tensor) => {
      const h = blockedFrozenConvBiasRelu(input as tf.Tensor4D, w1, b1, 3, { padding: "same" });
      const p = blockedPool(h, "avg", { size: 2 });
      return fromChannelBlocks(blockedFrozenConvBiasRelu(p, w2, b2, 3, { padding: "same" }), 5);
    };
    const run = (f: (input: tf.Tensor) => tf.Tensor) => [
      take(tf.tidy(() => f(x))),
      take(tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(tf.mul(f(input), r)))(x))),
    ];
    const expected = run(nhwc), actual = run(blocked);
    actual.forEach((values, k) => {
      const scale = Math.max(...expected[k].map(Math.abs));
      const worst = Math.max(...values.map((v, i) => Math.abs(v - expected[k][i])));
      assert(worst <= 1e-5 * scale, `output ${k}: differs by ${worst} (scale ${scale})`);
    });
    tf.dispose([x, w1, w2, b1, b2, r]);
  },
});
