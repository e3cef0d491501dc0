/**
 * The single-thread scheduler: runs RUNNABLE processes in FIFO order for a budget of reductions
 * each (SliceRunner), parks waiting processes and wakes them by signal or timer, and ends the
 * run when no process can make progress (LANGUAGE.md §5): every process has exited, or every
 * remaining one waits with no timer pending.
 *
 * Deterministic: the same program gives the same interleaving on every run (timers aside).
 */
import { H_ACTIVE, H_TIMERS } from "../mem/layout.ts";
import type { Processes, Scheduler } from "../proc/procs.ts";
import type { Interpreter } from "../vm/interp.ts";
import type { Runtime } from "../vm/runtime.ts";
import { RunQueue } from "./run_queue.ts";
import {
  type SliceHooks,
  SliceRunner,
  STEP_EXIT,
  STEP_IDLE,
  STEP_MORE,
  STEP_TIMERS,
} from "./slice.ts";
import { TimerHeap } from "./timers.ts";

export { STEP_EXIT, STEP_IDLE, STEP_MORE, STEP_TIMERS };

export class SingleScheduler implements Scheduler {
  private readonly queue = new RunQueue();
  private readonly timers = new TimerHeap();
  private readonly runner: SliceRunner;

  constructor(
    private readonly rt: Runtime,
    interp: Interpreter,
    procs: Processes,
    budget: number,
    hooks: SliceHooks = {},
  ) {
    this.runner = new SliceRunner(rt, interp, procs, budget, (pid) => this.queue.push(pid), hooks);
  }

  get exitCode(): number | null {
    return this.runner.exitCode;
  }
  get slices(): number {
    return this.runner.slices;
  }

  enqueue(pid: number): void {
    Atomics.add(this.rt.mem.i32, H_ACTIVE, 1);
    this.queue.push(pid);
  }

  armTimer(pid: number, deadlineMs: number, seq: number): void {
    Atomics.add(this.rt.mem.i32, H_TIMERS, 1);
    this.timers.push(deadlineMs, pid, seq);
  }

  /** Run until quiescence or EXIT. */
  run(): void {
    while (this.step(Infinity, true) === STEP_MORE) { /* blocking mode never stops early */ }
  }

  /** Run at most `maxSlices` slices. With `blockOnTimers`, sleeps until the next timer when
   *  only timers are pending; otherwise returns STEP_TIMERS so an async driver can wait without
   *  blocking its event loop. */
  step(maxSlices: number, blockOnTimers: boolean): number {
    const runner = this.runner;
    for (let n = 0; n < maxSlices; n++) {
      if (runner.exitCode !== null) return STEP_EXIT;
      if (this.timers.size > 0) runner.fireDue(this.timers);
      const pid = this.queue.shift();
      if (pid === 0) {
        if (this.timers.size > 0) runner.pruneStale(this.timers);
        if (this.timers.size === 0) return STEP_IDLE; // quiescent
        if (!blockOnTimers) return STEP_TIMERS;
        this.rt.io.stdout.flush();
        Atomics.wait(sleeper, 0, 0, Math.max(1, this.nextTimerInMs()));
        continue;
      }
      if (runner.run(pid) === STEP_EXIT) return STEP_EXIT;
    }
    return STEP_MORE;
  }

  /** Milliseconds until the earliest timer (Infinity when none). */
  nextTimerInMs(): number {
    return Math.max(0, this.timers.peek() - this.rt.clock());
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
