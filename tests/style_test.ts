/** The repository stays formatted and lint-clean (`deno fmt --check`, `deno lint`). */
import { assertEquals } from "./assert.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

async function deno(args: string[]): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

Deno.test("deno fmt --check is clean", async () => {
  const run = await deno(["fmt", "--check"]);
  assertEquals(run.code, 0, run.output);
});

Deno.test("deno lint is clean", async () => {
  const run = await deno(["lint"]);
  assertEquals(run.code, 0, run.output);
});
