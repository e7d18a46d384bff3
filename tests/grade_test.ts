/**
 * The student edition and the grader, end to end: the edition type-checks; filled back in with
 * the reference solutions every exercise passes; planted mistakes fail with their kind named;
 * an endless, a broken and a malicious notebook are each graded (timeout or fail) without
 * affecting the others, and the sandbox keeps the malicious one from reading or writing outside
 * its scratch copy and from the network. Notebooks run in quick mode, two at a time.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { type Cell, type Notebook, readNotebook, sourceOf } from "../tools/notebook_file.ts";
import { makeStudentEdition, typeCheckEdition } from "../tools/student.ts";
import { fillStubs, solutionsOf } from "../tools/exercise_regions.ts";
import { findIsolation, gradeClass, gradesCsv, gradesHtml } from "../tools/grade.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

const edition = await Deno.makeTempDir({ prefix: "edition-" });
const exercises = await makeStudentEdition(edition);

Deno.test("the student edition has the ten exercises (chapters 3, 4, 5, 7) as stubs, and every notebook type-checks", async () => {
  assertEquals(exercises.map((e) => e.id), [
    "3a-gradient",
    "3a-sgd",
    "3b-delta",
    "3c-softmax",
    "4-backward",
    "5-kl",
    "5-gradient",
    "7-gram",
    "7-style-gradient",
    "7-two-loop",
  ]);
  const text = await Deno.readTextFile(join(edition, "notebooks/03a_linear_regression.ipynb"));
  assert(!text.includes("BEGIN EXERCISE") && !text.includes("tf.div(tf.sub(Y, D), N)"));
  assert(text.includes("not written yet: 3a-gradient"));
  assertEquals(await typeCheckEdition(edition), []);
});

Deno.test("every exercise notebook of the edition, filled with the solutions, is the course's notebook", async () => {
  for (const stem of new Set(exercises.map((e) => e.notebook))) {
    const original = await readNotebook(join(REPO_ROOT, "notebooks", `${stem}.ipynb`));
    const refilled = await filled(stem);
    assertEquals(refilled.cells.map((c) => sourceOf(c)), original.cells.map((c) => sourceOf(c)));
  }
});

const code = (source: string): Cell => ({
  cell_type: "code",
  source,
  metadata: {},
  outputs: [],
  execution_count: null,
});

/** The edition's notebook `stem` with the original's solutions filled back in. */
async function filled(stem: string): Promise<Notebook> {
  const original = await readNotebook(join(REPO_ROOT, "notebooks", `${stem}.ipynb`));
  const solutions = new Map(original.cells.flatMap((c) => [...solutionsOf(sourceOf(c))]));
  const student = await readNotebook(join(edition, "notebooks", `${stem}.ipynb`));
  return {
    ...student,
    cells: student.cells.map((c) => ({ ...c, source: fillStubs(sourceOf(c), solutions) })),
  };
}

/** 3a filled in, one line of the gradient changed, cut after the SGD step's check. */
async function planted(from: string, to: string): Promise<Notebook> {
  const nb = await filled("03a_linear_regression");
  const last = nb.cells.findIndex((c) => sourceOf(c).includes('checkExercise("3a-sgd"'));
  const cells = nb.cells.slice(0, last + 1).map((c) => ({ ...c, source: sourceOf(c) }));
  const target = cells.find((c) => (c.source as string).includes(from))!;
  target.source = (target.source as string).replace(from, to);
  return { ...nb, cells };
}

Deno.test("grading a class: references pass, mistakes are named, bad notebooks are contained", async () => {
  const isolation = await findIsolation();
  const dir = await Deno.makeTempDir({ prefix: "class-" });
  const outside = await Deno.makeTempDir({ prefix: "outside-" });
  await Deno.writeTextFile(join(outside, "secret.txt"), "SECRET-7731");
  const write = (name: string, nb: Notebook) =>
    Deno.writeTextFile(join(dir, `${name}.ipynb`), JSON.stringify(nb));
  const base = await readNotebook(join(edition, "notebooks/03a_linear_regression.ipynb"));
  const importCell = sourceOf(base.cells.find((c) => c.cell_type === "code")!);
  const tiny = (...sources: string[]): Notebook => ({ ...base, cells: sources.map(code) });
  await write("ref_03a", await filled("03a_linear_regression"));
  await write("ref_03b", await filled("03b_logistic_regression"));
  await write("ref_03c", await filled("03c_softmax"));
  await write("sign", await planted("tf.sub(Y, D), N)", "tf.sub(D, Y), N)"));
  await write("sum", await planted("tf.div(tf.sub(Y, D), N)", "tf.sub(Y, D)"));
  await write(
    "transposed",
    await planted("tf.matMul(delta, X, false, true)", "tf.matMul(X, delta, false, true)"),
  );
  await write("endless", tiny(importCell, "while (true) {}"));
  await write(
    "broken",
    tiny(
      'import { nothing } from "../lib/no_such_module.ts";\nstartNotebook("03a_linear_regression");',
    ),
  );
  await write(
    "evil",
    tiny(
      importCell,
      `console.log(await Deno.readTextFile(${JSON.stringify(join(outside, "secret.txt"))}));`,
      `await Deno.writeTextFile(${JSON.stringify(join(outside, "written.txt"))}, "x");`,
      `await Deno.connect({ hostname: "1.1.1.1", port: 80 });`,
    ),
  );
  const executed = await Deno.makeTempDir({ prefix: "executed-" });
  const reports = await gradeClass({
    dir,
    edition,
    timeoutSeconds: 90,
    jobs: 2,
    executedDir: executed,
    isolation,
  });
  const by = new Map(reports.map((r) => [r.student, r]));
  const grade = (student: string, exercise: string) =>
    by.get(student)!.grades.find((g) => g.exercise === exercise)!;
  const summary = reports.map((r) =>
    `${r.student}: ${r.status} | ${
      r.grades.map((g) => `${g.exercise} ${g.pass} ${g.message}`).join(" | ")
    }`
  ).join("\n");
  for (
    const [student, ids] of [["ref_03a", ["3a-gradient", "3a-sgd"]], ["ref_03b", ["3b-delta"]], [
      "ref_03c",
      ["3c-softmax"],
    ]] as const
  ) {
    assertEquals(by.get(student)!.status, "ok", summary);
    for (const id of ids) assert(grade(student, id).pass, summary);
  }
  assert(/a sign\?/.test(grade("sign", "3a-gradient").message), summary);
  assert(/factor N = 20/.test(grade("sum", "3a-gradient").message), summary);
  assert(/transposed\?/.test(grade("transposed", "3a-gradient").message), summary);
  for (const student of ["sign", "sum", "transposed"]) {
    assert(grade(student, "3a-sgd").pass, summary);
  }
  assert(/^timed out after 90 s/.test(by.get("endless")!.status), summary);
  assert(/check did not run \(timed out/.test(grade("endless", "3a-gradient").message), summary);
  assert(/^cell 1 raised/.test(by.get("broken")!.status), summary);
  assert(!grade("broken", "3a-sgd").pass, summary);
  const evil = by.get("evil")!;
  assert(!grade("evil", "3a-gradient").pass, summary);
  const evilRun = await Deno.readTextFile(join(executed, "evil.ipynb"));
  if (isolation.kind === "bwrap") {
    assert(
      /cell 2 raised NotFound.*cell 3 raised NotFound.*cell 4 raised NetworkUnreachable/.test(
        evil.status,
      ),
      summary,
    );
    assert(!evilRun.includes("SECRET-7731"), "the sandbox let the notebook read a file outside");
    let written = true;
    await Deno.stat(join(outside, "written.txt")).catch(() => (written = false));
    assert(!written, "the sandbox let the notebook write a file outside");
    assert(
      /Network is unreachable|os error 101/.test(evilRun),
      "the sandbox let the notebook connect",
    );
  }
  const csv = gradesCsv(reports);
  assert(csv.startsWith("student,exercise,result,message,seconds\n"));
  assert(csv.includes("sign,3a-gradient,fail,"));
  assert(gradesHtml(reports, isolation).includes("<th>3c-softmax</th>"));
  await Promise.all([dir, outside, executed].map((d) => Deno.remove(d, { recursive: true })));
});

globalThis.addEventListener("unload", () => Deno.removeSync(edition, { recursive: true }));
