/**
 * The single-thread scheduler: runs RUNNABLE processes in FIFO order for a budget of
 * reductions each (SliceRunner), on the main thread, next to the port driver (the I/O owner).
 * Between slices it hands the processes' requests to the driver and fires due timers; when no
 * process can run it tells its caller, which lets Deno's event loop run until the driver wakes
 * someone (src/vm/vm.ts). The run ends when no process can make progress (LANGUAGE.md §5):
 * nothing runnable and nothing in the driver that could wake a process.
 *
 * Deterministic: the same program gives the same interleaving on every run (timers and I/O
 * aside).
 */
import { H_ACTIVE } from "../mem/layout.ts";
import type { Processes, Scheduler } from "../proc/procs.ts";
import type { DirectChannel } from "../ports/client.ts";
import type { PortDriver } from "../ports/driver.ts";
import type { Interpreter } from "../vm/interp.ts";
import type { Runtime } from "../vm/runtime.ts";
import type { OutputClock } from "../io/output.ts";
import { RunQueue } from "./run_queue.ts";
import {
  type SliceHooks,
  SliceRunner,
  type SliceTracer,
  STEP_EXIT,
  STEP_IDLE,
  STEP_MORE,
} from "./slice.ts";

export { STEP_EXIT, STEP_IDLE, STEP_MORE };

export class SingleScheduler implements Scheduler {
  private readonly queue = new RunQueue();
  private readonly runner: SliceRunner;
  /** Called when a process becomes runnable (the idle wait of the run loop ends). */
  onRunnable: (() => void) | null = null;

  constructor(
    private readonly rt: Runtime,
    interp: Interpreter,
    procs: Processes,
    budget: number,
    private readonly driver: PortDriver,
    private readonly channel: DirectChannel,
    private readonly output: OutputClock,
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
  /** Processes waiting in the run queue. */
  get queueLength(): number {
    return this.queue.length;
  }
  /** --trace-procs: the slice recorder (src/observe/trace.ts). */
  set tracer(t: SliceTracer | null) {
    this.runner.tracer = t;
  }

  enqueue(pid: number): void {
    this.rt.mem.add(H_ACTIVE, 1);
    this.queue.push(pid);
    this.onRunnable?.();
  }

  armTimer(pid: number, deadlineMs: number, seq: number): void {
    this.rt.ports.armTimer(pid, deadlineMs, seq);
  }

  /** Run at most `maxSlices` slices: STEP_MORE (budget used), STEP_IDLE (no process is
   *  runnable) or STEP_EXIT (EXIT ended the run). */
  step(maxSlices: number): number {
    const { runner, driver, channel } = this;
    for (let n = 0; n < maxSlices; n++) {
      if (runner.exitCode !== null) return STEP_EXIT;
      if (channel.pending) this.handRequests();
      if (driver.timers.size > 0) driver.fireDue(this.rt.clock());
      const pid = this.queue.shift();
      if (pid === 0) return STEP_IDLE;
      if (runner.run(pid) === STEP_EXIT) return STEP_EXIT;
      this.output.tick();
    }
    if (channel.pending) this.handRequests();
    return STEP_MORE;
  }

  /** Give the driver what the processes asked for during the last slices. */
  handRequests(): void {
    for (const req of this.channel.take()) this.driver.accept(req);
  }
}
