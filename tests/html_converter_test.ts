/**
 * `openHtmlConverter` (tools/jupyter.ts) makes, in one nbconvert process, the same pages as one
 * `python -m nbconvert --to html` per notebook; a notebook it cannot convert is one clear error
 * that keeps the previous page, and the next notebook still converts. Skipped, saying why, without
 * a Python that has nbconvert.
 */
import { assert, assertEquals } from "./assert.ts";
import { jupyterEnv, jupyterPython, mathjaxUrl, openHtmlConverter } from "../tools/jupyter.ts";

const python = await jupyterPython().catch((error: Error) => error);
const skip = python instanceof Error ? ` (skipped: ${python.message.split(";")[0]})` : "";

/** A small executed notebook: a heading, a formula and a code cell with its output. */
function notebookJson(title: string): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [
      { id: "a1", cell_type: "markdown", metadata: {}, source: `# ${title}\n\n$E = mc^2$` },
      {
        id: "b2",
        cell_type: "code",
        metadata: {},
        execution_count: 1,
        source: "console.log(1 + 1);",
        outputs: [{ output_type: "stream", name: "stdout", text: "2\n" }],
      },
    ],
  });
}

/** The page of `notebook` as the nbconvert command line makes it, with the course's MathJax. */
async function commandLinePage(notebook: string, dir: string): Promise<string> {
  const mathjax = mathjaxUrl(dir);
  const result = await new Deno.Command(python as string, {
    args: [
      "-m",
      "nbconvert",
      "--to",
      "html",
      ...(mathjax ? [`--HTMLExporter.mathjax_url=${mathjax}`] : []),
      "--output-dir",
      dir,
      notebook,
    ],
    env: jupyterEnv(),
    stdout: "null",
    stderr: "piped",
  }).output();
  assert(result.success, new TextDecoder().decode(result.stderr));
  return await Deno.readTextFile(
    `${dir}/${notebook.replace(/^.*\//, "").replace(".ipynb", "")}.html`,
  );
}

Deno.test({
  name:
    `one nbconvert process makes the command line's pages, and a bad notebook is one clear error${skip}`,
  ignore: skip !== "",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "course-html-test-" });
    const html = openHtmlConverter();
    try {
      await Deno.mkdir(`${dir}/html`);
      await Deno.mkdir(`${dir}/cli`);
      for (const name of ["first", "second"]) {
        await Deno.writeTextFile(`${dir}/${name}.ipynb`, notebookJson(`The ${name} notebook`));
      }
      await html.convert(`${dir}/first.ipynb`, `${dir}/html`);
      await html.convert(`${dir}/second.ipynb`, `${dir}/html`);
      for (const name of ["first", "second"]) {
        const page = await Deno.readTextFile(`${dir}/html/${name}.html`);
        assert(page.includes(`The ${name} notebook`), `${name}.html shows its notebook`);
        // The command line writes into another folder, so the MathJax path is made relative to
        // the same depth: compare with it there.
        assertEquals(
          page.replace(mathjaxUrl(`${dir}/html`) ?? "", "MATHJAX"),
          (await commandLinePage(`${dir}/${name}.ipynb`, `${dir}/cli`)).replace(
            mathjaxUrl(`${dir}/cli`) ?? "",
            "MATHJAX",
          ),
          `${name}.html is the command line's page`,
        );
      }

      // A broken notebook: a clear error naming it, the old page kept, the process still serving.
      const before = await Deno.readTextFile(`${dir}/html/first.html`);
      await Deno.writeTextFile(`${dir}/first.ipynb`, "{ not a notebook");
      let message = "";
      await html.convert(`${dir}/first.ipynb`, `${dir}/html`).catch((e: Error) => {
        message = e.message;
      });
      assert(
        message.startsWith(`nbconvert could not make HTML of ${dir}/first.ipynb: `),
        `the error names the notebook: ${message}`,
      );
      assertEquals(await Deno.readTextFile(`${dir}/html/first.html`), before, "old page kept");
      await Deno.writeTextFile(`${dir}/first.ipynb`, notebookJson("The first notebook, again"));
      await html.convert(`${dir}/first.ipynb`, `${dir}/html`);
      assert((await Deno.readTextFile(`${dir}/html/first.html`)).includes("again"));
      assertEquals(
        [...Deno.readDirSync(`${dir}/html`)].map((e) => e.name).sort(),
        ["first.html", "second.html"],
        "no temporary files left",
      );
    } finally {
      await html.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
