/**
 * Screenshots of local HTML pages taken with a headless Chromium, driven through the DevTools
 * protocol over a WebSocket (Deno's own `WebSocket`, no npm client).
 *
 * Why the DevTools protocol rather than `chromium --screenshot page.html`: `--screenshot` fires
 * as soon as the page has loaded, before web fonts and asynchronous drawing have finished, so
 * its result depends on timing. Here the page exposes a promise `window.__ready`; the screenshot
 * is taken only after that promise has resolved, at an exact CSS size and device scale.
 *
 * {@linkcode screenshotHtml} starts one browser per screenshot (about 0.5 s) and always closes it,
 * so nothing outlives the call (a test or script exits cleanly). {@linkcode openPageRenderer}
 * keeps one browser and one loaded page for many screenshots — what a notebook kernel uses, so
 * that plotly.js is loaded once rather than once per figure; a watchdog ends that browser when
 * the process that started it exits, however it exits.
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
import { chromiumSetting } from "../runtime/config.ts";

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
  const fromEnv = chromiumSetting();
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

/** One browser process with one page, driven over the DevTools protocol. */
interface Browser {
  readonly child: Deno.ChildProcess;
  readonly stderr: ReadableStreamDefaultReader<Uint8Array>;
  readonly cdp: Cdp;
  readonly dir: string;
  /** Send a command to the page. */
  send(method: string, params?: Record<string, unknown>): Promise<CdpReply>;
}

/**
 * Start a headless browser on a blank page. With `watchdog`, the browser runs under a small
 * shell loop that kills it once this process is gone (a kernel killed by Jupyter, say).
 */
async function launchBrowser(options: { watchdog: boolean }): Promise<Browser> {
  const { path, reason } = findChromium();
  if (path === undefined) throw new Error(`cannot take a screenshot: ${reason}`);
  const dir = await Deno.makeTempDir({ prefix: "course-chromium-" });
  const browserArgs = [
    "--headless",
    "--no-sandbox", // needed as root (CI); the pages are our own local files
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--mute-audio",
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
    `--user-data-dir=${dir}/profile`,
    "about:blank",
  ];
  const [command, args] = options.watchdog
    ? [
      "/bin/sh",
      [
        "-c",
        // Run the browser; every half second check that our parent process still lives.
        'parent=$1; shift; "$@" & b=$!; ' +
        'while kill -0 "$parent" 2>/dev/null && kill -0 "$b" 2>/dev/null; do sleep 0.5; done; ' +
        'kill "$b" 2>/dev/null; wait "$b"',
        "watchdog",
        String(Deno.pid),
        path,
        ...browserArgs,
      ],
    ]
    : [path, browserArgs];
  const child = new Deno.Command(command as string, {
    args: args as string[],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.getReader();
  try {
    const cdp = await withTimeout(
      (async () => Cdp.connect(await readDevtoolsUrl(stderr)))(),
      20_000,
      "starting the headless browser",
    );
    const target = await cdp.send("Target.createTarget", { url: "about:blank" });
    const attached = await cdp.send("Target.attachToTarget", {
      targetId: target.result?.targetId,
      flatten: true,
    });
    const session = String(attached.result?.sessionId);
    const send = (method: string, params: Record<string, unknown> = {}) =>
      cdp.send(method, params, session);
    await send("Page.enable");
    await send("Emulation.setDefaultBackgroundColorOverride", {
      color: { r: 255, g: 255, b: 255, a: 1 },
    });
    return { child, stderr, cdp, dir, send };
  } catch (error) {
    await stopProcess(child);
    await stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

async function setViewport(browser: Browser, size: ScreenshotSize): Promise<void> {
  await browser.send("Emulation.setDeviceMetricsOverride", {
    width: size.width,
    height: size.height,
    deviceScaleFactor: size.scale ?? 1,
    mobile: false,
  });
}

/** Evaluate `expression` (a promise) in the page; throws with its message if it rejects. */
async function evaluate(browser: Browser, expression: string, what: string): Promise<void> {
  const reply = await browser.send("Runtime.evaluate", {
    expression: `Promise.resolve(${expression}).then(() => 'ok', (e) => 'error: ' + e)`,
    awaitPromise: true,
    returnByValue: true,
  });
  const status = (reply.result?.result as { value?: unknown } | undefined)?.value;
  if (status !== "ok") throw new Error(`${what}: ${String(status)}`);
}

/** Load `html` (written to the browser's temporary folder) and wait for `window.__ready`. */
async function loadPage(browser: Browser, html: string): Promise<void> {
  const page = `${browser.dir}/page.html`;
  await Deno.writeTextFile(page, html);
  const loaded = browser.cdp.event("Page.loadEventFired");
  await browser.send("Page.navigate", { url: `file://${page}` });
  await loaded;
  await evaluate(browser, "window.__ready", "the page failed to draw");
}

async function capture(browser: Browser, size: ScreenshotSize): Promise<Uint8Array> {
  const shot = await browser.send("Page.captureScreenshot", {
    format: "png",
    clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
  });
  return new Uint8Array(Buffer.from(String(shot.result?.data ?? ""), "base64"));
}

/** Ask the browser to close (so it ends its helper processes), then kill it if it lingers. */
async function closeBrowser(browser: Browser): Promise<void> {
  await withTimeout(browser.cdp.send("Browser.close"), 2000, "closing the browser").catch(() => {});
  browser.cdp.close();
  await stopProcess(browser.child);
  await browser.stderr.cancel().catch(() => {});
  await Deno.remove(browser.dir, { recursive: true }).catch(() => {});
}

async function stopProcess(child: Deno.ChildProcess): Promise<void> {
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

/**
 * Load `html` in a headless browser and return a PNG screenshot of its top-left
 * `width`×`height` CSS pixels (times `scale`). The page must define `window.__ready`, a promise
 * that resolves once drawing has finished (and rejects with a message on failure). The page is
 * written to a temporary folder, so it may load files by `file://` URL. The browser is started
 * for this one screenshot and closed before the promise settles.
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
  const browser = await launchBrowser({ watchdog: false });
  try {
    return await withTimeout(
      (async () => {
        await setViewport(browser, size);
        await loadPage(browser, html);
        return await capture(browser, size);
      })(),
      timeoutMs,
      "the headless browser",
    );
  } finally {
    await closeBrowser(browser);
  }
}

/** A browser with one page loaded once, for many screenshots (see {@linkcode openPageRenderer}). */
export interface PageRenderer {
  /**
   * Evaluate `expression` (it may return a promise: drawing is awaited) in the page, then take a
   * PNG screenshot of the top-left `size`. Calls are serialised.
   */
  render(expression: string, size: ScreenshotSize, timeoutMs?: number): Promise<Uint8Array>;
  /** Close the browser. */
  close(): Promise<void>;
}

/**
 * Start a browser, load `html` once (it must define `window.__ready`) and keep both for many
 * screenshots: the page's scripts (plotly.js, fonts) load once instead of once per picture.
 * The browser is ended by `close()`, or by its watchdog once this process has exited.
 *
 * @example
 * ```ts
 * const page = await openPageRenderer(`<div id="n"></div><script>window.__ready = Promise.resolve();
 *   window.show = (t) => { document.getElementById("n").textContent = t; };</script>`);
 * const png = await page.render('show("hello")', { width: 120, height: 40 });
 * await page.close();
 * ```
 */
export async function openPageRenderer(html: string, timeoutMs = 60_000): Promise<PageRenderer> {
  const browser = await launchBrowser({ watchdog: true });
  try {
    await withTimeout(loadPage(browser, html), timeoutMs, "loading the page");
  } catch (error) {
    await closeBrowser(browser);
    throw error;
  }
  // The kernel must be able to exit with the browser still open: do not hold the event loop.
  browser.child.unref();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    render(expression, size, renderTimeoutMs = 30_000) {
      const next = queue.then(() =>
        withTimeout(
          (async () => {
            await setViewport(browser, size);
            await evaluate(browser, expression, "the page failed to draw");
            return await capture(browser, size);
          })(),
          renderTimeoutMs,
          "the headless browser",
        )
      );
      queue = next.catch(() => {});
      return next;
    },
    close: () => closeBrowser(browser),
  };
}
