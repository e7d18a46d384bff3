/**
 * What the benchmark ran on: the CPU model and the vector extensions that decide which kernels
 * BLAS and oneDNN run (from `/proc/cpuinfo` on Linux), for the header of `bench/vs_torch.ts` and
 * `out/bench.json`.
 *
 * @example
 * ```ts
 * const cpu = parseCpuInfo(await Deno.readTextFile("/proc/cpuinfo"));
 * console.log(cpu.model, cpu.vectorExtensions.join(" ")); // "AMD EPYC", "sse4_2 avx avx2 fma …"
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
}

/** Read the model and vector extensions from the text of `/proc/cpuinfo`. */
export function parseCpuInfo(text: string): CpuInfo {
  const field = (name: string): string | undefined =>
    text.split("\n").find((line) => line.split(":")[0].trim() === name)?.split(":").slice(1)
      .join(":").trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  return {
    model: field("model name") ?? "unknown",
    vectorExtensions: VECTOR_FLAGS.filter((f) => flags.has(f)),
  };
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
