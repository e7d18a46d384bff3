/**
 * The headless browser's lifetime and exposure: it talks over a pipe (no listening TCP socket),
 * runs outside our session, and leaves no process and no profile folder behind, even when the
 * process that started it is killed with SIGKILL. Linux only (they read `/proc`).
 */
import { pathExists } from "../lib/runtime/files.ts";
import { assert, assertEquals } from "./assert.ts";
import { findChromium, openPageRenderer } from "../lib/viz/chromium.ts";
import { REPO_ROOT } from "../lib/runtime/config.ts";

const chromium = findChromium();
const skip = Deno.build.os !== "linux"
  ? " (skipped: reads /proc, Linux only)"
  : chromium.path === undefined
  ? ` (skipped: ${chromium.reason})`
  : "";
const TMP = (Deno.env.get("TMPDIR") || "/tmp").replace(/\/+$/, "");
const PAGE = "<p>x</p><script>window.__ready = Promise.resolve();</script>";

/** Pids of the processes whose command line names a profile folder of process `owner`. */
function browserPids(owner: number): number[] {
  const marker = `${TMP}/course-chromium-${owner}-`;
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(marker)) pids.push(Number(entry.name));
    } catch { /* gone meanwhile */ }
  }
  return pids;
}

/** Profile folders of process `owner` in the temporary directory. */
function profileFolders(owner: number): string[] {
  return [...Deno.readDirSync(TMP)].map((e) => e.name).filter((name) =>
    name.startsWith(`course-chromium-${owner}-`)
  );
}

/** Inodes of the listening TCP sockets (IPv4 and IPv6) of this network namespace. */
function listeningInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A") inodes.add(fields[9]); // state LISTEN; field 9 is the inode
    }
  }
  return inodes;
}

/** Socket inodes held open by process `pid`. */
function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  try {
    for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
      try {
        const target = Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`);
        const match = target.match(/^socket:\[(\d+)\]$/);
        if (match) inodes.push(match[1]);
      } catch { /* closed meanwhile */ }
    }
  } catch { /* gone */ }
  return inodes;
}

/** The session id of process `pid` (field 6 of /proc/<pid>/stat). */
function sessionOf(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

Deno.test({
  name: `the browser listens on no TCP port and runs outside our session${skip}`,
  ignore: skip !== "",
  sanitizeResources: false,
  fn: async () => {
    const page = await openPageRenderer(PAGE);
    try {
      const png = await page.render("1", { width: 40, height: 20 });
      assert(png.length > 0, "a screenshot was taken");
      const pids = browserPids(Deno.pid);
      assert(pids.length >= 2, `the browser's processes are found (${pids.length})`);
      const listening = listeningInodes();
      for (const pid of pids) {
        const open = socketInodes(pid).filter((inode) => listening.has(inode));
        assertEquals(open, [], `process ${pid} of the browser holds a listening TCP socket`);
        assert(sessionOf(pid) !== sessionOf("self"), `browser process ${pid} is in our session`);
      }
    } finally {
      await page.close();
    }
    assertEquals(browserPids(Deno.pid), [], "close() ended every browser process");
    assertEquals(profileFolders(Deno.pid), [], "close() deleted the profile folder");
  },
});

Deno.test({
  name: `SIGKILL of the process that started the browser leaves no browser and no profile${skip}`,
  ignore: skip !== "",
  fn: async () => {
    const chromiumUrl = new URL("../lib/viz/chromium.ts", import.meta.url).href;
    const code = `
      import { openPageRenderer } from ${JSON.stringify(chromiumUrl)};
      const page = await openPageRenderer(${JSON.stringify(PAGE)});
      await page.render("1", { width: 40, height: 20 });
      console.log("READY");
      setInterval(() => {}, 1000);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("READY")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert(text.includes("READY"), `the child rendered a page (it printed "${text}")`);
    assert(browserPids(child.pid).length >= 2, "the child's browser runs");
    assertEquals(profileFolders(child.pid).length, 1, "the child's profile folder exists");
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    const gone = await waitFor(
      () => browserPids(child.pid).length === 0 && profileFolders(child.pid).length === 0,
      10_000,
    );
    assert(
      gone,
      `10 s after SIGKILL: browser processes ${browserPids(child.pid).join(", ") || "none"}, ` +
        `profile folders ${profileFolders(child.pid).join(", ") || "none"}`,
    );
  },
});

Deno.test({
  name: `a browser's start deletes the profile folders of processes that are gone${skip}`,
  ignore: skip !== "",
  fn: async () => {
    // A pid that is surely free now: a process that has exited.
    const done = new Deno.Command("true").spawn();
    await done.status;
    const stale = `${TMP}/course-chromium-${done.pid}-stale-test`;
    await Deno.mkdir(`${stale}/profile`, { recursive: true });
    const live = `${TMP}/course-chromium-${Deno.pid}-live-test`;
    await Deno.mkdir(live, { recursive: true });
    try {
      const chromiumUrl = new URL("../lib/viz/chromium.ts", import.meta.url).href;
      const code = `
        import { screenshotHtml } from ${JSON.stringify(chromiumUrl)};
        await screenshotHtml(${JSON.stringify(PAGE)}, { width: 40, height: 20 });`;
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["eval", code],
        cwd: REPO_ROOT,
        env: { NO_COLOR: "1" },
      }).output();
      assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
      assertEquals(await pathExists(stale), false, "the dead process's folder was deleted");
      assertEquals(await pathExists(live), true, "a live process's folder was kept");
    } finally {
      await Deno.remove(stale, { recursive: true }).catch(() => {});
      await Deno.remove(live, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: `a page's scripts run through a V8 code cache that is saved, reused and checked${skip}`,
  ignore: skip !== "",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "course-code-cache-test-" });
    const script = `${dir}/answer.js`;
    const cacheDir = `${dir}/cache`;
    // Longer than 1 KB: Chromium makes no code cache for a smaller script.
    const source = (k: number) =>
      `window.answer = (n) => n * ${k};\n// ${"padding ".repeat(200)}\n`;
    const cacheFiles = () => [...Deno.readDirSync(cacheDir)].map((entry) => entry.name).sort();
    const digestMatches = async (file: Uint8Array) =>
      new Uint8Array(await crypto.subtle.digest("SHA-256", file.slice(32))).every((b, i) =>
        b === file[i]
      );
    /** Open a page with the script, check that it ran (answer(7) is 7k), close it. */
    const runOnce = async (k: number) => {
      const page = await openPageRenderer(PAGE, {
        scripts: [new URL(`file://${script}`)],
        codeCacheDir: cacheDir,
      });
      try {
        await page.render(
          `window.answer(7) === ${7 * k} ? 1 : Promise.reject("answer(7) is " + window.answer(7))`,
          { width: 40, height: 20 },
        );
      } finally {
        await page.close();
      }
    };
    try {
      await Deno.writeTextFile(script, source(6));
      await runOnce(6); // no cache yet: the browser makes one and it is saved
      const [name] = cacheFiles();
      assert(/^answer\.js-[0-9a-f]{24}\.v8cache$/.test(name ?? ""), `cache file "${name}"`);
      const saved = await Deno.readFile(`${cacheDir}/${name}`);
      assert(await digestMatches(saved), "the saved cache starts with its SHA-256");

      await runOnce(6); // the cache is used and kept as it is
      assertEquals(cacheFiles(), [name]);
      assertEquals(await Deno.readFile(`${cacheDir}/${name}`), saved);

      const broken = saved.slice();
      broken[broken.length - 1] ^= 0xff;
      await Deno.writeFile(`${cacheDir}/${name}`, broken);
      await runOnce(6); // a damaged cache is not used: the script is compiled and a new one saved
      const remade = await Deno.readFile(`${cacheDir}/${name}`);
      assert(await digestMatches(remade), "the damaged cache was replaced by a checked one");

      await Deno.writeTextFile(script, source(5));
      await runOnce(5); // a changed script gets its own cache; the old one is deleted
      const [changed, ...others] = cacheFiles();
      assertEquals(others, [], "one cache file per script");
      assert(changed !== name, "a changed script does not reuse the old script's cache");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
