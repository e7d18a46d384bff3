/**
 * Finds the system's BLAS library and opens it with Deno's FFI: `cblas_sgemm` on Float32Arrays,
 * plus the vendor's thread-count setter where it has one.
 *
 * Search order: `COURSE_BLAS_LIB` (a path or a library name) if set, else OpenBLAS
 * (Debian/Ubuntu `libopenblas0-pthread`), BLIS, a generic CBLAS, and on macOS the Accelerate
 * framework. Threads: `COURSE_BLAS_THREADS` if set, else the number of logical cores.
 *
 * @example
 * ```ts
 * const blas = openBlas();
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([1, 0, 0, 1]);
 * const c = new Float32Array(4);
 * blas.sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2); // c = a·b
 * ```
 *
 * @module
 */
import { blasLibrarySetting, blasThreadsSetting, rawSetting, SettingError } from "../../config.ts";

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
  bli_thread_set_num_threads: { parameters: ["i64"], result: "void", optional: true },
  MKL_Set_Num_Threads: { parameters: ["i32"], result: "void", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** An opened BLAS library: single-precision GEMM on row-major Float32Arrays. */
export interface Blas {
  /** The file or name that was opened. */
  readonly path: string;
  /** The number of threads the library was asked to use (`undefined`: the library decides). */
  readonly threads: number | undefined;
  /**
   * One line for people, e.g. "OpenBLAS 0.3.21 (libopenblas.so.0, Haswell kernels), 2 threads":
   * OpenBLAS names the kernels it chose for the CPU (or that `OPENBLAS_CORETYPE` forced).
   */
  readonly description: string;
  /**
   * C ← alpha·op(A)·op(B) + beta·C, all row-major; `op(X)` is Xᵀ when its flag is true.
   * op(A) is m×k, op(B) is k×n, C is m×n; `lda`, `ldb`, `ldc` are the row strides as stored.
   * Subarrays may be passed: the call starts at their first element.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /** Release the library. */
  close(): void;
}

/**
 * An environment variable, or `undefined` when it is unset, empty or not readable (read through
 * `config.ts`, where every setting is read).
 */
export const env: (name: string) => string | undefined = rawSetting;

/** The library names tried, in order, when `COURSE_BLAS_LIB` is not set. */
export function blasCandidates(os: typeof Deno.build.os = Deno.build.os): string[] {
  if (os === "darwin") {
    return [
      "/System/Library/Frameworks/Accelerate.framework/Accelerate",
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
      "libopenblas.dylib",
    ];
  }
  if (os === "windows") return ["libopenblas.dll", "openblas.dll"];
  return [
    "libopenblas.so.0",
    "libopenblas.so",
    "libblis.so.4",
    "libblis.so.3",
    "libblis.so",
    "libcblas.so.3",
    "libblas.so.3",
  ];
}

/** The thread count to ask for: `COURSE_BLAS_THREADS`, else the logical cores. */
export function wantedThreads(): number {
  return blasThreadsSetting() ?? Math.max(1, navigator.hardwareConcurrency || 1);
}

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

function tryOpen(path: string): Library | string {
  try {
    return Deno.dlopen(path, SYMBOLS);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n")[0];
  }
}

/** The kernels OpenBLAS chose (its core name, e.g. "Haswell", "Cooperlake"), or undefined. */
function openblasCore(lib: Library): string | undefined {
  const name = lib.symbols.openblas_get_corename?.();
  return name ? new Deno.UnsafePointerView(name).getCString() || undefined : undefined;
}

function vendorName(lib: Library, path: string): string {
  const config = lib.symbols.openblas_get_config?.();
  if (config) {
    // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64": keep name and version.
    return new Deno.UnsafePointerView(config).getCString().split(" ").slice(0, 2).join(" ");
  }
  if (lib.symbols.bli_thread_set_num_threads) return "BLIS";
  if (lib.symbols.MKL_Set_Num_Threads) return "MKL";
  if (path.includes("Accelerate")) return "Accelerate";
  return "CBLAS";
}

function setThreads(lib: Library, n: number): boolean {
  if (lib.symbols.openblas_set_num_threads) {
    lib.symbols.openblas_set_num_threads(n);
    return true;
  }
  if (lib.symbols.bli_thread_set_num_threads) {
    lib.symbols.bli_thread_set_num_threads(BigInt(n));
    return true;
  }
  if (lib.symbols.MKL_Set_Num_Threads) {
    lib.symbols.MKL_Set_Num_Threads(n);
    return true;
  }
  return false;
}

/**
 * The `OPENBLAS_THREAD_TIMEOUT` the course sets when the user has not: 4, OpenBLAS's smallest
 * (idle threads sleep after 2⁴ cycles instead of 2²⁸).
 */
const OPENBLAS_THREAD_TIMEOUT = "4";

/**
 * After each product OpenBLAS's idle threads spin, calling `sched_yield`, for about 2²⁸ cycles
 * (~0.1 s) before they sleep: a core taken from whatever else runs — on a 2-core machine, the
 * other notebook of `deno task reproduce`. Ask them to sleep at once (read when the library
 * loads) unless the user chose. Measured on the 2-vCPU EPYC, 60 L-BFGS iterations of 05a's
 * autoencoder on 2 threads: the same 7.7 s and the same bits, 10.3 instead of 14.9 s of CPU
 * (sys 3.6 → 0.8 s); the bench's workloads as before.
 */
function sleepingWaitUnlessSet(): void {
  if (rawSetting("OPENBLAS_THREAD_TIMEOUT") !== undefined) return;
  try {
    Deno.env.set("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT);
  } catch {
    // no --allow-env: keep the default
  }
}

/**
 * Open the first BLAS library that loads and exports `cblas_sgemm`, and set its thread count.
 * Throws one clear line naming what was tried when none does; a {@linkcode SettingError} when
 * `COURSE_BLAS_LIB` names one that does not load or is not a BLAS, or `COURSE_BLAS_THREADS` is
 * invalid (settings the user gave must not be replaced by a fallback).
 */
export function openBlas(): Blas {
  const forced = blasLibrarySetting();
  const candidates = forced ? [forced] : blasCandidates();
  const failures: string[] = [];
  wantedThreads(); // an invalid COURSE_BLAS_THREADS fails before any library is opened
  sleepingWaitUnlessSet();
  for (const path of candidates) {
    const lib = tryOpen(path);
    if (typeof lib === "string") {
      failures.push(lib);
      continue;
    }
    const threads = wantedThreads();
    const threaded = setThreads(lib, threads);
    const vendor = vendorName(lib, path);
    const core = openblasCore(lib);
    const description = `${vendor} (${path}${core ? `, ${core} kernels` : ""}), ${
      threaded ? `${threads} thread${threads === 1 ? "" : "s"}` : "threads set by the library"
    }`;
    return makeBlas(lib, path, threaded ? threads : undefined, description);
  }
  if (forced) {
    const notBlas = /cblas_sgemm/.test(failures[0])
      ? "is not a BLAS library (no cblas_sgemm): "
      : "";
    throw new SettingError(
      `COURSE_BLAS_LIB=${forced} ${notBlas || "could not be loaded: "}${failures[0]}`,
    );
  }
  throw new Error(
    `no BLAS library found (tried ${candidates.join(", ")}; on Debian/Ubuntu: ` +
      `apt-get install libopenblas0-pthread, or set COURSE_BLAS_LIB)`,
  );
}

/**
 * Products with fewer multiply-adds than this run on one thread: handing work to a second
 * thread costs more than it saves (an MLP's 100×784×100 products ran 5× slower on 2 threads
 * than on 1 while other processes loaded the machine).
 */
export const SMALL_GEMM_MACS = 1 << 23;

function makeBlas(
  lib: Library,
  path: string,
  threads: number | undefined,
  description: string,
): Blas {
  const gemm = lib.symbols.cblas_sgemm;
  let current = threads;
  const useThreads = (n: number): void => {
    if (current === undefined || current === n) return;
    setThreads(lib, n);
    current = n;
  };
  return {
    path,
    threads,
    description,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      if (m === 0 || n === 0) return;
      if (k === 0) {
        // BLAS leaves C·beta; keep the same meaning without a zero-sized call.
        if (beta === 0) c.fill(0, 0, (m - 1) * ldc + n);
        else if (beta !== 1) { for (let i = 0; i < m; i++) scaleRow(c, i * ldc, n, beta); }
        return;
      }
      if (threads !== undefined && threads > 1) {
        useThreads(m * n * k < SMALL_GEMM_MACS ? 1 : threads);
      }
      gemm(
        ROW_MAJOR,
        transA ? TRANS : NO_TRANS,
        transB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      );
    },
    close() {
      lib.close();
    },
  };
}

function scaleRow(c: Float32Array, start: number, n: number, beta: number): void {
  for (let j = start; j < start + n; j++) c[j] *= beta;
}
