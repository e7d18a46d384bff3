/**
 * Exercises in the notebooks: the stub a student edition puts in place of a solution, the check
 * cell that follows each exercise, and the guard of later cells that need an exercise's result.
 *
 * A notebook marks a solution inside a code cell (README, "Teaching with the course"):
 *
 * ```
 * // BEGIN EXERCISE 3a-gradient: compute E, ∂E/∂W and ∂E/∂b of the minibatch
 * …the reference solution (whole statements)…
 * // END EXERCISE
 * ```
 *
 * `deno task student` replaces each region by {@linkcode stubFor}'s line, which throws
 * `not written yet: <id> — <task>`. The check cell calls {@linkcode checkExercise}, which shows pass
 * or fail with the diagnosis, records the result for {@linkcode requireExercise}, and emits it as
 * a {@linkcode CHECK_MIME} output for `deno task grade`.
 *
 * @module
 */
import { jupyter } from "../runtime/session.ts";
import type { Diagnosis } from "../nn/diagnose.ts";

/** The MIME type of the machine-readable result a check cell emits: `{exercise, pass, message}`. */
export const CHECK_MIME = "application/vnd.course.check+json";

/** The prefix of the error a stub throws. */
export const NOT_WRITTEN = "not written yet: ";

/** One check's result, as emitted under {@linkcode CHECK_MIME}. */
export interface CheckResult {
  exercise: string;
  pass: boolean;
  message: string;
}

/**
 * The statement a student edition puts in place of exercise `id`'s solution (it type-checks in
 * any function body: a throw ends every path).
 *
 * @example
 * ```ts
 * stubFor("3a-sgd", "take one SGD step");
 * // 'throw new Error("not written yet: 3a-sgd — take one SGD step");'
 * ```
 */
export function stubFor(id: string, task: string): string {
  return `throw new Error(${JSON.stringify(`${NOT_WRITTEN}${id} — ${task}`)});`;
}

/** Whether `error` is a stub's "not written yet" error. */
export function isNotWrittenYet(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith(NOT_WRITTEN);
}

const results = new Map<string, CheckResult>();

/**
 * Run exercise `id`'s check and report it: a line `✔ exercise <id>: …` or `✘ exercise <id>: …`,
 * and a {@linkcode CHECK_MIME} output for the grader. A stub's error counts as "not written yet";
 * any other error thrown by the student's code is reported with its message. On fail it then
 * throws (so a broken reference solution fails the course's own notebook run); `throwOnFail:
 * false` only reports. The result is then available from {@linkcode exerciseResult}.
 */
export async function checkExercise(
  id: string,
  check: () => Diagnosis | Promise<Diagnosis>,
  options: { throwOnFail?: boolean } = {},
): Promise<void> {
  let diagnosis: Diagnosis;
  try {
    diagnosis = await check();
  } catch (error) {
    const stubOf = isNotWrittenYet(error)
      ? (error as Error).message.slice(NOT_WRITTEN.length).split(" ")[0]
      : undefined;
    const message = stubOf === undefined
      ? `your code threw: ${error instanceof Error ? error.message : String(error)}`
      : stubOf === id
      ? "not written yet"
      : `not written yet: it calls exercise ${stubOf}, which is not written yet`;
    diagnosis = { pass: false, message };
  }
  const result: CheckResult = { exercise: id, ...diagnosis };
  results.set(id, result);
  const line = `${result.pass ? "✔" : "✘"} exercise ${id}: ${
    result.pass ? "passed — " : ""
  }${result.message}`;
  const api = jupyter();
  if (api !== undefined) {
    await api.display({ "text/plain": line, [CHECK_MIME]: result }, { raw: true });
  } else {
    console.log(line);
  }
  if (!result.pass && (options.throwOnFail ?? true)) {
    throw new Error(`exercise ${id} is not done: ${result.message}`);
  }
}

/** The last result of exercise `id`'s check in this process, if it has run. */
export function exerciseResult(id: string): CheckResult | undefined {
  return results.get(id);
}

/**
 * Guard a cell that needs exercise `id`'s result: throws `finish exercise <id> first …` unless its
 * check cell has passed in this kernel.
 */
export function requireExercise(...ids: string[]): void {
  const missing = ids.filter((id) => results.get(id)?.pass !== true);
  if (missing.length === 0) return;
  const why = missing.map((id) => {
    const r = results.get(id);
    return r === undefined ? `${id} (its check has not run)` : `${id} (${r.message})`;
  });
  throw new Error(
    `this cell needs ${missing.length === 1 ? "exercise" : "exercises"} ${
      missing.join(", ")
    }: finish ${missing.length === 1 ? "it" : "them"} first and run ${
      missing.length === 1 ? "its check cell" : "their check cells"
    } — ${why.join("; ")}`,
  );
}

/** Forget every recorded result (for tests). */
export function resetExercises(): void {
  results.clear();
}
