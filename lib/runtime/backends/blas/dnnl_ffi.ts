/**
 * Finds oneDNN (`libdnnl.so.2`, Debian/Ubuntu package `libdnnl2`, oneDNN 2.x) and opens the part
 * of its C API that the convolutions need with Deno's FFI: a CPU engine and stream, memory
 * descriptors, convolution and reorder primitives.
 *
 * Search order: `COURSE_DNNL_LIB` (a path or a library name) if set, else `libdnnl.so.2`,
 * `libdnnl.so`. `COURSE_DNNL=0` disables oneDNN. Threads: oneDNN's OpenMP runtime (libgomp) is
 * asked for `COURSE_BLAS_THREADS`, else the number of logical cores (see `wantedThreads`), with
 * `OMP_WAIT_POLICY=PASSIVE` unless that is set (as the PyTorch peer of the benchmark runs).
 *
 * Struct layouts are those of oneDNN 2.x (`dnnl_memory_desc_t` 696 bytes, `dnnl_convolution_desc_t`
 * 5976 bytes on 64-bit Linux); other major versions are refused by their version number.
 *
 * @example
 * ```ts
 * const dnnl = openDnnl();
 * console.log(typeof dnnl === "string" ? `no oneDNN: ${dnnl}` : dnnl.description);
 * ```
 *
 * @module
 */
import { env, wantedThreads } from "./ffi.ts";

const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [
      "buffer", // conv_desc
      "i32", // prop_kind
      "i32", // alg_kind
      "buffer", // src_desc
      "buffer", // weights_desc
      "buffer", // bias_desc (NULL: none)
      "buffer", // dst_desc
      "buffer", // strides
      "buffer", // dilates
      "buffer", // padding_l
      "buffer", // padding_r
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [
      "buffer", // conv_desc
      "i32", // alg_kind
      "buffer", // diff_src_desc
      "buffer", // weights_desc
      "buffer", // diff_dst_desc
      "buffer", // strides
      "buffer", // dilates
      "buffer", // padding_l
      "buffer", // padding_r
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [
      "buffer", // conv_desc
      "i32", // alg_kind
      "buffer", // src_desc
      "buffer", // diff_weights_desc
      "buffer", // diff_bias_desc (NULL: none)
      "buffer", // diff_dst_desc
      "buffer", // strides
      "buffer", // dilates
      "buffer", // padding_l
      "buffer", // padding_r
    ],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query: {
    parameters: ["pointer", "i32", "i32", "buffer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: {
    parameters: ["pointer", "pointer", "i32", "buffer"],
    result: "i32",
  },
  dnnl_memory_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_get_effective_cpu_isa: { parameters: [], result: "i32" },
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_binary: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  dnnl_post_ops_append_eltwise: {
    parameters: ["pointer", "f32", "i32", "f32", "f32"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const OMP_SYMBOLS = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Sizes of oneDNN 2.x structs (x86-64 Linux), checked against the headers with a C program. */
export const DNNL_SIZES = {
  /** `sizeof(dnnl_memory_desc_t)`. */
  memoryDesc: 696,
  /** `sizeof(dnnl_convolution_desc_t)`. */
  convolutionDesc: 5976,
  /** `sizeof(dnnl_eltwise_desc_t)`. */
  eltwiseDesc: 1416,
  /** `sizeof(dnnl_exec_arg_t)` (an int, padding, a pointer). */
  execArg: 16,
} as const;

/** oneDNN 2.x enum values used here (from `dnnl_types.h`). */
export const DNNL = {
  success: 0,
  engineCpu: 1,
  streamDefault: 1,
  f32: 3,
  tagAny: 1,
  /** `dnnl_a`: a plain vector. */
  tagA: 2,
  /** `dnnl_abcd`: plain N×C×H×W. */
  tagAbcd: 5,
  tagNhwc: 20,
  tagHwio: 30,
  /** `dnnl_aBcd16b` (nChw16c): channels in blocks of 16. */
  tagNChw16c: 69,
  /** `dnnl_aBcd8b` (nChw8c): channels in blocks of 8. */
  tagNChw8c: 93,
  forwardTraining: 64,
  backwardData: 160,
  backwardWeights: 192,
  convolutionDirect: 1,
  argSrc: 1,
  argDst: 17,
  argWeights: 33,
  argDiffSrc: 129,
  argDiffDst: 145,
  argDiffWeights: 161,
  argFrom: 1,
  argTo: 17,
  /** `dnnl_binary_add`. */
  binaryAdd: 0x1fff0,
  /** `dnnl_eltwise_relu`. */
  eltwiseRelu: 0x1f,
  /** `dnnl_eltwise_relu_use_dst_for_bwd`: ReLU whose gradient reads its output. */
  eltwiseReluUseDst: 0x100,
  /** `DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1`: the first post-op's second input. */
  argPostOp0Src1: 16384 | 2,
  queryImplInfoStr: 8,
  querySrcMd: 129,
  queryDiffSrcMd: 130,
  queryWeightsMd: 131,
  queryDiffWeightsMd: 132,
  queryDstMd: 133,
  queryDiffDstMd: 134,
} as const;

/** Names of oneDNN 2.x's `dnnl_cpu_isa_t` values (`dnnl_types.h`). */
const ISA_NAMES: Record<number, string> = {
  0x1: "sse41",
  0x3: "avx",
  0x7: "avx2",
  0x407: "avx2_vnni",
  0xf: "avx512_mic",
  0x1f: "avx512_mic_4ops",
  0x27: "avx512_core",
  0x67: "avx512_core_vnni",
  0xe7: "avx512_core_bf16",
  0x3e7: "avx512_core_amx",
};

/** The name of a `dnnl_cpu_isa_t` value ("avx2", "avx512_core", …; hex when unknown). */
export function isaName(isa: number): string {
  return ISA_NAMES[isa] ?? `isa 0x${isa.toString(16)}`;
}

/** The opened oneDNN functions, with a CPU engine and stream made once. */
export interface Dnnl {
  /** The file or name that was opened. */
  readonly path: string;
  /** One line for people, e.g. "oneDNN 2.6.3 (libdnnl.so.2), 2 threads, avx2". */
  readonly description: string;
  /**
   * The instruction set oneDNN's kernels use ("avx2", "avx512_core", …): the CPU's best, or less
   * where `ONEDNN_MAX_CPU_ISA` (`DNNL_MAX_CPU_ISA`) caps it.
   */
  readonly isa: string;
  /** The FFI symbols (oneDNN C API, 2.x signatures). */
  readonly api: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
  /** The CPU engine. */
  readonly engine: Deno.PointerValue;
  /** The CPU stream primitives run on. */
  readonly stream: Deno.PointerValue;
  /** Release the library. */
  close(): void;
}

/** Whether `COURSE_DNNL` leaves oneDNN on (anything but "0", "false", "off", "no"). */
export function dnnlWanted(): boolean {
  const v = env("COURSE_DNNL")?.toLowerCase();
  return !(v === "0" || v === "false" || v === "off" || v === "no");
}

/** The library names tried, in order, when `COURSE_DNNL_LIB` is not set. */
export function dnnlCandidates(os: typeof Deno.build.os = Deno.build.os): string[] {
  if (os === "darwin") return ["libdnnl.2.dylib", "libdnnl.dylib"];
  if (os === "windows") return ["dnnl.dll"];
  return ["libdnnl.so.2", "libdnnl.so"];
}

/** Read a pointer-sized output argument written by a C call. */
export function readPointer(out: BigUint64Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(out[0]);
}

/** Throw one line naming the C function when a oneDNN status is not success. */
export function check(status: number, what: string): void {
  if (status !== DNNL.success) throw new Error(`${what} failed with oneDNN status ${status}`);
}

/**
 * OpenMP threads that spin after each parallel region take a core from JavaScript and OpenBLAS
 * on small machines; ask for sleeping waits (read when libgomp loads) unless the user chose.
 */
function passiveWaitUnlessSet(): void {
  if (env("OMP_WAIT_POLICY")) return;
  try {
    Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  } catch {
    // no --allow-env: keep the default
  }
}

function setOmpThreads(n: number): boolean {
  for (const name of ["libgomp.so.1", "libiomp5.so", "libomp.so"]) {
    try {
      const omp = Deno.dlopen(name, OMP_SYMBOLS);
      omp.symbols.omp_set_num_threads(n);
      // Keep it open: closing could unload the runtime oneDNN uses.
      return true;
    } catch {
      // try the next runtime
    }
  }
  return false;
}

/**
 * Open oneDNN, create a CPU engine and stream and set its thread count. Returns a short reason
 * (for the backend's details line) instead of throwing when oneDNN is disabled or missing.
 */
export function openDnnl(): Dnnl | string {
  if (!dnnlWanted()) return "disabled by COURSE_DNNL=0";
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return "unsupported arch";
  const forced = env("COURSE_DNNL_LIB");
  const candidates = forced ? [forced] : dnnlCandidates();
  let reason = "not found";
  passiveWaitUnlessSet();
  for (const path of candidates) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (error) {
      reason = `${path}: ${
        (error instanceof Error ? error.message : String(error)).split("\n")[0]
      }`;
      continue;
    }
    try {
      const versionPtr = lib.symbols.dnnl_version();
      if (!versionPtr) throw new Error("dnnl_version returned NULL");
      const view = new Deno.UnsafePointerView(versionPtr);
      const major = view.getInt32(0), minor = view.getInt32(4), patch = view.getInt32(8);
      if (major !== 2) throw new Error(`oneDNN ${major}.${minor} (only 2.x is supported)`);
      const out = new BigUint64Array(1);
      check(lib.symbols.dnnl_engine_create(out, DNNL.engineCpu, 0n), "dnnl_engine_create");
      const engine = readPointer(out);
      check(lib.symbols.dnnl_stream_create(out, engine, DNNL.streamDefault), "dnnl_stream_create");
      const stream = readPointer(out);
      const threads = wantedThreads();
      const threaded = setOmpThreads(threads);
      const isa = isaName(lib.symbols.dnnl_get_effective_cpu_isa());
      const description = `oneDNN ${major}.${minor}.${patch} (${path}), ${
        threaded ? `${threads} thread${threads === 1 ? "" : "s"}` : "threads set by OpenMP"
      }, ${isa}`;
      return {
        path,
        description,
        isa,
        api: lib.symbols,
        engine,
        stream,
        close: () => lib.close(),
      };
    } catch (error) {
      lib.close();
      reason = `${path}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return forced ? `COURSE_DNNL_LIB=${forced} could not be used (${reason})` : reason;
}
