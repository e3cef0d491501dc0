/**
 * Entry module of an SMP worker (a Deno Web Worker). Boot message → attach to the shared memory,
 * build this thread's runtime, interpreter and process layer, run the worker's scheduler loop
 * until the pool halts, then report its counters and close. Every error is caught, reported to
 * the pool over postMessage (boot, shutdown and fatal errors are the only postMessage traffic)
 * and turned into a pool-wide halt, so a failing worker can never hang the run.
 */
import { Memory } from "../mem/memory.ts";
import { H_EXIT_CODE, H_HALT, H_READY, H_WORKERS } from "../mem/layout.ts";
import { BROKEN_PIPE_STATUS, fileSink, Output, OutputClock } from "../io/output.ts";
import { SharedChannel } from "../ports/channel.ts";
import { reportExit } from "../vm/report.ts";
import { flushBeforeLeaving, setupThread } from "./thread.ts";
import { SliceRunner } from "./slice.ts";
import { HALT_EXIT, HALT_FAILED, haltPool, WorkerScheduler } from "./worker_scheduler.ts";
import type { WorkerBoot, WorkerMessage } from "./smp_protocol.ts";
import { TraceRecorder } from "../observe/trace.ts";

declare const self: {
  onmessage: ((e: MessageEvent<WorkerBoot>) => void) | null;
  postMessage(m: WorkerMessage, transfer?: Transferable[]): void;
  close(): void;
};

function run(boot: WorkerBoot): void {
  // Debug switch: fail before the try below, as a bug in this module's own setup would — the
  // pool must still halt (the main thread's onerror), not leave the other workers parked.
  if (boot.crashOutside === boot.index) {
    throw new Error("injected fault outside the worker's try (TTVM_DEBUG_CRASH_WORKER_OUTSIDE)");
  }
  const mem = Memory.attach(boot.sab);
  mem.enableThreadCache();
  const io = {
    stdout: new Output(fileSink(Deno.stdout, () => endOnBrokenPipe(mem))).shareWith(mem),
    stderr: new Output(fileSink(Deno.stderr, () => endOnBrokenPipe(mem))).shareWith(mem),
    args: boot.args,
  };
  try {
    const { rt, interp, procs, jit } = setupThread(
      mem,
      io,
      (values) => new SharedChannel(mem, values),
      { stressGc: boot.stressGc, limits: boot.limits, jit: boot.jit },
    );
    const sched = new WorkerScheduler(rt, boot.index, boot.dequeBlocks, boot.injectionBlock);
    procs.sched = sched;
    sched.runner = new SliceRunner(
      rt,
      interp,
      procs,
      boot.reductions,
      (pid) => sched.push(pid),
      {
        afterRun: () => {
          io.stdout.flush();
          io.stderr.flush();
        },
        keepRunning: () => sched.mayContinue(),
      },
      boot.index + 1,
    );
    sched.output = new OutputClock([io.stdout, io.stderr]);
    flushBeforeLeaving(rt);
    procs.onExit = (pcb, report) => {
      sched.stats.exits++;
      const main = reportExit(rt, pcb, report, boot.verbose);
      if (main) self.postMessage({ type: "main-exit", main });
    };
    const tracer = boot.traceProcs
      ? new TraceRecorder(mem, boot.index + 1, `scheduler ${boot.index + 1}`)
      : null;
    tracer?.attach(procs, sched.runner);
    // Debug switch: make one worker fail, to prove the pool reports it instead of hanging.
    if (boot.crashWorker === boot.index) {
      throw new Error("injected fault (TTVM_DEBUG_CRASH_WORKER)");
    }
    // Start at once: the main thread runs processes until every worker is up (worker start-up
    // takes 70–190 ms each), then leaves them to the pool.
    const ready = Atomics.add(mem.i32, H_READY, 1) + 1;
    if (boot.traceProcs) awaitEveryWorker(mem, ready);
    sched.loop();
    mem.publishMessages();
    procs.spare.flush();
    mem.flushCaches();
    io.stdout.flush();
    io.stderr.flush();
    const trace = tracer?.take() ?? null;
    self.postMessage({
      type: "done",
      stats: {
        ...sched.stats,
        reductions: interp.reductions,
        gcs: procs.gcCount,
        jitUnits: jit?.stats.units ?? 0,
        jitReductions: jit?.stats.compiledReductions ?? 0,
      },
      trace,
    }, trace ? trace.chunks.map((c) => c.buffer) : []);
  } catch (e) {
    io.stdout.flush();
    io.stderr.flush();
    haltPool(mem, HALT_FAILED);
    self.postMessage({
      type: "failed",
      worker: boot.index,
      message: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e),
    });
  }
}

/** The reader of our output went away: end the whole run quietly with 141. */
function endOnBrokenPipe(mem: Memory): void {
  if (Atomics.load(mem.i32, H_HALT) !== 0) return;
  Atomics.store(mem.i32, H_EXIT_CODE, BROKEN_PIPE_STATUS);
  haltPool(mem, HALT_EXIT);
}

self.onmessage = (e: MessageEvent<WorkerBoot>) => {
  self.onmessage = null;
  run(e.data);
  self.close();
};

/** --trace-procs: the timeline starts with every worker up (and the main thread runs no
 *  process meanwhile: src/sched/smp.ts), so every slice is on a worker's track and a short
 *  program is spread over all of them. Bounded: a worker that never starts costs 5 s. */
function awaitEveryWorker(mem: Memory, ready: number): void {
  const workers = mem.i32[H_WORKERS];
  if (ready >= workers) {
    Atomics.notify(mem.i32, H_READY);
    return;
  }
  const deadline = performance.now() + 5_000;
  for (let n = ready; n < workers && performance.now() < deadline;) {
    Atomics.wait(mem.i32, H_READY, n, 50);
    n = Atomics.load(mem.i32, H_READY);
  }
}
