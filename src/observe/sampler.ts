/**
 * The dashboard's data source: samples of the running VM read straight from shared memory —
 * the header's counters, the schedulers' statistics lines, the process table, PCBs, the name
 * registry and supervisors' relations blocks — without asking any process anything, so the
 * VM never pauses for it.
 *
 * Safety of racy reads (SMP: the processes run while this reads): every figure may be stale
 * or torn, but a reader never crashes or loops forever — every walk is bounded (the table by
 * the highest PID handed out, the registry and relations blocks by their capacity and by
 * MAX_WALK), every pointer read out of memory is checked to lie inside the buffer before it
 * is followed, atom names are looked up defensively, and each process is read inside its own
 * try, so a PCB freed and reused under the reader yields at worst one odd row. On the single
 * scheduler the sampler runs between slices (during an event-loop turn), so its reads are
 * exact.
 *
 * A sample ("tick") keeps every live process's counters; rates (per second) compare a tick
 * with the one before it. The history ring keeps the charts' points.
 */
import type { AtomTable } from "../mem/atoms.ts";
import type { ProgramImage } from "../mem/image.ts";
import {
  CELL_BYTES,
  H_CELLS_LIVE,
  H_MAX_PROCESSES,
  H_NEXT_PID,
  H_PROCS_LIVE,
  H_REGISTRY_CAP,
  H_REGISTRY_CELL,
} from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { readSchedStats, type SchedStat } from "../mem/sched_stats.ts";
import { liveStatus, processMemoryBytes, processReductions } from "../proc/introspect.ts";
import {
  FLAG_SUPERVISOR,
  FLAG_TRAP_EXIT,
  P_FLAGS,
  P_MBOX_LEN,
  P_PARENT,
  P_PC,
  P_REL,
  P_SP,
} from "../proc/pcb.ts";
import { REL_CHILD, REL_LINK, REL_MON, REL_NAME, REL_WATCH } from "../proc/relations.ts";
import { E_PCB, type ProcTable, ST_NONE } from "../proc/table.ts";

/** No walk over a relations block or the registry goes further than this. */
const MAX_WALK = 1 << 20;
/** Chart points kept (at one tick a second: four minutes). */
export const HISTORY_POINTS = 240;

const STATUS = ["", "runnable", "running", "waiting"];

/** What the dashboard needs from the run (single scheduler or SMP pool). */
export interface ObserveSource {
  mem: Memory;
  atoms: AtomTable;
  image: ProgramImage;
  table: ProcTable;
  /** Run queue length of each scheduler (racy). */
  runQueues(): number[];
  /** Processes queued for any scheduler (the SMP pool's injection queue), racy. */
  sharedQueue?(): number;
}

export interface ProcRow {
  pid: number;
  status: string;
  name: string | null;
  reductions: number;
  memory: number;
  mailbox: number;
  pc: number;
  supervisor: boolean;
}

/** Columns of a sample's process table (struct of arrays: a sample of 100,000 processes
 *  allocates a few typed arrays, not 100,000 objects). Rows are in PID order. */
export interface Columns {
  count: number;
  pid: Int32Array;
  /** Table status word (ST_RUNNABLE, ST_RUNNING, ST_WAITING). */
  status: Uint8Array;
  reductions: Float64Array;
  memory: Float64Array;
  mailbox: Float64Array;
  pc: Int32Array;
  supervisor: Uint8Array;
}

export interface Tick {
  /** Run-clock ms of the sample. */
  t: number;
  procs: Columns;
  /** pid → registered name (only named processes). */
  names: Map<number, string>;
  scheds: SchedStat[];
  runQueues: number[];
  sharedQueue: number;
  processCount: number;
  processLimit: number;
  memoryBytes: number;
  bufferBytes: number;
  messages: number;
  reductions: number;
  /** Time the sample itself took (ms). */
  costMs: number;
}

/** Row index of `pid` in a sample (binary search), or -1. */
export function indexOfPid(c: Columns, pid: number): number {
  let lo = 0, hi = c.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, p = c.pid[mid];
    if (p === pid) return mid;
    if (p < pid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Row `i` of a sample as an object. */
export function rowAt(tick: Tick, i: number): ProcRow {
  const c = tick.procs;
  return {
    pid: c.pid[i],
    status: STATUS[c.status[i]] ?? "?",
    name: tick.names.get(c.pid[i]) ?? null,
    reductions: c.reductions[i],
    memory: c.memory[i],
    mailbox: c.mailbox[i],
    pc: c.pc[i],
    supervisor: c.supervisor[i] !== 0,
  };
}

/** Every row of a sample as objects (small tables, tests). */
export function rowsOf(tick: Tick): ProcRow[] {
  return Array.from({ length: tick.procs.count }, (_, i) => rowAt(tick, i));
}

function columns(capacity: number): Columns {
  return {
    count: 0,
    pid: new Int32Array(capacity),
    status: new Uint8Array(capacity),
    reductions: new Float64Array(capacity),
    memory: new Float64Array(capacity),
    mailbox: new Float64Array(capacity),
    pc: new Int32Array(capacity),
    supervisor: new Uint8Array(capacity),
  };
}

function grown(c: Columns): Columns {
  const g = columns(c.pid.length * 2);
  g.count = c.count;
  g.pid.set(c.pid);
  g.status.set(c.status);
  g.reductions.set(c.reductions);
  g.memory.set(c.memory);
  g.mailbox.set(c.mailbox);
  g.pc.set(c.pc);
  g.supervisor.set(c.supervisor);
  return g;
}

export interface HistoryPoint {
  t: number;
  /** Utilisation of each scheduler over the interval, 0..1. */
  util: number[];
  runQueue: number[];
  memoryBytes: number;
  messagesPerS: number;
  reductionsPerS: number;
  processes: number;
}

export class Sampler {
  last: Tick | null = null;
  previous: Tick | null = null;
  readonly history: HistoryPoint[] = [];

  constructor(private readonly src: ObserveSource) {}

  /** Take a sample; returns it (it becomes `last`). */
  tick(nowMs: number): Tick {
    const t0 = performance.now();
    const { mem } = this.src;
    mem.refresh();
    const w = mem.i32;
    const names = this.registeredNames();
    const lastPid = Math.max(0, Atomics.load(w, H_NEXT_PID));
    const live = Math.max(0, Atomics.load(w, H_PROCS_LIVE));
    let c = columns(Math.min(lastPid, live + (live >> 3) + 64) + 1);
    for (let pid = 1; pid <= lastPid; pid++) {
      if (c.count === c.pid.length) c = grown(c);
      if (this.readRow(pid, c)) c.count++;
    }
    const scheds = readSchedStats(mem);
    const tick: Tick = {
      t: nowMs,
      procs: c,
      names,
      scheds,
      runQueues: this.src.runQueues(),
      sharedQueue: this.src.sharedQueue?.() ?? 0,
      processCount: Atomics.load(w, H_PROCS_LIVE),
      processLimit: Atomics.load(w, H_MAX_PROCESSES),
      memoryBytes: Atomics.load(w, H_CELLS_LIVE) * CELL_BYTES,
      bufferBytes: mem.sab.byteLength,
      messages: mem.messagesSent(),
      reductions: scheds.reduce((n, s) => n + s.reductions, 0),
      costMs: 0,
    };
    this.previous = this.last;
    this.last = tick;
    if (this.previous) this.addHistory(this.previous, tick);
    tick.costMs = performance.now() - t0;
    return tick;
  }

  private addHistory(a: Tick, b: Tick): void {
    const dt = Math.max(1, b.t - a.t);
    const util = b.scheds.map((s, i) => {
      const idle = s.idleMs - (a.scheds[i]?.idleMs ?? 0);
      return Math.min(1, Math.max(0, 1 - idle / dt));
    });
    this.history.push({
      t: b.t,
      util,
      runQueue: b.runQueues,
      memoryBytes: b.memoryBytes,
      messagesPerS: Math.max(0, (b.messages - a.messages) * 1000 / dt),
      reductionsPerS: Math.max(0, (b.reductions - a.reductions) * 1000 / dt),
      processes: b.processCount,
    });
    if (this.history.length > HISTORY_POINTS) this.history.shift();
  }

  /** Read one process into row `c.count` of `c`; false when it is not a live process. */
  private readRow(pid: number, c: Columns): boolean {
    const { mem, table } = this.src;
    const e = table.entry(pid);
    if (e === 0) return false;
    const w = mem.i32;
    const status = liveStatus(w, e);
    if (status === ST_NONE) return false;
    const pcb = Atomics.load(w, (e << 2) + E_PCB);
    if (!this.validCell(pcb, 16)) return false;
    try {
      const p = pcb << 2, i = c.count;
      c.pid[i] = pid;
      c.status[i] = status;
      c.reductions[i] = processReductions(mem, pcb) || 0;
      c.memory[i] = Math.max(0, processMemoryBytes(mem, table, pcb)) || 0;
      c.mailbox[i] = Math.max(0, w[p + P_MBOX_LEN]);
      c.pc[i] = w[p + P_PC];
      c.supervisor[i] = (w[p + P_FLAGS] & FLAG_SUPERVISOR) !== 0 ? 1 : 0;
      return true;
    } catch {
      return false; // freed and reused under us: skip it this time
    }
  }

  /** pid → registered name, read racily from the registry (bounded by its capacity). */
  private registeredNames(): Map<number, string> {
    const { mem } = this.src;
    const w = mem.i32;
    const out = new Map<number, string>();
    const block = w[H_REGISTRY_CELL], cap = w[H_REGISTRY_CAP];
    if (block <= 0 || cap <= 0 || cap > MAX_WALK || !this.validCell(block, cap / 2)) return out;
    for (let i = 0; i < cap; i++) {
      const atom = w[(block << 2) + 2 * i], pid = w[(block << 2) + 2 * i + 1];
      if (atom < 0 || pid <= 0 || out.has(pid)) continue;
      const name = this.atomName(atom);
      if (name !== null) out.set(pid, name);
    }
    return out;
  }

  private atomName(atom: number): string | null {
    try {
      return this.src.atoms.name(atom);
    } catch {
      return null;
    }
  }

  /** Whether cells [cell, cell + cells) lie inside the buffer. */
  private validCell(cell: number, cells: number): boolean {
    return cell > 0 && (cell + cells) * 4 <= this.src.mem.i32.length;
  }

  /** Relations entries [type, a, b] of the process at `pcb`, read racily and bounded. */
  private relations(pcb: number): Array<[number, number, number]> {
    const w = this.src.mem.i32;
    const block = w[(pcb << 2) + P_REL];
    if (!this.validCell(block, 1)) return [];
    const count = w[block << 2], cap = w[(block << 2) + 1];
    if (count <= 0 || count > MAX_WALK || cap < count + 1 || !this.validCell(block, cap)) return [];
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i < count; i++) {
      const at = (block + 1 + i) << 2;
      out.push([w[at] & 0xff, w[at + 1], w[at + 2]]);
    }
    return out;
  }

  /** A process's details (on click), read now; null when it is not alive. */
  detail(pid: number): Record<string, unknown> | null {
    const { mem, table, image } = this.src;
    mem.refresh();
    const one = columns(1);
    if (!this.readRow(pid, one)) return null;
    one.count = 1;
    const row = rowAt({ procs: one, names: this.registeredNames() } as Tick, 0);
    const pcb = Atomics.load(mem.i32, (table.entry(pid) << 2) + E_PCB);
    if (!this.validCell(pcb, 16)) return null;
    const w = mem.i32, p = pcb << 2;
    const lastPid = Atomics.load(w, H_NEXT_PID);
    const isPid = (n: number) => n > 0 && n <= lastPid;
    const links: number[] = [], monitors: number[] = [], monitoredBy: number[] = [];
    const regNames: string[] = [];
    const children: Array<{ id: string; pid: number }> = [];
    for (const [type, a, b] of this.relations(pcb)) {
      if (type === REL_LINK && isPid(a)) links.push(a);
      else if (type === REL_MON && isPid(b)) monitors.push(b);
      else if (type === REL_WATCH && isPid(b)) monitoredBy.push(b);
      else if (type === REL_NAME) {
        const n = this.atomName(a);
        if (n !== null) regNames.push(n);
      } else if (type === REL_CHILD) {
        children.push({ id: this.atomName(a) ?? "?", pid: isPid(b) ? b : 0 });
      }
    }
    const flags = w[p + P_FLAGS];
    return {
      ...row,
      current: image.location(row.pc),
      names: regNames,
      parent: w[p + P_PARENT],
      stack_depth: w[p + P_SP],
      trap_exit: (flags & (FLAG_TRAP_EXIT | FLAG_SUPERVISOR)) !== 0,
      links,
      monitors,
      monitored_by: monitoredBy,
      children: row.supervisor ? children : undefined,
    };
  }

  /** The supervision trees of the last tick: every supervisor not supervised by another is a
   *  root; children that are supervisors nest (depth-bounded, each pid once). */
  supervisionTrees(): SupNode[] {
    const tick = this.last;
    if (!tick) return [];
    const { mem, table } = this.src;
    const c = tick.procs;
    const sups = new Map<number, Array<{ id: string; pid: number }>>();
    for (let i = 0; i < c.count; i++) {
      if (!c.supervisor[i]) continue;
      const pcb = Atomics.load(mem.i32, (table.entry(c.pid[i]) << 2) + E_PCB);
      if (!this.validCell(pcb, 16)) continue;
      const children: Array<{ id: string; pid: number }> = [];
      for (const [type, a, b] of this.relations(pcb)) {
        if (type === REL_CHILD) children.push({ id: this.atomName(a) ?? "?", pid: b });
      }
      sups.set(c.pid[i], children);
    }
    const supervised = new Set<number>();
    for (const children of sups.values()) for (const ch of children) supervised.add(ch.pid);
    const seen = new Set<number>();
    const build = (pid: number, id: string | null, depth: number): SupNode => {
      seen.add(pid);
      const i = pid > 0 ? indexOfPid(c, pid) : -1;
      const kids = sups.get(pid);
      return {
        pid,
        id,
        name: tick.names.get(pid) ?? null,
        status: pid === 0 ? "not running" : i < 0 ? "gone" : STATUS[c.status[i]],
        supervisor: kids !== undefined,
        children: kids && depth < 32
          ? kids.filter((k) => !seen.has(k.pid) || k.pid === 0).map((k) =>
            build(k.pid, k.id, depth + 1)
          )
          : [],
      };
    };
    const roots: SupNode[] = [];
    for (const pid of sups.keys()) if (!supervised.has(pid)) roots.push(build(pid, null, 0));
    return roots;
  }
}

export interface SupNode {
  pid: number;
  /** Child id under its supervisor (null for a root). */
  id: string | null;
  name: string | null;
  status: string;
  supervisor: boolean;
  children: SupNode[];
}
