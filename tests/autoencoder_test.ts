import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend.ts";
import { Random } from "../lib/runtime/random.ts";
import { multiclassClassification } from "../lib/nn/losses.ts";
import { tanh } from "../lib/nn/activations.ts";
import {
  checkAutoencoderColumns,
  createAutoencoder,
  decoderWeights,
  disposeAutoencoder,
  encodeRows,
  rowsReconstructionError,
} from "../lib/nn/autoencoder.ts";

await initBackend();

Deno.test("tied decoder weights are Wᵀ; an unsupported output layer is refused", () => {
  const rng = new Random(13);
  const ae = createAutoencoder(5, 3, rng, { tied: true });
  const Wd = decoderWeights(ae);
  assert(tf.tidy(() => tf.max(tf.abs(tf.sub(Wd, tf.transpose(ae.W)))).dataSync()[0]) === 0);
  Wd.dispose();
  disposeAutoencoder(ae);
  assertThrows(
    () => createAutoencoder(3, 2, rng, { output: multiclassClassification }),
    Error,
    "output",
  );
});

Deno.test("encodeRows and rowsReconstructionError give the same answer for any chunk size", () => {
  const rng = new Random(14);
  const ae = createAutoencoder(6, 3, rng);
  const rows = Float32Array.from(rng.uniformArray(7 * 6));
  const whole = encodeRows(ae, rows, 100);
  const chunked = encodeRows(ae, rows, 3);
  assert(whole.length === 7 * 3 && whole.every((v, i) => Math.abs(v - chunked[i]) < 1e-6));
  const e1 = rowsReconstructionError(ae, rows, 100), e2 = rowsReconstructionError(ae, rows, 3);
  assertAlmostEquals(e1, e2, 1e-5);
  assertThrows(() => encodeRows(ae, new Float32Array(5)), Error, "not rows of 6");
  const X = tf.ones([5, 2]);
  assertThrows(() => checkAutoencoderColumns("here", ae, X), Error, "[6, N]");
  X.dispose();
  disposeAutoencoder(ae);
});

Deno.test("rowsReconstructionError refuses no rows and a partial row", () => {
  const ae = createAutoencoder(6, 4, new Random(2), { encoder: tanh });
  const message = "not a positive whole number of rows of 6";
  assertThrows(() => rowsReconstructionError(ae, new Float32Array(0)), Error, message);
  assertThrows(() => rowsReconstructionError(ae, new Float32Array(9)), Error, message);
  disposeAutoencoder(ae);
});
