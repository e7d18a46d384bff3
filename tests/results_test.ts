/** recordResults (lib/runtime/results.ts): what a notebook's run writes for the prose checks. */
import { assertEquals, assertRejects } from "./assert.ts";
import { recordResults, resultsPath } from "../lib/runtime/results.ts";
import { setCurrentNotebook } from "../lib/runtime/session.ts";

Deno.test("recordResults accumulates a run's results in out/results/<nb>.<mode>.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "course-results-" });
  const saved = { out: Deno.env.get("COURSE_OUT_DIR"), mode: Deno.env.get("COURSE_MODE") };
  Deno.env.set("COURSE_OUT_DIR", dir);
  Deno.env.set("COURSE_MODE", "full");
  try {
    setCurrentNotebook("99_results_test");
    await recordResults({ test_error_pct: 2.5, epochs: 20 });
    await recordResults({ gain: 35.2, test_error_pct: 2.25 }); // a name recorded again: new value
    const file = JSON.parse(await Deno.readTextFile(resultsPath(dir, "99_results_test", "full")));
    assertEquals(file, {
      notebook: "99_results_test",
      mode: "full",
      results: { epochs: 20, gain: 35.2, test_error_pct: 2.25 },
    });
    await assertRejects(() => recordResults({ loss: NaN }), Error, "not a finite number");
    await assertRejects(() => recordResults({ "Test-Error": 1 }), Error, "lower-case words");
    // Nothing of a rejected call was recorded.
    const again = JSON.parse(await Deno.readTextFile(resultsPath(dir, "99_results_test", "full")));
    assertEquals(Object.keys(again.results), ["epochs", "gain", "test_error_pct"]);
  } finally {
    for (const [name, value] of [["COURSE_OUT_DIR", saved.out], ["COURSE_MODE", saved.mode]]) {
      if (value === undefined) Deno.env.delete(name!);
      else Deno.env.set(name!, value);
    }
    await Deno.remove(dir, { recursive: true });
  }
});
