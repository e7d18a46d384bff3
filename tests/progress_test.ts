import assert from "node:assert/strict";
import {
  formatDuration,
  formatProgress,
  ProgressBar,
  progressHtml,
  progressRate,
} from "../lib/viz/progress.ts";

/** A clock the test moves by hand, in ms. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

Deno.test("durations, rate and ETA", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Infinity), "?");
  assert.deepEqual(progressRate({ step: 50, total: 200, elapsedSeconds: 10 }), {
    perSecond: 5,
    etaSeconds: 30,
  });
  assert.equal(progressRate({ step: 0, total: 200, elapsedSeconds: 10 }), undefined);
});

Deno.test("a progress line shows counts, bar, percent, metrics, rate, elapsed and ETA", () => {
  const line = formatProgress({
    step: 50,
    total: 200,
    elapsedSeconds: 10,
    label: "train",
    metrics: { loss: 0.25, acc: "91%", lr: 1e-4 },
    barWidth: 8,
  });
  assert.equal(
    line,
    "train   50/200 [██░░░░░░]  25% | loss 0.2500 | acc 91% | lr 1.000e-4 | 5.00 it/s | " +
      "0:10 elapsed | ETA 0:30",
  );
  const slow = formatProgress({ step: 2, total: 4, elapsedSeconds: 5, barWidth: 4 });
  assert.equal(slow, "2/4 [██░░]  50% | 2.50 s/it | 0:05 elapsed | ETA 0:05");
  const finished = formatProgress({ step: 4, total: 4, elapsedSeconds: 2, barWidth: 4 });
  assert.ok(!finished.includes("ETA"), finished);
});

Deno.test("tty mode redraws one line with a carriage return, throttled to 5 per second", async () => {
  const clock = fakeClock();
  const out: string[] = [];
  const bar = new ProgressBar({
    total: 100,
    mode: "tty",
    now: clock.now,
    write: (t) => out.push(t),
    barWidth: 10,
  });
  for (let step = 1; step <= 100; step++) {
    clock.advance(10); // 100 steps/s, 1 s in all
    bar.update(step, { loss: 1 / step });
  }
  await bar.done();
  // drawn at 10 ms, then every ≥ 200 ms: 10, 210, 410, 610, 810 → 5 updates + the final line
  assert.equal(out.length, 6, JSON.stringify(out));
  assert.ok(out.every((t) => t.startsWith("\r")));
  assert.ok(out.slice(0, -1).every((t) => !t.endsWith("\n")));
  assert.ok(out.at(-1)!.endsWith("\x1b[K\n"));
  assert.equal(
    out[1],
    "\r 21/100 [██░░░░░░░░]  21% | loss 0.04762 | 100.00 it/s | 0:00 elapsed | ETA 0:01\x1b[K",
  );
  assert.equal(
    out.at(-1),
    "\r100/100 [██████████] 100% | loss 0.01000 | 100.00 it/s | 0:01 elapsed\x1b[K\n",
  );
  bar.update(5); // ignored after done
  assert.equal(out.length, 6);
});

Deno.test("plain mode writes whole lines only now and then, and a final line", async () => {
  const clock = fakeClock();
  const out: string[] = [];
  const bar = new ProgressBar({
    total: 60,
    label: "epochs",
    mode: "plain",
    now: clock.now,
    write: (t) => out.push(t),
    plainIntervalMs: 10_000,
  });
  for (let step = 1; step <= 60; step++) {
    clock.advance(1000);
    bar.tick({ loss: 0.5 });
  }
  await bar.done();
  // first update at 1 s, then at 11, 21, 31, 41, 51 s, then the final line at 60 s
  assert.equal(out.length, 7, out.join(""));
  assert.ok(out.every((t) => t.endsWith("\n") && !t.includes("\r")));
  assert.equal(
    out[1],
    `epochs  11/60 [${"█".repeat(4)}${"░".repeat(20)}]  18% | loss 0.5000 | 1.00 it/s | ` +
      "0:11 elapsed | ETA 0:49\n",
  );
  assert.equal(
    out[6],
    `epochs  60/60 [${"█".repeat(24)}] 100% | loss 0.5000 | 1.00 it/s | 1:00 elapsed\n`,
  );
});

Deno.test("jupyter mode sends display_data once, then update_display_data with the same id", async () => {
  const clock = fakeClock();
  const sent: { type: string; content: Record<string, unknown> }[] = [];
  const bar = new ProgressBar({
    total: 10,
    mode: "jupyter",
    now: clock.now,
    send: (type, content) => {
      sent.push({ type, content });
      return Promise.resolve();
    },
  });
  for (let step = 1; step <= 10; step++) {
    clock.advance(300);
    bar.update(step, { loss: 2 });
  }
  await bar.done();
  assert.equal(sent.length, 11);
  assert.equal(sent[0].type, "display_data");
  assert.ok(sent.slice(1).every((m) => m.type === "update_display_data"));
  const ids = new Set(sent.map((m) => (m.content.transient as { display_id: string }).display_id));
  assert.equal(ids.size, 1);
  const last = sent.at(-1)!.content.data as Record<string, string>;
  assert.match(last["text/plain"], /^10\/10 .* 100% \| loss 2 \| 3\.33 it\/s \| 0:03 elapsed$/);
  assert.match(last["text/html"], /<progress value="100.0" max="100"/);
});

Deno.test("a loop that stopped early ends its bar without an ETA", async () => {
  const clock = fakeClock();
  const out: string[] = [];
  const bar = new ProgressBar({
    total: 100,
    mode: "plain",
    now: clock.now,
    write: (t) => out.push(t),
    barWidth: 4,
  });
  clock.advance(1000);
  bar.update(10);
  await bar.done({ interrupted: "epoch 1, step 10 of 100" });
  assert.ok(out[0].includes("ETA 0:09"), out[0]);
  assert.equal(
    out.at(-1),
    " 10/100 [░░░░]  10% | interrupted epoch 1, step 10 of 100 | 10.00 it/s | 0:01 elapsed\n",
  );
});

Deno.test("the HTML bar wraps between whole pieces (flex row), so it fits a narrow output", () => {
  const html = progressHtml({
    step: 50,
    total: 200,
    elapsedSeconds: 10,
    label: "train",
    metrics: { loss: 0.25, note: "a<b" },
  });
  assert.match(html, /^<div style="display: flex; flex-wrap: wrap;[^"]*max-width: 100%/);
  assert.match(html, /<progress value="25.0" max="100"/);
  const pieces = [...html.matchAll(/<span style="white-space: pre">(.*?)<\/span>/g)].map((m) =>
    m[1]
  );
  assert.deepEqual(pieces, [
    "train   50/200  25%", // the text bar is left out: the <progress> element draws it
    "| loss 0.2500",
    "| note a&#60;b",
    "| 5.00 it/s",
    "| 0:10 elapsed",
    "| ETA 0:30",
  ]);
});
