/**
 * Data augmentation (chapter 3.6.2): new training images made from the old ones by small random
 * shifts and rotations, which change the pixels but not the digit. Each output pixel is read from
 * the input at the point the inverse transform maps it to, by bilinear interpolation, with 0
 * (background) outside the image.
 *
 * {@linkcode shiftRotate} and {@linkcode augmentImages} are written in a cell of
 * `notebooks/03d_sgd_practice.ipynb` and copied here by `deno task save-cells`.
 *
 * @module
 */
import type { Random } from "../runtime/random.ts";

/** How far {@linkcode augmentImages} may move an image. */
export interface AugmentOptions {
  /** Largest shift in pixels along each axis (drawn uniformly from [−s, s]). */
  maxShift: number;
  /** Largest rotation in degrees (drawn uniformly from [−a, a]). */
  maxDegrees: number;
}

/**
 * Throws one error naming `where` unless side is a positive integer and `images` holds a whole
 * number of side × side images (exactly `count` of them, if given).
 */
export function checkImages(
  where: string,
  images: Float32Array,
  side: number,
  count?: number,
): void {
  if (!Number.isInteger(side) || side < 1) {
    throw new Error(`${where}: side must be a positive integer, not ${side}`);
  }
  const whole = images.length > 0 && images.length % (side * side) === 0;
  if (!whole || (count !== undefined && images.length !== count * side * side)) {
    throw new Error(
      `${where}: ${images.length} values are not ${count ?? "a whole number of"} ` +
        `image(s) of ${side}×${side}`,
    );
  }
}

/** Throws one error naming `where` and the setting unless every value is finite and ≥ `min`. */
export function checkNumbers(where: string, values: Record<string, number>, min = -Infinity): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value) || value < min) {
      throw new Error(
        `${where}: ${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ""}, ` +
          `not ${value}`,
      );
    }
  }
}

// @saved-from notebooks/03d_sgd_practice.ipynb — edit it there, then `deno task save-cells`
/**
 * One side × side image shifted by (dx, dy) pixels (x to the right, y down) and rotated by θ
 * radians about its centre c: output pixel q = (x, y) takes the input's value at
 * p = R(−θ)(q − c − t) + c, t = (dx, dy), read by bilinear interpolation (0 outside the image).
 */
export function shiftRotate(
  image: Float32Array,
  side: number,
  dx: number,
  dy: number,
  theta: number,
): Float32Array {
  checkImages("shiftRotate", image, side, 1);
  checkNumbers("shiftRotate", { dx, dy, theta });
  const out = new Float32Array(side * side);
  const c = (side - 1) / 2; // the centre, between the middle pixels
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const at = (row: number, col: number) =>
    row >= 0 && row < side && col >= 0 && col < side ? image[row * side + col] : 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [u, v] = [x - c - dx, y - c - dy]; // q − c − t
      const px = cos * u + sin * v + c, py = -sin * u + cos * v + c; // p = R(−θ)(q − c − t) + c
      const [x0, y0] = [Math.floor(px), Math.floor(py)];
      const [fx, fy] = [px - x0, py - y0]; // bilinear weights between the four pixels around p
      out[y * side + x] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
        fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
}

/**
 * Every image moved by its own random shift, uniform in [−s, s] along each axis, and rotation,
 * uniform in [−a, a] degrees, drawn from `rng` (a new array; the input is not changed).
 */
export function augmentImages(
  images: Float32Array,
  side: number,
  rng: Random,
  { maxShift, maxDegrees }: AugmentOptions,
): Float32Array {
  checkImages("augmentImages", images, side);
  checkNumbers("augmentImages", { maxShift, maxDegrees }, 0);
  const pixels = side * side;
  const out = new Float32Array(images.length);
  for (let n = 0; n < images.length / pixels; n++) {
    const dx = rng.uniform(-maxShift, maxShift), dy = rng.uniform(-maxShift, maxShift);
    const theta = (rng.uniform(-maxDegrees, maxDegrees) * Math.PI) / 180;
    const image = images.subarray(n * pixels, (n + 1) * pixels);
    out.set(shiftRotate(image, side, dx, dy, theta), n * pixels);
  }
  return out;
}
// @end-saved
