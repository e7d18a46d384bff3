/**
 * Bootstrap for one pthread of the threaded wasm backend, run as a `node:worker_threads` worker
 * (which, unlike a web worker, can be unref'd so that scripts still exit on their own).
 *
 * Emscripten's pthread script is a classic worker script: it calls `importScripts()` and, when it
 * sees `process`, takes a Node path that Deno's workers cannot follow. This bootstrap hides
 * `process`, receives the script's text from the main thread, evaluates it, and supplies a
 * synchronous `importScripts()` over script texts read before they are needed (the main module
 * arrives as a Blob in the "load" message and is read before that message is handed on).
 *
 * @module
 */
import { parentPort } from "node:worker_threads";

type Handler = ((event: MessageEvent) => void) | null;
interface PthreadGlobals {
  self?: unknown;
  postMessage: (message: unknown, transfer?: Transferable[]) => void;
  process?: unknown;
  importScripts?: (...urls: string[]) => void;
  onmessage: Handler;
}

const scope = globalThis as unknown as PthreadGlobals;
const texts = new Map<string, string>();
const blobTexts = new WeakMap<Blob, string>();
const evaluate = eval; // indirect: scripts run in the global scope, like importScripts would

if (!parentPort) throw new Error("wasm_pthread_worker.ts must run as a worker_threads worker");
const port = parentPort;
// The glue's browser-worker path: `self`, a global postMessage and self.onmessage.
delete scope.process;
scope.self = globalThis;
scope.postMessage = (message: unknown, transfer?: Transferable[]) =>
  port.postMessage(message, transfer as never);
scope.importScripts = (...urls: string[]) => {
  for (const url of urls) {
    const text = texts.get(url);
    if (text === undefined) throw new Error(`importScripts: ${url} was not read in advance`);
    evaluate(`${text}\n//# sourceURL=${url}`);
  }
};

const createObjectURL = URL.createObjectURL.bind(URL);
URL.createObjectURL = (object: Blob): string => {
  const url = createObjectURL(object);
  if (object instanceof Blob && blobTexts.has(object)) texts.set(url, blobTexts.get(object)!);
  return url;
};

let glue: Handler = null;
let queue: Promise<void> = Promise.resolve();

async function readAhead(data: unknown): Promise<void> {
  const blob = (data as { urlOrBlob?: unknown } | null)?.urlOrBlob;
  if (blob instanceof Blob && !blobTexts.has(blob)) blobTexts.set(blob, await blob.text());
}

const receive = (event: MessageEvent) => {
  const data = event.data as { shimScript?: string; shimUrl?: string };
  if (glue === null && typeof data?.shimScript === "string") {
    texts.set(data.shimUrl ?? "pthread-main.js", data.shimScript);
    evaluate(`${data.shimScript}\n//# sourceURL=${data.shimUrl ?? "pthread-main.js"}`);
    glue = scope.onmessage;
    return;
  }
  // Keep the messages in order while a Blob is read ahead.
  queue = queue.then(async () => {
    await readAhead(event.data);
    glue?.(event);
  });
};

port.on("message", (data: unknown) => receive({ data } as MessageEvent));
