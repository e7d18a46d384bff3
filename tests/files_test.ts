/**
 * Output files are written atomically, and a full disk gives one clear error that leaves the
 * previous file intact. The full disk is a small tmpfs mounted for the test (needs root on Linux;
 * skipped elsewhere, saying why).
 */
import { assert, assertEquals } from "./assert.ts";
import { writeErrorMessage, writeFileAtomic } from "../lib/runtime/files.ts";
import { findChromium } from "../lib/viz/chromium.ts";
import { showFigure } from "../lib/viz/plot.ts";

/** A full 64 KiB tmpfs holding `figures/script-loss.png` = "OLD", or why none can be made. */
async function fullDisk(): Promise<{ dir: string; reason?: string }> {
  const dir = await Deno.makeTempDir({ prefix: "course-full-disk-test-" });
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) {
    return { dir, reason: "mounting a tmpfs needs root on Linux" };
  }
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
    stderr: "piped",
  }).output().catch((error) => ({ success: false, stderr: String(error) }));
  if (!mount.success) return { dir, reason: `cannot mount a tmpfs here` };
  await Deno.mkdir(`${dir}/figures`);
  await Deno.writeTextFile(`${dir}/figures/script-loss.png`, "OLD");
  // Fill the rest of the disk.
  const filler = await Deno.open(`${dir}/filler`, { write: true, create: true });
  try {
    while (true) await filler.write(new Uint8Array(4096));
  } catch {
    /* full */
  } finally {
    filler.close();
  }
  return { dir };
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stderr: "null" }).output().catch(() => {});
  await Deno.remove(dir, { recursive: true });
}

const probe = await fullDisk();
await unmount(probe.dir);
const skip = probe.reason ? ` (skipped: ${probe.reason})` : "";

Deno.test("writeFileAtomic replaces a file and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "course-files-test-" });
  try {
    await writeFileAtomic(`${dir}/a.txt`, "first");
    await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("second"));
    assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "second");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
    await assertRejects(
      () => writeFileAtomic(`${dir}/no-such-folder/b.txt`, "x"),
      `cannot write ${dir}/no-such-folder/b.txt: no such file or directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeErrorMessage names a full disk plainly", () => {
  assertEquals(
    writeErrorMessage(new Error("No space left on device (os error 28): write '/x'")),
    "no space left on device",
  );
  assertEquals(
    writeErrorMessage(new Error("Permission denied (os error 13)")),
    "permission denied",
  );
});

Deno.test({
  name: `a write to a full disk fails clearly and keeps the previous file${skip}`,
  ignore: skip !== "",
  fn: async () => {
    const { dir } = await fullDisk();
    try {
      const target = `${dir}/figures/script-loss.png`;
      await assertRejects(
        () => writeFileAtomic(target, new Uint8Array(100_000)),
        `cannot write ${target}: no space left on device`,
      );
      assertEquals(await Deno.readTextFile(target), "OLD", "the previous file is intact");
      assertEquals([...Deno.readDirSync(`${dir}/figures`)].map((e) => e.name), [
        "script-loss.png",
      ]);
    } finally {
      await unmount(dir);
    }
  },
});

const chromium = findChromium();
Deno.test({
  name: `a figure that cannot be saved on a full disk is an error naming it${
    skip || (chromium.path ? "" : ` (skipped: ${chromium.reason})`)
  }`,
  ignore: skip !== "" || chromium.path === undefined,
  fn: async () => {
    const { dir } = await fullDisk();
    const before = Deno.env.get("COURSE_OUT_DIR");
    Deno.env.set("COURSE_OUT_DIR", dir);
    try {
      const target = `${dir}/figures/script-loss.png`;
      await assertRejects(
        () => showFigure("loss", [{ y: [1, 2, 3] }]),
        `cannot save figure "loss" to ${target}: no space left on device`,
      );
      assertEquals(await Deno.readTextFile(target), "OLD", "the previous figure is intact");
      assertEquals([...Deno.readDirSync(`${dir}/figures`)].map((e) => e.name), [
        "script-loss.png",
      ]);
    } finally {
      if (before === undefined) Deno.env.delete("COURSE_OUT_DIR");
      else Deno.env.set("COURSE_OUT_DIR", before);
      await unmount(dir);
    }
  },
});

async function assertRejects(fn: () => Promise<unknown>, message: string): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert(error instanceof Error, `expected an error "${message}", got none`);
  assertEquals(error.message, message);
}
