/**
 * What the benchmark ran on: the CPU model and the vector extensions that decide which kernels
 * BLAS and oneDNN run (from `/proc/cpuinfo` on Linux), for the header of `bench/vs_torch.ts` and
 * `out/bench.json`.
 *
 * @example
 * ```ts
 * const cpu = parseCpuInfo(await Deno.readTextFile("/proc/cpuinfo"));
 * console.log(cpuName(cpu), cpu.vectorExtensions.join(" "));
 * // "AMD EPYC (family 25, model 1: Zen 3)", "sse4_2 avx avx2 fma"
 * ```
 *
 * @module
 */

/** The vector extensions reported, in this order, when the CPU has them. */
export const VECTOR_FLAGS: readonly string[] = [
  "sse4_2",
  "avx",
  "avx2",
  "fma",
  "avx_vnni",
  "avx512f",
  "avx512bw",
  "avx512vl",
  "avx512_vnni",
  "avx512_bf16",
  "amx_tile",
];

/** A CPU as `/proc/cpuinfo` describes it. */
export interface CpuInfo {
  /** The first processor's "model name" ("unknown" if absent). */
  model: string;
  /** Of {@linkcode VECTOR_FLAGS}, those the first processor lists. */
  vectorExtensions: string[];
  /** "vendor_id" (e.g. "AuthenticAMD"), if listed. */
  vendor?: string;
  /** "cpu family", if listed (a virtual machine's "model name" may be just "AMD EPYC"). */
  family?: number;
  /** "model" (the number within the family), if listed. */
  modelNumber?: number;
}

/** Read the model and vector extensions from the text of `/proc/cpuinfo`. */
export function parseCpuInfo(text: string): CpuInfo {
  const field = (name: string): string | undefined =>
    text.split("\n").find((line) => line.split(":")[0].trim() === name)?.split(":").slice(1)
      .join(":").trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const number = (name: string): number | undefined => {
    const value = Number.parseInt(field(name) ?? "", 10);
    return Number.isFinite(value) ? value : undefined;
  };
  return {
    model: field("model name") ?? "unknown",
    vectorExtensions: VECTOR_FLAGS.filter((f) => flags.has(f)),
    vendor: field("vendor_id"),
    family: number("cpu family"),
    modelNumber: number("model"),
  };
}

/**
 * AMD's core generation from the family and model numbers (AMD's processor programming
 * references): family 23 Zen or Zen 2, 25 Zen 3 (models 0x00–0x0f, 0x20–0x5f) or Zen 4 (the
 * rest), 26 Zen 5; `undefined` for other vendors and families.
 */
export function amdCore(cpu: CpuInfo): string | undefined {
  if (cpu.vendor !== "AuthenticAMD" || cpu.family === undefined) return undefined;
  const model = cpu.modelNumber ?? -1;
  if (cpu.family === 23) return "Zen or Zen 2";
  if (cpu.family === 25) return model < 0x10 || (model >= 0x20 && model < 0x60) ? "Zen 3" : "Zen 4";
  if (cpu.family === 26) return "Zen 5";
  return undefined;
}

/**
 * The CPU as the benches name it: the model name with the family and model numbers, and AMD's
 * core generation where known — "AMD EPYC (family 26, model 2: Zen 5)".
 */
export function cpuName(cpu: CpuInfo): string {
  if (cpu.family === undefined) return cpu.model;
  const core = amdCore(cpu);
  return `${cpu.model} (family ${cpu.family}, model ${cpu.modelNumber ?? "?"}${
    core ? `: ${core}` : ""
  })`;
}

/** This machine's CPU, or `undefined` where `/proc/cpuinfo` cannot be read (not Linux). */
export function cpuInfo(): CpuInfo | undefined {
  try {
    return parseCpuInfo(Deno.readTextFileSync("/proc/cpuinfo"));
  } catch {
    return undefined;
  }
}

/**
 * The Python that runs the PyTorch peers: `COURSE_TORCH_PYTHON`, else `/usr/bin/python3` where it
 * exists (Debian's `python3-torch` lives there), else `python3`.
 */
export function torchPython(): string {
  const forced = Deno.env.get("COURSE_TORCH_PYTHON");
  if (forced) return forced;
  try {
    Deno.statSync("/usr/bin/python3");
    return "/usr/bin/python3";
  } catch {
    return "python3";
  }
}
