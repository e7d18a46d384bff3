/**
 * Screenshots of local HTML pages taken with a headless Chromium, driven through the DevTools
 * protocol over a WebSocket (Deno's own `WebSocket`, no npm client).
 *
 * Why the DevTools protocol rather than `chromium --screenshot page.html`: `--screenshot` fires
 * as soon as the page has loaded, before web fonts and asynchronous drawing have finished, so
 * its result depends on timing. Here the page exposes a promise `window.__ready`; the screenshot
 * is taken only after that promise has resolved, at an exact CSS size and device scale.
 *
 * One browser process is started per screenshot (about 0.5 s) and always killed afterwards, so
 * nothing outlives the call (a notebook kernel or a test can exit cleanly).
 *
 * The browser is looked up once: `COURSE_CHROMIUM` (a path) first, then the usual Linux and
 * macOS locations. {@linkcode findChromium} says which one was found, or why none was.
 *
 * @example
 * ```ts
 * const found = findChromium();
 * if (found.path !== undefined) {
 *   const png = await screenshotHtml(
 *     `<p>hi</p><script>window.__ready = Promise.resolve();</script>`,
 *     { width: 200, height: 100 },
 *   );
 * }
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Where the browser is, or why there is none. */
export interface ChromiumLookup {
  /** Absolute path of the executable, when one was found. */
  path?: string;
  /** Why none was found (set when `path` is undefined). */
  reason?: string;
}

const CANDIDATES: readonly string[] = [
  "/usr/bin/chromium-headless-shell",
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

let cachedLookup: ChromiumLookup | undefined;

/**
 * Find a Chromium or Chrome executable: `COURSE_CHROMIUM` if set (it must exist), otherwise the
 * first of the usual install locations (Debian's `chromium-headless-shell` first; on macOS the
 * Google Chrome and Chromium app bundles). The answer is cached for the process.
 *
 * @example
 * ```ts
 * const { path, reason } = findChromium();
 * console.log(path ?? `no browser: ${reason}`);
 * ```
 */
export function findChromium(): ChromiumLookup {
  if (cachedLookup !== undefined) return cachedLookup;
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("COURSE_CHROMIUM") || undefined;
  } catch {
    fromEnv = undefined;
  }
  if (fromEnv !== undefined) {
    cachedLookup = isFile(fromEnv)
      ? { path: fromEnv }
      : { reason: `COURSE_CHROMIUM is "${fromEnv}", which is not a file` };
  } else {
    const path = CANDIDATES.find(isFile);
    cachedLookup = path !== undefined ? { path } : {
      reason: "no Chromium or Chrome found (install Debian's chromium-headless-shell, " +
        "or set COURSE_CHROMIUM to a Chrome/Chromium executable)",
    };
  }
  return cachedLookup;
}

/** Size of a screenshot in CSS pixels; `scale` multiplies the pixel size (default 1). */
export interface ScreenshotSize {
  width: number;
  height: number;
  scale?: number;
}

interface CdpReply {
  id?: number;
  method?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** A minimal DevTools protocol client: numbered commands, replies matched by id. */
class Cdp {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (r: CdpReply) => void; reject: (e: Error) => void }>();
  #waiters = new Map<string, () => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event: MessageEvent) => {
      const reply = JSON.parse(String(event.data)) as CdpReply;
      if (reply.id !== undefined) {
        const pending = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if (reply.error) pending?.reject(new Error(reply.error.message));
        else pending?.resolve(reply);
      } else if (reply.method !== undefined) {
        this.#waiters.get(reply.method)?.();
        this.#waiters.delete(reply.method);
      }
    };
    socket.onclose = () => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error("the browser closed the connection"));
      }
      this.#pending.clear();
    };
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolve(new Cdp(socket));
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<CdpReply> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  /** A promise for the next event `method` (register before triggering it). */
  event(method: string): Promise<void> {
    return new Promise((resolve) => this.#waiters.set(method, resolve));
  }

  close(): void {
    this.#socket.close();
  }
}

/** Read the browser's stderr until it names its DevTools WebSocket; keep draining it after. */
async function readDevtoolsUrl(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const match = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (match) {
      // Drain the rest so the browser never blocks on a full pipe; cancelled when it exits.
      (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })().catch(() => {});
      return match[1];
    }
  }
  throw new Error(`the browser exited before it was ready: ${text.trim().slice(-400)}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Load `html` in a headless browser and return a PNG screenshot of its top-left
 * `width`×`height` CSS pixels (times `scale`). The page must define `window.__ready`, a promise
 * that resolves once drawing has finished (and rejects with a message on failure). The page is
 * written to a temporary folder, so it may load files by `file://` URL.
 *
 * Throws when no browser is found (see {@linkcode findChromium}), when it fails to start, when
 * `__ready` rejects, or after `timeoutMs` (default 30 s).
 *
 * @example
 * ```ts
 * const png = await screenshotHtml(
 *   `<body style="margin:0;background:#fff"></body><script>window.__ready = Promise.resolve()</script>`,
 *   { width: 64, height: 32 },
 * );
 * ```
 */
export async function screenshotHtml(
  html: string,
  size: ScreenshotSize,
  timeoutMs = 30_000,
): Promise<Uint8Array> {
  const { path, reason } = findChromium();
  if (path === undefined) throw new Error(`cannot take a screenshot: ${reason}`);
  const dir = await Deno.makeTempDir({ prefix: "course-chromium-" });
  const page = `${dir}/page.html`;
  await Deno.writeTextFile(page, html);
  const child = new Deno.Command(path, {
    args: [
      "--headless",
      "--no-sandbox", // needed as root (CI); the page is our own local file
      "--disable-gpu",
      "--hide-scrollbars",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--mute-audio",
      "--remote-debugging-port=0",
      "--remote-debugging-address=127.0.0.1",
      `--user-data-dir=${dir}/profile`,
      `--window-size=${size.width},${size.height}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.getReader();
  let cdp: Cdp | undefined;
  try {
    return await withTimeout(
      (async () => {
        cdp = await Cdp.connect(await readDevtoolsUrl(stderr));
        const target = await cdp.send("Target.createTarget", { url: "about:blank" });
        const attached = await cdp.send("Target.attachToTarget", {
          targetId: target.result?.targetId,
          flatten: true,
        });
        const session = String(attached.result?.sessionId);
        const send = (method: string, params: Record<string, unknown> = {}) =>
          cdp!.send(method, params, session);
        await send("Page.enable");
        await send("Emulation.setDeviceMetricsOverride", {
          width: size.width,
          height: size.height,
          deviceScaleFactor: size.scale ?? 1,
          mobile: false,
        });
        await send("Emulation.setDefaultBackgroundColorOverride", {
          color: { r: 255, g: 255, b: 255, a: 1 },
        });
        const loaded = cdp.event("Page.loadEventFired");
        await send("Page.navigate", { url: `file://${page}` });
        await loaded;
        const ready = await send("Runtime.evaluate", {
          expression: "Promise.resolve(window.__ready).then(() => 'ok', (e) => 'error: ' + e)",
          awaitPromise: true,
          returnByValue: true,
        });
        const status = (ready.result?.result as { value?: unknown } | undefined)?.value;
        if (status !== "ok") throw new Error(`the page failed to draw: ${String(status)}`);
        const shot = await send("Page.captureScreenshot", {
          format: "png",
          clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
        });
        return new Uint8Array(Buffer.from(String(shot.result?.data ?? ""), "base64"));
      })(),
      timeoutMs,
      "the headless browser",
    );
  } finally {
    await stopBrowser(child, cdp);
    await stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Ask the browser to close (so it ends its helper processes), then kill it if it lingers. */
async function stopBrowser(child: Deno.ChildProcess, cdp: Cdp | undefined): Promise<void> {
  if (cdp !== undefined) {
    await withTimeout(cdp.send("Browser.close"), 2000, "closing the browser").catch(() => {});
    cdp.close();
  }
  const exited = await withTimeout(child.status, 3000, "the browser's exit").then(
    () => true,
    () => false,
  );
  if (!exited) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
}
