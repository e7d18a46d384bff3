/**
 * Whether the VGG19 weights are in the external data folder, for tests that need them: such
 * tests keep running names but say in the name why they are skipped when the weights are absent
 * (see `tests/external_data.ts`).
 *
 * @module
 */
import { externalPath, VGG19_FILES } from "../lib/data/external.ts";
import { VGG19_DIR } from "../lib/vision/vgg19.ts";
import { missingDataReason } from "./external_data.ts";

/** Folder the VGG19 weights are read from. */
export const weightsDir: string = externalPath(VGG19_DIR);

/** Why the weight tests are skipped, or undefined when the weights are present. */
export const skipReason: string | undefined = await missingDataReason(VGG19_FILES);

/** A test name, with the skip reason appended when the weights are absent. */
export function needsWeights(name: string): string {
  return skipReason === undefined ? name : `${name} [skipped: ${skipReason}]`;
}
