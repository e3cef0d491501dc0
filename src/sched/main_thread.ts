/**
 * The SMP pool's main thread as a scheduler, before the workers take over (src/sched/smp.ts).
 *
 * A pool starts on the main thread alone: it runs the processes from the shared injection
 * queue, between slices handing their requests to the port driver and firing timers, and gives
 * Deno's event loop turns as the single scheduler does. Once it has spent `workersAfterMs` in
 * slices while other processes waited to run (one busy process gains nothing from workers),
 * it starts the workers (`startWorkers`), goes on running processes while they boot, and
 * stops for good once every worker has begun its loop. A run shorter than that never starts
 * a worker.
 *
 * Why: on this host a Web Worker costs its creator 28–44 ms blocked in `new Worker`, loads
 * the runtime for 40–57 ms, and then warms V8 up on its own while the other isolates compute,
 * which leaves V8's background compiler no core. A short parallel job was slower on two cold
 * workers than on one thread (docs/PERFORMANCE.md, finding 8).
 *
 * Invariants: until it starts the workers its own run queue holds the processes it made
 * runnable or preempted, and the shared injection queue what the driver woke; from then on
 * everything goes to the injection queue (its own is moved there), never into a worker's
 * deque, so it never takes a process a worker owns. Every process it makes runnable is
 * counted in H_ACTIVE like a worker's. It stops between slices, never inside one. Until the
 * workers start it is the only thread, so the memory uses plain accesses; `startWorkers`
 * (src/sched/smp.ts) switches it to Atomics before the first worker exists.
 */
import type { AtomTable } from "../mem/atoms.ts";
import { H_ACTIVE, H_EXIT_CODE, H_HALT, H_IO_QUEUE, H_READY } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { DEFAULT_LIMITS } from "../proc/pcb.ts";
import type { Processes, Scheduler } from "../proc/procs.ts";
import { SharedChannel, takeRequests } from "../ports/channel.ts";
import type { PortDriver } from "../ports/driver.ts";
import { fileSink, Output } from "../io/output.ts";
import { type MainExit, reportExit } from "../vm/report.ts";
import type { Runtime } from "../vm/runtime.ts";
import { DEFAULT_REDUCTIONS, type VmOptions } from "../vm/vm.ts";
import type { InjectionQueue } from "./deque.ts";
import { RunQueue } from "./run_queue.ts";
import { SliceRunner, STEP_EXIT } from "./slice.ts";
import { flushBeforeLeaving, setupThread } from "./thread.ts";
import { HALT_EXIT, haltPool, wakeAWorker } from "./worker_scheduler.ts";

/** How long the main thread runs processes alone (while others wait to run) before it starts
 *  the workers, by default (`--workers-after-ms`). Starting them costs about this much: their
 *  creation blocks this thread 30 ms each, and a run moved to cold workers loses 100–200 ms
 *  more while they warm up. Waiting that long before paying it is the ski-rental rule: a run
 *  never pays more than about twice what the best choice in hindsight would have cost.
 *  8 × fib(28) (95–135 ms here) stays on the main thread; measured in docs/PERFORMANCE.md,
 *  finding 8. */
export const DEFAULT_WORKERS_AFTER_MS = 250;

/** A batch of slices ends after this long, so the driver and the event loop are served. */
const BATCH_MS = 5;
/** How often the shared injection queue is served before this thread's own (as a worker does). */
const INJECTION_EVERY = 61;
/** Slices between two looks at the clock. */
const SLICES_PER_CLOCK = 16;
/** With I/O in flight, Deno's event loop gets a turn at least this often (as on the single
 *  scheduler, src/vm/vm.ts). */
const EVENT_LOOP_TURN_MS = 5;
/** With the dashboard or --reload, at least this often in any case (as src/vm/vm.ts). */
const TURN_EVERY_MS = 50;

export interface MainThreadHooks {
  /** Process 1 ended here: its report. */
  onMainExit(main: MainExit): void;
  /** Start the workers (blocks for their creation). */
  startWorkers(): void;
}

export class MainThreadScheduler {
  /** Slices run here. */
  slices = 0;
  /** Time spent in batches of slices after which two or more processes were runnable, ms:
   *  what counts towards `workersAfterMs`. */
  busyMs = 0;
  /** When the workers were started (ms into the pool's run), or null. */
  workersStartedAtMs: number | null = null;
  /** True once every worker runs its loop: this thread runs no more processes. */
  done = false;
  private readonly runner: SliceRunner;
  private readonly procs: Processes;
  private readonly io: { stdout: Output; stderr: Output };
  private lastTurnMs = performance.now();
  /** Turns due however busy the processes keep this thread: the dashboard and --reload need
   *  them; a run without them takes none (Deno loads its timers on first use, 10–20 ms). */
  private readonly turnEveryMs: number;
  /** This thread's own run queue until it starts the workers (a shared queue costs a lock
   *  per slice); the injection queue holds what the driver woke. */
  private readonly queue = new RunQueue();

  constructor(
    private readonly mem: Memory,
    atoms: AtomTable,
    private readonly injection: InjectionQueue,
    private readonly driver: PortDriver,
    private readonly driverRt: Runtime,
    options: VmOptions,
    private readonly workers: number,
    private readonly workersAfterMs: number,
    private readonly startedMs: number,
    private readonly hooks: MainThreadHooks,
  ) {
    const io = {
      stdout: new Output(fileSink(Deno.stdout)).shareWith(mem),
      stderr: new Output(fileSink(Deno.stderr)).shareWith(mem),
      args: driverRt.io.args,
    };
    this.io = io;
    this.turnEveryMs = options.observe !== undefined || options.reload ? TURN_EVERY_MS : Infinity;
    const { rt, interp, procs } = setupThread(
      mem,
      io,
      (values) => new SharedChannel(mem, values),
      {
        stressGc: options.stressGc ?? false,
        limits: { ...DEFAULT_LIMITS, ...options.limits },
        jit: options.jit ?? "on",
      },
      atoms,
    );
    this.procs = procs;
    const sched: Scheduler = {
      enqueue: (pid) => {
        Atomics.add(mem.i32, H_ACTIVE, 1);
        this.requeue(pid);
      },
      armTimer: (pid, deadlineMs, seq) => rt.ports.armTimer(pid, deadlineMs, seq),
    };
    procs.sched = sched;
    flushBeforeLeaving(rt);
    procs.onExit = (pcb, report) => {
      const main = reportExit(rt, pcb, report, options.verbose ?? false);
      if (main) hooks.onMainExit(main);
    };
    this.runner = new SliceRunner(
      rt,
      interp,
      procs,
      options.reductions ?? DEFAULT_REDUCTIONS,
      (pid) => this.requeue(pid),
      {
        afterRun: () => {
          io.stdout.flush();
          io.stderr.flush();
        },
      },
      workers + 1,
    );
  }

  /** Run a batch of slices: until nothing is runnable, the batch's time is up, the pool halts
   *  or the workers are all up. Starts the workers when this thread's time in slices reaches
   *  `workersAfterMs`. Returns the slices run. */
  runBatch(): number {
    const w = this.mem.i32;
    const { runner, driver } = this;
    const beganMs = performance.now();
    let ran = 0;
    while (Atomics.load(w, H_HALT) === 0) {
      if (this.workersStartedAtMs !== null && Atomics.load(w, H_READY) >= this.workers) {
        this.stop();
        break;
      }
      const pid = this.next();
      if (pid === 0) break;
      ran++;
      this.slices++;
      if (runner.run(pid) === STEP_EXIT) {
        Atomics.store(w, H_EXIT_CODE, runner.exitCode ?? 0);
        haltPool(this.mem, HALT_EXIT);
        break;
      }
      if (Atomics.load(w, H_IO_QUEUE) !== 0) {
        for (const req of takeRequests(this.mem, this.driverRt.values)) driver.accept(req);
      }
      if (driver.timers.size > 0) driver.fireDue(this.driverRt.clock());
      if (ran % SLICES_PER_CLOCK === 0 && performance.now() - beganMs >= BATCH_MS) break;
    }
    const nowMs = performance.now();
    // Only time with two or more processes runnable counts (the one just preempted is queued
    // again): more workers cannot speed up one.
    if (this.queue.length + this.injection.size > 1) this.busyMs += nowMs - beganMs;
    if (this.workersStartedAtMs === null && this.busyMs >= this.workersAfterMs) {
      this.workersStartedAtMs = nowMs - this.startedMs;
      this.handOver(); // what waits here, the workers take as they come up
      this.hooks.startWorkers();
    }
    return ran;
  }

  /** Processes waiting in this thread's own queue. */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Whether Deno's event loop is due a turn before the next batch (I/O in flight, or the
   *  dashboard or --reload). */
  wantsTurn(): boolean {
    const nowMs = performance.now();
    const sinceMs = nowMs - this.lastTurnMs;
    if (
      sinceMs < this.turnEveryMs &&
      (sinceMs < EVENT_LOOP_TURN_MS || !this.driver.waitsOnOutside())
    ) {
      return false;
    }
    this.lastTurnMs = nowMs;
    return true;
  }

  /** The event loop just had a turn (a wait, or eventLoopTurn). */
  turned(): void {
    this.lastTurnMs = performance.now();
  }

  /** A RUNNABLE process (counted in H_ACTIVE) to run next: this thread's queue, or the shared
   *  one once the workers are starting; the shared one first every INJECTION_EVERY slices, so
   *  what the driver woke is not starved. */
  private next(): number {
    if (this.slices % INJECTION_EVERY === 0 || this.queue.length === 0) {
      const pid = this.injection.shift();
      if (pid !== 0) return pid;
    }
    return this.queue.shift();
  }

  private requeue(pid: number): void {
    if (this.workersStartedAtMs === null) {
      this.queue.push(pid);
    } else {
      // The workers are starting: one that parked meanwhile must hear of it.
      this.injection.push(pid);
      wakeAWorker(this.mem);
    }
  }

  /** Move this thread's queue to the shared one. */
  private handOver(): void {
    for (let pid = this.queue.shift(); pid !== 0; pid = this.queue.shift()) {
      this.injection.push(pid);
    }
    wakeAWorker(this.mem);
  }

  /** This thread runs no more processes: give back what it holds (its queue, its spare PCBs,
   *  its output). */
  stop(): void {
    if (this.done) return;
    this.done = true;
    this.handOver();
    this.procs.spare.flush();
    this.io.stdout.flush();
    this.io.stderr.flush();
  }
}
