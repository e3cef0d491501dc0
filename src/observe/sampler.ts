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
  H_MESSAGES,
  H_NEXT_PID,
  H_PROCS_LIVE,
  H_REGISTRY_CAP,
  H_REGISTRY_CELL,
} from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { readSchedStats, type SchedStat } from "../mem/sched_stats.ts";
import { processMemoryBytes } from "../proc/introspect.ts";
import {
  FLAG_SUPERVISOR,
  FLAG_TRAP_EXIT,
  P_FLAGS,
  P_MBOX_LEN,
  P_PARENT,
  P_PC,
  P_REDUCTIONS_F64,
  P_REL,
  P_SP,
} from "../proc/pcb.ts";
import { REL_CHILD, REL_LINK, REL_MON, REL_NAME, REL_WATCH } from "../proc/relations.ts";
import {
  E_PCB,
  E_SIGQ,
  E_STATUS,
  type ProcTable,
  SIGQ_CLOSED,
  ST_RUNNABLE,
  ST_RUNNING,
  ST_WAITING,
} from "../proc/table.ts";

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

export interface Tick {
  /** Run-clock ms of the sample. */
  t: number;
  rows: ProcRow[];
  byPid: Map<number, ProcRow>;
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
    const rows: ProcRow[] = [];
    const byPid = new Map<number, ProcRow>();
    const lastPid = Math.max(0, Atomics.load(w, H_NEXT_PID));
    for (let pid = 1; pid <= lastPid; pid++) {
      const row = this.readRow(pid, names);
      if (row === null) continue;
      rows.push(row);
      byPid.set(pid, row);
    }
    const scheds = readSchedStats(mem);
    const tick: Tick = {
      t: nowMs,
      rows,
      byPid,
      scheds,
      runQueues: this.src.runQueues(),
      sharedQueue: this.src.sharedQueue?.() ?? 0,
      processCount: Atomics.load(w, H_PROCS_LIVE),
      processLimit: Atomics.load(w, H_MAX_PROCESSES),
      memoryBytes: Atomics.load(w, H_CELLS_LIVE) * CELL_BYTES,
      bufferBytes: mem.sab.byteLength,
      messages: Atomics.load(w, H_MESSAGES),
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

  /** One live process's row, or null. */
  private readRow(pid: number, names: Map<number, string>): ProcRow | null {
    const { mem, table } = this.src;
    const e = table.entry(pid);
    if (e === 0) return null;
    const w = mem.i32, x = e << 2;
    const status = Atomics.load(w, x + E_STATUS);
    if (status !== ST_RUNNABLE && status !== ST_RUNNING && status !== ST_WAITING) return null;
    if (Atomics.load(w, x + E_SIGQ) === SIGQ_CLOSED) return null;
    const pcb = Atomics.load(w, x + E_PCB);
    if (!this.validCell(pcb, 16)) return null;
    try {
      const p = pcb << 2;
      return {
        pid,
        status: STATUS[status],
        name: names.get(pid) ?? null,
        reductions: mem.f64[(pcb << 1) + P_REDUCTIONS_F64] || 0,
        memory: Math.max(0, processMemoryBytes(mem, table, pcb)),
        mailbox: Math.max(0, w[p + P_MBOX_LEN]),
        pc: w[p + P_PC],
        supervisor: (w[p + P_FLAGS] & FLAG_SUPERVISOR) !== 0,
      };
    } catch {
      return null; // freed and reused under us: skip it this time
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
    const names = this.registeredNames();
    const row = this.readRow(pid, names);
    if (row === null) return null;
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
    const sups = new Map<number, Array<{ id: string; pid: number }>>();
    for (const row of tick.rows) {
      if (!row.supervisor) continue;
      const pcb = Atomics.load(mem.i32, (table.entry(row.pid) << 2) + E_PCB);
      if (!this.validCell(pcb, 16)) continue;
      const children: Array<{ id: string; pid: number }> = [];
      for (const [type, a, b] of this.relations(pcb)) {
        if (type === REL_CHILD) children.push({ id: this.atomName(a) ?? "?", pid: b });
      }
      sups.set(row.pid, children);
    }
    const supervised = new Set<number>();
    for (const children of sups.values()) for (const c of children) supervised.add(c.pid);
    const seen = new Set<number>();
    const build = (pid: number, id: string | null, depth: number): SupNode => {
      seen.add(pid);
      const row = tick.byPid.get(pid);
      const kids = sups.get(pid);
      return {
        pid,
        id,
        name: row?.name ?? null,
        status: pid === 0 ? "not running" : row?.status ?? "gone",
        supervisor: kids !== undefined,
        children: kids && depth < 32
          ? kids.filter((c) => !seen.has(c.pid) || c.pid === 0).map((c) =>
            build(c.pid, c.id, depth + 1)
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
