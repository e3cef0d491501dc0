/**
 * --trace-procs, recording side: one TraceRecorder per scheduler thread records, as compact
 * numbers, what the trace shows — slices (begin/end, pid), spawns, exits with their reasons,
 * and message sends — with timestamps on the run's common clock (µs since the run's epoch,
 * H_EPOCH_F64, so records of different threads compare). src/observe/trace_writer.ts merges
 * the threads' records into Chrome's Trace Event JSON.
 *
 * ```
 *  record (REC_F64 = 4 f64s): [type, ts µs, pid, arg]
 *   REC_BEGIN  pid's slice begins          arg 0
 *   REC_END    pid's slice ends            arg 0
 *   REC_SPAWN  pid was started             arg = parent pid (0: none)
 *   REC_EXIT   pid exited                  arg = index of its reason in `reasons`
 *   REC_SEND   a message to pid was sent   arg = sender pid (inside the sender's slice)
 * ```
 * Invariants: timestamps strictly increase within a thread (equal clock readings are nudged
 * by 1 ns), so a slice's end never coincides with the next one's begin; a slice closed by its
 * process's exit is not closed again; sends are recorded only inside a slice (the flow starts
 * there). Memory is bounded: past `maxRecords` no new slice or send is recorded (the part
 * says it was truncated), while spawns, exits and the end of the open slice still are, so the
 * records stay consistent. Costs nothing when off: the slice runner tests one field per slice
 * and the other hooks are the process layer's existing optional callbacks.
 */
import type { Memory } from "../mem/memory.ts";
import { H_EPOCH_F64 } from "../mem/layout.ts";
import { P_PARENT } from "../proc/pcb.ts";
import type { Processes } from "../proc/procs.ts";
import { N_FROM, N_KIND, SIG_MSG } from "../proc/signals.ts";
import type { SliceTracer } from "../sched/slice.ts";

export const REC_F64 = 4;
export const REC_BEGIN = 1;
export const REC_END = 2;
export const REC_SPAWN = 3;
export const REC_EXIT = 4;
export const REC_SEND = 5;

const CHUNK_RECORDS = 1 << 16;
/** Default bound of one thread's records (32 bytes each: 64 MiB). */
export const DEFAULT_MAX_RECORDS = 2_000_000;

/** What one thread recorded (sent from an SMP worker to the pool at the end). */
export interface TracePart {
  /** Track: 0 = the main thread (SMP pool: the I/O owner), 1… = scheduler 1… */
  tid: number;
  name: string;
  /** REC_F64 f64s per record, `count` records in all. Plain (not shared) buffers: a worker
   *  transfers them to the main thread with its `done` message. */
  chunks: Float64Array<ArrayBuffer>[];
  count: number;
  reasons: string[];
  truncated: boolean;
}

export class TraceRecorder implements SliceTracer {
  private chunks: Float64Array<ArrayBuffer>[] = [];
  private chunk: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Records in `chunk`. */
  private fill = CHUNK_RECORDS;
  private count = 0;
  /** Last timestamp, in ns. */
  private lastNs = -1;
  /** pid of the open slice, 0 when none. */
  private open = 0;
  private truncated = false;
  private readonly reasons: string[] = [];
  private readonly reasonIndex = new Map<string, number>();
  /** This thread's clock origin relative to the run's epoch, in ms (kept small, so that the
   *  sum with performance.now() keeps sub-µs precision). */
  private readonly originMs: number;

  constructor(
    mem: Memory,
    readonly tid: number,
    readonly name: string,
    private readonly maxRecords = DEFAULT_MAX_RECORDS,
  ) {
    this.originMs = performance.timeOrigin - mem.f64[H_EPOCH_F64];
  }

  /** µs since the run's epoch (whole ns), strictly increasing on this thread. */
  private now(): number {
    let ns = Math.round((this.originMs + performance.now()) * 1e6);
    if (ns <= this.lastNs) ns = this.lastNs + 1;
    this.lastNs = ns;
    return ns / 1000;
  }

  private record(type: number, pid: number, arg: number): void {
    if (this.fill === CHUNK_RECORDS) {
      this.chunk = new Float64Array(CHUNK_RECORDS * REC_F64);
      this.chunks.push(this.chunk);
      this.fill = 0;
    }
    const at = this.fill++ * REC_F64;
    this.chunk[at] = type;
    this.chunk[at + 1] = this.now();
    this.chunk[at + 2] = pid;
    this.chunk[at + 3] = arg;
    this.count++;
  }

  private get full(): boolean {
    if (this.count < this.maxRecords) return false;
    this.truncated = true;
    return true;
  }

  begin(pid: number): void {
    if (this.full) return;
    this.record(REC_BEGIN, pid, 0);
    this.open = pid;
  }

  cancel(): void {
    if (this.open === 0) return;
    this.open = 0;
    this.fill--;
    this.count--;
  }

  end(pid: number): void {
    if (this.open !== pid) return;
    this.record(REC_END, pid, 0);
    this.open = 0;
  }

  spawn(pid: number, parent: number): void {
    this.record(REC_SPAWN, pid, parent);
  }

  /** pid exits (inside its own slice): the slice ends first. */
  exit(pid: number, reason: string): void {
    this.end(pid);
    let i = this.reasonIndex.get(reason);
    if (i === undefined) {
      i = this.reasons.length;
      this.reasons.push(reason);
      this.reasonIndex.set(reason, i);
    }
    this.record(REC_EXIT, pid, i);
  }

  send(from: number, to: number): void {
    if (this.open === 0 || this.full) return;
    this.record(REC_SEND, to, from);
  }

  /** Everything recorded so far (the recorder starts over). */
  take(): TracePart {
    const chunks = this.chunks.map((c, i) =>
      i === this.chunks.length - 1 ? c.slice(0, this.fill * REC_F64) : c
    );
    const part: TracePart = {
      tid: this.tid,
      name: this.name,
      chunks,
      count: this.count,
      reasons: [...this.reasons],
      truncated: this.truncated,
    };
    this.chunks = [];
    this.fill = CHUNK_RECORDS;
    this.count = 0;
    return part;
  }

  /** Hook this recorder into a thread's process layer and slice runner. */
  attach(procs: Processes, runner: { tracer: SliceTracer | null }): void {
    runner.tracer = this;
    const mem = procs.mem;
    procs.onStart = (pid) => {
      const pcb = procs.table.pcbOf(pid);
      this.spawn(pid, pcb === 0 ? 0 : mem.i32[(pcb << 2) + P_PARENT]);
    };
    const onExit = procs.onExit;
    procs.onExit = (pcb, report) => {
      onExit?.(pcb, report);
      this.exit(report.pid, report.reason);
    };
    const beforeDeliver = procs.beforeDeliver;
    procs.beforeDeliver = (toPid, node) => {
      beforeDeliver?.(toPid, node);
      const w = mem.i32;
      if (w[(node << 2) + N_KIND] === SIG_MSG) this.send(w[(node << 2) + N_FROM], toPid);
    };
  }
}
