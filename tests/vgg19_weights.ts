/**
 * Whether the VGG19 weights are in the external data folder, for tests that need them: such
 * tests keep running names but say in the name why they are skipped when the weights are absent.
 *
 * @module
 */
import { externalPath } from "../lib/data/external.ts";
import { VGG19_DIR } from "../lib/vision/vgg19.ts";

/** Folder the VGG19 weights are read from. */
export const weightsDir: string = externalPath(VGG19_DIR);

/** Why the weight tests are skipped, or undefined when the weights are present. */
export const skipReason: string | undefined = await (async () => {
  try {
    await Deno.stat(`${weightsDir}/model.json`);
    return undefined;
  } catch {
    const reason = `no VGG19 weights in ${weightsDir} (set COURSE_DATA_DIR)`;
    console.warn(`skipping the tests that need the VGG19 weights: ${reason}`);
    return reason;
  }
})();

/** A test name, with the skip reason appended when the weights are absent. */
export function needsWeights(name: string): string {
  return skipReason === undefined ? name : `${name} (skipped: ${skipReason})`;
}
