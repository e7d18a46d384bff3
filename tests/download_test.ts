/**
 * lib/data/download.ts against a loopback HTTP server made here, with small files made here: a
 * good download, a wrong checksum, a connection closed mid-body, an HTTP error and no server at
 * all. Whatever fails leaves neither the file nor its `.part` behind, and says which file, from
 * where, and why.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { createHash } from "node:crypto";
import { downloadFile, type DownloadRequest } from "../lib/data/download.ts";

const GOOD = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7) % 251);
const SUM = createHash("sha256").update(GOOD).digest("hex");

/** Serve `/good` and `/bad` (same size, one byte changed); anything else is a 404. */
function startServer(): { base: string; server: Deno.HttpServer } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/good") return new Response(GOOD);
    if (path === "/bad") {
      const bad = GOOD.slice();
      bad[123] ^= 1;
      return new Response(bad);
    }
    return new Response("no such file", { status: 404 });
  });
  const { port } = server.addr as Deno.NetAddr;
  return { base: `http://127.0.0.1:${port}`, server };
}

/** A request for `name` served at `url`, into a fresh folder. */
async function requestFor(url: string): Promise<{ request: DownloadRequest; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "download_test_" });
  const request = {
    name: "demo/file.bin",
    url,
    path: `${dir}/demo/file.bin`,
    bytes: GOOD.length,
    sha256: SUM,
  };
  return { request, dir };
}

async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names;
}

Deno.test("a good download lands in place, with its bytes, and no .part file", async () => {
  const { base, server } = startServer();
  const { request, dir } = await requestFor(`${base}/good`);
  try {
    const seen: number[] = [];
    await downloadFile(request, { onBytes: (n) => seen.push(n) });
    assertEquals(await Deno.readFile(request.path), GOOD);
    assertEquals(await filesIn(`${dir}/demo`), ["file.bin"]);
    assertEquals(seen.at(-1), GOOD.length);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a wrong checksum is rejected naming the file and the source; nothing is left", async () => {
  const { base, server } = startServer();
  const { request, dir } = await requestFor(`${base}/bad`);
  try {
    const error = await assertRejects(() => downloadFile(request), Error);
    for (const part of ["demo/file.bin", `${base}/bad`, "does not match", SUM, "deleted"]) {
      assert(error.message.includes(part), `"${part}" missing from: ${error.message}`);
    }
    assert(!error.message.includes("\n"), error.message);
    assertEquals(await filesIn(`${dir}/demo`), []);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A raw TCP server that announces 50 000 bytes, sends 20 000 and closes the connection. */
function startCuttingServer(): { base: string; listener: Deno.Listener; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const connection = await listener.accept();
    const buffer = new Uint8Array(4096);
    await connection.read(buffer); // the request
    const head = `HTTP/1.1 200 OK\r\ncontent-length: ${GOOD.length}\r\n\r\n`;
    await connection.write(new TextEncoder().encode(head));
    let written = 0;
    while (written < 20_000) written += await connection.write(GOOD.subarray(written, 20_000));
    connection.close();
  })();
  const { port } = listener.addr as Deno.NetAddr;
  return { base: `http://127.0.0.1:${port}`, listener, done };
}

Deno.test("a connection closed mid-body leaves no file and says how far it got", async () => {
  const { base, listener, done } = startCuttingServer();
  const { request, dir } = await requestFor(`${base}/cut`);
  try {
    const error = await assertRejects(() => downloadFile(request), Error);
    assert(error.message.includes(`cannot fetch demo/file.bin from ${base}/cut`), error.message);
    assert(/after \d+ of 50000 bytes/.test(error.message), error.message);
    assertEquals(await filesIn(`${dir}/demo`), []);
  } finally {
    await done;
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an HTTP error and a server that is down give one clear line each", async () => {
  const { base, server } = startServer();
  const missing = await requestFor(`${base}/nothing-here`);
  await assertRejects(() => downloadFile(missing.request), Error, "HTTP 404");
  await server.shutdown();
  // The same port, now closed: connection refused.
  const down = await requestFor(`${base}/good`);
  try {
    const error = await assertRejects(() => downloadFile(down.request), Error);
    assert(error.message.includes(`cannot fetch demo/file.bin from ${base}/good`), error.message);
    assert(error.message.includes("connection refused"), error.message);
    for (const dir of [missing.dir, down.dir]) {
      assertEquals((await filesIn(dir)).filter((n) => n !== "demo"), []);
    }
  } finally {
    await Deno.remove(missing.dir, { recursive: true });
    await Deno.remove(down.dir, { recursive: true });
  }
});
