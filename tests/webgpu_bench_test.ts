/**
 * `bench/webgpu.ts --only agree`: tfjs's WebGPU backend computes what its pure-JavaScript `cpu`
 * backend computes (a convolution with both gradients, VGG19's stack with its input gradient), to
 * 10⁻⁵ of the largest value, on whatever WebGPU adapter this machine has — a software renderer
 * (`--software`) where there is no GPU. Skipped where Deno finds no adapter at all. The speed part
 * needs a GPU and is not run here (README, "WebGPU on a real GPU").
 */
import assert from "node:assert/strict";

const bench = new URL("../bench/webgpu.ts", import.meta.url).pathname;

Deno.test("bench/webgpu.ts: the WebGPU backend agrees with the cpu backend", async (t) => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", bench, "--only", "agree", "--software", "--rounds", "1"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(240_000),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0 && /no WebGPU/.test(stderr)) {
    console.warn(`no WebGPU adapter here: ${stderr.trim().split("\n").at(-1)}`);
    await t.step({ name: "(no WebGPU adapter here)", ignore: true, fn: () => {} });
    return;
  }
  assert.equal(out.code, 0, `${stdout}\n${stderr}`);
  const lines = stdout.split("\n").filter((line) => line.startsWith("agreement "));
  assert.equal(lines.length, 2, stdout);
  for (const line of lines) assert.match(line, / ok$/);
});
