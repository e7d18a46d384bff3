/**
 * Numbers in prose, checked against the numbers the code recorded.
 *
 * A number a notebook's Markdown (or the README) quotes from a run is marked right after it with
 * an HTML comment, invisible when rendered: `98.19 %<!-- full: test_accuracy_pct -->` quotes the
 * full-mode result `test_accuracy_pct`, `≈ 9×<!-- quick: gradient_ratio -->` the quick-mode one.
 * The quoted number, at the precision it is written with, must equal the recorded value rounded
 * to that precision (`lib/runtime/results.ts` records; `data/full_mode_results.json` keeps the
 * full-mode values of the last `deno task reproduce --full`). A sentence that speaks of full mode
 * and states a measured-looking number (a decimal, a percentage, a ratio) without a marker is
 * reported too, so new quotes cannot bypass the check.
 *
 * @module
 */
import { RESULT_NAME } from "../lib/runtime/results.ts";
import { writeFileAtomic } from "../lib/runtime/files.ts";

/** Where the committed table of full-mode results lives, relative to the repository root. */
export const FULL_MODE_TABLE = "data/full_mode_results.json";

/** One notebook's entry of the full-mode table. */
export interface FullModeEntry {
  /** Day of the run, YYYY-MM-DD. */
  recorded: string;
  /** The commit the run was made from (with `+changes` when the work tree differed). */
  commit: string;
  /** The machine, e.g. "2 × AMD EPYC (family 26, model 2: Zen 5) (avx2 avx512f)". */
  machine: string;
  /** The notebook's run took this many seconds. */
  seconds: number;
  results: Record<string, number>;
}

/** The committed table: notebook stem → its last full-mode run's results. */
export type FullModeTable = Record<string, FullModeEntry>;

/** A number quoted in prose with a marker naming the result it quotes. */
export interface Quote {
  mode: "quick" | "full";
  /** The notebook named in the marker (`<!-- full: 04_backpropagation/test_accuracy_pct -->`, as
   * the README writes them); undefined in a notebook's own Markdown. */
  notebook?: string;
  name: string;
  /** The number as written, e.g. "1.4\times10^{-2}" or "60 000". */
  text: string;
  /** Its value (the mantissa times 10^exponent). */
  value: number;
  /** Decimals written in the mantissa: the precision the comparison uses. */
  decimals: number;
  exponent: number;
  /** 1-based line of the marker in the text it was found in. */
  line: number;
}

// A number: digits with optional thin-space or "\," thousands groups and decimals, optionally
// "\times10^{e}" (LaTeX) or "e-3"; then an optional unit and "$", then the marker.
const GROUP = "(?:[\\u2009\\u202f\\u00a0]|\\\\,)";
const NUMBER = `(-?\\d{1,3}(?:${GROUP}\\d{3})+|-?\\d+)(?:\\.(\\d+))?`;
const EXPONENT = `(?:\\s*\\\\times\\s*10\\^\\{?(-?\\d+)\\}?|e(-?\\d+))?`;
const UNIT = `(?:\\s*(?:%|×|[A-Za-z]{1,12}))?\\s*\\$?`;
const MARKER = `\\s*<!--\\s*(\\w+)\\s*:\\s*([^\\s>]*)\\s*-->`;
const QUOTE = new RegExp(`${NUMBER}${EXPONENT}${UNIT}${MARKER}`, "g");
const ANY_MARKER = /<!--\s*(\w+)\s*:\s*([^\s>]*)\s*-->/g;

/** `text` with code (fenced blocks and `inline` spans) blanked out, lines and offsets kept:
 * examples of markers in code are not quotes. */
export function withoutCode(text: string): string {
  const blank = (code: string) => code.replace(/[^\n]/g, " ");
  return text.replace(/```[\s\S]*?```/g, blank).replace(/`[^`\n]*`/g, blank);
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/**
 * Every marked quote in `text`, and a problem for each marker that follows no number or names an
 * unknown mode or a malformed result name.
 */
export function findQuotes(markdown: string): { quotes: Quote[]; problems: string[] } {
  const text = withoutCode(markdown);
  const quotes: Quote[] = [];
  const problems: string[] = [];
  const parsedMarkers = new Set<number>();
  for (const m of text.matchAll(QUOTE)) {
    const [, whole, decimals = "", latexExp, plainExp, mode, qualified] = m;
    const slash = qualified.indexOf("/");
    const notebook = slash < 0 ? undefined : qualified.slice(0, slash);
    const name = qualified.slice(slash + 1);
    const markerIndex = m.index! + m[0].lastIndexOf("<!--");
    parsedMarkers.add(markerIndex);
    const line = lineOf(text, markerIndex);
    if (mode !== "full" && mode !== "quick") {
      problems.push(`line ${line}: marker mode "${mode}" is neither full nor quick`);
      continue;
    }
    if (notebook !== undefined && !/^\d\d[a-z]?_\w+$/.test(notebook)) {
      problems.push(`line ${line}: "${notebook}" in a marker is not a notebook's file stem`);
      continue;
    }
    if (!RESULT_NAME.test(name)) {
      problems.push(`line ${line}: "${name}" is not a result name (lower-case words joined by _)`);
      continue;
    }
    const digits = whole.replace(new RegExp(GROUP, "g"), "");
    const exponent = Number(latexExp ?? plainExp ?? 0);
    const mantissa = decimals === "" ? digits : `${digits}.${decimals}`;
    quotes.push({
      mode,
      ...(notebook === undefined ? {} : { notebook }),
      name,
      text: m[0].slice(0, m[0].lastIndexOf("<!--")).trim(),
      value: Number(`${mantissa}e${exponent}`), // 1.4e-2 exactly, not 1.4 × 0.01
      decimals: decimals.length,
      exponent,
      line,
    });
  }
  for (const m of text.matchAll(ANY_MARKER)) {
    if (["full", "quick"].includes(m[1]) && !parsedMarkers.has(m.index!)) {
      problems.push(
        `line ${lineOf(text, m.index!)}: marker <!-- ${m[1]}: ${m[2]} --> follows no number`,
      );
    }
  }
  return { quotes, problems };
}

/**
 * Whether `recorded` rounds to the quote at the quote's precision: 98.19 quotes 98.1875,
 * "4\times10^{-4}" quotes 3.6e-4, "35" quotes 35.4.
 */
export function quoteMatches(quote: Quote, recorded: number): boolean {
  const scale = 10 ** quote.exponent;
  const written = quote.value / scale;
  const half = 0.5 * 10 ** -quote.decimals;
  return Math.abs(recorded / scale - written) <= half * (1 + 1e-9) + 1e-12;
}

/**
 * Problems of `text`'s quotes against `results` (the recorded values of one notebook in the
 * quote's mode; `undefined` when that run was never recorded). `where` names the text in messages.
 */
export function quoteProblems(
  where: string,
  quotes: Quote[],
  results: { quick?: Record<string, number>; full?: Record<string, number> },
): string[] {
  const problems: string[] = [];
  for (const quote of quotes) {
    const table = results[quote.mode];
    const at = `${where}, line ${quote.line}`;
    const name = quote.notebook === undefined ? quote.name : `${quote.notebook}/${quote.name}`;
    if (table === undefined) {
      problems.push(
        `${at}: quotes ${quote.mode}-mode result ${name}, but no ${quote.mode}-mode run ` +
          `was recorded` +
          (quote.mode === "full" ? ` (run \`deno task reproduce --full <notebook>\`)` : ""),
      );
    } else if (!(quote.name in table)) {
      problems.push(
        `${at}: quotes ${quote.mode}-mode result ${name}, which the run did ` +
          `not record (recorded: ${Object.keys(table).join(", ") || "none"})`,
      );
    } else if (!quoteMatches(quote, table[quote.name])) {
      problems.push(
        `${at}: says ${quote.text} for ${quote.mode}-mode ${name}, but the run recorded ` +
          `${table[quote.name]}`,
      );
    }
  }
  return problems;
}

/**
 * Sentences that speak of full mode and state a measured-looking number (with decimals, a `%`, a
 * `×` or a power of ten) that carries no marker: quotes that would escape the check. Numbers of a
 * set-up ("60 000 images, 20 epochs") are whole numbers and pass.
 */
export function unmarkedFullModeNumbers(text: string): string[] {
  const found: string[] = [];
  const withoutMarked = withoutCode(text).replace(QUOTE, " ");
  // Sentences: split at ". " / newline pairs, keeping it simple and conservative.
  const sentences = withoutMarked.split(
    /(?<=[.;!?])\s+(?=[A-Z*(])|\n\s*\n|\n\s*[-*] |\n(?=\s*\|)/,
  );
  for (const sentence of sentences) {
    if (!/full[ -]mode/i.test(sentence)) continue;
    // Settings ("η = 0.5"), sizes ("256×192") and timings ("55.5 min", machine-dependent and
    // dated where stated) are not results.
    const measured = sentence.match(
      /(?<!=\s*\$?\s*|§\s*)(?<![\d.])\d+\.\d+(?![\d.]|\s*(?:s|ms|min|h)\b)|\d+\s*%|\d+\s*×(?!\s*\d)|\\times\s*10\^/g,
    );
    if (measured !== null) {
      found.push(`${sentence.replace(/\s+/g, " ").trim().slice(0, 160)} [${measured.join(", ")}]`);
    }
  }
  return found;
}

/** Read the committed full-mode table (an empty one when the file does not exist yet). */
export async function readFullModeTable(path: string): Promise<FullModeTable> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  try {
    return JSON.parse(text) as FullModeTable;
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

let tableUpdates: Promise<unknown> = Promise.resolve();

/**
 * Put one notebook's full-mode run into the table at `path` (atomically; updates from kernels
 * that finish together are applied one after the other; a run that recorded nothing removes the
 * notebook's entry). Notebooks are kept in name order.
 */
export function recordFullModeRun(
  path: string,
  stem: string,
  entry: FullModeEntry,
): Promise<void> {
  const update = tableUpdates.then(async () => {
    const table = await readFullModeTable(path);
    // A notebook that records nothing has no entry (and loses a stale one).
    if (Object.keys(entry.results).length === 0) delete table[stem];
    else table[stem] = entry;
    const sorted = Object.fromEntries(
      Object.entries(table).sort(([a], [b]) => a.localeCompare(b)),
    );
    await writeFileAtomic(path, JSON.stringify(sorted, null, 2) + "\n");
  });
  tableUpdates = update.catch(() => {});
  return update;
}
