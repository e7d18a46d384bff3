/**
 * Gatys et al.'s normalised VGG19: "We normalized the network by scaling the weights such that
 * the mean activation of each convolutional filter over images and positions is equal to one."
 *
 * A thin adapter over `vgg19.ts` (which loads the unnormalised Keras weights). Because ReLU and
 * pooling commute with a positive per-channel factor, scaling filter k of layer l by s_k (kernel
 * and bias) multiplies that filter's maps by s_k; dividing the next layer's input-channel-k
 * weights by s_k restores that layer's pre-activation exactly. With s_k = 1/mean_k (the mean
 * activation of the original network) every layer's maps then have mean 1, and one forward pass
 * of the original network gives all the means:
 *
 *   W'_l[:, :, i, k] = W_l[:, :, i, k] · s_{l,k} / s_{l−1,i},   b'_l[k] = b_l[k] · s_{l,k}
 *
 * (s_0 = 1 for the image channels). The paper averaged over ImageNet images; here the means come
 * from the images passed in (the course uses the photo and the paintings), a deviation the
 * notebooks state. With few images some filters hardly fire, and 1/mean would blow them up on
 * other images; so each mean is floored at `floor` (default 0.1) times its layer's average
 * mean, and filters that never fire keep s = 1.
 *
 * @example
 * ```ts
 * const vgg = await loadVgg19({ pooling: "avg" });
 * const x = vggPreprocess(photo);
 * const { network, means } = normalizeVgg19(vgg, [x]);  // network: mean activation 1 per filter
 * vgg.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Vgg19, VGG19_CONV_LAYERS, type Vgg19Conv } from "./vgg19.ts";

/** The normalised network and the mean activations it was normalised by. */
export interface NormalizedVgg19 {
  /** A new network (its own weight tensors: dispose it) whose filters have mean activation 1. */
  network: Vgg19;
  /** Per conv layer (paper name), the original network's mean activation of each filter. */
  means: Record<string, Float32Array>;
}

/**
 * Rescale VGG19's weights so that each filter's mean activation over `images` (preprocessed
 * 1×H×W×3 inputs, see `vggPreprocess`) and positions is 1, as Gatys et al. did; see the module
 * notes (means below `floor` × the layer's average are floored). The input network is left
 * unchanged.
 *
 * @example
 * ```ts
 * const { network } = normalizeVgg19(vgg, [vggPreprocess(photo), vggPreprocess(painting)]);
 * const maps = network.features(x, ["conv4_2"]); // mean ≈ 1 on those images
 * ```
 */
export function normalizeVgg19(
  vgg: Vgg19,
  images: readonly tf.Tensor4D[],
  options: { floor?: number } = {},
): NormalizedVgg19 {
  const floor = options.floor ?? 0.1;
  if (images.length === 0) throw new Error("normalizeVgg19: need at least one image");
  const layers = VGG19_CONV_LAYERS.slice(0, vgg.convs.length);
  const sums = layers.map((_, l) => new Float64Array(vgg.convs[l].bias.shape[0]));
  for (const image of images) {
    const maps = vgg.features(image, layers);
    layers.forEach((name, l) => {
      const m = tf.tidy(() => tf.mean(maps[name], [0, 1, 2]));
      const values = m.dataSync();
      for (let k = 0; k < values.length; k++) sums[l][k] += values[k] / images.length;
      m.dispose();
    });
    tf.dispose(Object.values(maps));
  }
  const means: Record<string, Float32Array> = {};
  let previous = new Float32Array(3).fill(1); // s_{l−1}: 1 for the image channels
  const convs: Vgg19Conv[] = vgg.convs.map((conv, l) => {
    const mean = Float32Array.from(sums[l]);
    means[conv.name] = mean;
    const layerMean = mean.reduce((a, b) => a + b, 0) / mean.length;
    const scale = mean.map((v) => (v > 0 ? 1 / Math.max(v, floor * layerMean) : 1));
    const inScale = previous;
    const result = tf.tidy(() => {
      const perOut = tf.tensor1d(scale);
      const perIn = tf.reshape(tf.div(1, tf.tensor1d(inScale)), [1, 1, inScale.length, 1]);
      return {
        name: conv.name,
        kerasName: conv.kerasName,
        kernel: tf.mul(tf.mul(conv.kernel, perIn), perOut) as tf.Tensor4D,
        bias: tf.mul(conv.bias, perOut) as tf.Tensor1D,
      };
    });
    previous = scale;
    return result;
  });
  return { network: new Vgg19(convs, vgg.pooling, vgg.gradient), means };
}
