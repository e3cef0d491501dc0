/**
 * --trace-procs writes Chrome Trace Event JSON that Perfetto can open: the structure is valid
 * (every event has its required fields), slices are balanced B/E pairs per track that never
 * nest, every flow has exactly one start inside a slice of the sender's track and one end at
 * the begin of a slice of the receiver, every slice of a process lies between its spawn and
 * its exit, exits carry their reasons, and migrations name the tracks the process moved
 * between. On the single scheduler and on --smp=2; and a recorder that reaches its record
 * limit still yields a consistent trace.
 */
import assert from "node:assert/strict";
import { runTtvm } from "../golden_lib.ts";
import { Memory } from "../../src/mem/memory.ts";
import { TraceRecorder } from "../../src/observe/trace.ts";
import { writeTrace } from "../../src/observe/trace_writer.ts";

const PROGRAM = "tests/observe/programs/trace_demo.ttvm";
const PROCESSES = 9; // main, 5 workers, the crasher, the pinger and the ponger
const CRASHER = 7;

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  id?: number;
  cat?: string;
  s?: string;
  bp?: string;
  args?: Record<string, unknown>;
}

interface Checked {
  tracks: Set<number>;
  slicesPerTrack: Map<number, number>;
  slices: number;
  flows: number;
  exits: Map<number, string>;
  migrations: TraceEvent[];
}

/** Checks every structural rule; returns what the trace holds. */
function validate(json: unknown): Checked {
  assert.ok(json !== null && typeof json === "object", "the file is a JSON object");
  const events = (json as { traceEvents: TraceEvent[] }).traceEvents;
  assert.ok(Array.isArray(events), "traceEvents is an array");
  const phases = new Set(["M", "B", "E", "i", "s", "f"]);
  const tracks = new Set<number>();
  for (const e of events) {
    assert.equal(typeof e.name, "string", `name of ${JSON.stringify(e)}`);
    assert.ok(phases.has(e.ph), `phase of ${JSON.stringify(e)}`);
    assert.equal(e.pid, 1);
    assert.ok(Number.isInteger(e.tid) && e.tid >= 0, `tid of ${JSON.stringify(e)}`);
    if (e.ph === "M") {
      if (e.name === "thread_name") tracks.add(e.tid);
      continue;
    }
    assert.ok(typeof e.ts === "number" && e.ts >= 0, `ts of ${JSON.stringify(e)}`);
    assert.ok(tracks.has(e.tid), `event on an unnamed track: ${JSON.stringify(e)}`);
  }
  // Slices: B/E balanced per track, never nested, E after B, same name.
  const slicesByPid = new Map<number, Array<{ tid: number; begin: number; end: number }>>();
  const slicesPerTrack = new Map<number, number>();
  const beginsByTrack = new Map<number, Set<number>>();
  const rangesByTrack = new Map<number, Array<[number, number]>>();
  const open = new Map<number, TraceEvent>();
  for (const e of events) {
    if (e.ph === "B") {
      assert.ok(!open.has(e.tid), `slice ${e.name} begins inside another on track ${e.tid}`);
      assert.equal(e.name, `pid ${e.args?.pid}`);
      open.set(e.tid, e);
    } else if (e.ph === "E") {
      const b = open.get(e.tid);
      assert.ok(b, `an E without its B on track ${e.tid} at ${e.ts}`);
      assert.equal(e.name, b.name);
      assert.ok(e.ts! > b.ts!, `slice ${b.name} ends before it begins`);
      open.delete(e.tid);
      const pid = b.args!.pid as number;
      let list = slicesByPid.get(pid);
      if (!list) slicesByPid.set(pid, list = []);
      list.push({ tid: e.tid, begin: b.ts!, end: e.ts! });
      slicesPerTrack.set(e.tid, (slicesPerTrack.get(e.tid) ?? 0) + 1);
      if (!beginsByTrack.has(e.tid)) beginsByTrack.set(e.tid, new Set());
      beginsByTrack.get(e.tid)!.add(b.ts!);
      if (!rangesByTrack.has(e.tid)) rangesByTrack.set(e.tid, []);
      rangesByTrack.get(e.tid)!.push([b.ts!, e.ts!]);
    }
  }
  assert.equal(open.size, 0, `slices left open on tracks ${[...open.keys()]}`);
  // Spawns and exits: every slice lies between its process's spawn and exit.
  const spawns = new Map<number, number>(), exits = new Map<number, string>();
  const exitAt = new Map<number, number>();
  for (const e of events) {
    if (e.ph !== "i") continue;
    const pid = e.args?.pid as number;
    if (e.name === "spawn") {
      assert.ok(!spawns.has(pid), `pid ${pid} spawned twice`);
      spawns.set(pid, e.ts!);
    } else if (e.name === "exit") {
      assert.ok(!exits.has(pid), `pid ${pid} exited twice`);
      assert.equal(typeof e.args?.reason, "string");
      exits.set(pid, e.args!.reason as string);
      exitAt.set(pid, e.ts!);
    }
  }
  let slices = 0;
  for (const [pid, list] of slicesByPid) {
    slices += list.length;
    const spawned = spawns.get(pid);
    assert.ok(spawned !== undefined, `pid ${pid} runs but was never spawned`);
    for (const s of list) {
      assert.ok(s.begin > spawned, `a slice of pid ${pid} begins before its spawn`);
      const exited = exitAt.get(pid);
      if (exited !== undefined) assert.ok(s.end <= exited, `a slice of pid ${pid} after its exit`);
    }
  }
  // Flows: one start inside a slice of its track, one end at a slice's begin on its track.
  const starts = new Map<number, TraceEvent>(), ends = new Map<number, TraceEvent>();
  for (const e of events) {
    if (e.ph !== "s" && e.ph !== "f") continue;
    const side = e.ph === "s" ? starts : ends;
    assert.ok(Number.isInteger(e.id), `flow without id: ${JSON.stringify(e)}`);
    assert.ok(!side.has(e.id!), `flow ${e.id} has two '${e.ph}' events`);
    side.set(e.id!, e);
  }
  assert.equal(starts.size, ends.size, "flow starts and ends pair up");
  for (const [id, s] of starts) {
    const f = ends.get(id);
    assert.ok(f, `flow ${id} has no end`);
    assert.equal(f.bp, "e");
    const inside = (rangesByTrack.get(s.tid) ?? []).some(([b, e]) => b < s.ts! && s.ts! < e);
    assert.ok(inside, `flow ${id} starts outside any slice of track ${s.tid}`);
    assert.ok(beginsByTrack.get(f.tid)?.has(f.ts!), `flow ${id} does not end at a slice begin`);
  }
  // Migrations: between two tracks, matching the process's consecutive slices.
  const migrations = events.filter((e) => e.name === "migrate");
  for (const m of migrations) {
    const { pid, from, to } = m.args as { pid: number; from: number; to: number };
    assert.notEqual(from, to);
    assert.equal(m.tid, to);
    const list = slicesByPid.get(pid)!.sort((a, b) => a.begin - b.begin);
    const i = list.findIndex((s) => s.begin === m.ts && s.tid === to);
    assert.ok(i > 0 && list[i - 1].tid === from, `migration of pid ${pid} at ${m.ts}`);
  }
  return { tracks, slicesPerTrack, slices, flows: starts.size, exits, migrations };
}

async function traceRun(extra: string[]): Promise<Checked> {
  const path = await Deno.makeTempFile({ prefix: "ttvm_trace_", suffix: ".json" });
  try {
    const r = await runTtvm([...extra, `--trace-procs=${path}`, PROGRAM], "");
    assert.equal(r.stdout, "done\n");
    assert.match(r.stderr, /Process 7 crashed: Division by zero/);
    assert.equal(r.exitCode, 0);
    return validate(JSON.parse(await Deno.readTextFile(path)));
  } finally {
    await Deno.remove(path);
  }
}

function assertContent(c: Checked): void {
  assert.equal(c.exits.size, PROCESSES, "every process exits");
  assert.equal(c.exits.get(CRASHER), "Division by zero");
  for (const [pid, reason] of c.exits) if (pid !== CRASHER) assert.equal(reason, "normal");
  // 100 ping-pong messages each wake their receiver, plus the reports to main.
  assert.ok(c.flows >= 100, `only ${c.flows} message flows`);
  assert.ok(c.slices >= PROCESSES, `only ${c.slices} slices`);
}

Deno.test("--trace-procs on the single scheduler: one track, balanced slices, flows, exits", async () => {
  const c = await traceRun([]);
  assert.deepEqual([...c.tracks], [1]);
  assert.equal(c.migrations.length, 0, "one scheduler: nothing migrates");
  assertContent(c);
});

Deno.test("--trace-procs on --smp=2: a track per scheduler, both used, migrations consistent", async () => {
  const c = await traceRun(["--smp=2"]);
  assert.deepEqual([...c.tracks].sort(), [0, 1, 2]);
  assert.ok((c.slicesPerTrack.get(1) ?? 0) > 0 && (c.slicesPerTrack.get(2) ?? 0) > 0);
  assertContent(c);
});

Deno.test("a recorder past its record limit still writes a consistent trace", () => {
  const mem = Memory.create(1 << 20);
  const rec = new TraceRecorder(mem, 1, "scheduler 1", 10);
  rec.spawn(1, 0);
  for (let i = 0; i < 20; i++) {
    rec.begin(1);
    rec.send(1, 1);
    rec.end(1);
  }
  rec.begin(2); // refused: full
  rec.spawn(2, 1); // lifecycle events are always kept
  rec.exit(1, "normal");
  const path = Deno.makeTempFileSync({ suffix: ".json" });
  try {
    const summary = writeTrace(path, [rec.take()], {});
    assert.equal(summary.truncated, true);
    const c = validate(JSON.parse(Deno.readTextFileSync(path)));
    assert.ok(c.slices >= 3 && c.slices < 10, `${c.slices} slices kept`);
    assert.equal(c.exits.get(1), "normal");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("--trace-procs with a path that cannot be written is a usage error before the run", async () => {
  const r = await runTtvm(["--trace-procs=/nonexistent-dir/x.json", PROGRAM], "");
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /--trace-procs: cannot write \/nonexistent-dir\/x\.json/);
  assert.equal(r.stdout, "");
});

Deno.test("the trace checks reject an unbalanced slice, an unpaired flow and a slice before spawn", () => {
  const base = [
    { name: "thread_name", ph: "M", pid: 1, tid: 1, args: { name: "scheduler 1" } },
    { name: "spawn", ph: "i", s: "t", ts: 1, pid: 1, tid: 1, args: { pid: 1, parent: 0 } },
    { name: "pid 1", ph: "B", ts: 2, pid: 1, tid: 1, args: { pid: 1 } },
    { name: "message", ph: "s", id: 1, ts: 3, pid: 1, tid: 1 },
    { name: "pid 1", ph: "E", ts: 4, pid: 1, tid: 1 },
    { name: "pid 1", ph: "B", ts: 5, pid: 1, tid: 1, args: { pid: 1 } },
    { name: "message", ph: "f", bp: "e", id: 1, ts: 5, pid: 1, tid: 1 },
    { name: "pid 1", ph: "E", ts: 6, pid: 1, tid: 1 },
  ];
  validate({ traceEvents: base }); // the well-formed original passes
  assert.throws(() => validate({ traceEvents: base.filter((_, i) => i !== 4) }));
  assert.throws(() => validate({ traceEvents: base.filter((_, i) => i !== 6) }));
  const early = base.map((e) => e.name === "spawn" ? { ...e, ts: 4.5 } : e);
  assert.throws(() => validate({ traceEvents: early }), /before its spawn/);
});
