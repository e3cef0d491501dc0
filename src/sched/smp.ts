/**
 * The SMP pool (main thread): builds the shared memory and the program image, spawns PID 1,
 * and serves as the I/O owner: the port driver (src/ports/driver.ts) runs here, next to Deno's
 * event loop, taking the processes' requests from the shared queue, completing them as
 * signals, firing timers, and deciding quiescence — until the pool halts (quiescence, EXIT, or
 * a failed worker). It then prints PID 1's error report and the statistics and returns the
 * exit status.
 *
 * The pool starts on this thread alone (src/sched/main_thread.ts): it runs the processes until
 * it has spent `workersAfterMs` (default 250 ms) in slices while others waited to run, then
 * creates the N workers (default: one per core), once, and hands the processes over as soon
 * as all of them run their loops. A
 * shorter run never pays for a worker. From then on this thread runs no process: it waits with
 * Atomics.waitAsync on the driver's futex word, so sockets, child processes and timers keep
 * being served while it waits.
 */
import type { Program } from "../isa/program.ts";
import { AtomTable, setAtomLimit } from "../mem/atoms.ts";
import { writeImage } from "../mem/image.ts";
import { CELL_BYTES, H_ACTIVE, H_EXIT_CODE, H_HALT, H_WORKERS } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { DEFAULT_LIMITS } from "../proc/pcb.ts";
import { ProcTable, ST_RUNNABLE, ST_WAITING } from "../proc/table.ts";
import { Runtime } from "../vm/runtime.ts";
import { blockedReport, deadlockReport, type MainExit } from "../vm/report.ts";
import {
  createMemory,
  DEFAULT_REDUCTIONS,
  type HostIo,
  type RunResult,
  type VmOptions,
} from "../vm/vm.ts";
import { Deque, InjectionQueue } from "./deque.ts";
import type { WorkerBoot, WorkerDoneStats, WorkerMessage } from "./smp_protocol.ts";
import {
  HALT_EXIT,
  HALT_FAILED,
  HALT_QUIESCENT,
  haltPool,
  wakeAWorker,
} from "./worker_scheduler.ts";
import { createPcb } from "../proc/pcb.ts";
import { H_IO_QUEUE, H_IO_SEQ } from "../mem/layout.ts";
import { takeRequests } from "../ports/channel.ts";
import { setupThread } from "./thread.ts";
import type { PortDriver } from "../ports/driver.ts";
import { createDriver } from "../ports/mod.ts";
import { Reloader } from "../ports/reload.ts";
import { startDistribution } from "../cluster/start.ts";
import { createSchedStats, runClockMs } from "../mem/sched_stats.ts";
import { type TracePart, TraceRecorder } from "../observe/trace.ts";
import type { Observer } from "../observe/server.ts";
import { DEFAULT_WORKERS_AFTER_MS, MainThreadScheduler } from "./main_thread.ts";
import { eventLoopTurn } from "../vm/vm.ts";
import { wakeDriver } from "../ports/channel.ts";

const DEQUE_CAPACITY = 1 << 14;
const INJECTION_CAPACITY = 1 << 12;
/** Workers' memory is mapped lazily by the OS, so a large start avoids most grows. */
const SMP_INITIAL_BYTES = 256 * 1024 ** 2;

export async function runSmp(
  program: Program,
  io: HostIo,
  options: VmOptions,
  workers: number,
): Promise<RunResult> {
  const started = performance.now();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const mem = createMemory(options.initialBytes ?? SMP_INITIAL_BYTES, limits, options.hugePages);
  // Plain memory accesses while this thread is the only one (src/sched/main_thread.ts); the
  // workers' start switches to Atomics before the first of them exists.
  mem.concurrent = false;
  const atoms = new AtomTable(mem);
  writeImage(mem, atoms, program);
  setAtomLimit(mem, limits.maxAtoms);
  const dequeBlocks = Array.from({ length: workers }, () => Deque.create(mem, DEQUE_CAPACITY));
  const injectionBlock = InjectionQueue.create(mem, INJECTION_CAPACITY);
  const injection = new InjectionQueue(mem, injectionBlock);
  mem.i32[H_WORKERS] = workers;
  createSchedStats(mem, workers);
  // PID 1 starts at the first instruction, waiting in the injection queue.
  const table = new ProcTable(mem);
  const pid = table.newPid();
  table.attach(pid, createPcb(mem, pid, 0));
  table.setStatus(pid, ST_RUNNABLE);
  Atomics.store(mem.i32, H_ACTIVE, 1);
  // --trace-procs: the main thread's track holds PID 1's spawn; workers record the rest.
  const traceParts: TracePart[] = [];
  if (options.traceProcs !== undefined) {
    const mainTrack = new TraceRecorder(mem, 0, "main (I/O)");
    mainTrack.spawn(pid, 0);
    traceParts.push(mainTrack.take());
  }
  injection.push(pid);

  // The I/O owner: completions make processes runnable through the injection queue.
  const rt = new Runtime(mem, io, { submit: () => {} }, { stressGc: false, limits }, atoms);
  /** Queue a process just made RUNNABLE and wake a parked worker, or the main thread's loop
   *  while it runs the processes (assigned below). */
  let mainThread: MainThreadScheduler | null = null;
  const inject = (pid: number) => {
    injectRunnable(mem, injection, pid);
    if (mainThread !== null && !mainThread.done) wakeDriver(mem);
  };
  const driver = createDriver(
    {
      mem,
      values: rt.values,
      table,
      queueLimitCells: limits.maxHeapCells,
      clock: rt.clock,
      flushOutput: () => {
        io.stdout.flush();
        io.stderr.flush();
      },
    },
    {
      wake(pid: number) {
        if (table.casStatus(pid, ST_WAITING, ST_RUNNABLE)) inject(pid);
      },
    },
    io.stdin,
  );
  if (options.dist) {
    // A process layer of this thread, for the processes other nodes start here.
    const { procs } = setupThread(
      mem,
      io,
      { submit: () => {} },
      { stressGc: false, limits },
      atoms,
    );
    procs.sched = { enqueue: inject, armTimer: () => {} };
    await startDistribution(options.dist, {
      driver,
      procs,
      program,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  }
  if (options.reload) driver.addService(new Reloader(driver, io.stderr));
  driver.onActivity = () => {
    Atomics.add(mem.i32, H_IO_SEQ, 1);
    Atomics.notify(mem.i32, H_IO_SEQ);
  };

  // --observe: the dashboard runs here, on the main thread (between its batches of slices
  // while it runs the processes itself).
  let observer: Observer | null = null;
  if (options.observe !== undefined) {
    const { Observer } = await import("../observe/server.ts"); // loaded only when asked for
    const deques = dequeBlocks.map((b) => new Deque(mem, b));
    observer = new Observer(
      {
        mem,
        atoms,
        image: rt.image,
        table,
        runQueues: () => deques.map((d) => d.size),
        // (and the main thread's own queue while it runs the processes)
        sharedQueue: () => injection.size + (mainThread?.queueLength ?? 0),
      },
      options.observe,
      () => runClockMs(mem),
      null,
    );
    io.stderr.write(`ttvm: dashboard at ${observer.url}\n`);
  }

  io.stdout.flush();
  io.stderr.flush();

  let main: MainExit | null = null;
  const failures: string[] = [];
  const stats: WorkerDoneStats[] = [];
  let finished: Promise<void>[] = [];
  const startWorkers = () => {
    mem.concurrent = true; // between slices: no lock is held, no access half done
    if (options.verbose) {
      io.stderr.write(
        `ttvm: starting ${workers} worker(s) at ${(performance.now() - started).toFixed(0)} ms\n`,
      );
      io.stderr.flush();
    }
    finished = createWorkers(mem, workers, {
      dequeBlocks,
      injectionBlock,
      reductions: options.reductions ?? DEFAULT_REDUCTIONS,
      stressGc: options.stressGc ?? false,
      jit: options.jit ?? "on",
      verbose: options.verbose ?? false,
      limits,
      args: io.args,
      crashWorker: Number(Deno.env.get("TTVM_DEBUG_CRASH_WORKER") ?? -1),
      crashOutside: Number(Deno.env.get("TTVM_DEBUG_CRASH_WORKER_OUTSIDE") ?? -1),
      traceProcs: options.traceProcs !== undefined,
    }, {
      onMainExit: (m) => (main = m),
      onDone: (s, trace) => {
        stats.push(s);
        if (trace) traceParts.push(trace);
      },
      onFailure: (message) => failures.push(message),
    });
  };
  // The main thread runs the processes alone until it has spent workersAfterMs in slices while
  // others waited; then the workers start (src/sched/main_thread.ts). A --trace-procs timeline has one track per
  // worker, so every slice runs on one: the workers start at once.
  const workersAfterMs = options.traceProcs !== undefined
    ? 0
    : options.workersAfterMs ?? DEFAULT_WORKERS_AFTER_MS;
  if (options.verbose) {
    io.stderr.write(
      `ttvm: SMP pool of ${workers} worker(s), started ${
        workersAfterMs > 0
          ? `once the main thread has run processes for ${workersAfterMs} ms`
          : "at once"
      }\n`,
    );
    io.stderr.flush();
  }
  if (workersAfterMs > 0) {
    mainThread = new MainThreadScheduler(
      mem,
      atoms,
      injection,
      driver,
      rt,
      options,
      workers,
      workersAfterMs,
      started,
      { onMainExit: (m) => (main = m), startWorkers },
    );
  } else {
    startWorkers();
  }
  try {
    await serve(mem, rt, driver, mainThread);
  } finally {
    await observer?.close();
  }
  const portsOpenAtEnd = driver.openHandles;
  await driver.shutdown();
  await driver.stopped();
  await Promise.all(finished);

  const halt = Atomics.load(mem.i32, H_HALT);
  if (options.verbose) {
    io.stderr.write(`ttvm: pool halted (${["", "quiescent", "exit", "failed"][halt]})\n`);
  }
  const mainExit = main as MainExit | null;
  const deadlock = halt === HALT_QUIESCENT ? deadlockReport(rt, table) : "";
  if (options.verbose) io.stderr.write(blockedReport(table));
  if (mainExit?.error) io.stderr.write(mainExit.error);
  io.stderr.write(deadlock);
  for (const f of failures) io.stderr.write(`Error: ${f}\n`);
  if (options.stats) {
    const s = mem.stats();
    const lines = ["── ttvm stats (SMP) ──"];
    for (const st of stats.sort((a, b) => a.worker - b.worker)) {
      lines.push(
        `worker ${st.worker}: slices ${st.slices}, steals ${st.stealsSucceeded}/${st.stealsAttempted}` +
          `, parks ${st.parks}, processes finished ${st.exits}, reductions ${st.reductions}` +
          `, GCs ${st.gcs}, compiled units ${st.jitUnits} (${st.jitReductions} reductions)`,
      );
    }
    lines.push(
      mainThread === null
        ? "main thread: no slices (the workers started at once)"
        : `main thread: ${mainThread.slices} slices (${
          mainThread.busyMs.toFixed(1)
        } ms of them with others waiting); ` +
          (mainThread.workersStartedAtMs === null
            ? "the workers were not started"
            : `the workers started at ${mainThread.workersStartedAtMs.toFixed(1)} ms`),
      `processes spawned:     ${table.spawned}`,
      `processes alive:       ${table.live}`,
      `messages sent:         ${mem.messagesSent()}`,
      `peak memory:           ${s.peakBytes} bytes (shared buffer ${s.bufferBytes} bytes)`,
      `memory still in use:   ${s.bytesLive} bytes (${CELL_BYTES}-byte cells)`,
      `ports open at end:     ${portsOpenAtEnd}`,
      `wall time:             ${(performance.now() - started).toFixed(1)} ms`,
    );
    io.stderr.write(lines.join("\n") + "\n");
  }
  if (options.traceProcs !== undefined) {
    const { writeTrace } = await import("../observe/trace_writer.ts");
    writeTrace(options.traceProcs, traceParts, { schedulers: workers });
  }
  io.stdout.flush();
  io.stderr.flush();
  const reason = mainExit?.reason ?? "normal";
  if (failures.length > 0 || halt === HALT_FAILED) return { exitCode: 70, reason };
  if (halt === HALT_EXIT) return { exitCode: Atomics.load(mem.i32, H_EXIT_CODE), reason };
  if (mainExit && mainExit.reason !== "normal") return { exitCode: 1, reason };
  return { exitCode: deadlock ? 3 : 0, reason };
}

/** Make a process that just became RUNNABLE (by CAS) runnable on the pool: count it, queue it
 *  for any worker, wake a parked one. */
function injectRunnable(mem: Memory, injection: InjectionQueue, pid: number): void {
  Atomics.add(mem.i32, H_ACTIVE, 1);
  injection.push(pid);
  wakeAWorker(mem);
}

/** Create the pool's workers and boot them; the promises settle when each has ended. */
function createWorkers(
  mem: Memory,
  workers: number,
  boot: Omit<WorkerBoot, "sab" | "index">,
  hooks: {
    onMainExit(main: MainExit): void;
    onDone(stats: WorkerDoneStats, trace: TracePart | null): void;
    onFailure(message: string): void;
  },
): Promise<void>[] {
  const url = workerUrl();
  return Array.from({ length: workers }, (_, index) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(url, { type: "module" });
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.type === "main-exit") hooks.onMainExit(m.main);
        else if (m.type === "done") {
          hooks.onDone(m.stats, m.trace);
          resolve();
        } else if (m.type === "failed") {
          hooks.onFailure(`worker ${m.worker} failed: ${m.message}`);
          resolve();
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        // A worker that died outside its own try: the others must not stay parked.
        e.preventDefault();
        hooks.onFailure(`worker ${index} died: ${e.message}`);
        haltPool(mem, HALT_FAILED);
        resolve();
      };
      worker.postMessage({ ...boot, sab: mem.sab, index } satisfies WorkerBoot);
    }));
}

/** The module every SMP worker runs. */
export function workerUrl(): string {
  return new URL("./smp_worker.ts", import.meta.url).href;
}

/** The driver's loop on the main thread: run processes while this thread is their scheduler
 *  (before the workers are up), take requests, fire timers, decide quiescence, and wait
 *  (Atomics.waitAsync, so the event loop serves I/O meanwhile) until the next request, idle
 *  report, completion or timer — until the pool halts.
 *
 *  Quiescence: only the driver wakes processes from outside, and a process can only send a
 *  request while it is active. So once H_ACTIVE reads 0, if the request queue is then empty
 *  and the driver has woken nobody in between (it does nothing else in between) and holds
 *  nothing that can wake a process, no process can ever run again. Accepting a request can
 *  wake its process (a reply from a buffer), so after accepting any the test starts over. */
async function serve(
  mem: Memory,
  rt: Runtime,
  driver: PortDriver,
  mainThread: MainThreadScheduler | null,
): Promise<void> {
  const w = mem.i32;
  // Deno does not count a pending waitAsync as work: without a timer the event loop could end.
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  try {
    for (;;) {
      const seen = Atomics.load(w, H_IO_SEQ);
      if (Atomics.load(w, H_HALT) !== 0) return;
      for (const req of takeRequests(mem, rt.values)) driver.accept(req);
      driver.fireDue(rt.clock());
      mem.publishMessages(); // what the driver and the distribution bridge delivered
      if (mainThread !== null && !mainThread.done && mainThread.runBatch() > 0) {
        if (mainThread.wantsTurn()) await eventLoopTurn();
        continue;
      }
      if (Atomics.load(w, H_ACTIVE) === 0) {
        if (Atomics.load(w, H_IO_QUEUE) !== 0) continue; // sent before the count reached 0
        if (!driver.canWake()) {
          haltPool(mem, HALT_QUIESCENT);
          return;
        }
      }
      // (made at the first wait: Deno loads its timers on first use, 10–20 ms, which a run that
      // ends on the main thread without waiting never pays)
      keepAlive ??= setInterval(() => {}, 1 << 30);
      const ms = driver.nextTimerInMs(rt.clock());
      const r = Atomics.waitAsync(w, H_IO_SEQ, seen, ms === Infinity ? undefined : ms);
      if (r.async) await r.value;
      mainThread?.turned();
    }
  } finally {
    if (keepAlive !== undefined) clearInterval(keepAlive);
    mainThread?.stop();
  }
}
