/**
 * Running Deno in a child process from a test, as a user would run a command.
 *
 * @module
 */
import { REPO_ROOT } from "../lib/runtime/config.ts";

/** Run `deno <args>` in the repository root; returns the exit code and stdout + stderr. */
export async function runDeno(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}
