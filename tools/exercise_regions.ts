/**
 * Exercise regions in a notebook's code cells: the lines between
 *
 * ```
 * // BEGIN EXERCISE <id>: <one-line task statement>
 * // END EXERCISE
 * ```
 *
 * hold a reference solution (whole statements inside a function body). The student edition
 * (`tools/student.ts`) replaces each region by a stub that throws `not written yet: <id> — <task>`;
 * `tools/saved_cells.ts` drops the two marker lines when it copies a cell into `lib/`.
 *
 * @module
 */
import { stubFor } from "../lib/chapters/exercises.ts";

/** `// BEGIN EXERCISE <id>: <task>`; ids are letters, digits, `.`, `_` and `-` (e.g. `3a-gradient`). */
export const EXERCISE_BEGIN = /^([ \t]*)\/\/ BEGIN EXERCISE ([\w.-]+): (\S.*?)[ \t]*$/;
/** `// END EXERCISE`. */
export const EXERCISE_END = /^[ \t]*\/\/ END EXERCISE[ \t]*$/;

/** One exercise region of a cell: its id, task, indentation and 0-based marker lines. */
export interface ExerciseRegion {
  id: string;
  task: string;
  indent: string;
  begin: number;
  end: number;
}

/**
 * The exercise regions of one cell's source, top to bottom. Throws, naming `where` and the line,
 * on a malformed or unterminated marker, an END without BEGIN, or nested regions.
 */
export function exerciseRegions(source: string, where = "cell"): ExerciseRegion[] {
  const lines = source.split("\n");
  const regions: ExerciseRegion[] = [];
  let open: ExerciseRegion | undefined;
  lines.forEach((line, i) => {
    const begin = EXERCISE_BEGIN.exec(line);
    if (begin) {
      if (open) throw new Error(`${where}, line ${i + 1}: exercise ${open.id} is not ended before`);
      open = { id: begin[2], task: begin[3], indent: begin[1], begin: i, end: -1 };
    } else if (EXERCISE_END.test(line)) {
      if (!open) throw new Error(`${where}, line ${i + 1}: END EXERCISE without BEGIN`);
      regions.push({ ...open, end: i });
      open = undefined;
    } else if (/\/\/ (BEGIN|END) EXERCISE\b/.test(line)) {
      throw new Error(
        `${where}, line ${i + 1}: malformed marker "${line.trim()}" ` +
          `(expected "// BEGIN EXERCISE <id>: <task>" or "// END EXERCISE")`,
      );
    }
  });
  if (open) throw new Error(`${where}: exercise ${open.id} has no "// END EXERCISE"`);
  return regions;
}

/** The source with the exercise marker lines removed (the reference solution stays). */
export function withoutExerciseMarkers(source: string, where = "cell"): string {
  const markers = new Set(exerciseRegions(source, where).flatMap((r) => [r.begin, r.end]));
  return source.split("\n").filter((_, i) => !markers.has(i)).join("\n");
}

/** The source with each exercise region (markers and solution) replaced by its stub line. */
export function stubExercises(source: string, where = "cell"): string {
  const lines = source.split("\n");
  for (const r of exerciseRegions(source, where).reverse()) {
    const stub = `${r.indent}${stubFor(r.id, r.task)} // ← your code here`;
    lines.splice(r.begin, r.end - r.begin + 1, stub);
  }
  return lines.join("\n");
}

/** The reference solution of each exercise region of a cell (the lines between the markers). */
export function solutionsOf(source: string, where = "cell"): Map<string, string[]> {
  const lines = source.split("\n");
  return new Map(
    exerciseRegions(source, where).map((r) => [r.id, lines.slice(r.begin, r.end + 1)]),
  );
}

/**
 * The source with each stub line (one that throws `not written yet: <id> — …`) replaced by the
 * region of `solutions` with that id, markers included: a student edition filled back in.
 */
export function fillStubs(source: string, solutions: Map<string, string[]>): string {
  return source.split("\n").flatMap((line) => {
    const id = /throw new Error\("not written yet: ([\w.-]+) — /.exec(line)?.[1];
    return id !== undefined && solutions.has(id) ? solutions.get(id)! : [line];
  }).join("\n");
}
