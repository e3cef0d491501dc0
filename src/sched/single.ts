/**
 * The single-thread scheduler: runs RUNNABLE processes in FIFO order for a budget of reductions
 * each, handles their signals at the start of every slice, parks waiting processes and wakes
 * them by signal or timer, and ends the run when no process can make progress (LANGUAGE.md §5):
 * every process has exited, or every remaining one waits with no timer pending.
 *
 * Deterministic: the same program gives the same interleaving on every run (timers aside).
 */
import {
  FLAG_CRASHED,
  FLAG_SUPERVISING,
  FLAG_SUPERVISOR,
  P_FLAGS,
  P_PC,
  P_TIMER_SEQ,
  R_REASON,
} from "../proc/pcb.ts";
import type { Processes, Scheduler } from "../proc/procs.ts";
import { ST_RUNNABLE, ST_RUNNING, ST_WAITING } from "../proc/table.ts";
import { type Interpreter, R_CRASH, R_DONE, R_EXIT, R_WAIT, R_YIELD } from "../vm/interp.ts";
import type { Runtime } from "../vm/runtime.ts";
import { RunQueue } from "./run_queue.ts";
import { TimerHeap } from "./timers.ts";

/** Results of `step`. */
export const STEP_IDLE = 0;
export const STEP_MORE = 1;
export const STEP_TIMERS = 2;
export const STEP_EXIT = 3;

export interface SliceHooks {
  /** Called before each slice when tracing (budget 1). */
  beforeSlice?(pcb: number): void;
}

export class SingleScheduler implements Scheduler {
  private readonly queue = new RunQueue();
  private readonly timers = new TimerHeap();
  /** Set when EXIT ends the whole run. */
  exitCode: number | null = null;
  slices = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly interp: Interpreter,
    private readonly procs: Processes,
    private readonly budget: number,
    private readonly hooks: SliceHooks = {},
  ) {}

  enqueue(pid: number): void {
    this.queue.push(pid);
  }

  armTimer(pid: number, deadlineMs: number, seq: number): void {
    this.timers.push(deadlineMs, pid, seq);
  }

  /** Run until quiescence or EXIT. */
  run(): void {
    while (this.step(Infinity, true) === STEP_MORE) { /* blocking mode never stops early */ }
  }

  /** Run at most `maxSlices` slices. With `blockOnTimers`, waits (Atomics.wait) for the next
   *  timer when only timers are pending; otherwise returns STEP_TIMERS so an async driver can
   *  wait without blocking its event loop. */
  step(maxSlices: number, blockOnTimers: boolean): number {
    const { procs, interp, rt } = this;
    const table = procs.table;
    const w = () => rt.mem.i32;
    for (let n = 0; n < maxSlices; n++) {
      if (this.exitCode !== null) return STEP_EXIT;
      if (this.timers.size > 0) this.fireTimers(false);
      const pid = this.queue.shift();
      if (pid === 0) {
        if (this.timers.size === 0) return STEP_IDLE; // quiescent
        if (!blockOnTimers) return STEP_TIMERS;
        rt.io.stdout.flush();
        this.fireTimers(true);
        continue;
      }
      const pcb = table.pcbOf(pid);
      if (pcb === 0 || !table.casStatus(pid, ST_RUNNABLE, ST_RUNNING)) continue;
      this.slices++;
      if (procs.handleSignals(pcb)) {
        procs.exit(pcb, false);
        continue;
      }
      if (w()[(pcb << 2) + P_FLAGS] & FLAG_SUPERVISING) {
        this.park(pid);
        continue;
      }
      this.hooks.beforeSlice?.(pcb);
      const r = interp.run(pcb, this.budget);
      switch (r) {
        case R_YIELD:
          table.setStatus(pid, ST_RUNNABLE);
          this.queue.push(pid);
          break;
        case R_WAIT:
          this.park(pid);
          break;
        case R_DONE:
          this.finish(pcb, pid);
          break;
        case R_CRASH:
          w()[(pcb << 2) + P_FLAGS] |= FLAG_CRASHED;
          procs.exit(pcb, true);
          break;
        case R_EXIT:
          this.exitCode = interp.exitCode;
          return STEP_EXIT;
      }
    }
    return STEP_MORE;
  }

  /** Milliseconds until the earliest timer (Infinity when none). */
  nextTimerInMs(): number {
    return Math.max(0, this.timers.peek() - this.rt.clock());
  }

  /** A process's code ended: it exits, unless it is a supervisor, which keeps supervising. */
  private finish(pcb: number, pid: number): void {
    const w = this.rt.mem.i32;
    const flags = w[(pcb << 2) + P_FLAGS];
    const reasonSet = this.rt.values.tag(pcb + R_REASON) !== 0;
    if ((flags & FLAG_SUPERVISOR) && !reasonSet) {
      w[(pcb << 2) + P_FLAGS] |= FLAG_SUPERVISING;
      w[(pcb << 2) + P_PC] = this.rt.image.modules[0].endPc;
      this.park(pid);
      return;
    }
    this.procs.exit(pcb, false);
  }

  /** RUNNING → WAITING, then re-check for signals that raced in (no lost wake-up). */
  private park(pid: number): void {
    const table = this.procs.table;
    table.setStatus(pid, ST_WAITING);
    if (this.procs.hasSignals(pid) && table.casStatus(pid, ST_WAITING, ST_RUNNABLE)) {
      this.queue.push(pid);
    }
  }

  /** Fire due timers; with `block`, first sleep until the earliest one is due. */
  private fireTimers(block: boolean): void {
    const now = this.rt.clock();
    const next = this.timers.peek();
    if (next > now) {
      if (!block) return;
      Atomics.wait(sleeper, 0, 0, next - now);
    }
    const t = this.rt.clock();
    while (this.timers.size > 0 && this.timers.peek() <= t) {
      const [pid, seq] = this.timers.pop();
      const pcb = this.procs.table.pcbOf(pid);
      if (pcb === 0 || this.rt.mem.i32[(pcb << 2) + P_TIMER_SEQ] !== seq) continue;
      this.procs.wake(pid);
    }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
