/**
 * `deno task student [--out DIR]` — write the student edition of the course (default
 * `out/student/`): a full copy of the repository's tracked files (lib, tools, tests, data,
 * deno.json, the kernelspec) whose notebooks have every exercise region
 * (`// BEGIN EXERCISE <id>: <task>` … `// END EXERCISE`) replaced by a stub that throws
 * `not written yet: <id> — <task>`. Prose, data, figures' code and check cells stay. The
 * notebooks keep importing `../lib/…`, which resolves inside the edition. The edition is then
 * type-checked (every notebook, as `deno task check` does).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../lib/runtime/config.ts";
import { type Notebook, readNotebook, sourceOf } from "./notebook_file.ts";
import { exerciseRegions, stubExercises } from "./exercise_regions.ts";
import { typeCheckNotebooks } from "./check_notebooks.ts";

/** One exercise of the course: its id, task, and the notebook (stem) it is in. */
export interface Exercise {
  id: string;
  task: string;
  notebook: string;
}

/** The exercises of one notebook, in order; throws on malformed markers or a repeated id. */
export function exercisesOf(notebook: Notebook, stem: string): Exercise[] {
  const found: Exercise[] = [];
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    for (const r of exerciseRegions(sourceOf(cell), `${stem}, cell ${i + 1}`)) {
      if (found.some((e) => e.id === r.id)) {
        throw new Error(`${stem}, cell ${i + 1}: exercise ${r.id} appears twice`);
      }
      found.push({ id: r.id, task: r.task, notebook: stem });
    }
  });
  return found;
}

/** The notebook with every exercise region stubbed and no outputs. */
export function studentNotebook(notebook: Notebook, stem: string): Notebook {
  return {
    ...notebook,
    cells: notebook.cells.map((cell, i) => {
      if (cell.cell_type !== "code") return cell;
      const source = stubExercises(sourceOf(cell), `${stem}, cell ${i + 1}`);
      return { ...cell, source, outputs: [], execution_count: null };
    }),
  };
}

/** The repository's tracked files, relative to the root (git), without `out/`. */
async function trackedFiles(root: string): Promise<string[]> {
  const result = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`git ls-files failed in ${root}: ${new TextDecoder().decode(result.stderr)}`);
  }
  return new TextDecoder().decode(result.stdout).split("\0")
    .filter((f) => f !== "" && !f.startsWith("out/") && !f.startsWith("node_modules/"));
}

/**
 * Write the student edition into `out` (replaced if it exists and holds an edition) and return
 * its exercises. `root` is the course to copy (default: this repository).
 */
export async function makeStudentEdition(
  out: string,
  root: string = REPO_ROOT,
): Promise<Exercise[]> {
  out = resolve(out);
  if (resolve(root).startsWith(`${out}/`) || out === resolve(root)) {
    throw new Error(`--out ${out} would overwrite the course itself`);
  }
  try {
    const entries = [...Deno.readDirSync(out)];
    if (entries.length > 0 && !entries.some((e) => e.name === ".student-edition")) {
      throw new Error(`${out} exists and is not a student edition; choose an empty folder`);
    }
    await Deno.remove(out, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const exercises: Exercise[] = [];
  for (const file of await trackedFiles(root)) {
    const source = join(root, file), target = join(out, file);
    await Deno.mkdir(dirname(target), { recursive: true });
    const stat = await Deno.lstat(source).catch(() => undefined);
    if (stat === undefined) continue; // deleted in the work tree
    if (/^notebooks\/[^/]+\.ipynb$/.test(file)) {
      const stem = file.replace(/^.*\//, "").replace(/\.ipynb$/, "");
      const notebook = await readNotebook(source);
      exercises.push(...exercisesOf(notebook, stem));
      await Deno.writeTextFile(
        target,
        `${JSON.stringify(studentNotebook(notebook, stem), null, 1)}\n`,
      );
    } else {
      await Deno.copyFile(source, target);
    }
  }
  await Deno.writeTextFile(
    join(out, ".student-edition"),
    `${JSON.stringify({ exercises }, null, 1)}\n`,
  );
  return exercises;
}

/** The exercises listed in an edition's `.student-edition` file. */
export async function editionExercises(edition: string): Promise<Exercise[]> {
  const text = await Deno.readTextFile(join(edition, ".student-edition")).catch(() => {
    throw new Error(`${edition} is not a student edition (run \`deno task student\` first)`);
  });
  return (JSON.parse(text) as { exercises: Exercise[] }).exercises;
}

/** Type-check every notebook of an edition; returns the problems (empty when clean). */
export async function typeCheckEdition(edition: string): Promise<string[]> {
  const notebooks: string[] = [];
  for await (const entry of Deno.readDir(join(edition, "notebooks"))) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) {
      notebooks.push(join(edition, "notebooks", entry.name));
    }
  }
  const problems = await typeCheckNotebooks(notebooks.sort());
  return [...problems].flatMap(([path, list]) =>
    list.map((p) => `${relative(edition, path)}: ${p}`)
  );
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log("usage: deno task student [--out DIR]   (default out/student)");
    return 0;
  }
  const out = resolve(values.out ?? join(REPO_ROOT, "out", "student"));
  const exercises = await makeStudentEdition(out);
  console.log(`student edition in ${out}: ${exercises.length} exercises`);
  for (const e of exercises) console.log(`  ${e.notebook}  ${e.id}: ${e.task}`);
  const problems = await typeCheckEdition(out);
  if (problems.length > 0) {
    console.error(`the student edition does not type-check:\n${problems.join("\n\n")}`);
    return 1;
  }
  console.log("every notebook of the edition type-checks");
  console.log(`hand out ${out} (run \`deno install\` there once); collect the notebooks to grade`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
