/**
 * `deno task test [deno test args…]` — runs every test under `tests/` and ends with the plain
 * line `N passed, N failed` that CI reads (Deno's own summary line is not read); when tests were
 * skipped it reads `N passed, N failed, N skipped`, with a line above it naming what was skipped
 * and why.
 *
 * Tests never download external data: they run with `COURSE_DATA_OFFLINE=1`, and a test that
 * needs absent data is skipped, saying so in its name. With `COURSE_REQUIRE_DATA=1` (CI) a test
 * skipped for missing external data counts as a failure.
 *
 * Extra arguments go to `deno test`, e.g. `deno task test tests/mnist_test.ts` or
 * `deno task test --filter gradient`.
 *
 * @module
 */
import { mode, requireExternalData } from "../lib/runtime/config.ts";
import { NEEDS_DATA_MARK } from "./notebook_data.ts";

const args = Deno.args.length > 0 ? Deno.args : ["tests/"];
const root = decodeURIComponent(new URL("../", import.meta.url).pathname);
const requireData = requireExternalData();
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", ...args],
  cwd: root,
  env: { COURSE_MODE: mode(), COURSE_DATA_OFFLINE: "1" },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

let passed = 0;
let failed = 0;
let summaryFound = false;
let tail = "";
let line = "";
const skippedNames: string[] = [];
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  const text = decoder.decode(chunk, { stream: true });
  tail = (tail + text).slice(-4000);
  // Deno prints "name ... ignored (0ms)" for each skipped test (steps are indented).
  const lines = (line + text).split("\n");
  line = lines.pop() ?? "";
  for (const l of lines) {
    // deno-lint-ignore no-control-regex
    const m = /^(\S.*?) \.\.\. ignored/.exec(l.replace(/\x1b\[[0-9;]*m/g, ""));
    if (m) skippedNames.push(m[1]);
  }
}
const status = await child.status;
// Deno's summary: "ok | 12 passed (3 steps) | 0 failed" or "FAILED | 10 passed | 2 failed (…)".
// deno-lint-ignore no-control-regex
const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
const summary = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
if (summary) {
  summaryFound = true;
  passed = Number(summary[1]);
  failed = Number(summary[2]);
}
const skipped = Number(/(\d+) ignored/.exec(summary ? plain.slice(summary.index) : "")?.[1] ?? 0);
if (!summaryFound || (!status.success && failed === 0)) {
  failed += 1; // deno test could not run (e.g. a type error): count it as a failure
  console.log("deno test ended without a test summary (see the errors above)");
}
// One line: the tests skipped for missing external data by name (the reason said once), others
// by their whole name (which says why).
const dataNames = skippedNames.filter((name) => name.includes(NEEDS_DATA_MARK));
const otherNames = skippedNames.filter((name) => !name.includes(NEEDS_DATA_MARK));
if (skipped > 0) {
  const parts = [];
  if (dataNames.length > 0) {
    const short = dataNames.map((name) => name.replace(/ \[skipped: .*\]$/, ""));
    parts.push(
      `${dataNames.length} for missing external data (run \`deno task fetch-data\` or set ` +
        `COURSE_DATA_DIR): ${short.join("; ")}`,
    );
  }
  if (otherNames.length > 0) parts.push(otherNames.join("; "));
  if (parts.length === 0) parts.push("see the ignored tests above");
  console.log(`skipped ${skipped}: ${parts.join(" · ")}`);
}
const forData = dataNames.length;
if (requireData && forData > 0) {
  failed += forData;
  console.log(
    `COURSE_REQUIRE_DATA=1: ${forData} test(s) skipped for missing external data count as ` +
      `failures (set COURSE_DATA_DIR to the data folder)`,
  );
}
// CI reads a last line "N passed, N failed"; the skip count is added only when there is one.
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
Deno.exit(failed === 0 ? 0 : 1);
