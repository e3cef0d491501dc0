/**
 * --trace-procs, writing side: merges the records of every thread (src/observe/trace.ts) into
 * one file in Chrome's Trace Event JSON format (the "JSON Object Format": `{"traceEvents": […]}`),
 * which Perfetto (ui.perfetto.dev, "Open trace file") and chrome://tracing show as a timeline
 * with one track per scheduler.
 *
 * Events written (pid 1 = the ttvm run, tid = track: 0 main thread, 1… scheduler 1…):
 * - `M` metadata: the run's and each track's name, tracks in order;
 * - `B`/`E` slices named `pid N` (args.pid), balanced on every track;
 * - `i` instants (thread scope): `spawn` (args pid, parent), `exit` (args pid, reason) and
 *   `migrate` (args pid, from, to: a process run by another scheduler than its last slice,
 *   i.e. a steal or a wake-up on another worker — derived here from the slices);
 * - `s`/`f` flow pairs (cat `message`, one id each): from the sender's slice at the send to the
 *   receiver's next slice (the first to begin after the send; `bp: "e"` binds the end to that
 *   slice). A send whose receiver never ran again has no arrow.
 *
 * Clock: every thread stamps with the run's common epoch; a spawn recorded on one thread a few
 * µs *after* the child's first slice began on another (threads' clocks are not perfectly
 * aligned) is moved to just before that slice, so every slice lies between its process's
 * spawn and exit (counted in otherData.clock_corrections).
 */
import {
  REC_BEGIN,
  REC_END,
  REC_EXIT,
  REC_F64,
  REC_SEND,
  REC_SPAWN,
  type TracePart,
} from "./trace.ts";

/** Trace Event JSON's `pid` for every event: the run. */
const RUN = 1;

interface Slice {
  tid: number;
  begin: number;
  end: number;
}

interface Send {
  tid: number;
  ts: number;
  from: number;
  to: number;
}

export interface TraceSummary {
  events: number;
  slices: number;
  flows: number;
  migrations: number;
  truncated: boolean;
}

/** Write the merged trace to `path`; returns what it contains. */
export function writeTrace(
  path: string,
  parts: TracePart[],
  meta: Record<string, string | number>,
): TraceSummary {
  const out = new JsonEventWriter(path);
  try {
    return writeEvents(out, parts, meta);
  } finally {
    out.close();
  }
}

function writeEvents(
  out: JsonEventWriter,
  parts: TracePart[],
  meta: Record<string, string | number>,
): TraceSummary {
  parts = [...parts].sort((a, b) => a.tid - b.tid);
  out.event({ name: "process_name", ph: "M", pid: RUN, tid: 0, args: { name: "ttvm" } });
  for (const p of parts) {
    out.event({ name: "thread_name", ph: "M", pid: RUN, tid: p.tid, args: { name: p.name } });
    out.event({
      name: "thread_sort_index",
      ph: "M",
      pid: RUN,
      tid: p.tid,
      args: { sort_index: p.tid },
    });
  }
  // Gather slices per pid, spawns and sends.
  const slices = new Map<number, Slice[]>();
  const spawnAt = new Map<number, { tid: number; ts: number; parent: number }>();
  const sends: Send[] = [];
  for (const p of parts) {
    const open = new Map<number, number>();
    forEachRecord(p, (type, ts, pid, arg) => {
      if (type === REC_BEGIN) open.set(pid, ts);
      else if (type === REC_END) {
        const begin = open.get(pid);
        if (begin === undefined) return;
        open.delete(pid);
        let list = slices.get(pid);
        if (!list) slices.set(pid, list = []);
        list.push({ tid: p.tid, begin, end: ts });
      } else if (type === REC_SPAWN) spawnAt.set(pid, { tid: p.tid, ts, parent: arg });
      else if (type === REC_SEND) sends.push({ tid: p.tid, ts, from: arg, to: pid });
    });
  }
  let sliceCount = 0, migrations = 0, corrections = 0;
  for (const [pid, list] of slices) {
    list.sort((a, b) => a.begin - b.begin);
    sliceCount += list.length;
    const spawn = spawnAt.get(pid);
    if (spawn && spawn.ts >= list[0].begin) {
      spawn.ts = Math.round((list[0].begin - 0.001) * 1000) / 1000;
      corrections++;
    }
  }
  // Slices, spawns and exits, thread by thread in their own order.
  for (const p of parts) {
    forEachRecord(p, (type, ts, pid, arg) => {
      const common = { pid: RUN, tid: p.tid };
      switch (type) {
        case REC_BEGIN:
          out.event({ name: `pid ${pid}`, cat: "slice", ph: "B", ts, ...common, args: { pid } });
          break;
        case REC_END:
          out.event({ name: `pid ${pid}`, cat: "slice", ph: "E", ts, ...common });
          break;
        case REC_SPAWN: {
          const s = spawnAt.get(pid)!;
          out.event({
            name: "spawn",
            cat: "process",
            ph: "i",
            s: "t",
            ts: s.ts,
            ...common,
            args: { pid, parent: arg },
          });
          break;
        }
        case REC_EXIT:
          out.event({
            name: "exit",
            cat: "process",
            ph: "i",
            s: "t",
            ts,
            ...common,
            args: { pid, reason: p.reasons[arg] ?? "?" },
          });
          break;
      }
    });
  }
  // Migrations: a process whose slice runs on another track than its previous one.
  for (const [pid, list] of slices) {
    for (let i = 1; i < list.length; i++) {
      if (list[i].tid === list[i - 1].tid) continue;
      migrations++;
      out.event({
        name: "migrate",
        cat: "migration",
        ph: "i",
        s: "t",
        ts: list[i].begin,
        pid: RUN,
        tid: list[i].tid,
        args: { pid, from: list[i - 1].tid, to: list[i].tid },
      });
    }
  }
  // Message flows: sender's slice → the receiver's first slice that begins after the send.
  let flows = 0;
  for (const s of sends) {
    const list = slices.get(s.to);
    if (!list) continue;
    const next = firstBeginAtOrAfter(list, s.ts);
    if (next === null) continue;
    const id = ++flows;
    out.event({ name: "message", cat: "message", ph: "s", id, ts: s.ts, pid: RUN, tid: s.tid });
    out.event({
      name: "message",
      cat: "message",
      ph: "f",
      bp: "e",
      id,
      ts: next.begin,
      pid: RUN,
      tid: next.tid,
      args: { from: s.from, to: s.to },
    });
  }
  const truncated = parts.some((p) => p.truncated);
  out.finish({
    ...meta,
    slices: sliceCount,
    flows,
    migrations,
    clock_corrections: corrections,
    truncated: truncated ? "yes: the record limit was reached" : "no",
  });
  return { events: out.count, slices: sliceCount, flows, migrations, truncated };
}

function forEachRecord(
  p: TracePart,
  f: (type: number, ts: number, pid: number, arg: number) => void,
): void {
  let left = p.count;
  for (const chunk of p.chunks) {
    const n = Math.min(left, chunk.length / REC_F64);
    for (let i = 0; i < n; i++) {
      const at = i * REC_F64;
      f(chunk[at], chunk[at + 1], chunk[at + 2], chunk[at + 3]);
    }
    left -= n;
  }
}

/** The first slice (list sorted by begin) beginning at or after `ts`. */
function firstBeginAtOrAfter(list: Slice[], ts: number): Slice | null {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].begin < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo] : null;
}

/** Streams `{"traceEvents":[ … ], …}` to a file in large writes. */
class JsonEventWriter {
  private readonly file: Deno.FsFile;
  private readonly enc = new TextEncoder();
  private buf: string[] = [];
  private bufChars = 0;
  count = 0;

  constructor(path: string) {
    this.file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.write('{"traceEvents":[\n');
  }

  event(e: Record<string, unknown>): void {
    this.write((this.count++ === 0 ? "" : ",\n") + JSON.stringify(e));
  }

  finish(otherData: Record<string, unknown>): void {
    this.write(`\n],"displayTimeUnit":"ms","otherData":${JSON.stringify(otherData)}}\n`);
  }

  private write(s: string): void {
    this.buf.push(s);
    this.bufChars += s.length;
    if (this.bufChars >= 1 << 20) this.flush();
  }

  private flush(): void {
    const bytes = this.enc.encode(this.buf.join(""));
    this.buf = [];
    this.bufChars = 0;
    let off = 0;
    while (off < bytes.length) off += this.file.writeSync(bytes.subarray(off));
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}
