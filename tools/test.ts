/**
 * `deno task test [deno test args…]` — runs every test under `tests/` and ends with the plain
 * line `N passed, N failed` that CI reads (Deno's own summary line is not read).
 *
 * Extra arguments go to `deno test`, e.g. `deno task test tests/mnist_test.ts` or
 * `deno task test --filter gradient`.
 *
 * @module
 */

const args = Deno.args.length > 0 ? Deno.args : ["tests/"];
const root = decodeURIComponent(new URL("../", import.meta.url).pathname);
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", ...args],
  cwd: root,
  env: { COURSE_MODE: Deno.env.get("COURSE_MODE") ?? "quick" },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

let passed = 0;
let failed = 0;
let summaryFound = false;
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
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
if (!summaryFound || (!status.success && failed === 0)) {
  failed += 1; // deno test could not run (e.g. a type error): count it as a failure
  console.log("deno test ended without a test summary (see the errors above)");
}
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
