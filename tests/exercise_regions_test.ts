/** Exercise regions: found, stubbed, filled back in, dropped by save-cells; bad markers rejected. */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  exerciseRegions,
  fillStubs,
  solutionsOf,
  stubExercises,
  withoutExerciseMarkers,
} from "../tools/exercise_regions.ts";
import { savedCellsOf } from "../tools/saved_cells.ts";

const cell = [
  "export function f(x: number): number {",
  "  const y = x;",
  "  // BEGIN EXERCISE 9z-demo: return twice y",
  "  return 2 * y;",
  "  // END EXERCISE",
  "}",
].join("\n");

Deno.test("a region is stubbed with its id and task, and the stub throws 'not written yet'", () => {
  assertEquals(exerciseRegions(cell).map((r) => [r.id, r.task, r.begin, r.end]), [
    ["9z-demo", "return twice y", 2, 4],
  ]);
  const stubbed = stubExercises(cell);
  assert(!stubbed.includes("2 * y") && !stubbed.includes("EXERCISE"));
  assert(stubbed.includes('  throw new Error("not written yet: 9z-demo — return twice y");'));
  assertEquals(fillStubs(stubbed, solutionsOf(cell)), cell);
});

Deno.test("save-cells copies the plain solution, without the exercise markers", () => {
  assertEquals(withoutExerciseMarkers(cell).split("\n").length, 4);
  const [saved] = savedCellsOf("notebooks/n.ipynb", [
    { cell_type: "code", source: `// @save lib/nn/x.ts\n${cell}\n` },
  ]);
  assert(saved.code.includes("return 2 * y;") && !saved.code.includes("EXERCISE"));
});

Deno.test("malformed, unterminated, unopened and nested markers are errors naming the line", () => {
  assertThrows(() => exerciseRegions("// BEGIN EXERCISE x\n// END EXERCISE"), Error, "line 1");
  assertThrows(() => exerciseRegions("// BEGIN EXERCISE x: t\nf();"), Error, 'no "// END');
  assertThrows(() => exerciseRegions("f();\n// END EXERCISE"), Error, "line 2: END EXERCISE");
  assertThrows(
    () => exerciseRegions("// BEGIN EXERCISE a: t\n// BEGIN EXERCISE b: t\n// END EXERCISE"),
    Error,
    "not ended",
  );
});
