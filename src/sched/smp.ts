/**
 * The SMP pool (main thread): builds the shared memory and the program image, spawns PID 1,
 * creates N workers once (default: one per core), and serves as the I/O owner: the port driver
 * (src/ports/driver.ts) runs here, next to Deno's event loop, taking the processes' requests
 * from the shared queue, completing them as signals, firing timers, and deciding quiescence —
 * until the pool halts (quiescence, EXIT, or a failed worker). It then prints PID 1's error
 * report and the statistics and returns the exit status.
 *
 * The main thread runs no process. It waits with Atomics.waitAsync on the driver's futex word,
 * so sockets, child processes and timers keep being served while it waits.
 */
import type { Program } from "../isa/program.ts";
import { AtomTable, setAtomLimit } from "../mem/atoms.ts";
import { writeImage } from "../mem/image.ts";
import { CELL_BYTES, H_ACTIVE, H_EXIT_CODE, H_HALT, H_READY, H_WORKERS } from "../mem/layout.ts";
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
import type { WorkerDoneStats, WorkerMessage } from "./smp_protocol.ts";
import { HALT_EXIT, HALT_FAILED, HALT_QUIESCENT, haltPool } from "./worker_scheduler.ts";
import { createPcb } from "../proc/pcb.ts";
import { H_IO_QUEUE, H_IO_SEQ, H_SLEEPERS, H_WAKE_SEQ } from "../mem/layout.ts";
import { SharedChannel, takeRequests } from "../ports/channel.ts";
import { fileSink, Output } from "../io/output.ts";
import type { Scheduler } from "../proc/procs.ts";
import { reportExit } from "../vm/report.ts";
import { SliceRunner, STEP_EXIT } from "./slice.ts";
import { flushBeforeLeaving, setupThread } from "./thread.ts";
import type { PortDriver } from "../ports/driver.ts";
import { createDriver } from "../ports/mod.ts";
import { Reloader } from "../ports/reload.ts";
import { startDistribution } from "../cluster/start.ts";
import { createSchedStats, runClockMs } from "../mem/sched_stats.ts";
import { type TracePart, TraceRecorder } from "../observe/trace.ts";
import type { Observer } from "../observe/server.ts";
import { type PrestartedPool, workerUrl } from "./prestart.ts";

const DEQUE_CAPACITY = 1 << 14;
const INJECTION_CAPACITY = 1 << 12;
/** Workers' memory is mapped lazily by the OS, so a large start avoids most grows. */
const SMP_INITIAL_BYTES = 256 * 1024 ** 2;

export async function runSmp(
  program: Program,
  io: HostIo,
  options: VmOptions,
  workers: number,
  /** Workers main.ts started before the runtime loaded (src/sched/prestart.ts). */
  pool: PrestartedPool | null = null,
): Promise<RunResult> {
  const started = performance.now();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const mem = createMemory(options.initialBytes ?? SMP_INITIAL_BYTES, limits, options.hugePages);
  mem.concurrent = true;
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
  /** Queue a process just made RUNNABLE and wake a parked worker. */
  const inject = (pid: number) => injectRunnable(mem, injection, pid);
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

  // --observe: the dashboard runs here, on the main thread, which runs no process.
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
        sharedQueue: () => injection.size,
      },
      options.observe,
      () => runClockMs(mem),
      null,
    );
    io.stderr.write(`ttvm: dashboard at ${observer.url}\n`);
  }
  if (options.verbose) io.stderr.write(`ttvm: SMP pool of ${workers} worker(s)\n`);
  io.stdout.flush();
  io.stderr.flush();

  let main: MainExit | null = null;
  const failures: string[] = [];
  const stats: WorkerDoneStats[] = [];
  const url = workerUrl();
  const prestarted = takePrestarted(pool, workers);
  const finished = Array.from({ length: workers }, (_, index) =>
    new Promise<void>((resolve) => {
      const worker = prestarted[index] ?? new Worker(url, { type: "module" });
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.type === "main-exit") main = m.main;
        else if (m.type === "done") {
          stats.push(m.stats);
          if (m.trace) traceParts.push(m.trace);
          resolve();
        } else if (m.type === "failed") {
          failures.push(`worker ${m.worker} failed: ${m.message}`);
          resolve();
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        // A worker that died outside its own try: the others must not stay parked.
        e.preventDefault();
        failures.push(`worker ${index} died: ${e.message}`);
        haltPool(mem, HALT_FAILED);
        resolve();
      };
      worker.postMessage({
        sab: mem.sab,
        index,
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
      });
    }));
  // Until the workers are up, the main thread is a scheduler too (worker start-up takes
  // 70–190 ms each: a short program would otherwise wait for all of it).
  const bootSlices = runWhileWorkersStart(mem, atoms, injection, driver, rt, options, workers, {
    onMainExit: (m) => (main = m),
  });
  try {
    await serve(mem, rt, driver);
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
      `main thread: ${bootSlices} slices while the workers started`,
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

/** Run processes on the main thread until every worker has started its loop, or until no
 *  process is runnable (the workers take over from the injection queue; the driver serves
 *  what waits). The requests the processes make meanwhile are accepted between slices; their
 *  completions come once the main thread serves I/O. Returns the slices run. */
function runWhileWorkersStart(
  mem: Memory,
  atoms: AtomTable,
  injection: InjectionQueue,
  driver: PortDriver,
  driverRt: Runtime,
  options: VmOptions,
  workers: number,
  hooks: { onMainExit(main: MainExit): void },
): number {
  const w = mem.i32;
  if (Atomics.load(w, H_READY) >= workers || injection.size === 0) return 0;
  // A --trace-procs timeline has one track per worker: every slice runs on one.
  if (options.traceProcs !== undefined) return 0;
  const io = {
    stdout: new Output(fileSink(Deno.stdout)).shareWith(mem),
    stderr: new Output(fileSink(Deno.stderr)).shareWith(mem),
    args: driverRt.io.args,
  };
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
  const sched: Scheduler = {
    enqueue: (pid) => injectRunnable(mem, injection, pid),
    armTimer: (pid, deadlineMs, seq) => rt.ports.armTimer(pid, deadlineMs, seq),
  };
  procs.sched = sched;
  flushBeforeLeaving(rt);
  procs.onExit = (pcb, report) => {
    const main = reportExit(rt, pcb, report, options.verbose ?? false);
    if (main) hooks.onMainExit(main);
  };
  const runner = new SliceRunner(
    rt,
    interp,
    procs,
    options.reductions ?? DEFAULT_REDUCTIONS,
    (pid) => {
      // Back to the pool (still counted in H_ACTIVE): a worker that started meanwhile and
      // parked must hear of it.
      injection.push(pid);
      wakeAWorker(mem);
    },
    {
      afterRun: () => {
        io.stdout.flush();
        io.stderr.flush();
      },
    },
    workers + 1,
  );
  let slices = 0;
  while (Atomics.load(w, H_READY) < workers && Atomics.load(w, H_HALT) === 0) {
    const pid = injection.shift();
    if (pid === 0) break;
    slices++;
    if (runner.run(pid) === STEP_EXIT) {
      Atomics.store(w, H_EXIT_CODE, runner.exitCode ?? 0);
      haltPool(mem, HALT_EXIT);
      break;
    }
    for (const req of takeRequests(mem, driverRt.values)) driver.accept(req);
    driver.fireDue(driverRt.clock());
  }
  procs.spare.flush();
  io.stdout.flush();
  io.stderr.flush();
  return slices;
}

/** The workers `main.ts` started before the runtime loaded (src/sched/prestart.ts), as many as
 *  the run uses; the others end. None if one of them failed while loading (the run then starts
 *  its own and meets the failure there, with the usual report). */
function takePrestarted(pool: PrestartedPool | null | undefined, workers: number): Worker[] {
  if (!pool) return [];
  const usable = pool.loadErrors.length === 0;
  const taken = usable ? pool.workers.slice(0, workers) : [];
  for (const w of pool.workers) if (!taken.includes(w)) w.terminate();
  pool.workers = [];
  return taken;
}

/** Make a process that just became RUNNABLE (by CAS) runnable on the pool: count it, queue it
 *  for any worker, wake a parked one. */
function injectRunnable(mem: Memory, injection: InjectionQueue, pid: number): void {
  Atomics.add(mem.i32, H_ACTIVE, 1);
  injection.push(pid);
  wakeAWorker(mem);
}

/** After a push onto the injection queue: wake one parked worker, if any (a push between a
 *  worker's last look and its wait changed H_WAKE_SEQ, so that wait returns at once). */
function wakeAWorker(mem: Memory): void {
  if (Atomics.load(mem.i32, H_SLEEPERS) > 0) {
    Atomics.add(mem.i32, H_WAKE_SEQ, 1);
    Atomics.notify(mem.i32, H_WAKE_SEQ, 1);
  }
}

/** The driver's loop on the main thread: take requests, fire timers, decide quiescence, and
 *  wait (Atomics.waitAsync, so the event loop serves I/O meanwhile) until the next request,
 *  idle report, completion or timer — until the pool halts.
 *
 *  Quiescence: only the driver wakes processes from outside, and a process can only send a
 *  request while it is active. So once H_ACTIVE reads 0, if the request queue is then empty
 *  and the driver has woken nobody in between (it does nothing else in between) and holds
 *  nothing that can wake a process, no process can ever run again. Accepting a request can
 *  wake its process (a reply from a buffer), so after accepting any the test starts over. */
async function serve(mem: Memory, rt: Runtime, driver: PortDriver): Promise<void> {
  const w = mem.i32;
  // Deno does not count a pending waitAsync as work: without this the event loop could end.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    for (;;) {
      const seen = Atomics.load(w, H_IO_SEQ);
      if (Atomics.load(w, H_HALT) !== 0) return;
      for (const req of takeRequests(mem, rt.values)) driver.accept(req);
      driver.fireDue(rt.clock());
      mem.publishMessages(); // what the driver and the distribution bridge delivered
      if (Atomics.load(w, H_ACTIVE) === 0) {
        if (Atomics.load(w, H_IO_QUEUE) !== 0) continue; // sent before the count reached 0
        if (!driver.canWake()) {
          haltPool(mem, HALT_QUIESCENT);
          return;
        }
      }
      const ms = driver.nextTimerInMs(rt.clock());
      const r = Atomics.waitAsync(w, H_IO_SEQ, seen, ms === Infinity ? undefined : ms);
      if (r.async) await r.value;
    }
  } finally {
    clearInterval(keepAlive);
  }
}
