/**
 * The sizes of `05c_denoising_and_deep` by course mode: the deep autoencoder of Hinton &
 * Salakhutdinov (2006) at the paper's layer sizes in full mode and at smaller ones in quick mode,
 * and the denoising autoencoders of §5.7.2.
 *
 * @module
 */
import { byMode } from "../runtime/config.ts";

/** The multilayer autoencoder's sizes and training budget. */
export interface DeepAutoencoderSettings {
  /** Training images (the first of MNIST's training set). */
  trainSize: number;
  /** Test images. */
  testSize: number;
  /** The logistic hidden layers of the encoder, below the code layer (784-h₁-h₂-h₃-code). */
  hidden: number[];
  /** The two code sizes compared with PCA: 30 (reconstruction) and 2 (the scatter plot). */
  codeSizes: [number, number];
  /** Epochs of autoencoder training per layer in greedy pretraining. */
  pretrainEpochs: number;
  /** Epochs of fine-tuning of the unrolled network, for each code size. */
  finetuneEpochs: [number, number];
  /** η of pretraining (SGD, momentum 0.9; a tenth of it for the linear code layer). */
  pretrainRate: number;
  /** The step size of fine-tuning (Adam). */
  finetuneRate: number;
}

/**
 * The deep autoencoder's settings for the current mode: full mode the paper's 784-1000-500-250-30
 * (and -2) on 20 000 images with far fewer epochs than its 200 of conjugate gradients on 60 000;
 * quick mode 784-200-100-50-30 (and -2) on 3 000 images.
 *
 * @example
 * ```ts
 * const s = deepAutoencoderSettings(); // s.hidden: [1000, 500, 250] in full mode
 * ```
 */
export function deepAutoencoderSettings(): DeepAutoencoderSettings {
  return byMode<DeepAutoencoderSettings>({
    quick: {
      trainSize: 3_000,
      testSize: 1_000,
      hidden: [200, 100, 50],
      codeSizes: [30, 2],
      pretrainEpochs: 3,
      finetuneEpochs: [3, 2],
      pretrainRate: 0.1,
      finetuneRate: 1e-3,
    },
    full: {
      trainSize: 20_000,
      testSize: 10_000,
      hidden: [1000, 500, 250],
      codeSizes: [30, 2],
      pretrainEpochs: 2,
      finetuneEpochs: [5, 3],
      pretrainRate: 0.1,
      finetuneRate: 1e-3,
    },
  });
}

/** The denoising experiment's sizes: autoencoders inputs-hidden-inputs on MNIST. */
export interface DenoisingSettings {
  /** Training images. */
  trainSize: number;
  /** Test images on which the reconstructions are measured. */
  testSize: number;
  /** Hidden units of every autoencoder compared. */
  hidden: number;
  /** Epochs of minibatch SGD (100 images, η = 0.1, momentum 0.9) for each. */
  epochs: number;
  /** The masking noise's rate ν (each pixel set to 0 with probability ν). */
  maskRate: number;
  /** The Gaussian noise's standard deviation σ. */
  gaussianStd: number;
}

/**
 * The denoising experiment's settings for the current mode.
 *
 * @example
 * ```ts
 * const { hidden, epochs } = denoisingSettings();
 * ```
 */
export function denoisingSettings(): DenoisingSettings {
  return byMode<DenoisingSettings>({
    quick: {
      trainSize: 3_000,
      testSize: 1_000,
      hidden: 100,
      epochs: 3,
      maskRate: 0.3,
      gaussianStd: 0.3,
    },
    full: {
      trainSize: 20_000,
      testSize: 10_000,
      hidden: 100,
      epochs: 10,
      maskRate: 0.3,
      gaussianStd: 0.3,
    },
  });
}
