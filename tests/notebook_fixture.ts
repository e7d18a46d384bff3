/**
 * A small notebook for tests that execute one: code cells in the course's Deno kernel.
 *
 * @module
 */

/** The JSON of a notebook whose code cells are `sources`, for the course kernel ("deno"). */
export function codeNotebookJson(sources: string[]): string {
  return JSON.stringify(
    {
      cells: sources.map((source) => ({
        cell_type: "code",
        execution_count: null,
        metadata: {},
        outputs: [],
        source,
      })),
      metadata: {
        kernelspec: { display_name: "Deno (course)", language: "typescript", name: "deno" },
        language_info: { name: "typescript" },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}
