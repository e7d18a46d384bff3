/**
 * Downloading one file safely: the body is streamed to `<path>.part` while its sha256 is computed,
 * and only a file of the expected size and sha256 is renamed into place. Whatever goes wrong (no
 * connection, an HTTP error, a connection closed mid-body, a different file), the part file is
 * deleted and one error names the file, the address and the cause.
 *
 * @example
 * ```ts
 * await downloadFile({
 *   name: "gatys/tubingen.jpg",
 *   url: "https://raw.githubusercontent.com/…/tubingen.jpg",
 *   path: "/data/gatys/tubingen.jpg",
 *   bytes: 406531,
 *   sha256: "e67d1869…",
 * });
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";

/** One file to download. */
export interface DownloadRequest {
  /** What to call it in messages, e.g. its path in the data folder. */
  name: string;
  /** Where to get it. */
  url: string;
  /** Where to put it (its folder is created). */
  path: string;
  /** Expected size in bytes. */
  bytes: number;
  /** Expected sha256, lower-case hex. */
  sha256: string;
}

/**
 * Why a download failed: `network` (no connection: the host could not be reached), `http` (an
 * error status), `broken` (the connection broke mid-body) or `mismatch` (a different file).
 */
export class DownloadError extends Error {
  /** What went wrong. */
  readonly kind: "network" | "http" | "broken" | "mismatch";
  /** One line naming the file, the address and the cause. */
  constructor(kind: DownloadError["kind"], message: string) {
    super(message);
    this.name = "DownloadError";
    this.kind = kind;
  }
}

/** Options of {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** The fetch function (default `globalThis.fetch`). */
  fetcher?: typeof fetch;
  /** Called with the bytes received so far, as they arrive. */
  onBytes?: (received: number) => void;
}

/**
 * Download `request.url` to `request.path` through `<path>.part`, checking size and sha256.
 *
 * @throws DownloadError naming the file, the address and the cause; nothing is left at `path` or
 *   `<path>.part` then
 *
 * @example
 * ```ts
 * await downloadFile(request, { onBytes: (n) => bar.update(n) });
 * ```
 */
export async function downloadFile(
  request: DownloadRequest,
  options: DownloadOptions = {},
): Promise<void> {
  const { name, url, path } = request;
  const part = `${path}.part`;
  const fail = (kind: DownloadError["kind"], cause: string) =>
    new DownloadError(kind, `cannot fetch ${name} from ${url}: ${cause}`);
  let response: Response;
  try {
    response = await (options.fetcher ?? fetch)(url);
  } catch (error) {
    throw fail("network", networkCause(error));
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw fail("http", `HTTP ${response.status} ${response.statusText}`.trim());
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  const hash = createHash("sha256");
  let received = 0;
  const file = await Deno.open(part, { write: true, create: true, truncate: true });
  try {
    try {
      for await (const chunk of response.body) {
        hash.update(chunk);
        received += chunk.length;
        if (received > request.bytes) break; // not the file we expect; stop reading
        let written = 0;
        while (written < chunk.length) written += await file.write(chunk.subarray(written));
        options.onBytes?.(received);
      }
    } catch (error) {
      throw fail(
        "broken",
        `the connection broke after ${received} of ${request.bytes} bytes ` +
          `(${networkCause(error)})`,
      );
    }
    file.close();
    const sum = hash.digest("hex");
    if (received !== request.bytes || sum !== request.sha256) {
      const got = received > request.bytes
        ? `more than ${request.bytes} bytes`
        : `${received} bytes, sha256 ${sum}`;
      throw fail(
        "mismatch",
        `it does not match the course's record (got ${got}; expected ${request.bytes} bytes, ` +
          `sha256 ${request.sha256}); the download was deleted`,
      );
    }
    await Deno.rename(part, path);
  } catch (error) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(part).catch(() => {});
    throw error;
  }
}

/** A short cause for a failed request: the last, human part of Deno's error chain. */
function networkCause(error: unknown): string {
  // Deno says "fetch failed" and keeps the reason in `cause` (itself a chain of "a: b: c").
  const chain: string[] = [];
  for (let e: unknown = error; e !== undefined && chain.length < 5; e = (e as Error).cause) {
    chain.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  const message = chain.join(": ");
  if (/connection refused/i.test(message)) return "connection refused (no server there?)";
  if (/dns error|failed to lookup|name or service not known/i.test(message)) {
    return "the host name could not be resolved (offline?)";
  }
  if (/timed out/i.test(message)) return "the connection timed out";
  if (/connection reset|closed|incomplete|unexpected eof|end of file/i.test(message)) {
    return "the server closed the connection";
  }
  return message.split(": ").at(-1) ?? message;
}
