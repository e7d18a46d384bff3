/**
 * For the style-transfer tests: smooth synthetic RGB images (so that no external image is needed)
 * and VGG19 with average pooling, normalised on two of them, loaded once per test file.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../lib/runtime/random.ts";
import { loadVgg19, type Vgg19, vggPreprocess } from "../lib/vision/vgg19.ts";
import { normalizeVgg19 } from "../lib/vision/vgg19_normalize.ts";

/** A smooth synthetic RGB image, 0–255, h×w×3, drawn from `seed`. The caller owns it. */
export function syntheticImage(h: number, w: number, seed: string): tf.Tensor3D {
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

/** VGG19 (average pooling) normalised on two 32×32 synthetic images; made once, kept. */
export async function vgg(): Promise<Vgg19> {
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
