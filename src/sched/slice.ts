/**
 * One scheduling step of one process — the part every driver shares (DESIGN.md invariant 5:
 * one engine, two drivers). The single scheduler and each SMP worker own a run queue; they hand
 * a PID to `SliceRunner.run`, which handles the process's signals, runs the interpreter for the
 * reduction budget and then requeues, parks or ends the process.
 *
 * Invariants: a process is run only after the CAS RUNNABLE → RUNNING succeeded (so never by two
 * threads at once); parking sets WAITING and then re-checks the signal queue, so a wake-up that
 * raced with the park is not lost. `H_ACTIVE` counts RUNNABLE + RUNNING processes (the
 * quiescence test: with no active process and nothing in the port driver that can wake one,
 * the run is over).
 *
 * Counters (LANGUAGE.md §9): each slice adds the reductions it used to the process's PCB
 * counter and publishes the scheduler's total in its statistics line (src/mem/sched_stats.ts)
 * — plain stores on memory only this thread writes — and leaves FLAG_PARKED telling whether
 * it ended parked (written only when it changes). Tracing (--trace-procs) costs one test of
 * `tracer` per slice when off.
 */
import { H_ACTIVE } from "../mem/layout.ts";
import {
  schedulerCount,
  SS_BOOT_REDUCTIONS_F64,
  SS_REDUCTIONS_F64,
  statsLineWord,
} from "../mem/sched_stats.ts";
import {
  FLAG_CRASHED,
  FLAG_PARKED,
  FLAG_SUPERVISING,
  FLAG_SUPERVISOR,
  P_FLAGS,
  P_PC,
  P_REDUCTIONS_F64,
  R_REASON,
} from "../proc/pcb.ts";
import type { Processes } from "../proc/procs.ts";
import { E_OWNER, ST_RUNNABLE, ST_RUNNING, ST_WAITING } from "../proc/table.ts";
import type { Interpreter } from "../vm/interp.ts";
import { R_CRASH, R_DONE, R_EXIT, R_PREEMPT, R_WAIT, R_YIELD } from "../vm/results.ts";
import type { Runtime } from "../vm/runtime.ts";

/** Results of a step. */
export const STEP_IDLE = 0;
export const STEP_MORE = 1;
export const STEP_EXIT = 3;
/** The pid taken from a queue was not run (gone, or no longer RUNNABLE); callers treat it as
 *  STEP_MORE. */
export const STEP_SKIP = 4;
/** The slice ended by preemption and `keepRunning` said go on: the process stays RUNNING and
 *  owned by this thread, and the caller runs its next slice with `runKept`. */
export const STEP_KEPT = 5;

export interface SliceHooks {
  /** Called before each slice when tracing (budget 1). */
  beforeSlice?(pcb: number): void;
  /** Called when the process's code has stopped for this slice, before the process is
   *  visible to other threads again (SMP: flush what it printed, so that its next slice on
   *  another worker cannot overtake it). */
  afterRun?(pid: number): void;
  /** Asked when a slice ended by preemption: true when nothing else waits for this scheduler,
   *  so that the same process goes on at once in a new slice (SMP workers: see
   *  WorkerScheduler.mayContinue; the slice returns STEP_KEPT and the caller calls
   *  `runKept`). Such a slice still begins with the process's signals and still counts; the
   *  process just stays RUNNING and owned instead of a round trip through the run queue, its
   *  status word and the ownership mark (about twenty atomic operations). */
  keepRunning?(): boolean;
}

/** What --trace-procs records around each slice (src/observe/trace.ts). */
export interface SliceTracer {
  /** A slice of `pid` begins on this thread. */
  begin(pid: number): void;
  /** The slice that `begin` opened did not run after all. */
  cancel(): void;
  /** The slice of `pid` ended (a no-op when its exit has already closed it). */
  end(pid: number): void;
}

export class SliceRunner {
  slices = 0;
  /** Set when EXIT ends the whole run. */
  exitCode: number | null = null;
  /** --trace-procs: records slices (null: off). */
  tracer: SliceTracer | null = null;
  /** f64 index where this scheduler stores its reductions total after each slice (-1: none). */
  private readonly reductionsF64: number;

  constructor(
    private readonly rt: Runtime,
    private readonly interp: Interpreter,
    private readonly procs: Processes,
    private readonly budget: number,
    /** Put a RUNNABLE pid back in this driver's queue (no H_ACTIVE change). */
    private readonly requeue: (pid: number) => void,
    private readonly hooks: SliceHooks = {},
    /** Non-zero (worker index + 1) enables the ownership assertion. */
    private readonly ownerTag = 0,
  ) {
    // The single scheduler has line 0; SMP worker i (ownerTag i + 1) has line i; the SMP main
    // thread running slices while the workers start (ownerTag workers + 1) has line 0's boot
    // figure.
    const index = ownerTag === 0 ? 0 : ownerTag - 1;
    const own = statsLineWord(rt.mem, index);
    const line0 = statsLineWord(rt.mem, 0);
    this.reductionsF64 = own >= 0
      ? (own >> 1) + SS_REDUCTIONS_F64
      : index === schedulerCount(rt.mem) && line0 >= 0
      ? (line0 >> 1) + SS_BOOT_REDUCTIONS_F64
      : -1;
  }

  /** Run one slice of `pid` (which the caller took from a run queue). */
  run(pid: number): number {
    if (this.tracer === null) return this.runSlice(pid);
    const tracer = this.tracer;
    tracer.begin(pid);
    const r = this.runSlice(pid);
    if (r === STEP_SKIP) tracer.cancel(); // (a slice that ran was ended by `release`)
    return r;
  }

  private runSlice(pid: number): number {
    const table = this.procs.table;
    // The entry is looked up once per slice (entries never move: src/proc/table.ts).
    const e = table.entry(pid);
    const pcb = e === 0 ? 0 : table.pcbAt(e);
    if (pcb === 0 || !table.casStatusAt(e, ST_RUNNABLE, ST_RUNNING)) return STEP_SKIP;
    this.beginSlice();
    this.claim(e, pid);
    return this.ownedSlice(pid, e, pcb);
  }

  /** The next slice of a process whose last one returned STEP_KEPT (still RUNNING and owned
   *  here). No loop of its own, on purpose: the caller's scheduling loop is the one loop, so
   *  V8 optimises this path once instead of also on-stack-replacing a loop inside it. */
  runKept(pid: number): number {
    const table = this.procs.table;
    const e = table.entry(pid);
    this.beginSlice();
    return this.ownedSlice(pid, e, table.pcbAt(e));
  }

  /** A slice of a process this thread has made RUNNING and owns. */
  private ownedSlice(pid: number, e: number, pcb: number): number {
    const { procs, interp, rt } = this;
    const table = procs.table;
    let result = STEP_MORE;
    if (procs.overLimitAt(pcb, e)) {
      this.release(e, pid);
      this.exit(pcb, true); // its memory limit: reported like a crash, with where it was
    } else if (procs.handleSignalsAt(pcb, pid, e, true)) {
      this.release(e, pid);
      this.exit(pcb, false);
    } else if (rt.mem.i32[(pcb << 2) + P_FLAGS] & FLAG_SUPERVISING) {
      this.release(e, pid);
      this.park(pcb, pid, e);
    } else {
      const before = interp.reductions;
      const r = this.hooks.beforeSlice ? this.traced(pcb) : interp.run(pcb, this.budget);
      rt.mem.f64[(pcb << 1) + P_REDUCTIONS_F64] += interp.reductions - before;
      this.hooks.afterRun?.(pid);
      // Before the process can be taken elsewhere (released, requeued, parked): another
      // worker may run its next slice at once, and SYSTEM_INFO there must count what it sent
      // here (the yield SYSTEM_INFO makes exists for that).
      this.publish();
      if (
        r === R_PREEMPT && this.tracer === null && this.hooks.keepRunning !== undefined &&
        this.hooks.keepRunning()
      ) {
        // The next slice of the same process follows (see SliceHooks.keepRunning). This one
        // ended preempted, as PROCESS_INFO at the next slice start must report.
        this.notParked(pcb);
        return STEP_KEPT;
      }
      this.release(e, pid);
      switch (r) {
        case R_PREEMPT:
        case R_YIELD:
          this.notParked(pcb);
          table.setStatusAt(e, ST_RUNNABLE);
          this.requeue(pid);
          break;
        case R_WAIT:
          this.park(pcb, pid, e);
          break;
        case R_DONE:
          this.finish(pcb, pid, e);
          break;
        case R_CRASH:
          rt.mem.i32[(pcb << 2) + P_FLAGS] |= FLAG_CRASHED;
          this.exit(pcb, true);
          break;
        case R_EXIT:
          this.exitCode = interp.exitCode;
          result = STEP_EXIT;
          break;
      }
    }
    // What an exit sent (its DOWN and EXIT notifications are messages); the reductions are
    // unchanged since the publish above, or since the last slice in the other branches.
    this.rt.mem.publishMessages();
    return result;
  }

  /** A slice begins: counted, with this thread's views of a buffer another thread grew and
   *  of an image hot code loading published brought up to date (one load each otherwise). */
  private beginSlice(): void {
    this.slices++;
    this.rt.mem.refresh();
    this.rt.image.refresh();
  }

  /** A slice ended: publish this scheduler's reduction total and its messages. */
  private publish(): void {
    if (this.reductionsF64 >= 0) this.rt.mem.f64[this.reductionsF64] = this.interp.reductions;
    this.rt.mem.publishMessages();
  }

  /** The slice ended preempted or yielding, not parked (written only when it changes). */
  private notParked(pcb: number): void {
    const f = (pcb << 2) + P_FLAGS, w = this.rt.mem.i32;
    if (w[f] & FLAG_PARKED) w[f] &= ~FLAG_PARKED;
  }

  /** --trace: the same slice one instruction at a time, with a trace line before each, so
   *  tracing does not change the interleaving. */
  private traced(pcb: number): number {
    let r = R_PREEMPT;
    for (let n = 0; n < this.budget && r === R_PREEMPT; n++) {
      this.hooks.beforeSlice!(pcb);
      r = this.interp.run(pcb, 1);
    }
    return r;
  }

  /** Debug assertion (always on with an owner tag, i.e. in SMP workers): mark the process as
   *  running here; finding another owner means it runs on two threads at once. */
  private claim(e: number, pid: number): void {
    if (this.ownerTag === 0) return;
    const slot = (e << 2) + E_OWNER;
    const prev = Atomics.compareExchange(this.rt.mem.i32, slot, 0, this.ownerTag);
    if (prev !== 0) {
      throw new Error(
        `invariant violated: process ${pid} is already running on worker ${prev - 1}`,
      );
    }
  }

  /** The slice is over: end its trace record and clear the owner mark — both before the
   *  process becomes visible to other threads again, so that its next slice, on whichever
   *  thread, and its exit are recorded after this slice's end. */
  private release(e: number, pid: number): void {
    if (this.tracer !== null) this.tracer.end(pid);
    if (this.ownerTag === 0) return;
    Atomics.store(this.rt.mem.i32, (e << 2) + E_OWNER, 0);
  }

  private exit(pcb: number, crashed: boolean): void {
    this.procs.exit(pcb, crashed);
    this.rt.mem.add(H_ACTIVE, -1);
  }

  /** A process's code ended: it exits, unless it is a supervisor, which keeps supervising. */
  private finish(pcb: number, pid: number, e: number): void {
    const w = this.rt.mem.i32;
    const flags = w[(pcb << 2) + P_FLAGS];
    const reasonSet = this.rt.values.tag(pcb + R_REASON) !== 0;
    if ((flags & FLAG_SUPERVISOR) && !reasonSet) {
      w[(pcb << 2) + P_FLAGS] |= FLAG_SUPERVISING;
      w[(pcb << 2) + P_PC] = this.rt.image.modules[0].endPc;
      this.park(pcb, pid, e);
      return;
    }
    this.exit(pcb, false);
  }

  /** RUNNING → WAITING, then re-check for signals that raced in (no lost wake-up). H_ACTIVE is
   *  decremented only after the re-check, so it never reads 0 while this process is about to
   *  be requeued (another worker would take that for quiescence). */
  private park(pcb: number, pid: number, e: number): void {
    const table = this.procs.table;
    const f = (pcb << 2) + P_FLAGS, w = this.rt.mem.i32;
    if (!(w[f] & FLAG_PARKED)) w[f] |= FLAG_PARKED; // before the status publishes the park
    table.setStatusAt(e, ST_WAITING);
    if (this.procs.hasSignalsAt(e) && table.casStatusAt(e, ST_WAITING, ST_RUNNABLE)) {
      this.requeue(pid);
      return;
    }
    this.rt.mem.add(H_ACTIVE, -1);
  }
}
