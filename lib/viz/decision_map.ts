/**
 * A classifier's output over a rectangle of the plane, ready for a plotly heatmap or contour:
 * how the course draws decision regions and boundaries of two-input models.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A function's values on a regular grid: z[i][j] is the value at (x[j], y[i]). */
export interface GridValues {
  x: number[];
  y: number[];
  z: number[][];
}

/**
 * Evaluate `model` on a `steps` × `steps` grid over [x0, x1] × [y0, y1]. The model receives all
 * grid points at once as a [2, steps²] tensor (one point per column, as the book lays out a
 * minibatch) and returns one value per point.
 *
 * @example
 * ```ts
 * const map = evaluateOnGrid((X) => tf.sum(X, 0), { x: [-1, 1], y: [-1, 1], steps: 3 });
 * map.z[0][0]; // -2
 * ```
 */
export function evaluateOnGrid(
  model: (points: tf.Tensor2D) => tf.Tensor,
  box: { x: [number, number]; y: [number, number]; steps?: number },
): GridValues {
  const steps = box.steps ?? 101;
  const axis = ([lo, hi]: [number, number]) =>
    Array.from({ length: steps }, (_, i) => lo + ((hi - lo) * i) / (steps - 1));
  const x = axis(box.x);
  const y = axis(box.y);
  const points = new Float32Array(2 * steps * steps);
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      points[i * steps + j] = x[j];
      points[steps * steps + i * steps + j] = y[i];
    }
  }
  const values = tf.tidy(() => model(tf.tensor2d(points, [2, steps * steps])).dataSync());
  if (values.length !== steps * steps) {
    throw new Error(
      `evaluateOnGrid: the model returned ${values.length} values for ${steps ** 2} points`,
    );
  }
  const z = Array.from(
    { length: steps },
    (_, i) => Array.from(values.subarray(i * steps, (i + 1) * steps)),
  );
  return { x, y, z };
}
