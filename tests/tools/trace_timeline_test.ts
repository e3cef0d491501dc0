/**
 * tools/trace_timeline.ts draws a real --trace-procs trace faithfully: a trace produced by
 * running tests/observe/programs/trace_demo.ttvm on --smp=2 in a subprocess parses into one
 * track per scheduler; in the picture every bar lies inside its own track's band, every
 * message arrow runs from inside the sender's bar to the start of the receiver's bar (and
 * there is one per flow), the crash is marked with its reason; a dense run is cut to its first
 * N slices and an explicit window clips. Hand-written traces pin the geometry and the errors;
 * the command line exits 0 / 1 (unreadable or malformed trace) / 2 (bad usage).
 */
import assert from "node:assert/strict";
import { runTtvm } from "../golden_lib.ts";
import {
  chooseWindow,
  layoutTimeline,
  parseArgs,
  parseTrace,
  renderSvg,
  type Timeline,
  timeTicks,
  TraceFileError,
} from "../../tools/trace_timeline.ts";

const PROGRAM = "tests/observe/programs/trace_demo.ttvm";
const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** One real trace for the whole file (the run takes about a second). */
let realTrace: Promise<string> | null = null;
function traceOfDemo(): Promise<string> {
  realTrace ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "ttvm_timeline_" });
    const path = `${dir}/trace.json`;
    const run = await runTtvm(["--smp=2", `--trace-procs=${path}`, PROGRAM], "");
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /done/);
    const text = await Deno.readTextFile(path);
    await Deno.remove(dir, { recursive: true });
    return text;
  })();
  return realTrace;
}

const WHOLE = { maxSlices: 1_000_000 };
const LAYOUT = { widthPx: 1200, title: "t" };
const EPS = 1e-6;

function checkGeometry(tl: Timeline, layout: ReturnType<typeof layoutTimeline>): void {
  const bandOf = new Map(layout.bands.map((b) => [b.tid, b]));
  assert.equal(bandOf.size, layout.bands.length, "one band per track");
  for (const bar of layout.bars) {
    const band = bandOf.get(bar.tid);
    assert.ok(band, `bar of pid ${bar.pid} on an undrawn track ${bar.tid}`);
    assert.equal(bar.pid, tl.slices[bar.slice].pid);
    assert.ok(bar.y >= band.y && bar.y + bar.height <= band.y + band.height, "bar in its band");
    assert.ok(bar.x >= layout.plotX - EPS, `bar of pid ${bar.pid} starts left of the plot`);
    assert.ok(bar.width >= 1 - EPS, "a bar is at least 1 px wide");
    assert.ok(
      bar.x + bar.width <= layout.plotX + layout.plotWidth + EPS,
      `bar of pid ${bar.pid} ends right of the plot`,
    );
  }
  for (const a of layout.arrows) {
    const from = layout.bars[a.fromBar], to = layout.bars[a.toBar];
    assert.ok(from && to, `arrow ${a.flow} joins two drawn bars`);
    const flow = tl.flows.find((f) => f.id === a.flow)!;
    assert.equal(from.pid, flow.fromPid, `arrow ${a.flow} leaves the sender's bar`);
    assert.equal(to.pid, flow.toPid, `arrow ${a.flow} reaches the receiver's bar`);
    assert.ok(a.x1 >= from.x - EPS && a.x1 <= from.x + from.width + EPS, "send inside its bar");
    assert.ok(Math.abs(a.x2 - to.x) < EPS, "the arrow ends where the receiver's slice begins");
    assert.ok(a.y1 === from.y || a.y1 === from.y + from.height, "starts on the sender's edge");
    assert.ok(a.y2 === to.y || a.y2 === to.y + to.height, "ends on the receiver's edge");
    assert.ok(a.d.startsWith(`M`) && a.d.includes(" C"), "drawn as a curve");
  }
}

Deno.test("a real --smp=2 trace parses into one track per scheduler with flows between slices", async () => {
  const tl = parseTrace(await traceOfDemo());
  const names = tl.tracks.map((t) => t.name);
  assert.equal(new Set(names).size, names.length, "track names are unique");
  assert.ok(names.includes("scheduler 1") && names.includes("scheduler 2"), names.join(", "));
  assert.equal(names.filter((n) => n.startsWith("scheduler")).length, 2);
  assert.ok(tl.slices.length >= 100, `${tl.slices.length} slices`); // 50 round trips at least
  assert.ok(tl.flows.length >= 100, `${tl.flows.length} flows`);
  for (const f of tl.flows) {
    const from = tl.slices[f.fromSlice], to = tl.slices[f.toSlice];
    assert.equal(from.pid, f.fromPid);
    assert.equal(to.pid, f.toPid);
    assert.ok(from.beginUs <= f.sendUs && f.sendUs <= from.endUs);
    assert.ok(to.beginUs >= f.sendUs, "received after it was sent");
  }
  assert.ok(tl.exits.some((e) => /division by zero/i.test(e.reason)), "the crash is recorded");
});

Deno.test("the picture of a real trace: bars inside their tracks, arrows join drawn bars", async () => {
  const tl = parseTrace(await traceOfDemo());
  const win = chooseWindow(tl, WHOLE);
  assert.equal(win.note, "", "the whole run is drawn");
  const layout = layoutTimeline(tl, win, LAYOUT);
  const schedulerBands = layout.bands.filter((b) => b.name.startsWith("scheduler"));
  assert.deepEqual(schedulerBands.map((b) => b.name), ["scheduler 1", "scheduler 2"]);
  assert.equal(layout.bars.length, tl.slices.length, "every slice drawn");
  assert.equal(layout.arrows.length, tl.flows.length, "every message drawn");
  checkGeometry(tl, layout);
  const crash = layout.markers.find((m) => m.kind === "crash");
  assert.ok(crash && /Division by zero/i.test(crash.label), "the crash carries its reason");
  const svg = renderSvg(layout);
  assert.ok(svg.startsWith("<svg ") && svg.trimEnd().endsWith("</svg>"));
  assert.equal(svg.match(/marker-end="url\(#arrow\)"><title>/g)?.length, tl.flows.length);
  assert.match(svg, />scheduler 2</);
  assert.equal(renderSvg(layout), svg, "deterministic");
});

Deno.test("a dense trace is cut after its first N slices; an explicit window clips", async () => {
  const tl = parseTrace(await traceOfDemo());
  const cut = chooseWindow(tl, { maxSlices: 20 });
  assert.equal(cut.toUs, tl.slices[20].beginUs);
  assert.match(cut.note, new RegExp(`first 20 of ${tl.slices.length} slices`));
  const layout = layoutTimeline(tl, cut, LAYOUT);
  assert.equal(layout.bars.length, 20);
  assert.match(layout.subtitle, /first 20 of/);
  checkGeometry(tl, layout);

  // The middle third of the run, in ms as on the axis.
  const first = tl.slices[0].beginUs, span = tl.endUs - first;
  const fromMs = (first + span / 3) / 1000, toMs = (first + (2 * span) / 3) / 1000;
  const win = chooseWindow(tl, { fromMs, toMs, maxSlices: 5 });
  assert.equal(win.fromUs, fromMs * 1000);
  assert.equal(win.toUs, toMs * 1000, "an explicit --to-ms is not cut by --max-slices");
  const mid = layoutTimeline(tl, win, LAYOUT);
  const overlapping = tl.slices.filter((s) => s.endUs > win.fromUs && s.beginUs < win.toUs);
  assert.equal(mid.bars.length, overlapping.length);
  assert.ok(mid.arrows.length < tl.flows.length, "flows outside the window are left out");
  checkGeometry(tl, mid);
  assert.throws(() => chooseWindow(tl, { fromMs: 5, toMs: 5, maxSlices: 10 }), TraceFileError);
});

/** A hand-written trace: two schedulers, pid 1 sends to pid 2 across and to pid 3 on its own. */
function smallTrace(): Record<string, unknown>[] {
  const m = (tid: number, name: string) => ({
    name: "thread_name",
    ph: "M",
    pid: 1,
    tid,
    args: { name },
  });
  const ev = (ph: string, tid: number, ts: number, extra: Record<string, unknown> = {}) => ({
    name: "x",
    ph,
    pid: 1,
    tid,
    ts,
    ...extra,
  });
  return [
    m(1, "scheduler 1"),
    m(2, "scheduler 2"),
    ev("i", 1, 900, { name: "spawn", args: { pid: 2, parent: 1 } }),
    ev("B", 1, 1000, { args: { pid: 1 } }),
    ev("E", 1, 2000),
    ev("B", 2, 2500, { args: { pid: 2 } }),
    ev("E", 2, 3000),
    ev("B", 1, 3000, { args: { pid: 3 } }),
    ev("E", 1, 5000),
    ev("i", 1, 5000, { name: "exit", args: { pid: 3, reason: "badarith <x>" } }),
    ev("s", 1, 1500, { id: 1 }),
    ev("f", 2, 2500, { id: 1, bp: "e", args: { from: 1, to: 2 } }),
    ev("s", 1, 1800, { id: 2 }),
    ev("f", 1, 3000, { id: 2, bp: "e", args: { from: 1, to: 3 } }),
  ];
}

Deno.test("geometry of a small trace: times map linearly onto the plot", () => {
  const tl = parseTrace(JSON.stringify({ traceEvents: smallTrace() }));
  assert.deepEqual(tl.tracks.map((t) => t.name), ["scheduler 1", "scheduler 2"]);
  const layout = layoutTimeline(tl, { fromUs: 1000, toUs: 5000, note: "" }, LAYOUT);
  const pxPerUs = layout.plotWidth / 4000;
  const bar = (pid: number) => layout.bars.find((b) => b.pid === pid)!;
  assert.equal(bar(1).x, layout.plotX);
  assert.equal(bar(1).width, 1000 * pxPerUs);
  assert.equal(bar(2).x, layout.plotX + 1500 * pxPerUs);
  assert.equal(bar(3).x + bar(3).width, layout.plotX + layout.plotWidth);
  assert.notEqual(bar(1).y, bar(2).y, "two schedulers, two rows");
  assert.equal(bar(1).y, bar(3).y);
  const [across, same] = layout.arrows;
  assert.equal(across.x1, layout.plotX + 500 * pxPerUs);
  assert.equal(across.y1, bar(1).y + bar(1).height, "leaves scheduler 1 downwards");
  assert.equal(across.y2, bar(2).y);
  assert.equal(same.y1, bar(1).y, "same track: an arc over the bars");
  assert.equal(same.x2, bar(3).x);
  checkGeometry(tl, layout);
  // The spawn at 900 µs lies before the window; the exit is drawn with its reason, escaped.
  assert.equal(layout.markers.filter((m) => m.kind === "spawn").length, 0);
  const crash = layout.markers.find((m) => m.kind === "crash")!;
  assert.equal(crash.label, "3: badarith <x>");
  assert.equal(crash.labelAnchor, "end", "at the right edge the reason is written leftwards");
  assert.ok(crash.labelX < crash.x);
  assert.match(renderSvg(layout), /3: badarith &lt;x&gt;/);
  // A slice beginning a hair before the window's end still gets a full pixel inside the plot.
  const edge = layoutTimeline(tl, { fromUs: 1000, toUs: 3000.001, note: "" }, LAYOUT);
  const last = edge.bars.find((b) => b.pid === 3)!;
  assert.equal(last.width, 1);
  assert.equal(last.x + last.width, edge.plotX + edge.plotWidth);
  checkGeometry(tl, edge);
});

Deno.test("malformed traces are refused with a message saying what is wrong", () => {
  const bad = (text: string, why: RegExp) =>
    assert.throws(
      () => parseTrace(text),
      (e: Error) => e instanceof TraceFileError && why.test(e.message),
    );
  bad("{not json", /not JSON/);
  bad(JSON.stringify({ events: [] }), /traceEvents/);
  bad(JSON.stringify({ traceEvents: [] }), /no slices/);
  const events = smallTrace();
  bad(JSON.stringify({ traceEvents: events.filter((e) => e.ph !== "E") }), /begins inside/);
  bad(JSON.stringify({ traceEvents: events.slice(0, 4) }), /never ends/);
  bad(JSON.stringify({ traceEvents: events.filter((e) => e.ph !== "s") }), /never starts/);
  bad(JSON.stringify({ traceEvents: events.slice(1) }), /track 1 has events but no thread_name/);
  const moved = events.map((e) => e.ph === "f" && e.id === 1 ? { ...e, ts: 2600 } : e);
  bad(JSON.stringify({ traceEvents: moved }), /flow 1 ends where no slice/);
  bad(JSON.stringify({ traceEvents: [...events, { ph: "B", tid: 1 }] }), /no numeric ts/);
});

Deno.test("time ticks are round and cover the window", () => {
  assert.deepEqual(timeTicks(1000, 5000), [1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000]);
  const t = timeTicks(146_903.2, 160_290.5);
  assert.ok(t.length >= 5 && t.length <= 10, `${t.length} ticks`);
  assert.ok(t[0] >= 146_903.2 && t[t.length - 1] <= 160_290.5);
  assert.equal(t[1] - t[0], 2000);
});

Deno.test("arguments: window, limits, output name; bad ones are usage errors", () => {
  const o = parseArgs(["t.json", "--from-ms=1.5", "--to-ms", "9", "--max-slices=50"]);
  assert.equal(o.output, "t.svg");
  assert.equal(o.fromMs, 1.5);
  assert.equal(o.toMs, 9);
  assert.equal(o.maxSlices, 50);
  assert.equal(parseArgs(["a.json", "-o", "b.svg"]).output, "b.svg");
  assert.throws(() => parseArgs([]), /no trace file/);
  assert.throws(() => parseArgs(["t.json", "--to-ms=x"]), /--to-ms wants a number/);
  assert.throws(() => parseArgs(["t.json", "--from-ms=5", "--to-ms=2"]), /must be after/);
  assert.throws(() => parseArgs(["t.json", "--bogus"]), /unknown option --bogus/);
  assert.throws(() => parseArgs(["a.json", "b.json"]), /one trace file only/);
});

async function tool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/trace_timeline.ts", ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("the command line writes the SVG, exits 1 on a bad trace and 2 on bad usage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ttvm_timeline_cli_" });
  try {
    await Deno.writeTextFile(`${dir}/t.json`, await traceOfDemo());
    const ok = await tool([`${dir}/t.json`, "-o", `${dir}/t.svg`, "--max-slices=40"]);
    assert.equal(ok.code, 0, ok.stderr);
    // How many messages fall in the first 40 slices depends on the interleaving of the
    // traced run; the summary names them in the singular when there is exactly one.
    const m = /t\.svg: \d+ tracks, 40 slices, (\d+) (messages?) \(first 40 of/.exec(ok.stdout);
    assert.ok(m, ok.stdout);
    assert.equal(m[2], m[1] === "1" ? "message" : "messages", ok.stdout);
    const svg = await Deno.readTextFile(`${dir}/t.svg`);
    assert.ok(svg.startsWith("<svg ") && svg.includes(">scheduler 1<"));

    const usage = await tool(["--from-ms=oops", `${dir}/t.json`]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--from-ms wants a number/);
    assert.match(usage.stderr, /usage: deno task trace:svg/);

    const missing = await tool([`${dir}/absent.json`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*absent\.json/);

    await Deno.writeTextFile(
      `${dir}/bad.json`,
      '{"traceEvents": [{"ph": "E", "tid": 1, "ts": 5}]}',
    );
    const bad = await tool([`${dir}/bad.json`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.json: event 0: a slice ends on track 1 but none began/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
