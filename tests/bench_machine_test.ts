/** The benchmark's machine description: model and vector extensions from `/proc/cpuinfo`. */
import assert from "node:assert/strict";
import { cpuName, parseCpuInfo } from "../bench/machine.ts";

const ZEN3 = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
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
  assert.equal(cpuName(cpu), "AMD EPYC 7763 64-Core Processor (family 25, model 1: Zen 3)");
});

Deno.test("cpuName names AMD's core generation from family and model, and no other vendor's", () => {
  const cpu = (vendor: string, family: number, model: number) =>
    parseCpuInfo(
      `vendor_id\t: ${vendor}\ncpu family\t: ${family}\nmodel\t\t: ${model}\n` +
        `model name\t: X\nflags\t: avx2\n`,
    );
  assert.equal(cpuName(cpu("AuthenticAMD", 26, 2)), "X (family 26, model 2: Zen 5)");
  assert.equal(cpuName(cpu("AuthenticAMD", 25, 0x11)), "X (family 25, model 17: Zen 4)");
  assert.equal(cpuName(cpu("AuthenticAMD", 25, 0x21)), "X (family 25, model 33: Zen 3)");
  assert.equal(cpuName(cpu("GenuineIntel", 6, 143)), "X (family 6, model 143)");
  assert.equal(cpuName(parseCpuInfo("model name\t: Y\n")), "Y");
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
