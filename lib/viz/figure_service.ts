/**
 * One browser for the figures of many kernels. `deno task reproduce` runs each notebook in a fresh
 * kernel, and a kernel that started its own headless browser for its first figure paid about 1.8
 * CPU seconds and 1 s of wall time for it (measured on the course's 2-vCPU machine: a browser,
 * its page and plotly.js from the code cache) — a tenth of what the quick course's small notebooks
 * cost. So `reproduce` draws the figures itself: it serves one page on a Unix socket in a private
 * folder (mode 0700: no network port, no other user), names the socket to its kernels in
 * `COURSE_FIGURE_SERVICE`, and a kernel that finds the variable sends each figure's JSON there and
 * gets the PNG back. The page is the one a kernel keeps for itself, so the PNG is the same.
 *
 * The protocol is one JSON object per line each way: a request `{"figure": {data, layout},
 * "size": {width, height, scale}}`, a reply `{"png": "<base64>"}` or `{"error": "<message>"}`.
 * A request carries data, never code: the server builds the drawing call itself.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { ScreenshotSize } from "./chromium.ts";
import { type FigureJson, toBase64 } from "./figure.ts";
import { readLines } from "../runtime/lines.ts";

/** One request: the figure and the screenshot's size. */
export interface FigureRequest {
  figure: FigureJson;
  size: ScreenshotSize;
}

/** Draws one figure to PNG bytes (the server's side: a browser page). */
export type FigureDrawer = (request: FigureRequest) => Promise<Uint8Array>;

/** A running figure service (see {@linkcode serveFigures}). */
export interface FigureService {
  /** Path of the Unix socket, for `COURSE_FIGURE_SERVICE`. */
  readonly socket: string;
  /** Figures drawn so far. */
  drawn(): number;
  /** Stop listening, end the connections and delete the socket's folder. */
  close(): Promise<void>;
}

/** The largest screenshot side the service draws, in CSS pixels. */
const MAX_SIDE = 8192;

/** A request line checked field by field; throws with what is wrong. */
export function parseFigureRequest(line: string): FigureRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error("the request is not JSON");
  }
  const request = value as Partial<FigureRequest> | null;
  const figure = request?.figure;
  const size = request?.size;
  if (
    typeof figure !== "object" || figure === null || !Array.isArray(figure.data) ||
    typeof figure.layout !== "object" || figure.layout === null || Array.isArray(figure.layout)
  ) {
    throw new Error("the request's figure must be an object with data (an array) and a layout");
  }
  const side = (n: unknown) =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_SIDE;
  const scale = size?.scale ?? 1;
  if (
    typeof size !== "object" || size === null || !side(size.width) || !side(size.height) ||
    typeof scale !== "number" || !(scale > 0 && scale <= 4)
  ) {
    throw new Error(
      `the request's size must be whole width and height in 1…${MAX_SIDE} and a scale in (0, 4]`,
    );
  }
  return { figure, size: { width: size.width, height: size.height, scale } };
}

async function writeLine(conn: Deno.Conn, value: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(value)}\n`);
  for (let sent = 0; sent < bytes.length;) sent += await conn.write(bytes.subarray(sent));
}

/**
 * Serve `draw` on a Unix socket in a new private temporary folder. Requests of one connection are
 * answered in order; a request that fails gets `{"error"}` and the connection stays open.
 *
 * @example
 * ```ts
 * const service = await serveFigures((request) => drawFigure(request.figure, request.size));
 * // kernels started with COURSE_FIGURE_SERVICE=service.socket send their figures there
 * await service.close();
 * ```
 */
export async function serveFigures(draw: FigureDrawer): Promise<FigureService> {
  const dir = await Deno.makeTempDir({ prefix: "course-figures-" }); // mode 0700
  const socket = `${dir}/figures.sock`;
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path: socket });
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  let drawn = 0;
  const connections = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    for await (const line of readLines(conn.readable)) {
      let reply: { png: string } | { error: string };
      try {
        const png = await draw(parseFigureRequest(line));
        drawn++;
        reply = { png: toBase64(png) };
      } catch (error) {
        reply = { error: (error as Error).message };
      }
      await writeLine(conn, reply);
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      serve(conn).catch(() => {}).finally(() => {
        connections.delete(conn);
        try {
          conn.close();
        } catch { /* closed already */ }
      });
    }
  })().catch(() => {}); // the listener closed
  return {
    socket,
    drawn: () => drawn,
    async close() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* closed already */ }
      }
      await accepting;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A client's connection: one request at a time, replies read line by line. */
interface Client {
  conn: Deno.UnixConn;
  replies: AsyncGenerator<string>;
  queue: Promise<unknown>;
}

const clients = new Map<string, Promise<Client>>();

async function connect(socket: string): Promise<Client> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  // An idle connection must not keep a kernel's event loop alive.
  conn.unref();
  return { conn, replies: readLines(conn.readable), queue: Promise.resolve() };
}

/** An error the service replied with (not one of the connection). */
class ServiceError extends Error {}

/** Send `request` on `client`'s connection and read its reply, one exchange at a time. */
function exchange(client: Client, request: FigureRequest, timeoutMs: number): Promise<Uint8Array> {
  const turn = client.queue.then(async () => {
    await writeLine(client.conn, request);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no reply within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    try {
      const next = await Promise.race([client.replies.next(), timeout]);
      if (next.done) throw new Error("the service closed the connection");
      const reply = JSON.parse(next.value) as { png?: string; error?: string };
      if (typeof reply.png !== "string") throw new ServiceError(reply.error ?? "an empty reply");
      return new Uint8Array(Buffer.from(reply.png, "base64"));
    } finally {
      clearTimeout(timer);
    }
  });
  client.queue = turn.catch(() => {});
  return turn;
}

/**
 * Have the service at `socket` draw `request`; resolves to the PNG bytes. One connection per
 * socket is kept for the process; a kept connection that fails is replaced once. Throws when the
 * service cannot be reached, closes the connection, does not answer within `timeoutMs`, or
 * replies with an error (its message).
 */
export async function requestFigure(
  socket: string,
  request: FigureRequest,
  timeoutMs = 120_000,
): Promise<Uint8Array> {
  for (let attempt = 0;; attempt++) {
    const kept = clients.get(socket);
    const client = kept ?? connect(socket);
    if (kept === undefined) {
      clients.set(socket, client);
      client.catch(() => clients.delete(socket));
    }
    const c = await client;
    try {
      return await exchange(c, request, timeoutMs);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      // A connection in an unknown state is not reused.
      if (clients.get(socket) === client) clients.delete(socket);
      try {
        c.conn.close();
      } catch { /* closed already */ }
      if (kept === undefined || attempt > 0) throw error;
    }
  }
}
