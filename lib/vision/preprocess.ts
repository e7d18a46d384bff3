/**
 * The input convention of the VGG networks (Simonyan & Zisserman 2014, as ported to Keras): pixels
 * on the 0–255 scale, channels in **BGR** order, and the ImageNet mean colour subtracted. No
 * division by a standard deviation.
 *
 * @example
 * ```ts
 * const photo = await readImage(path);       // H×W×3 RGB, 0–255
 * const x = vggPreprocess(photo);            // 1×H×W×3 BGR, mean subtracted
 * const back = vggDeprocess(x);              // H×W×3 RGB, 0–255 again
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The ImageNet mean pixel in BGR order, on the 0–255 scale: [103.939, 116.779, 123.68]. */
export const VGG_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];

/**
 * RGB image(s) on the 0–255 scale (H×W×3 or N×H×W×3) → the network's input N×H×W×3: BGR, mean
 * subtracted. The caller owns the result; the input is not disposed.
 *
 * @example
 * ```ts
 * vggPreprocess(tf.fill([1, 1, 3], 255) as tf.Tensor3D).dataSync();
 * // [151.061, 138.221, 131.32]  (255 − mean, in B, G, R order)
 * ```
 */
export function vggPreprocess(rgb: tf.Tensor3D | tf.Tensor4D): tf.Tensor4D {
  if (rgb.shape[rgb.rank - 1] !== 3 || (rgb.rank !== 3 && rgb.rank !== 4)) {
    throw new Error(`vggPreprocess: expected H×W×3 or N×H×W×3 RGB, got [${rgb.shape}]`);
  }
  return tf.tidy(() => {
    const batch = (rgb.rank === 3 ? tf.expandDims(rgb, 0) : rgb) as tf.Tensor4D;
    const bgr = tf.reverse(tf.cast(batch, "float32"), -1);
    return tf.sub(bgr, tf.tensor1d([...VGG_MEAN_BGR])) as tf.Tensor4D;
  });
}

/**
 * The inverse of {@linkcode vggPreprocess} for one image: 1×H×W×3 network input → H×W×3 RGB on
 * the 0–255 scale (not clipped). The caller owns the result.
 *
 * @example
 * ```ts
 * const rgb = vggDeprocess(x); // then showImage("result", rgb)
 * ```
 */
export function vggDeprocess(x: tf.Tensor4D): tf.Tensor3D {
  if (x.rank !== 4 || x.shape[0] !== 1 || x.shape[3] !== 3) {
    throw new Error(`vggDeprocess: expected a 1×H×W×3 network input, got [${x.shape}]`);
  }
  return tf.tidy(() => {
    const bgr = tf.add(tf.squeeze(x, [0]), tf.tensor1d([...VGG_MEAN_BGR]));
    return tf.reverse(bgr, -1) as tf.Tensor3D;
  });
}
