/**
 * Entry module of an SMP worker (a Deno Web Worker). Boot message → attach to the shared memory,
 * build this thread's runtime, interpreter and process layer, run the worker's scheduler loop
 * until the pool halts, then report its counters and close. Every error is caught, reported to
 * the pool over postMessage (boot, shutdown and fatal errors are the only postMessage traffic)
 * and turned into a pool-wide halt, so a failing worker can never hang the run.
 */
import { Memory } from "../mem/memory.ts";
import { H_HALT, H_START, H_WAKE_SEQ } from "../mem/layout.ts";
import { fileSink, Output } from "../io/output.ts";
import { SharedStdin } from "../io/shared_stdin.ts";
import { Processes } from "../proc/procs.ts";
import { Supervisors } from "../proc/supervisor.ts";
import { Interpreter } from "../vm/interp.ts";
import { attachTier } from "../jit/tier.ts";
import { reportExit } from "../vm/report.ts";
import { Runtime } from "../vm/runtime.ts";
import { SliceRunner } from "./slice.ts";
import { HALT_FAILED, WorkerScheduler } from "./worker_scheduler.ts";
import type { WorkerBoot, WorkerMessage } from "./smp_protocol.ts";

declare const self: {
  onmessage: ((e: MessageEvent<WorkerBoot>) => void) | null;
  postMessage(m: WorkerMessage): void;
  close(): void;
};

function run(boot: WorkerBoot): void {
  const mem = Memory.attach(boot.sab);
  mem.enableThreadCache();
  const io = {
    stdout: new Output(fileSink(Deno.stdout)),
    stderr: new Output(fileSink(Deno.stderr)),
    stdin: new SharedStdin(mem, Deno.stdin),
    args: boot.args,
  };
  try {
    const rt = new Runtime(mem, io, {
      stressGc: boot.stressGc,
      limits: boot.limits,
      jit: boot.jit,
    });
    const interp = new Interpreter(rt);
    const jit = attachTier(interp, boot.jit);
    const procs = new Processes(mem, rt.values, rt.atoms, rt.image, interp.m);
    rt.procs = procs;
    rt.supervisors = new Supervisors(procs, rt.clock);
    const sched = new WorkerScheduler(rt, boot.index, boot.dequeBlocks, boot.injectionBlock);
    rt.sched = sched;
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
      },
      boot.index + 1,
    );
    // Causal output order: what this process printed is out before any signal leaves.
    procs.beforeDeliver = () => io.stdout.flush();
    procs.onExit = (pcb, report) => {
      sched.stats.exits++;
      const main = reportExit(rt, pcb, report, boot.verbose);
      if (main) self.postMessage({ type: "main-exit", main });
    };
    // Debug switch: make one worker fail, to prove the pool reports it instead of hanging.
    if (boot.crashWorker === boot.index) {
      throw new Error("injected fault (TTVM_DEBUG_CRASH_WORKER)");
    }
    // Start only when the whole pool is up (worker start-up takes 70–190 ms each).
    self.postMessage({ type: "ready" });
    while (Atomics.load(mem.i32, H_START) === 0 && Atomics.load(mem.i32, H_HALT) === 0) {
      Atomics.wait(mem.i32, H_START, 0, 100);
    }
    sched.loop();
    mem.flushCaches();
    io.stdout.flush();
    io.stderr.flush();
    self.postMessage({
      type: "done",
      stats: {
        ...sched.stats,
        reductions: interp.reductions,
        gcs: procs.gcCount,
        jitUnits: jit?.stats.units ?? 0,
        jitReductions: jit?.stats.compiledReductions ?? 0,
      },
    });
  } catch (e) {
    io.stdout.flush();
    io.stderr.flush();
    Atomics.compareExchange(mem.i32, H_HALT, 0, HALT_FAILED);
    Atomics.add(mem.i32, H_WAKE_SEQ, 1);
    Atomics.notify(mem.i32, H_WAKE_SEQ);
    self.postMessage({
      type: "failed",
      worker: boot.index,
      message: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e),
    });
  }
}

self.onmessage = (e: MessageEvent<WorkerBoot>) => {
  self.onmessage = null;
  run(e.data);
  self.close();
};
