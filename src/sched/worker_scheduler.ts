/**
 * The scheduler loop of one SMP worker: its own Chase-Lev deque, the shared injection queue,
 * random-victim stealing, and parking on the shared futex word when idle. Workers hold no I/O
 * and no timers — the port driver on the main thread does (src/ports/driver.ts) and makes
 * processes runnable through the injection queue — so a parked worker's event loop has
 * nothing to serve and it may park with Atomics.wait.
 *
 * Protocols (all in shared memory):
 * - Enqueue (after the CAS that made a process RUNNABLE): H_ACTIVE += 1, push on the own deque
 *   (overflow → injection queue). After each slice, when more than one process waits in the own
 *   deque and H_SLEEPERS > 0, bump H_WAKE_SEQ and notify one parked worker (notify costs ~30 ns
 *   even with no waiter, so it stays behind the counter).
 * - Park: H_SLEEPERS += 1, read H_WAKE_SEQ, re-check every source of work, then
 *   Atomics.wait(H_WAKE_SEQ, seq, next-timer timeout). A push between the re-check and the wait
 *   changed H_WAKE_SEQ, so the wait returns at once: no lost wake-up.
 * - Quiescence is the driver's decision: a worker about to park that sees H_ACTIVE (RUNNABLE +
 *   RUNNING processes) at 0 wakes the driver, which halts the pool if it holds nothing that
 *   could wake a process (no timer anyone waits for, no I/O out, no active socket).
 * - EXIT: H_EXIT_CODE, then H_HALT = HALT_EXIT, wake everyone (the driver too).
 */
import { H_ACTIVE, H_EXIT_CODE, H_HALT, H_SLEEPERS, H_WAKE_SEQ } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { idleBegins, idleEnds, statsLineWord } from "../mem/sched_stats.ts";
import type { OutputClock } from "../io/output.ts";
import { wakeDriver } from "../ports/channel.ts";
import type { Scheduler } from "../proc/procs.ts";
import { Deque, InjectionQueue, OwnedDeque } from "./deque.ts";
import { type SliceRunner, STEP_EXIT, STEP_KEPT } from "./slice.ts";
import type { Runtime } from "../vm/runtime.ts";

export const HALT_QUIESCENT = 1;
export const HALT_EXIT = 2;
export const HALT_FAILED = 3;

const SPIN_ROUNDS = 64;
/** How often a busy worker serves the injection queue before its own deque (as Go's
 *  scheduler checks its global queue every 61 ticks). */
const INJECTION_EVERY = 61;

export interface WorkerStats {
  worker: number;
  slices: number;
  stealsAttempted: number;
  stealsSucceeded: number;
  parks: number;
  /** Processes that ended on this worker. */
  exits: number;
}

export class WorkerScheduler implements Scheduler {
  runner!: SliceRunner;
  /** Flushes this worker's output while it runs (set by the worker entry). */
  output: OutputClock | null = null;
  readonly stats: WorkerStats;
  private readonly own: OwnedDeque;
  private readonly others: Deque[];
  private readonly injection: InjectionQueue;
  /** Word of this worker's statistics line (src/mem/sched_stats.ts; made before workers start). */
  private readonly statsLine: number;
  private seed: number;

  constructor(
    private readonly rt: Runtime,
    readonly index: number,
    dequeBlocks: number[],
    injectionBlock: number,
  ) {
    const mem = rt.mem;
    this.own = new OwnedDeque(mem, dequeBlocks[index]);
    this.others = dequeBlocks.filter((_, i) => i !== index).map((b) => new Deque(mem, b));
    this.injection = new InjectionQueue(mem, injectionBlock);
    this.statsLine = statsLineWord(mem, index);
    this.seed = (index + 1) * 0x9e3779b1;
    this.stats = {
      worker: index,
      slices: 0,
      stealsAttempted: 0,
      stealsSucceeded: 0,
      parks: 0,
      exits: 0,
    };
  }

  enqueue(pid: number): void {
    const w = this.rt.mem.i32;
    Atomics.add(w, H_ACTIVE, 1);
    this.push(pid);
  }

  /** Queue a RUNNABLE pid (H_ACTIVE already counts it). Sleepers are woken after the slice
   *  (`shareWork`), not here: a process woken by a message is usually best run by this worker
   *  right after the sender blocks, and a cross-worker wake-up costs 6–9 µs. */
  push(pid: number): void {
    if (!this.own.push(pid)) {
      this.injection.push(pid);
      wakeAWorker(this.rt.mem);
    }
  }

  /** After a slice: if more is queued here than this worker will run next, wake a sleeper to
   *  steal it. */
  shareWork(): void {
    if (this.own.size > 1) wakeAWorker(this.rt.mem);
  }

  armTimer(pid: number, deadlineMs: number, seq: number): void {
    this.rt.ports.armTimer(pid, deadlineMs, seq);
  }

  /** Run until the pool halts. */
  loop(): void {
    const mem = this.rt.mem;
    for (;;) {
      if (Atomics.load(mem.i32, H_HALT) !== 0) return;
      const pid = this.findWork();
      if (pid !== 0) {
        this.stats.slices++;
        let r = this.runner.run(pid);
        while (r === STEP_KEPT) r = this.runner.runKept(pid); // mayContinue counted the slice
        this.shareWork();
        this.output?.tick();
        if (r === STEP_EXIT) {
          Atomics.store(mem.i32, H_EXIT_CODE, this.runner.exitCode ?? 0);
          this.halt(HALT_EXIT);
          return;
        }
        continue;
      }
      this.idle();
    }
  }

  /** After a slice ended by preemption (SliceHooks.keepRunning): true when this worker would
   *  take the same process next anyway — its own deque is empty, the injection queue is not
   *  due for a look, the pool is not halting — so it goes on without the run-queue round
   *  trip. Counts the new slice as `loop` counts one. Other workers lose nothing: an empty
   *  deque has nothing to steal, and a process woken here lands in the deque, which ends the
   *  streak at the next preemption. */
  mayContinue(): boolean {
    if (this.own.size > 0 || this.injectionDue()) return false;
    if (Atomics.load(this.rt.mem.i32, H_HALT) !== 0) return false;
    this.stats.slices++;
    this.output?.tick();
    return true;
  }

  /** Whether the next slice must serve the shared injection queue first (every
   *  INJECTION_EVERY slices; `stats.slices` counts the slices begun so far). Both findWork and
   *  mayContinue ask this, so a worker running one process on never skips its turn. */
  private injectionDue(): boolean {
    return this.stats.slices % INJECTION_EVERY === 0 && this.injection.size > 0;
  }

  private findWork(): number {
    // The shared injection queue (processes the I/O driver woke, overflow, the main thread's)
    // first every INJECTION_EVERY slices: a worker whose own deque never empties — a fork bomb,
    // a busy server — would otherwise never look at it, and a process there would starve.
    if (this.injectionDue()) {
      const injected = this.injection.shift();
      if (injected !== 0) return injected;
    }
    // FIFO even for the owner (it takes from the top like a thief): a preempted process goes
    // to the back of the queue, so no process can starve the others (LANGUAGE.md §5).
    for (;;) {
      const pid = this.own.take();
      if (pid !== 0) return pid;
      if (this.own.size <= 0) break; // empty (else a thief won the race: try again)
    }
    const injected = this.injection.shift();
    if (injected !== 0) return injected;
    return this.steal();
  }

  /** Random victim first, then the others in order. */
  private steal(): number {
    const n = this.others.length;
    if (n === 0) return 0;
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) | 0;
    const start = (this.seed >>> 16) % n;
    for (let k = 0; k < n; k++) {
      const victim = this.others[(start + k) % n];
      if (victim.size <= 0) continue;
      this.stats.stealsAttempted++;
      const pid = victim.steal();
      if (pid !== 0) {
        this.stats.stealsSucceeded++;
        return pid;
      }
    }
    return 0;
  }

  private hasWork(): boolean {
    return this.own.size > 0 || this.injection.size > 0 || this.others.some((d) => d.size > 0);
  }

  private idle(): void {
    const w = this.rt.mem.i32;
    for (let i = 0; i < SPIN_ROUNDS; i++) if (this.hasWork()) return;
    this.output?.flushAll();
    Atomics.add(w, H_SLEEPERS, 1);
    const seq = Atomics.load(w, H_WAKE_SEQ);
    if (!this.hasWork() && Atomics.load(w, H_HALT) === 0) {
      // Every process may be waiting: the driver decides whether the run is over.
      if (Atomics.load(w, H_ACTIVE) === 0) wakeDriver(this.rt.mem);
      this.stats.parks++;
      idleBegins(this.rt.mem, this.statsLine);
      Atomics.wait(w, H_WAKE_SEQ, seq);
      idleEnds(this.rt.mem, this.statsLine);
    }
    Atomics.sub(w, H_SLEEPERS, 1);
  }

  halt(kind: number): void {
    haltPool(this.rt.mem, kind);
  }
}

/** After a push onto a queue other workers take from: wake one parked worker, if any (the
 *  Park protocol above: a push between a worker's last look and its wait changed H_WAKE_SEQ,
 *  so that wait returns at once; notify costs ~30 ns even with no waiter, so it stays behind
 *  the H_SLEEPERS test). */
export function wakeAWorker(mem: Memory): void {
  if (Atomics.load(mem.i32, H_SLEEPERS) > 0) {
    Atomics.add(mem.i32, H_WAKE_SEQ, 1);
    Atomics.notify(mem.i32, H_WAKE_SEQ, 1);
  }
}

/** Stop the pool: record why (the first reason wins), wake every worker and the driver. */
export function haltPool(mem: Memory, kind: number): void {
  const w = mem.i32;
  Atomics.compareExchange(w, H_HALT, 0, kind);
  Atomics.add(w, H_WAKE_SEQ, 1);
  Atomics.notify(w, H_WAKE_SEQ);
  wakeDriver(mem);
}
