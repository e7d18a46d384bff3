/**
 * Screenshots of local HTML pages taken with a headless Chromium, driven through the DevTools
 * protocol over a pipe (`--remote-debugging-pipe`: commands on the browser's fd 3, replies on its
 * fd 4, each a JSON text ended by a NUL byte). No TCP port is ever opened, so no other local
 * process can reach the browser.
 *
 * Why the DevTools protocol rather than `chromium --screenshot page.html`: `--screenshot` fires
 * as soon as the page has loaded, before web fonts and asynchronous drawing have finished, so
 * its result depends on timing. Here the page exposes a promise `window.__ready`; the screenshot
 * is taken only after that promise has resolved, at an exact CSS size and device scale.
 *
 * Lifetime: the browser runs under a small `/bin/sh` helper in its own session (so a Jupyter
 * Interrupt, a SIGINT to the kernel's process group, does not reach it). The pipe is the
 * watchdog: when the process that started the browser exits, however it exits (even SIGKILL),
 * the browser reads end-of-file on fd 3 and quits; the helper then ends whatever is left of the
 * browser's process group and deletes the profile folder (`course-chromium-<pid>-*` in the
 * temporary directory). Folders left by processes that are gone (a helper killed too) are deleted
 * when the next browser starts.
 *
 * {@linkcode screenshotHtml} starts one browser per screenshot (about 0.5 s) and always closes it.
 * {@linkcode openPageRenderer} keeps one browser and one loaded page for many screenshots — what a
 * notebook kernel uses, so that plotly.js is loaded once rather than once per figure.
 *
 * Code cache: a large script (the full plotly.js, 4.8 MB) costs a new browser more to compile than
 * to run — V8 parses it and compiles some 2 400 of its functions as it starts, about 1 of the 2 CPU
 * seconds of loading a page with it (the kernel's page now loads plotly's 1.4 MB cartesian bundle,
 * where the cache saves about 0.1 s). {@linkcode openPageRenderer} can run such scripts through a V8 code
 * cache kept in a folder: the first browser asks for the compiled code over DevTools
 * (`Page.produceCompilationCache`), saves it, and later browsers hand it back before the script
 * runs (`Page.addCompilationCache`), so V8 deserialises instead of compiling. The cache changes
 * only how the code is obtained, not what it does: pictures are byte for byte the same. The
 * browser runs the code it is given, so the cache must live in a folder only its user can write;
 * each file starts with the SHA-256 of its data (a damaged file is not used), and is named after
 * the script's bytes and the browser's version (a changed script or browser makes a new cache).
 * Such a browser runs with script streaming off: a streamed script is compiled on a background
 * thread while it loads, a path that never looks at the DevTools cache.
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
import { chromiumSetting, NO_BROWSER } from "../runtime/config.ts";
import { writeFileAtomic } from "../runtime/files.ts";

/** Where the browser is, or why there is none. */
export interface ChromiumLookup {
  /** Absolute path of the executable, when one was found. */
  path?: string;
  /** Why none was found (set when `path` is undefined). */
  reason?: string;
}

// The real binaries first: Debian's /usr/bin/chromium-headless-shell and /usr/bin/chromium are
// shell scripts that run the browser as their child (a signal to the script misses the browser).
const CANDIDATES: readonly string[] = [
  "/usr/lib/chromium/chromium-headless-shell",
  "/usr/lib/chromium/chromium",
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
 * first of the usual install locations (Debian's `chromium-headless-shell` binary first; on macOS the
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
  if (fromEnv === NO_BROWSER) {
    cachedLookup = { reason: `COURSE_CHROMIUM=${NO_BROWSER}: static PNGs are off` };
  } else if (fromEnv !== undefined) {
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
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/**
 * A minimal DevTools protocol client over the browser's pipe: numbered commands, replies matched
 * by id. The pipe is read only while a reply or an event is awaited, so an idle browser holds no
 * pending read that would keep this process alive.
 */
class Cdp {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #next = 1;
  #pending = new Map<number, { resolve: (r: CdpReply) => void; reject: (e: Error) => void }>();
  #waiters = new Map<string, (params: Record<string, unknown>) => void>();
  #buffer = new Uint8Array(0);
  #reading = false;
  #closed: string | undefined;
  #encoder = new TextEncoder();
  #decoder = new TextDecoder();

  constructor(child: Deno.ChildProcess) {
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.getReader();
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<CdpReply> {
    if (this.#closed !== undefined) return Promise.reject(new Error(this.#closed));
    const id = this.#next++;
    const reply = new Promise<CdpReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    const text = JSON.stringify({ id, method, params, sessionId });
    this.#writer.write(this.#encoder.encode(`${text}\0`)).catch(() =>
      this.#fail("the browser closed its pipe")
    );
    this.#pump();
    return reply;
  }

  /** A promise for the next event `method` and its parameters (register before triggering it). */
  event(method: string): Promise<Record<string, unknown>> {
    const event = new Promise<Record<string, unknown>>((resolve) =>
      this.#waiters.set(method, resolve)
    );
    this.#pump();
    return event;
  }

  /** Stop waiting for event `method` (one that may never come), so the pipe is no longer read for it. */
  forget(method: string): void {
    this.#waiters.delete(method);
  }

  /** Close our end of the pipe: the browser reads end-of-file and quits. */
  async close(): Promise<void> {
    this.#fail("the browser connection was closed");
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
  }

  #fail(message: string): void {
    this.#closed ??= message;
    for (const pending of this.#pending.values()) pending.reject(new Error(message));
    this.#pending.clear();
  }

  async #pump(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (this.#closed === undefined && (this.#pending.size > 0 || this.#waiters.size > 0)) {
        const { value, done } = await this.#reader.read();
        if (done) {
          this.#fail("the browser closed its pipe");
          break;
        }
        const joined = new Uint8Array(this.#buffer.length + value.length);
        joined.set(this.#buffer);
        joined.set(value, this.#buffer.length);
        let start = 0;
        for (let end = joined.indexOf(0); end >= 0; end = joined.indexOf(0, start)) {
          this.#dispatch(JSON.parse(this.#decoder.decode(joined.subarray(start, end))));
          start = end + 1;
        }
        this.#buffer = joined.slice(start);
      }
    } catch (error) {
      this.#fail(`reading from the browser failed: ${(error as Error).message}`);
    } finally {
      this.#reading = false;
    }
  }

  #dispatch(reply: CdpReply): void {
    if (reply.id !== undefined) {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.error) pending?.reject(new Error(reply.error.message));
      else pending?.resolve(reply);
    } else if (reply.method !== undefined) {
      this.#waiters.get(reply.method)?.(reply.params ?? {});
      this.#waiters.delete(reply.method);
    }
  }
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
  /** The helper shell: the leader of the browser's own session and process group. */
  readonly child: Deno.ChildProcess;
  readonly cdp: Cdp;
  readonly dir: string;
  /** The browser's and its V8's versions (`Browser.getVersion`), e.g. "HeadlessChrome/156.0… V8 15.6…". */
  readonly version: string;
  /** Send a command to the page. */
  send(method: string, params?: Record<string, unknown>): Promise<CdpReply>;
}

const PROFILE_PREFIX = "course-chromium-";

/**
 * The helper: run the browser with our stdin as its fd 3 and our stdout as its fd 4, its stderr
 * in the profile folder; once it has exited, end the rest of its process group and delete the
 * folder. It runs in its own session (`detached`), so it is the group's leader.
 */
const HELPER = 'dir=$1; shift; "$@" 3<&0 4>&1 0</dev/null 1>/dev/null 2>"$dir/browser.log"; ' +
  "trap '' TERM; kill -TERM -$$ 2>/dev/null; rm -rf \"$dir\"";

function isAlive(pid: number): boolean | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

let staleCleaned = false;

/**
 * Delete the profile folders of processes that are gone (their helper was killed too). Only on
 * Linux, where `/proc` says whether a process lives; the name carries the owner's pid.
 */
function cleanStaleProfiles(tmp: string): void {
  if (staleCleaned) return;
  staleCleaned = true;
  try {
    for (const entry of Deno.readDirSync(tmp)) {
      const owner = entry.name.match(/^course-chromium-(\d+)-/);
      if (!entry.isDirectory || owner === null) continue;
      if (isAlive(Number(owner[1])) === false) {
        try {
          Deno.removeSync(`${tmp}/${entry.name}`, { recursive: true });
        } catch { /* another process got there first, or not ours to delete */ }
      }
    }
  } catch { /* no readable temporary folder: nothing to clean */ }
}

function tempDir(): string {
  return (Deno.env.get("TMPDIR") || "/tmp").replace(/\/+$/, "") || "/";
}

/** The end of the browser's own log, for an error message. */
function logTail(dir: string): string {
  try {
    const lines = Deno.readTextFileSync(`${dir}/browser.log`).trim().split("\n");
    return lines.filter((line) => line.trim() !== "").slice(-3).join(" | ").slice(-400);
  } catch {
    return "";
  }
}

/**
 * Start a headless browser on a blank page, talking over a pipe, in its own session, with a
 * fresh profile folder that is deleted when it ends.
 */
async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  const { path, reason } = findChromium();
  if (path === undefined) throw new Error(`cannot take a screenshot: ${reason}`);
  const tmp = tempDir();
  cleanStaleProfiles(tmp);
  const dir = await Deno.makeTempDir({ dir: tmp, prefix: `${PROFILE_PREFIX}${Deno.pid}-` });
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
    "--remote-debugging-pipe",
    `--user-data-dir=${dir}/profile`,
    ...extraArgs,
    "about:blank",
  ];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/bin/sh", {
      args: ["-c", HELPER, "course-chromium", dir, path, ...browserArgs],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      detached: true, // its own session: not in the kernel's SIGINT path
    }).spawn();
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`cannot start the browser ${path}: ${(error as Error).message}`);
  }
  const cdp = new Cdp(child);
  try {
    const versionReply = await withTimeout(
      cdp.send("Browser.getVersion"),
      20_000,
      "starting the headless browser",
    ).catch((error: Error) => {
      const log = logTail(dir);
      throw new Error(
        `the browser ${path} did not start: ${error.message}${log ? `: ${log}` : ""}`,
      );
    });
    const version = `${versionReply.result?.product} V8 ${versionReply.result?.jsVersion}`;
    // The tab the browser opened (about:blank) is the page: a second tab would start a second
    // renderer process (about 0.2 CPU s, measured) that nothing uses.
    const targets = await cdp.send("Target.getTargets");
    const infos = (targets.result?.targetInfos ?? []) as { targetId: string; type: string }[];
    let targetId = infos.find((info) => info.type === "page")?.targetId;
    if (targetId === undefined) {
      const created = await cdp.send("Target.createTarget", { url: "about:blank" });
      targetId = String(created.result?.targetId);
    }
    const attached = await cdp.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const session = String(attached.result?.sessionId);
    const send = (method: string, params: Record<string, unknown> = {}) =>
      cdp.send(method, params, session);
    await send("Page.enable");
    await send("Emulation.setDefaultBackgroundColorOverride", {
      color: { r: 255, g: 255, b: 255, a: 1 },
    });
    return { child, cdp, dir, version, send };
  } catch (error) {
    await closeBrowser({ child, cdp, dir, version: "", send: () => Promise.reject(error) });
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

/**
 * Ask the browser to close, close the pipe, and wait for the helper (which deletes the profile);
 * if it lingers, kill the browser's whole process group. The profile folder is gone afterwards.
 */
async function closeBrowser(browser: Browser): Promise<void> {
  await withTimeout(browser.cdp.send("Browser.close"), 2000, "closing the browser").catch(() => {});
  await browser.cdp.close();
  const exited = await withTimeout(browser.child.status, 5000, "the browser's exit").then(
    () => true,
    () => false,
  );
  if (!exited) {
    try {
      Deno.kill(-browser.child.pid, "SIGKILL"); // the helper leads the browser's process group
    } catch { /* already gone */ }
    await browser.child.status;
  }
  await Deno.remove(browser.dir, { recursive: true }).catch(() => {});
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
  const browser = await launchBrowser();
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

/** Options of {@linkcode openPageRenderer}. */
export interface PageRendererOptions {
  /** The longest wait for the page and its `scripts` to load, ms (default 60 000). */
  timeoutMs?: number;
  /**
   * Script files (`file:` URLs) to run in the page, in order, once it has loaded and
   * `window.__ready` has resolved. Unlike a `<script src>` in the page, each is compiled through a
   * V8 code cache kept in `codeCacheDir`.
   */
  scripts?: readonly URL[];
  /**
   * Folder of the scripts' V8 code caches, created when missing. Without it, or when it cannot be
   * read or written, the scripts are compiled from source as usual.
   */
  codeCacheDir?: string;
}

const DIGEST_BYTES = 32;

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * The code cache file of `script` for this browser. Its name carries a digest of the script's bytes
 * and the browser's version: a changed script or browser never meets an old cache (V8 would also
 * reject a cache from another V8 version or flags, but a changed script of the same length it
 * would not notice).
 */
async function codeCachePath(dir: string, script: URL, browser: Browser): Promise<string> {
  const source = await Deno.readFile(script);
  const version = new TextEncoder().encode(`\0${browser.version}`);
  const keyed = new Uint8Array(source.length + version.length);
  keyed.set(source);
  keyed.set(version, source.length);
  const key = Array.from(
    (await sha256(keyed)).subarray(0, 12),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  const name = script.pathname.slice(script.pathname.lastIndexOf("/") + 1).replace(/[^\w.-]/g, "_");
  return `${dir}/${name}-${key}.v8cache`;
}

/** A cache file's data: its first 32 bytes are the SHA-256 of the rest, else it is not used. */
async function readCodeCache(path: string): Promise<Uint8Array | undefined> {
  try {
    const bytes = await Deno.readFile(path);
    const data = bytes.subarray(DIGEST_BYTES);
    return sameBytes(await sha256(data), bytes.subarray(0, DIGEST_BYTES)) ? data : undefined;
  } catch {
    return undefined; // no cache yet, or unreadable: compile from source
  }
}

/** Save a code cache (atomically, with its digest) and delete older caches of the same script. */
async function saveCodeCache(path: string, data: Uint8Array): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const file = new Uint8Array(DIGEST_BYTES + data.length);
  file.set(await sha256(data));
  file.set(data, DIGEST_BYTES);
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(path, file);
  const stem = path.slice(dir.length + 1).replace(/-[0-9a-f]+\.v8cache$/, "-");
  for await (const entry of Deno.readDir(dir)) {
    if (
      entry.name.startsWith(stem) && entry.name.endsWith(".v8cache") &&
      `${dir}/${entry.name}` !== path
    ) {
      await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
    }
  }
}

/**
 * Run the script file `script` in the loaded page. With `codeCacheDir`, V8's code for it comes from
 * the cache there (DevTools `Page.addCompilationCache`); when there is none yet, the browser is
 * asked to produce one (`Page.produceCompilationCache`: the code compiled while the script ran,
 * sent back once it has run), which is saved for the next browser. A cache only spares compiling:
 * the script runs the same either way.
 */
async function runScript(browser: Browser, script: URL, codeCacheDir?: string): Promise<void> {
  let cachePath: string | undefined;
  let produced: Promise<Record<string, unknown>> | undefined;
  if (codeCacheDir !== undefined) {
    cachePath = await codeCachePath(codeCacheDir, script, browser).catch(() => undefined);
  }
  if (cachePath !== undefined) {
    const cached = await readCodeCache(cachePath);
    if (cached !== undefined) {
      await browser.send("Page.addCompilationCache", { url: script.href, data: toBase64(cached) });
    } else {
      produced = browser.cdp.event("Page.compilationCacheProduced");
      await browser.send("Page.produceCompilationCache", { scripts: [{ url: script.href }] });
    }
  }
  await evaluate(
    browser,
    `new Promise((loaded, failed) => {
      const element = document.createElement("script");
      element.src = ${JSON.stringify(script.href)};
      element.onload = loaded;
      element.onerror = () => failed(new Error("cannot load " + element.src));
      document.head.appendChild(element);
    })`,
    "the page's script failed",
  );
  if (produced !== undefined && cachePath !== undefined) {
    // The renderer sends the cache as soon as the script has run, before the reply that it has
    // loaded: a short wait suffices, and bounds the cost of a browser that makes none.
    const event = await withTimeout(produced, 1000, "the code cache").catch(() => undefined);
    browser.cdp.forget("Page.compilationCacheProduced");
    if (event?.url === script.href && typeof event.data === "string") {
      // A cache that cannot be saved (read-only home, full disk) only costs the next browser time.
      await saveCodeCache(cachePath, new Uint8Array(Buffer.from(event.data, "base64"))).catch(
        () => {},
      );
    }
  }
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
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
 * `options.scripts` are then run in it, compiled through the code cache in `options.codeCacheDir`
 * (see the module's "Code cache"). The browser is ended by `close()`, or once this process has
 * exited (its pipe closes). Throws when the page or a script fails to load, or after
 * `options.timeoutMs`.
 *
 * @example
 * ```ts
 * const page = await openPageRenderer(`<div id="n"></div><script>window.__ready = Promise.resolve();
 *   window.show = (t) => { document.getElementById("n").textContent = t; };</script>`);
 * const png = await page.render('show("hello")', { width: 120, height: 40 });
 * await page.close();
 * const charts = await openPageRenderer(`<script>window.__ready = Promise.resolve();</script>`, {
 *   scripts: [new URL("file:///path/to/plotly.min.js")],
 *   codeCacheDir: `${Deno.env.get("HOME")}/.cache/my-course/v8-code-cache`,
 * });
 * await charts.close();
 * ```
 */
export async function openPageRenderer(
  html: string,
  options: PageRendererOptions = {},
): Promise<PageRenderer> {
  const { timeoutMs = 60_000, scripts = [], codeCacheDir } = options;
  // A streamed script (compiled on a background thread while it loads) bypasses the DevTools code
  // cache, so scripts of a page that has them are not streamed.
  const browser = await launchBrowser(
    scripts.length > 0 ? ["--disable-features=ScriptStreaming,ScriptStreamingForNonHTTP"] : [],
  );
  try {
    await withTimeout(
      (async () => {
        await loadPage(browser, html);
        for (const script of scripts) await runScript(browser, script, codeCacheDir);
      })(),
      timeoutMs,
      "loading the page",
    );
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
