/** The benchmark's machine description: model and vector extensions from `/proc/cpuinfo`. */
import assert from "node:assert/strict";
import { parseCpuInfo } from "../bench/machine.ts";

const ZEN3 = `processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7763 64-Core Processor
flags\t\t: fpu sse sse2 sse4_1 sse4_2 fma avx avx2 bmi2

processor\t: 1
model name\t: AMD EPYC 7763 64-Core Processor
flags\t\t: fpu sse sse2 sse4_1 sse4_2 fma avx avx2 bmi2
`;

Deno.test("parseCpuInfo reads the model and the vector extensions, AVX2 without AVX-512", () => {
  const cpu = parseCpuInfo(ZEN3);
  assert.equal(cpu.model, "AMD EPYC 7763 64-Core Processor");
  assert.deepEqual(cpu.vectorExtensions, ["sse4_2", "avx", "avx2", "fma"]);
});

Deno.test("parseCpuInfo lists AVX-512 subsets and copes with a missing model", () => {
  const cpu = parseCpuInfo("flags\t: avx avx2 fma avx512f avx512bw avx512vl avx512_bf16 xsave\n");
  assert.equal(cpu.model, "unknown");
  assert.deepEqual(cpu.vectorExtensions, [
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_bf16",
  ]);
});
