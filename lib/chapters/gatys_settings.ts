/**
 * Image size and iteration counts of the style-transfer notebooks (07 and the figure notebooks
 * 07a–07c), by course mode. Quick mode keeps CI fast with tiny images that are far from
 * converged; full mode uses 256 px on the long side (the paper's figures are larger) and as many
 * iterations as keep the style notebooks within about 40 minutes on two cores: one L-BFGS
 * iteration of a full transfer at 256×192 takes about 0.6 s there (measured times are in the
 * README).
 *
 * @example
 * ```ts
 * const setup = await prepareGatysFigure(GATYS_SETTINGS.longSide);
 * ```
 *
 * @module
 */
import { byMode } from "../runtime/config.ts";

/** Sizes and iteration counts for the current mode (`COURSE_MODE`). */
export const GATYS_SETTINGS: {
  /** Long side of the photo and the paintings, pixels. */
  readonly longSide: number;
  /** L-BFGS iterations of 07's step-by-step run. */
  readonly demoIterations: number;
  /** L-BFGS iterations per image of figure 1 (content and style reconstructions). */
  readonly figure1Iterations: number;
  /** L-BFGS iterations per image of figure 2. */
  readonly figure2Iterations: number;
  /** L-BFGS iterations per image of figure 3. */
  readonly figure3Iterations: number;
} = {
  longSide: byMode({ quick: 64, full: 256 }),
  demoIterations: byMode({ quick: 30, full: 150 }),
  figure1Iterations: byMode({ quick: 20, full: 150 }),
  figure2Iterations: byMode({ quick: 30, full: 250 }),
  figure3Iterations: byMode({ quick: 12, full: 100 }),
};
