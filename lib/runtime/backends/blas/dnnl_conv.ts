/**
 * NHWC float32 convolutions through oneDNN (forward, backward data, backward weights): the fast
 * path of the `blas` backend's conv kernels when `libdnnl` is present (see `dnnl_ffi.ts`).
 *
 * Filters go to the layout oneDNN prefers (`format_tag any`), reordered once per filter tensor and
 * kept while the tensor lives. Activations are NHWC (tfjs's layout) at the kernels' boundaries;
 * in the "blocked" layout oneDNN picks their layout too (nChw8c with AVX2, nChw16c with AVX-512)
 * and they are reordered into it and back at each call, in the "nhwc" layout the primitives run
 * on NHWC itself (no copies). The default ("auto") chains a frozen network's blocked activations
 * (below) at every instruction set, and runs single calls blocked where oneDNN's instruction set
 * is AVX2 or older — blocked convolutions are 2× faster there for a 64→64 3×3 convolution with its
 * gradients, reorders included, and all three layouts give bit-for-bit the same numbers there —
 * and NHWC with AVX-512, where a single blocked call is no faster and its numbers differ from
 * NHWC's in the last bits. The chain with its post-ops took 0.91–0.98 of blocked's time for a
 * VGG19 step on a real AVX2-only Zen 3, and 0.82–0.89 of NHWC's on an AVX-512 Zen 5 (README,
 * "oneDNN's activation formats", has the measurements).
 * Primitives are made once per shape and layout. Every function returns `undefined` when oneDNN
 * cannot take the case (the caller then runs the im2col + sgemm path).
 *
 * The "chain" layout runs single calls as "blocked" does; a frozen network (VGG19 in style
 * transfer, through `lib/nn/blocked.ts`) runs the same blocked primitives but keeps its
 * activations blocked from layer to layer ({@linkcode dnnlChainedConvForward},
 * {@linkcode dnnlChainedConvBackpropInput}, {@linkcode dnnlReorderActivation}): a blocked
 * activation is an N×⌈C/b⌉×H×W×b array (b = {@linkcode chainBlock}, channels zero-padded to the
 * block), and reorders remain only where a primitive wants another layout than it is given —
 * at the network's input (the first layer's 3-channel input is NCHW for oneDNN) and at the maps
 * read out as NHWC tensors.
 *
 * @example
 * ```ts
 * const dnnl = openDnnl();
 * if (typeof dnnl !== "string") {
 *   const y = dnnlConvForward(dnnl, x, w, geometry, outChannels, (n) => new Float32Array(n),
 *     undefined, () => false); // undefined: use the sgemm path
 * }
 * ```
 *
 * @module
 */
import { dnnlLayoutSetting } from "../../config.ts";
import type { DataId } from "@tensorflow/tfjs-core";
import { check, DNNL, type Dnnl, DNNL_SIZES, readPointer } from "./dnnl_ffi.ts";
import type { PatchGeometry } from "./im2col.ts";

/** A patch geometry with the padding after the image too (bottom, right). */
export interface DnnlGeometry extends PatchGeometry {
  /** Rows of zeros below the image. */
  padBottom: number;
  /** Columns of zeros right of the image. */
  padRight: number;
}

/**
 * Counts for tests and benchmarks: how often oneDNN ran (`fusedCalls`: convolutions with bias
 * and ReLU as post-ops; `reluGradients`: ReLU gradients), and which implementations.
 */
export const dnnlStats: {
  calls: number;
  fusedCalls: number;
  reluGradients: number;
  refused: number;
  reorders: number;
  impls: Set<string>;
} = {
  calls: 0,
  fusedCalls: 0,
  reluGradients: 0,
  refused: 0,
  reorders: 0,
  impls: new Set<string>(),
};

type Ptr = Deno.PointerValue;

/** How the convolutions lay out activations: see the module's description. */
export type ActivationLayout = "nhwc" | "blocked";

/**
 * A layout setting: one of the layouts, "chain" (blocked, and kept blocked across a frozen
 * network's layers) or "auto" (chosen by oneDNN's instruction set).
 */
export type LayoutSetting = ActivationLayout | "chain" | "auto";

/**
 * The activation layout of the convolutions, changeable at run time (A/B timings, tests);
 * `COURSE_DNNL_LAYOUT` (nhwc, blocked, chain, auto) sets it at start, default "auto".
 */
export const dnnlConvLayout: { activations: LayoutSetting } = {
  activations: dnnlLayoutSetting(),
};

/**
 * Whether chained convolutions add the bias and apply ReLU in oneDNN's post-ops (`biasRelu`) and
 * take the ReLU's gradient by oneDNN (`reluGradient`, on the post-ops' outputs), both by default,
 * or in loops, changeable at run time (A/B timings in `bench/ab_dnnl_layout.ts`, tests): the same
 * numbers either way (see {@linkcode dnnlChainedConvForward}, {@linkcode dnnlReluBackprop}).
 */
export const dnnlPostOps: { biasRelu: boolean; reluGradient: boolean } = {
  biasRelu: true,
  reluGradient: true,
};

/** oneDNN instruction sets whose single convolution calls are faster on blocked activations. */
const BLOCKED_ISAS = new Set(["sse41", "avx", "avx2", "avx2_vnni"]);

/**
 * The layout single convolution calls use now: `dnnlConvLayout`, with "auto" resolved for `isa`
 * (blocked up to AVX2, NHWC with AVX-512; "chain" runs single calls blocked).
 */
export function activationLayout(isa: string): ActivationLayout {
  const setting = dnnlConvLayout.activations;
  if (setting === "auto") return BLOCKED_ISAS.has(isa) ? "blocked" : "nhwc";
  return setting === "chain" ? "blocked" : setting;
}

/**
 * The channel block of chained activations for oneDNN's instruction set `isa` (16 with AVX-512,
 * else 8, the blocks its convolutions choose), or `undefined` when the setting in force does not
 * chain ("chain" and "auto" do). Measured with the post-ops, quiet, medians of 7: on a real
 * AVX2-only CPU (2-vCPU AMD EPYC Zen 3, 2026-12-01) the chain took 0.91 and 0.98 of blocked's time
 * for a VGG19 step at 256² and 0.95 for a style-loss evaluation, with the same bits; on a 2-vCPU
 * AVX-512 EPYC (Zen 5, 2026-12-01) 0.82 and 0.89 of NHWC's for the step, 0.89 and 0.88 for the
 * evaluation (README, "oneDNN's activation formats").
 */
export function chainBlock(isa: string): number | undefined {
  const setting = dnnlConvLayout.activations;
  if (setting !== "chain" && setting !== "auto") return undefined;
  return isa.startsWith("avx512") ? 16 : 8;
}

/** Where an activation of a chained call lives: tfjs's NHWC, or blocked (see the module notes). */
export type ChainSide = "nhwc" | "blocked";

/** Floats of an N×C×H×W activation blocked by `block` (channels padded to the block). */
export function blockedFloats(
  batch: number,
  channels: number,
  height: number,
  width: number,
  block: number,
): number {
  return batch * Math.ceil(channels / block) * block * height * width;
}

/** A reorder from one weights layout to another. */
interface Reorder {
  prim: Ptr;
  from: Ptr;
  to: Ptr;
  args: Uint8Array;
}

/** A convolution primitive with its memory objects (data handles set per call). */
interface Entry {
  /** The primitive's cache key (kind and geometry). */
  key: string;
  pd: Ptr;
  prim: Ptr;
  /**
   * Memory objects in the order of `args`: [activation in, weights, activation out], and for
   * "fwd_bias_relu" the bias (the post-op's second input).
   */
  mems: Ptr[];
  args: Uint8Array;
  /** Floats of the weights (or diff weights) in the primitive's layout. */
  weightFloats: number;
  /** Reorder between the tfjs (hwio) filter layout and the primitive's, if they differ. */
  reorder?: Reorder;
  /** For backward weights in another layout: where the primitive writes before the reorder. */
  scratch?: Float32Array;
  /**
   * Per slot of `mems`, the reorder between NHWC and the primitive's activation layout when they
   * differ (inputs: NHWC → primitive's; the output: primitive's → NHWC), with the floats it needs.
   */
  activations: (ActivationReorder | undefined)[];
  /** The activation descriptions of the primitive, per slot (weights slot: undefined). */
  slotMds: (Ptr | undefined)[];
  /** The NCHW dimensions of the activation slots, per slot (weights slot: undefined). */
  slotDims: (number[] | undefined)[];
  /** Chained calls' reorders per slot, by the sides given (e.g. "nhwc,blocked,8"). */
  chained: Map<string, (ActivationReorder | undefined)[]>;
}

/** A reorder of an activation between NHWC and a primitive's layout. */
interface ActivationReorder {
  reorder: Reorder;
  /** Floats of the activation in the primitive's layout (channels padded to the block). */
  floats: number;
}

/** Buffers for blocked activations, one per slot, shared by all primitives (calls are serial). */
const blockedBuffers: Float32Array[] = [];

function blockedBuffer(slot: number, floats: number): Float32Array {
  const known = blockedBuffers[slot];
  if (known && known.length >= floats) return known;
  return blockedBuffers[slot] = new Float32Array(Math.max(floats, MIN_FLOATS));
}

const entries = new Map<string, Entry | null>();

/**
 * Arrays shorter than this go to the sgemm path: V8 may keep small typed arrays inside its heap,
 * where the garbage collector can move them, and tiny convolutions gain nothing from oneDNN.
 */
const MIN_FLOATS = 64;

function dims(values: number[]): BigInt64Array {
  return BigInt64Array.from(values.map((v) => BigInt(v)));
}

function memoryDesc(dnnl: Dnnl, shape: number[], tag: number): Uint8Array {
  const md = new Uint8Array(DNNL_SIZES.memoryDesc);
  check(
    dnnl.api.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), DNNL.f32, tag),
    "dnnl_memory_desc_init_by_tag",
  );
  return md;
}

function ptrOf(bytes: Uint8Array): Ptr {
  return Deno.UnsafePointer.of(bytes as Uint8Array<ArrayBuffer>);
}

function createMemory(dnnl: Dnnl, md: Ptr): Ptr {
  const out = new BigUint64Array(1);
  check(dnnl.api.dnnl_memory_create(out, md, dnnl.engine, null), "dnnl_memory_create");
  return readPointer(out);
}

function execArgs(pairs: [number, Ptr][]): Uint8Array {
  const bytes = new Uint8Array(DNNL_SIZES.execArg * pairs.length);
  const view = new DataView(bytes.buffer);
  pairs.forEach(([arg, mem], i) => {
    view.setInt32(i * DNNL_SIZES.execArg, arg, true);
    view.setBigUint64(i * DNNL_SIZES.execArg + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return bytes;
}

function createPrimitive(dnnl: Dnnl, pd: Ptr): Ptr {
  const out = new BigUint64Array(1);
  check(dnnl.api.dnnl_primitive_create(out, pd), "dnnl_primitive_create");
  return readPointer(out);
}

function implName(dnnl: Dnnl, pd: Ptr): string {
  const out = new BigUint64Array(1);
  check(
    dnnl.api.dnnl_primitive_desc_query(pd, DNNL.queryImplInfoStr, 0, out),
    "dnnl_primitive_desc_query",
  );
  const p = readPointer(out);
  return p ? new Deno.UnsafePointerView(p).getCString() : "?";
}

function makeReorder(dnnl: Dnnl, from: Ptr, to: Ptr): Reorder {
  const out = new BigUint64Array(1);
  check(
    dnnl.api.dnnl_reorder_primitive_desc_create(out, from, dnnl.engine, to, dnnl.engine, null),
    "dnnl_reorder_primitive_desc_create",
  );
  const pd = readPointer(out);
  const prim = createPrimitive(dnnl, pd);
  dnnl.api.dnnl_primitive_desc_destroy(pd);
  const fromMem = createMemory(dnnl, from), toMem = createMemory(dnnl, to);
  return {
    prim,
    from: fromMem,
    to: toMem,
    args: execArgs([[DNNL.argFrom, fromMem], [DNNL.argTo, toMem]]),
  };
}

function runReorder(dnnl: Dnnl, r: Reorder, from: Float32Array, to: Float32Array): void {
  check(dnnl.api.dnnl_memory_set_data_handle(r.from, from), "dnnl_memory_set_data_handle");
  check(dnnl.api.dnnl_memory_set_data_handle(r.to, to), "dnnl_memory_set_data_handle");
  check(dnnl.api.dnnl_primitive_execute(r.prim, dnnl.stream, 2, r.args), "reorder execute");
  dnnl.api.dnnl_stream_wait(dnnl.stream);
  dnnlStats.reorders++;
}

/**
 * A primitive's kind: a convolution forward, the same with the bias added and ReLU applied by
 * oneDNN's post-ops as the result is stored ("fwd_bias_relu"), or one of the two gradients.
 */
type Kind = "fwd" | "fwd_bias_relu" | "bwd_data" | "bwd_weights";

function keyOf(
  kind: Kind,
  g: DnnlGeometry,
  outChannels: number,
  layout: ActivationLayout,
): string {
  return [
    kind,
    layout,
    g.batch,
    g.inH,
    g.inW,
    g.channels,
    g.outH,
    g.outW,
    g.fh,
    g.fw,
    g.strideH,
    g.strideW,
    g.dilH,
    g.dilW,
    g.padTop,
    g.padLeft,
    g.padBottom,
    g.padRight,
    outChannels,
  ].join(",");
}

/** The descriptors shared by the three kinds: src, weights (any), dst and the geometry. */
interface Descs {
  src: Uint8Array;
  weights: Uint8Array;
  weightsPlain: Uint8Array;
  /** src as NHWC (tfjs's layout). */
  srcPlain: Uint8Array;
  dst: Uint8Array;
  /** dst as NHWC. */
  dstPlain: Uint8Array;
  strides: BigInt64Array;
  dilates: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

function descs(
  dnnl: Dnnl,
  g: DnnlGeometry,
  outChannels: number,
  layout: ActivationLayout,
): Descs {
  const wShape = [outChannels, g.channels, g.fh, g.fw];
  const tag = layout === "nhwc" ? DNNL.tagNhwc : DNNL.tagAny;
  return {
    src: memoryDesc(dnnl, [g.batch, g.channels, g.inH, g.inW], tag),
    weights: memoryDesc(dnnl, wShape, DNNL.tagAny),
    weightsPlain: memoryDesc(dnnl, wShape, DNNL.tagHwio),
    srcPlain: memoryDesc(dnnl, [g.batch, g.channels, g.inH, g.inW], DNNL.tagNhwc),
    dst: memoryDesc(dnnl, [g.batch, outChannels, g.outH, g.outW], tag),
    dstPlain: memoryDesc(dnnl, [g.batch, outChannels, g.outH, g.outW], DNNL.tagNhwc),
    strides: dims([g.strideH, g.strideW]),
    dilates: dims([g.dilH - 1, g.dilW - 1]),
    padL: dims([g.padTop, g.padLeft]),
    padR: dims([g.padBottom, g.padRight]),
  };
}

function createPd(dnnl: Dnnl, opDesc: Uint8Array, hint: Ptr, attr: Ptr = null): Ptr {
  const out = new BigUint64Array(1);
  check(
    dnnl.api.dnnl_primitive_desc_create(out, opDesc, attr, dnnl.engine, hint),
    "dnnl_primitive_desc_create",
  );
  return readPointer(out);
}

/**
 * Attributes with two post-ops, applied to each output value as it is stored: + bias[c] (a
 * binary add of the [1, C, 1, 1] bias), then ReLU. The caller destroys them.
 */
function biasReluAttr(dnnl: Dnnl, outChannels: number): Ptr {
  const api = dnnl.api;
  const out = new BigUint64Array(1);
  check(api.dnnl_post_ops_create(out), "dnnl_post_ops_create");
  const postOps = readPointer(out);
  try {
    const biasMd = memoryDesc(dnnl, [1, outChannels, 1, 1], DNNL.tagAbcd);
    check(
      api.dnnl_post_ops_append_binary(postOps, DNNL.binaryAdd, biasMd),
      "dnnl_post_ops_append_binary",
    );
    check(
      api.dnnl_post_ops_append_eltwise(postOps, 1, DNNL.eltwiseRelu, 0, 0),
      "dnnl_post_ops_append_eltwise",
    );
    check(api.dnnl_primitive_attr_create(out), "dnnl_primitive_attr_create");
    const attr = readPointer(out);
    check(api.dnnl_primitive_attr_set_post_ops(attr, postOps), "dnnl_primitive_attr_set_post_ops");
    return attr;
  } finally {
    api.dnnl_post_ops_destroy(postOps); // the attributes keep their own copy
  }
}

function forwardPd(dnnl: Dnnl, d: Descs, attr: Ptr = null): Ptr {
  const cd = new Uint8Array(DNNL_SIZES.convolutionDesc);
  check(
    dnnl.api.dnnl_dilated_convolution_forward_desc_init(
      cd,
      DNNL.forwardTraining,
      DNNL.convolutionDirect,
      d.src,
      d.weights,
      null,
      d.dst,
      d.strides,
      d.dilates,
      d.padL,
      d.padR,
    ),
    "dnnl_dilated_convolution_forward_desc_init",
  );
  return createPd(dnnl, cd, null, attr);
}

/** Build the primitive of `kind`, or throw if oneDNN refuses it (or offers only a slow one). */
function build(
  dnnl: Dnnl,
  kind: Kind,
  g: DnnlGeometry,
  outChannels: number,
  layout: ActivationLayout,
): Entry {
  const d = descs(dnnl, g, outChannels, layout);
  const api = dnnl.api;
  const attr = kind === "fwd_bias_relu" ? biasReluAttr(dnnl, outChannels) : null;
  let fwd: Ptr;
  try {
    fwd = forwardPd(dnnl, d, attr);
  } finally {
    if (attr) api.dnnl_primitive_attr_destroy(attr);
  }
  let pd: Ptr = fwd;
  const forward = kind === "fwd" || kind === "fwd_bias_relu";
  try {
    if (!forward) {
      const cd = new Uint8Array(DNNL_SIZES.convolutionDesc);
      if (kind === "bwd_data") {
        check(
          api.dnnl_dilated_convolution_backward_data_desc_init(
            cd,
            DNNL.convolutionDirect,
            d.src,
            d.weights,
            d.dst,
            d.strides,
            d.dilates,
            d.padL,
            d.padR,
          ),
          "dnnl_dilated_convolution_backward_data_desc_init",
        );
      } else {
        check(
          api.dnnl_dilated_convolution_backward_weights_desc_init(
            cd,
            DNNL.convolutionDirect,
            d.src,
            d.weights,
            null,
            d.dst,
            d.strides,
            d.dilates,
            d.padL,
            d.padR,
          ),
          "dnnl_dilated_convolution_backward_weights_desc_init",
        );
      }
      pd = createPd(dnnl, cd, fwd);
    }
  } finally {
    if (pd !== fwd) api.dnnl_primitive_desc_destroy(fwd);
  }
  const impl = implName(dnnl, pd);
  if (impl.startsWith("ref")) {
    api.dnnl_primitive_desc_destroy(pd);
    throw new Error(`only the reference implementation (${impl})`);
  }
  if (kind === "fwd_bias_relu") {
    // The post-ops must not change which kernel runs (another kernel may sum in another order).
    const plainPd = forwardPd(dnnl, d);
    const plainImpl = implName(dnnl, plainPd);
    api.dnnl_primitive_desc_destroy(plainPd);
    if (plainImpl !== impl) {
      api.dnnl_primitive_desc_destroy(pd);
      throw new Error(`post-ops change the kernel (${plainImpl} → ${impl})`);
    }
  }
  dnnlStats.impls.add(`${kind}:${impl}`);
  const q = (what: number): Ptr => api.dnnl_primitive_desc_query_md(pd, what, 0);
  const [inQ, wQ, outQ, argIn, argW, argOut] = forward
    ? [
      DNNL.querySrcMd,
      DNNL.queryWeightsMd,
      DNNL.queryDstMd,
      DNNL.argSrc,
      DNNL.argWeights,
      DNNL.argDst,
    ]
    : kind === "bwd_data"
    ? [
      DNNL.queryDiffDstMd,
      DNNL.queryWeightsMd,
      DNNL.queryDiffSrcMd,
      DNNL.argDiffDst,
      DNNL.argWeights,
      DNNL.argDiffSrc,
    ]
    : [
      DNNL.querySrcMd,
      DNNL.queryDiffDstMd,
      DNNL.queryDiffWeightsMd,
      DNNL.argSrc,
      DNNL.argDiffDst,
      DNNL.argDiffWeights,
    ];
  // For backward weights the "weights" slot holds dy and the output is dW.
  const weightsMd = kind === "bwd_weights" ? q(outQ) : q(wQ);
  const mems = [createMemory(dnnl, q(inQ)), createMemory(dnnl, q(wQ)), createMemory(dnnl, q(outQ))];
  const args: [number, Ptr][] = [[argIn, mems[0]], [argW, mems[1]], [argOut, mems[2]]];
  if (kind === "fwd_bias_relu") {
    mems.push(createMemory(dnnl, ptrOf(memoryDesc(dnnl, [1, outChannels, 1, 1], DNNL.tagAbcd))));
    args.push([DNNL.argPostOp0Src1, mems[3]]);
  }
  const prim = createPrimitive(dnnl, pd);
  const plain = ptrOf(d.weightsPlain);
  const same = api.dnnl_memory_desc_equal(weightsMd, plain) === 1;
  const weightFloats = Number(api.dnnl_memory_desc_get_size(weightsMd)) / 4;
  // NHWC descriptions of the activation slots (bwd_weights: x and dy in, dW out).
  const src = ptrOf(d.srcPlain), dst = ptrOf(d.dstPlain);
  const plainOf: (Ptr | undefined)[] = forward
    ? [src, undefined, dst]
    : kind === "bwd_data"
    ? [dst, undefined, src]
    : [src, dst, undefined];
  const activations = plainOf.map((nhwc, slot): ActivationReorder | undefined => {
    const md = q(slot === 0 ? inQ : slot === 1 ? wQ : outQ);
    if (!nhwc || api.dnnl_memory_desc_equal(md, nhwc) === 1) return undefined;
    return {
      reorder: slot === 2 ? makeReorder(dnnl, md, nhwc) : makeReorder(dnnl, nhwc, md),
      floats: Number(api.dnnl_memory_desc_get_size(md)) / 4,
    };
  });
  const srcDims = [g.batch, g.channels, g.inH, g.inW];
  const dstDims = [g.batch, outChannels, g.outH, g.outW];
  const entry: Entry = {
    key: keyOf(kind, g, outChannels, layout),
    pd,
    prim,
    mems,
    args: execArgs(args),
    weightFloats,
    activations,
    slotMds: kind === "bwd_weights" ? [] : [q(inQ), undefined, q(outQ)],
    slotDims: forward
      ? [srcDims, undefined, dstDims]
      : kind === "bwd_data"
      ? [dstDims, undefined, srcDims]
      : [],
    chained: new Map(),
  };
  if (!same) {
    entry.reorder = kind === "bwd_weights"
      ? makeReorder(dnnl, weightsMd, plain)
      : makeReorder(dnnl, plain, weightsMd);
    if (kind === "bwd_weights") {
      entry.scratch = new Float32Array(Math.max(weightFloats, MIN_FLOATS));
    }
  }
  return entry;
}

function entryOf(
  dnnl: Dnnl,
  kind: Kind,
  g: DnnlGeometry,
  outChannels: number,
  layout: ActivationLayout = activationLayout(dnnl.isa),
): Entry | null {
  const key = keyOf(kind, g, outChannels, layout);
  let entry = entries.get(key);
  if (entry === undefined) {
    try {
      entry = build(dnnl, kind, g, outChannels, layout);
    } catch {
      entry = null; // oneDNN cannot take this case: the sgemm path will
    }
    entries.set(key, entry);
  }
  if (!entry) dnnlStats.refused++;
  return entry;
}

/**
 * Filters in oneDNN's layout, kept per filter tensor and primitive while the tensor lives (a
 * network's weights are used for many steps; a new tensor, e.g. after `assign`, has a new id).
 */
const reordered = new Map<DataId, Map<string, Float32Array>>();
let reorderedBytes = 0;
const REORDERED_MAX_BYTES = 256 * 1024 * 1024;

function weightsFor(
  dnnl: Dnnl,
  entry: Entry,
  w: Float32Array,
  filterId: DataId | undefined,
  alive: (id: DataId) => boolean,
  variant: string,
): Float32Array {
  const reorder = entry.reorder;
  if (!reorder) return w;
  const key = `${entry.key}|${variant}`;
  const known = filterId === undefined ? undefined : reordered.get(filterId)?.get(key);
  if (known) return known;
  const out = new Float32Array(Math.max(entry.weightFloats, MIN_FLOATS));
  runReorder(dnnl, reorder, w, out);
  if (filterId === undefined || out.byteLength > REORDERED_MAX_BYTES) return out;
  // Forget filters that have been disposed (and all, past the size bound).
  for (const [id, byEntry] of reordered) {
    if (!alive(id) || reorderedBytes + out.byteLength > REORDERED_MAX_BYTES) {
      for (const values of byEntry.values()) reorderedBytes -= values.byteLength;
      reordered.delete(id);
    }
  }
  let byEntry = reordered.get(filterId);
  if (!byEntry) reordered.set(filterId, byEntry = new Map());
  byEntry.set(key, out);
  reorderedBytes += out.byteLength;
  return out;
}

/**
 * Run a primitive on (a, b) into c, all in tfjs's layouts; activations the primitive wants in
 * another layout are reordered into shared buffers first (and its output back into c). `bias`
 * is the post-ops' bias of a "fwd_bias_relu" primitive.
 */
function run(
  dnnl: Dnnl,
  entry: Entry,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  reorders: (ActivationReorder | undefined)[] = entry.activations,
  bias?: Float32Array,
): void {
  const api = dnnl.api;
  const handles = [a, b, c];
  reorders.forEach((act, slot) => {
    if (!act) return;
    const blocked = blockedBuffer(slot, act.floats);
    if (slot < 2) runReorder(dnnl, act.reorder, handles[slot], blocked);
    handles[slot] = blocked;
  });
  for (let slot = 0; slot < 3; slot++) {
    check(
      api.dnnl_memory_set_data_handle(entry.mems[slot], handles[slot]),
      "dnnl_memory_set_data_handle",
    );
  }
  if (entry.mems.length > 3) {
    if (!bias) throw new Error("a convolution with post-ops was run without its bias");
    // A copy off V8's heap: a small typed array may live where the garbage collector moves it.
    if (biasScratch.length < bias.length) biasScratch = new Float32Array(bias.length);
    biasScratch.set(bias);
    check(
      api.dnnl_memory_set_data_handle(entry.mems[3], biasScratch),
      "dnnl_memory_set_data_handle",
    );
  }
  check(
    api.dnnl_primitive_execute(entry.prim, dnnl.stream, entry.mems.length, entry.args),
    "convolution execute",
  );
  api.dnnl_stream_wait(dnnl.stream);
  dnnlStats.calls++;
  if (bias) dnnlStats.fusedCalls++;
  const out = reorders[2];
  if (out) runReorder(dnnl, out.reorder, handles[2], c);
}

/** The bias of the post-ops, copied (see {@linkcode run}); calls are serial. */
let biasScratch = new Float32Array(MIN_FLOATS * 16);

function large(...arrays: Float32Array[]): boolean {
  return arrays.every((a) => a.length >= MIN_FLOATS);
}

/**
 * y = conv(x, w) into `out` (NHWC, `outChannels` channels). `filterId` identifies the filter
 * tensor for the reordered-filter cache; `alive` tells whether a cached filter still exists;
 * `variant` names what `w` is made of that tensor (e.g. "flipped"), so that caches stay apart.
 * Returns `undefined` (nothing taken or written) when oneDNN does not take the case.
 */
export function dnnlConvForward(
  dnnl: Dnnl,
  x: Float32Array,
  w: Float32Array,
  g: DnnlGeometry,
  outChannels: number,
  take: (n: number) => Float32Array,
  filterId: DataId | undefined,
  alive: (id: DataId) => boolean,
  variant = "",
): Float32Array | undefined {
  const n = g.batch * g.outH * g.outW * outChannels;
  if (!large(x, w) || n < MIN_FLOATS) return undefined;
  const entry = entryOf(dnnl, "fwd", g, outChannels);
  if (!entry) return undefined;
  const out = take(n);
  run(dnnl, entry, x, weightsFor(dnnl, entry, w, filterId, alive, variant), out);
  return out;
}

/** dx of a convolution into `out` (NHWC input shape); see {@linkcode dnnlConvForward}. */
export function dnnlConvBackpropInput(
  dnnl: Dnnl,
  dy: Float32Array,
  w: Float32Array,
  g: DnnlGeometry,
  outChannels: number,
  take: (n: number) => Float32Array,
  filterId: DataId | undefined,
  alive: (id: DataId) => boolean,
): Float32Array | undefined {
  const n = g.batch * g.inH * g.inW * g.channels;
  if (!large(dy, w) || n < MIN_FLOATS) return undefined;
  const entry = entryOf(dnnl, "bwd_data", g, outChannels);
  if (!entry) return undefined;
  const out = take(n);
  run(dnnl, entry, dy, weightsFor(dnnl, entry, w, filterId, alive, ""), out);
  return out;
}

/** dW of a convolution into `out` (tfjs filter layout [fh, fw, in, out]). */
export function dnnlConvBackpropFilter(
  dnnl: Dnnl,
  x: Float32Array,
  dy: Float32Array,
  g: DnnlGeometry,
  outChannels: number,
  take: (n: number) => Float32Array,
): Float32Array | undefined {
  const n = g.fh * g.fw * g.channels * outChannels;
  if (!large(x, dy) || n < MIN_FLOATS) return undefined;
  const entry = entryOf(dnnl, "bwd_weights", g, outChannels);
  if (!entry) return undefined;
  const out = take(n);
  if (!entry.scratch || !entry.reorder) {
    run(dnnl, entry, x, dy, out);
    return out;
  }
  run(dnnl, entry, x, dy, entry.scratch);
  runReorder(dnnl, entry.reorder, entry.scratch, out);
  return out;
}

/**
 * Descriptions whose pointers were handed to oneDNN, kept referenced so that the garbage
 * collector cannot free them while a call reads them (one per cached reorder: a few hundred).
 */
const keptDescs: Uint8Array[] = [];

function kept(desc: Uint8Array): Uint8Array {
  keptDescs.push(desc);
  return desc;
}

/** The description of an N×C×H×W activation (`dims`) on one side of a chained call. */
function sideMd(dnnl: Dnnl, dims: number[], side: ChainSide, block: number): Uint8Array {
  if (side === "nhwc") return memoryDesc(dnnl, dims, DNNL.tagNhwc);
  if (block === 8) return memoryDesc(dnnl, dims, DNNL.tagNChw8c);
  if (block === 16) return memoryDesc(dnnl, dims, DNNL.tagNChw16c);
  throw new Error(`no oneDNN format for a channel block of ${block}`);
}

/**
 * The reorders of a chained call of `entry` whose input and output are on `sides`: none where
 * the primitive takes that side's layout as it is (blocked activations, as a rule).
 */
function chainReorders(
  dnnl: Dnnl,
  entry: Entry,
  sides: readonly [ChainSide, ChainSide],
  block: number,
): (ActivationReorder | undefined)[] {
  const key = `${sides.join(",")},${block}`;
  const known = entry.chained.get(key);
  if (known) return known;
  const api = dnnl.api;
  const reorders = [0, 1, 2].map((slot): ActivationReorder | undefined => {
    const md = entry.slotMds[slot], dims = entry.slotDims[slot];
    if (!md || !dims) return undefined;
    const given = ptrOf(kept(sideMd(dnnl, dims, sides[slot === 0 ? 0 : 1], block)));
    if (api.dnnl_memory_desc_equal(md, given) === 1) return undefined;
    const reorder = slot === 2 ? makeReorder(dnnl, md, given) : makeReorder(dnnl, given, md);
    return { reorder, floats: Number(api.dnnl_memory_desc_get_size(md)) / 4 };
  });
  entry.chained.set(key, reorders);
  return reorders;
}

/**
 * A chained convolution: y = conv(x, w) into a new blocked array (N×⌈Cout/b⌉×outH×outW×b),
 * x given NHWC (a network's input) or blocked, by the blocked primitive of "blocked" single
 * calls (the same numbers). With `bias` (Cout values, Cout a multiple of the block), y =
 * ReLU(conv(x, w) + bias) by oneDNN's post-ops as each value is stored: bit for bit the sum
 * rounded to float32 and then ReLU, as the separate loop computes them, except that ReLU turns
 * NaN into 0 (the caller sends only inputs without NaN). Returns `undefined` when oneDNN does
 * not take the case; see {@linkcode dnnlConvForward} for `filterId` and `alive`.
 */
export function dnnlChainedConvForward(
  dnnl: Dnnl,
  x: Float32Array,
  inSide: ChainSide,
  w: Float32Array,
  g: DnnlGeometry,
  outChannels: number,
  block: number,
  take: (n: number) => Float32Array,
  filterId: DataId | undefined,
  alive: (id: DataId) => boolean,
  bias?: Float32Array,
): Float32Array | undefined {
  if (block !== 8 && block !== 16) return undefined; // no oneDNN format for it
  const n = blockedFloats(g.batch, outChannels, g.outH, g.outW, block);
  if (!large(x, w) || n < MIN_FLOATS) return undefined;
  if (bias && (bias.length !== outChannels || outChannels % block !== 0)) return undefined;
  const entry = entryOf(dnnl, bias ? "fwd_bias_relu" : "fwd", g, outChannels, "blocked");
  if (!entry) return undefined;
  const reorders = chainReorders(dnnl, entry, [inSide, "blocked"], block);
  const out = take(n);
  run(dnnl, entry, x, weightsFor(dnnl, entry, w, filterId, alive, ""), out, reorders, bias);
  return out;
}

/**
 * dx of a chained convolution from a blocked dy, into a new array on `outSide` (blocked, or NHWC
 * for a network's input). See {@linkcode dnnlChainedConvForward}.
 */
export function dnnlChainedConvBackpropInput(
  dnnl: Dnnl,
  dy: Float32Array,
  w: Float32Array,
  g: DnnlGeometry,
  outChannels: number,
  outSide: ChainSide,
  block: number,
  take: (n: number) => Float32Array,
  filterId: DataId | undefined,
  alive: (id: DataId) => boolean,
): Float32Array | undefined {
  if (block !== 8 && block !== 16) return undefined; // no oneDNN format for it
  const n = outSide === "nhwc"
    ? g.batch * g.inH * g.inW * g.channels
    : blockedFloats(g.batch, g.channels, g.inH, g.inW, block);
  if (!large(dy, w) || n < MIN_FLOATS) return undefined;
  const entry = entryOf(dnnl, "bwd_data", g, outChannels, "blocked");
  if (!entry) return undefined;
  const reorders = chainReorders(dnnl, entry, ["blocked", outSide], block);
  const out = take(n);
  run(dnnl, entry, dy, weightsFor(dnnl, entry, w, filterId, alive, ""), out, reorders);
  return out;
}

/** ReLU-gradient primitives by length, with their memory objects (y, dy, dx). */
const reluGradients = new Map<number, { prim: Ptr; mems: Ptr[]; args: Uint8Array } | null>();

function buildReluGradient(dnnl: Dnnl, n: number) {
  const api = dnnl.api;
  const md = memoryDesc(dnnl, [n], DNNL.tagA);
  const fd = new Uint8Array(DNNL_SIZES.eltwiseDesc);
  check(
    api.dnnl_eltwise_forward_desc_init(fd, DNNL.forwardTraining, DNNL.eltwiseReluUseDst, md, 0, 0),
    "dnnl_eltwise_forward_desc_init",
  );
  const hint = createPd(dnnl, fd, null);
  const bd = new Uint8Array(DNNL_SIZES.eltwiseDesc);
  let pd: Ptr;
  try {
    check(
      api.dnnl_eltwise_backward_desc_init(bd, DNNL.eltwiseReluUseDst, md, md, 0, 0),
      "dnnl_eltwise_backward_desc_init",
    );
    pd = createPd(dnnl, bd, hint);
  } finally {
    api.dnnl_primitive_desc_destroy(hint);
  }
  const impl = implName(dnnl, pd);
  if (impl.startsWith("ref")) {
    api.dnnl_primitive_desc_destroy(pd);
    throw new Error(`only the reference implementation (${impl})`);
  }
  dnnlStats.impls.add(`relu_bwd:${impl}`);
  const mems = [0, 1, 2].map(() => createMemory(dnnl, ptrOf(md)));
  const prim = createPrimitive(dnnl, pd);
  api.dnnl_primitive_desc_destroy(pd);
  const args = execArgs([[DNNL.argDst, mems[0]], [DNNL.argDiffDst, mems[1]], [
    DNNL.argDiffSrc,
    mems[2],
  ]]);
  return { prim, mems, args };
}

/**
 * out = dy ⊙ [y > 0] elementwise by oneDNN's ReLU gradient (on all threads), where y holds no
 * NaN: bit for bit `reluBackpropInto`'s loop then (both give dy·0, a signed zero or NaN, where
 * y ≤ 0); where y is NaN the loop gives NaN and oneDNN dy·0, so the caller sends only outputs
 * of the post-op ReLU. Returns false (nothing written) when oneDNN does not take the case.
 */
export function dnnlReluBackprop(
  dnnl: Dnnl,
  dy: Float32Array,
  y: Float32Array,
  out: Float32Array,
): boolean {
  const n = dy.length;
  if (n < MIN_FLOATS || y.length !== n || out.length !== n) return false;
  let entry = reluGradients.get(n);
  if (entry === undefined) {
    try {
      entry = buildReluGradient(dnnl, n);
    } catch {
      entry = null;
    }
    reluGradients.set(n, entry);
  }
  if (!entry) return false;
  const api = dnnl.api;
  [y, dy, out].forEach((values, slot) =>
    check(api.dnnl_memory_set_data_handle(entry.mems[slot], values), "dnnl_memory_set_data_handle")
  );
  check(api.dnnl_primitive_execute(entry.prim, dnnl.stream, 3, entry.args), "eltwise execute");
  api.dnnl_stream_wait(dnnl.stream);
  dnnlStats.reluGradients++;
  return true;
}

const activationReorders = new Map<string, Reorder | null>();

/**
 * An N×C×H×W activation (`dims`) reordered from one side to the other (NHWC ↔ blocked, padding
 * channels set to zero) into a new array, or `undefined` when oneDNN does not take it.
 */
export function dnnlReorderActivation(
  dnnl: Dnnl,
  x: Float32Array,
  dims: readonly [number, number, number, number],
  from: ChainSide,
  to: ChainSide,
  block: number,
  take: (n: number) => Float32Array,
): Float32Array | undefined {
  const [batch, channels, height, width] = dims;
  const n = to === "nhwc"
    ? batch * channels * height * width
    : blockedFloats(batch, channels, height, width, block);
  if (x.length < MIN_FLOATS || n < MIN_FLOATS) return undefined;
  const key = [...dims, from, to, block].join(",");
  let reorder = activationReorders.get(key);
  if (reorder === undefined) {
    try {
      const fromDesc = kept(sideMd(dnnl, [...dims], from, block));
      const toDesc = kept(sideMd(dnnl, [...dims], to, block));
      reorder = makeReorder(dnnl, ptrOf(fromDesc), ptrOf(toDesc));
    } catch {
      reorder = null;
    }
    activationReorders.set(key, reorder);
  }
  if (!reorder) return undefined;
  const out = take(n);
  runReorder(dnnl, reorder, x, out);
  return out;
}
