/**
 * `deno task check-fast-exp`: compare `expInto` and `logisticInto` (lib/runtime/backends/blas/
 * fast_exp.ts) with the formulas they replace — `Math.exp(x)` and `1 / (1 + Math.exp(−x))`,
 * rounded to float32 — on every one of the 2³² float32 bit patterns, in one worker per core.
 * Prints the count of differing results (NaN matches NaN) and exits 1 if any differ.
 *
 * Takes about 8 minutes on two cores; the test suite checks chosen ranges and a sample instead
 * (tests/fast_exp_test.ts).
 *
 * @module
 */
import { expInto, logisticInto } from "../lib/runtime/backends/blas/fast_exp.ts";

/** Bit patterns per block (2²⁴ = 16 Mi values, 64 MiB per array). */
const BLOCK = 1 << 24;
const BLOCKS = 2 ** 32 / BLOCK;

/** What one block's comparison found. */
interface BlockResult {
  block: number;
  exp: number;
  logistic: number;
  firstDifference?: string;
}

const differs = (a: number, b: number) => a !== b && !(a !== a && b !== b);

/** Compare both functions with their formulas on the bit patterns of `block`. */
function checkBlock(
  block: number,
  bits: Uint32Array,
  x: Float32Array,
  fast: Float32Array,
  reference: Float32Array,
): BlockResult {
  const start = block * BLOCK;
  for (let i = 0; i < BLOCK; i++) bits[i] = start + i;
  const result: BlockResult = { block, exp: 0, logistic: 0 };
  const note = (what: string, i: number) => {
    result.firstDifference ??= `${what}(${x[i]}) [bits 0x${bits[i].toString(16)}]: ` +
      `${fast[i]} instead of ${reference[i]}`;
  };
  expInto(x, fast);
  for (let i = 0; i < BLOCK; i++) reference[i] = Math.exp(x[i]);
  for (let i = 0; i < BLOCK; i++) {
    if (differs(fast[i], reference[i])) {
      result.exp++;
      note("exp", i);
    }
  }
  logisticInto(x, fast);
  for (let i = 0; i < BLOCK; i++) reference[i] = 1 / (1 + Math.exp(-x[i]));
  for (let i = 0; i < BLOCK; i++) {
    if (differs(fast[i], reference[i])) {
      result.logistic++;
      note("logistic", i);
    }
  }
  return result;
}

/** A worker: checks the blocks it is sent, one reply each. */
function serve(): void {
  const bits = new Uint32Array(BLOCK);
  const x = new Float32Array(bits.buffer);
  const fast = new Float32Array(BLOCK), reference = new Float32Array(BLOCK);
  const scope = self as unknown as {
    onmessage: (event: MessageEvent<number>) => void;
    postMessage: (result: BlockResult) => void;
  };
  scope.onmessage = (event) => {
    scope.postMessage(checkBlock(event.data, bits, x, fast, reference));
  };
}

async function main(): Promise<number> {
  const workers = Math.max(1, navigator.hardwareConcurrency);
  const started = performance.now();
  let next = 0, finished = 0, expDiffs = 0, logisticDiffs = 0;
  const firsts: string[] = [];
  await Promise.all(Array.from({ length: workers }, () =>
    new Promise<void>((done) => {
      const worker = new Worker(import.meta.url, { type: "module", name: "check-fast-exp" });
      const send = () => {
        if (next < BLOCKS) worker.postMessage(next++);
        else {
          worker.terminate();
          done();
        }
      };
      worker.onmessage = (event: MessageEvent<BlockResult>) => {
        const r = event.data;
        expDiffs += r.exp;
        logisticDiffs += r.logistic;
        if (r.firstDifference) firsts.push(r.firstDifference);
        finished++;
        if (finished % 16 === 0) {
          console.log(
            `${finished}/${BLOCKS} blocks, ${((performance.now() - started) / 1000).toFixed(0)} s`,
          );
        }
        send();
      };
      send();
    })));
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `all 2^32 float32 inputs in ${seconds} s (${workers} workers): ${expDiffs} differences in exp, ` +
      `${logisticDiffs} in the logistic`,
  );
  for (const line of firsts.slice(0, 5)) console.log(`  ${line}`);
  return expDiffs + logisticDiffs === 0 ? 0 : 1;
}

if (self.name === "check-fast-exp") serve();
else if (import.meta.main) Deno.exit(await main());
