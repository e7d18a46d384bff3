import { assert, assertAlmostEquals, assertThrows } from "./assert.ts";
import { Random } from "../lib/runtime/random.ts";
import { initBackend } from "../lib/runtime/backend.ts";
import { identity } from "../lib/nn/activations.ts";
import { regression } from "../lib/nn/losses.ts";
import { createAutoencoder, decoderWeights, disposeAutoencoder } from "../lib/nn/autoencoder.ts";
import { trainAutoencoder } from "../lib/nn/autoencoder_training.ts";
import {
  applyWhitening,
  covarianceOf,
  distanceFromIdentity,
  fitWhitening,
  leadingEigen,
  orthonormalColumns,
  principalSubspace,
  subspaceCosines,
  symmetricEigen,
} from "../lib/nn/whitening.ts";

await initBackend();

/** Correlated data: rows = z A with z ~ N(0, I). */
function correlated(count: number, dim: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const A = rng.normalArray(dim * dim);
  const rows = new Float32Array(count * dim);
  for (let n = 0; n < count; n++) {
    const z = rng.normalArray(dim);
    for (let j = 0; j < dim; j++) {
      let s = 3;
      for (let i = 0; i < dim; i++) s += z[i] * A[i * dim + j];
      rows[n * dim + j] = s;
    }
  }
  return rows;
}

Deno.test("symmetricEigen: A U = U Λ, Uᵀ U = I, eigenvalues descending", () => {
  const n = 12;
  const rng = new Random(1);
  const B = rng.normalArray(n * n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * n + j] = B[i * n + j] + B[j * n + i];
  }
  const { values, vectors: U } = symmetricEigen(A, n);
  for (let k = 1; k < n; k++) assert(values[k - 1] >= values[k]);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      let au = 0;
      for (let j = 0; j < n; j++) au += A[i * n + j] * U[j * n + k];
      assertAlmostEquals(au, values[k] * U[i * n + k], 1e-9);
    }
    for (let l = 0; l < n; l++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += U[i * n + k] * U[i * n + l];
      assertAlmostEquals(dot, k === l ? 1 : 0, 1e-10);
    }
  }
  assertThrows(() => symmetricEigen([1, 2, 3, 4], 2), Error, "symmetric");
});

Deno.test("ZCA- and PCA-whitened data have identity covariance; ZCA's matrix is symmetric", () => {
  const dim = 10;
  const rows = correlated(3000, dim, 2);
  const before = covarianceOf(rows, dim).covariance;
  assert(distanceFromIdentity(before, dim) > 1, "the raw data are far from white");
  for (const kind of ["zca", "pca"] as const) {
    const w = fitWhitening(rows, dim, { kind, epsilon: 1e-8 });
    const white = applyWhitening(w, rows);
    const { mean, covariance } = covarianceOf(white, dim);
    assert(
      distanceFromIdentity(covariance, dim) < 1e-4,
      `${kind}: ${distanceFromIdentity(covariance, dim)}`,
    );
    for (const m of mean) assertAlmostEquals(m, 0, 1e-4);
    if (kind === "zca") {
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < dim; j++) {
          assertAlmostEquals(w.matrix[i * dim + j], w.matrix[j * dim + i], 1e-12);
        }
      }
    }
  }
  // With a large ε the covariance is λ/(λ + ε) on the eigenvectors: no longer the identity.
  const damped = fitWhitening(rows, dim, { kind: "zca", epsilon: 10 });
  const dampedCov = covarianceOf(applyWhitening(damped, rows), dim).covariance;
  assert(distanceFromIdentity(dampedCov, dim) > 0.1);
});

Deno.test("subspace cosines: 1 for the same span, < 1 for a rotated one", () => {
  const rng = new Random(3);
  const A = rng.normalArray(6 * 2);
  const mixed = new Float64Array(6 * 2); // A times an invertible 2×2 matrix: same span
  for (let i = 0; i < 6; i++) {
    mixed[i * 2] = 2 * A[i * 2] + A[i * 2 + 1];
    mixed[i * 2 + 1] = -A[i * 2] + 0.5 * A[i * 2 + 1];
  }
  for (const c of subspaceCosines(A, mixed, 6, 2)) assertAlmostEquals(c, 1, 1e-9);
  const other = rng.normalArray(6 * 2);
  assert(subspaceCosines(A, other, 6, 2)[1] < 0.99);
  const Q = orthonormalColumns(A, 6, 2);
  let dot = 0;
  for (let i = 0; i < 6; i++) dot += Q[i * 2] * Q[i * 2 + 1];
  assertAlmostEquals(dot, 0, 1e-12);
});

Deno.test("principalSubspace finds the planted directions", () => {
  const rng = new Random(4);
  const dim = 8;
  const rows = new Float32Array(2000 * dim);
  for (let n = 0; n < 2000; n++) {
    const a = rng.normal(0, 5), b = rng.normal(0, 3);
    for (let i = 0; i < dim; i++) rows[n * dim + i] = rng.normal(0, 0.1);
    rows[n * dim + 0] += a;
    rows[n * dim + 3] += b;
  }
  const planted = new Float64Array(dim * 2);
  planted[0 * 2 + 0] = 1;
  planted[3 * 2 + 1] = 1;
  for (const c of subspaceCosines(principalSubspace(rows, dim, 2), planted, dim, 2)) {
    assert(c > 0.999, `cosine ${c}`);
  }
});

Deno.test("a linear autoencoder with squared error spans the principal subspace", async () => {
  const rng = new Random(5);
  const dim = 8, k = 2, count = 500;
  const rows = new Float32Array(count * dim);
  const directions = [rng.normalArray(dim), rng.normalArray(dim)];
  for (let n = 0; n < count; n++) {
    const a = rng.normal(0, 2), b = rng.normal(0, 1);
    for (let i = 0; i < dim; i++) {
      rows[n * dim + i] = a * directions[0][i] / 3 + b * directions[1][i] / 3 + rng.normal(0, 0.1);
    }
  }
  const ae = createAutoencoder(dim, k, rng.derive("init"), {
    encoder: identity,
    output: regression,
  });
  const Wd = decoderWeights(ae);
  const pca = principalSubspace(rows, dim, k);
  const cosBefore = subspaceCosines(Wd.dataSync(), pca, dim, k);
  Wd.dispose();
  await trainAutoencoder(ae, rows, {
    epochs: 60,
    batchSize: 25,
    learningRate: 0.02,
    rng: rng.derive("train"),
    progress: false,
  });
  const trained = decoderWeights(ae);
  const cosAfter = subspaceCosines(trained.dataSync(), pca, dim, k);
  trained.dispose();
  disposeAutoencoder(ae);
  assert(cosBefore[k - 1] < 0.9, `random weights should not span it already (${cosBefore})`);
  for (const c of cosAfter) assert(c > 0.999, `cosines after training ${[...cosAfter]}`);
});

Deno.test("leadingEigen: the k largest pairs of symmetricEigen, by subspace iteration", () => {
  const n = 40, k = 5;
  const { covariance } = covarianceOf(correlated(400, n, 7), n);
  const full = symmetricEigen(covariance, n);
  const top = leadingEigen(covariance, n, k, { tolerance: 1e-10 });
  assert(top.residual <= 1e-10, `residual ${top.residual}`);
  assert(top.iterations >= 2, `only ${top.iterations} iterations`);
  for (let c = 0; c < k; c++) {
    assertAlmostEquals(top.values[c], full.values[c], 1e-8 * full.values[0]);
    let dot = 0; // the same direction up to sign
    for (let i = 0; i < n; i++) dot += top.vectors[i * k + c] * full.vectors[i * n + c];
    assertAlmostEquals(Math.abs(dot), 1, 1e-6);
  }
  assertThrows(() => leadingEigen(covariance, n, 0), Error, "k must be");
  assertThrows(() => leadingEigen([1, 2, 3], 2, 1), Error, "not 2×2");
});
