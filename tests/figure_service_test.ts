import assert from "node:assert/strict";
import { findChromium } from "../lib/viz/chromium.ts";
import {
  type FigureRequest,
  parseFigureRequest,
  requestFigure,
  serveFigures,
} from "../lib/viz/figure_service.ts";
import { closeKeptPage, drawFigure, figureJson } from "../lib/viz/plot.ts";
import { runDeno } from "./run_deno.ts";

const chromium = findChromium();
const skipNote = chromium.path === undefined ? ` (skipped: ${chromium.reason})` : "";

const request = (width: number, title = "t"): FigureRequest => ({
  figure: { data: [{ y: [1, 3, 2] }], layout: { title: { text: title } } },
  size: { width, height: 30, scale: 1 },
});

/** A drawer that needs no browser: the "PNG" spells the request's width and title. */
const echo = (request: FigureRequest) => {
  const title = (request.figure.layout.title as { text: string }).text;
  if (title === "fail") return Promise.reject(new Error("plotly could not draw it"));
  return Promise.resolve(new TextEncoder().encode(`${request.size.width}:${title}`));
};
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("parseFigureRequest takes a figure and a size, and names what is wrong", () => {
  assert.deepEqual(parseFigureRequest(JSON.stringify(request(40))), request(40));
  const { size } = parseFigureRequest(
    JSON.stringify({ ...request(40), size: { width: 4, height: 5 } }),
  );
  assert.deepEqual(size, { width: 4, height: 5, scale: 1 });
  assert.throws(() => parseFigureRequest("{"), /not JSON/);
  assert.throws(() => parseFigureRequest("null"), /figure must be an object/);
  assert.throws(
    () =>
      parseFigureRequest(
        JSON.stringify({ figure: { data: {}, layout: {} }, size: request(4).size }),
      ),
    /data \(an array\)/,
  );
  for (
    const size of [{ width: 0, height: 5 }, { width: 4.5, height: 5 }, { width: 4, height: 9000 }, {
      width: 4,
      height: 5,
      scale: 0,
    }]
  ) {
    assert.throws(
      () => parseFigureRequest(JSON.stringify({ figure: request(4).figure, size })),
      /size must be whole width and height/,
      JSON.stringify(size),
    );
  }
});

Deno.test("the figure service answers each request, in order, over a private Unix socket", async () => {
  const service = await serveFigures(echo);
  try {
    const folder = service.socket.slice(0, service.socket.lastIndexOf("/"));
    assert.equal((await Deno.stat(folder)).mode! & 0o777, 0o700);
    // One client's requests share one connection and come back in order.
    const replies = await Promise.all(
      [40, 41, 42].map((w) => requestFigure(service.socket, request(w))),
    );
    assert.deepEqual(replies.map(text), ["40:t", "41:t", "42:t"]);
    // A second client on its own connection.
    const other = await Deno.connect({ transport: "unix", path: service.socket });
    await other.write(new TextEncoder().encode(`${JSON.stringify(request(7, "other"))}\n`));
    const reply = new Uint8Array(1000);
    const length = (await other.read(reply))!;
    const png = JSON.parse(text(reply.subarray(0, length))).png;
    assert.equal(atob(png), "7:other");
    other.close();
    // A failed drawing is the caller's error, with the drawer's message; the service goes on.
    await assert.rejects(
      requestFigure(service.socket, request(5, "fail")),
      /plotly could not draw it/,
    );
    assert.equal(text(await requestFigure(service.socket, request(6))), "6:t");
    assert.equal(service.drawn(), 5);
  } finally {
    await service.close();
  }
  await assert.rejects(Deno.stat(service.socket), Deno.errors.NotFound);
  await assert.rejects(requestFigure(service.socket, request(40)), /No such file|not found/i);
});

Deno.test("a malformed request gets an error reply, not a dropped connection", async () => {
  const service = await serveFigures(echo);
  try {
    const conn = await Deno.connect({ transport: "unix", path: service.socket });
    await conn.write(new TextEncoder().encode('{"figure": 1}\n'));
    const reply = new Uint8Array(1000);
    const length = (await conn.read(reply))!;
    assert.match(JSON.parse(text(reply.subarray(0, length))).error, /figure must be an object/);
    conn.close();
    assert.equal(service.drawn(), 0);
  } finally {
    await service.close();
  }
});

Deno.test("renderFigurePng sends its figure to COURSE_FIGURE_SERVICE, and draws it itself when that fails", async () => {
  const service = await serveFigures(echo);
  const script = `
    import { renderFigurePng } from "./lib/viz/plot.ts";
    const bytes = await renderFigurePng([{ y: [1, 2] }], { title: { text: "served" } }, { width: 64, height: 48 });
    console.log(bytes.length < 40 ? new TextDecoder().decode(bytes) : "drawn here, " + bytes.length + " bytes");
  `;
  try {
    const served = await runDeno(["eval", script], { COURSE_FIGURE_SERVICE: service.socket });
    assert.equal(served.code, 0, served.output);
    assert.match(served.output, /^64:served$/m); // the service's bytes, as they came
  } finally {
    await service.close();
  }
  const none = await runDeno(["eval", script], { COURSE_FIGURE_SERVICE: service.socket }); // closed now
  if (chromium.path === undefined) {
    assert.match(none.output, /figure service at .* failed/);
    return;
  }
  assert.equal(none.code, 0, none.output);
  assert.match(none.output, /the figure service at .* failed .*draws its figures itself/);
  assert.match(none.output, /drawn here, \d+ bytes/);
});

Deno.test({
  name: `a served figure is the PNG the kernel's own page draws${skipNote}`,
  ignore: chromium.path === undefined,
  async fn() {
    const figure = figureJson([{ x: [1, 2, 3], y: [2, 1, 3], type: "scatter" }], {
      title: { text: "same page" },
    }, { width: 320, height: 200 });
    const size = { width: 320, height: 200, scale: 1 };
    try {
      const local = await drawFigure(figure, size, true);
      const service = await serveFigures((r) => drawFigure(r.figure, r.size, true));
      try {
        const served = await requestFigure(service.socket, { figure, size });
        assert.deepEqual(served, local);
      } finally {
        await service.close();
      }
    } finally {
      await closeKeptPage();
    }
  },
});
