/**
 * Vm: one run of a program on the single scheduler — the shared memory, this thread's runtime,
 * interpreter, process layer, scheduler and port driver (the I/O owner), and the end-of-run
 * report.
 *
 * The run loop alternates between batches of slices and Deno's event loop: when no process
 * can run it waits (without spinning) until the driver wakes one — an I/O completion or a
 * timer — and while processes compute it still gives the event loop a turn every
 * EVENT_LOOP_TURN_MS when the driver has I/O in flight, so sockets are served under load.
 *
 * Exit status (LANGUAGE.md §5): the EXIT opcode's code if used; 1 if process 1 ended with any
 * reason but `normal` (after `Error: …` on stderr); 3 if the run ended while process 1 still
 * waits (a deadlock, reported on stderr); 0 otherwise.
 */
import type { Program } from "../isa/program.ts";
import { writeImage } from "../mem/image.ts";
import { AtomTable, setAtomLimit } from "../mem/atoms.ts";
import { Memory } from "../mem/memory.ts";
import { CELL_BYTES } from "../mem/layout.ts";
import {
  createSchedStats,
  idleBegins,
  idleEnds,
  runClockMs,
  SS_QUEUE,
  statsLineWord,
} from "../mem/sched_stats.ts";
import { type Output, OutputClock } from "../io/output.ts";
import { DEFAULT_LIMITS, type Limits, P_PC, P_SP } from "../proc/pcb.ts";
import type { ExitReport, Processes } from "../proc/procs.ts";
import { ProcTable } from "../proc/table.ts";
import { DirectChannel } from "../ports/client.ts";
import { casWaker, type PortDriver } from "../ports/driver.ts";
import { type AsyncByteSource, createDriver } from "../ports/mod.ts";
import { Reloader } from "../ports/reload.ts";
import { SingleScheduler, STEP_EXIT, STEP_IDLE } from "../sched/single.ts";
import { setupThread } from "../sched/thread.ts";
import type { Interpreter } from "./interp.ts";
import type { JitMode, Runtime } from "./runtime.ts";
import type { Jit } from "../jit/tier.ts";
import { instructionText } from "./trace.ts";
import { blockedReport, deadlockReport, type MainExit, reportExit } from "./report.ts";
import { type DistOptions, startDistribution } from "../cluster/start.ts";
import { TraceRecorder } from "../observe/trace.ts";
import type { Observer } from "../observe/server.ts";

export interface VmOptions {
  /** Reductions per time slice (default 1000). */
  reductions?: number;
  stressGc?: boolean;
  /** Print one line per executed instruction on stderr. */
  trace?: boolean;
  /** Print counters at the end on stderr. */
  stats?: boolean;
  /** Scheduler chatter on stderr. */
  verbose?: boolean;
  limits?: Partial<Limits>;
  /** Initial shared memory size in bytes. */
  initialBytes?: number;
  /** SMP: how long (ms in slices while other processes waited) the main thread runs the
   *  processes alone before it starts the workers (`--workers-after-ms`; default 250; 0: at
   *  once). */
  workersAfterMs?: number;
  /** Ask Linux for transparent huge pages over the arena (src/host/huge_pages.ts); default
   *  true. Off: `TTVM_HUGE_PAGES=0`. */
  hugePages?: boolean;
  /** Compiler tier: "off", "on" (default) or "eager" (compile everything on first arrival).
   *  Off while tracing (one instruction per slice). */
  jit?: JitMode;
  /** End every slice of compiled code at exactly the instruction `--jit=off` ends it at, for
   *  the same interleaving with the tier on (`--exact-preemption`; default false: a slice
   *  may end at a block start short of its budget). Single scheduler only. */
  exactPreemption?: boolean;
  /** Make the run a node of an Erlang cluster (LANGUAGE.md §8). */
  dist?: DistOptions;
  /** --trace-procs: write the processes' timeline to this file (src/observe/trace.ts). */
  traceProcs?: string;
  /** --observe: serve the live dashboard on this port of 127.0.0.1 (src/observe/server.ts;
   *  0 picks a free port). */
  observe?: number;
  /** --reload: watch the imported module files and load each one that changes (LANGUAGE.md
   *  §9, src/ports/reload.ts). */
  reload?: boolean;
}

/** Where a run's output goes and where its input comes from. */
export interface HostIo {
  stdout: Output;
  stderr: Output;
  stdin: AsyncByteSource;
  /** The program's own arguments (GET_ARGS). */
  args: string[];
}

export interface RunResult {
  exitCode: number;
  /** Exit reason of process 1 ("normal" or the crash message). */
  reason: string;
}

export const DEFAULT_REDUCTIONS = 1000;

/** The run's shared memory with its limits set: the arena limit of --max-memory-mb and the
 *  live-process limit of --max-processes. */
export function createMemory(
  initialBytes: number | undefined,
  limits: Limits,
  hugePages = true,
): Memory {
  const mem = Memory.create(
    initialBytes,
    limits.maxMemoryBytes > 0 ? limits.maxMemoryBytes : undefined,
    hugePages,
  );
  ProcTable.setLimit(mem, limits.maxProcesses);
  return mem;
}
/** Slices between checks of the loop (timers and requests are handled after every slice). */
const SLICES_PER_BATCH = 256;
/** With --reload, the event loop (file change events) gets a turn at least this often. */
const RELOAD_TURN_MS = 50;
/** While processes compute, the event loop still gets a turn this often when I/O is out. */
const EVENT_LOOP_TURN_MS = 5;

export class Vm {
  readonly mem: Memory;
  readonly rt: Runtime;
  readonly interp: Interpreter;
  readonly procs: Processes;
  readonly scheduler: SingleScheduler;
  /** This thread's compiler tier (null when off). */
  readonly jit: Jit | null;
  readonly driver: PortDriver;
  private readonly channel = new DirectChannel();
  private readonly output: OutputClock;
  private readonly options: VmOptions;
  private readonly program: Program;
  private main: MainExit | null = null;
  /** Handles (sockets, servers, files…) still open when the run ended (--stats). */
  portsOpenAtEnd = 0;
  /** Resolves the idle wait of the run loop. */
  private wakeLoop: (() => void) | null = null;
  /** While processes compute, another user of Deno's event loop on this thread (the
   *  dashboard, src/observe/) gets a turn at least this often (Infinity: none). */
  turnEveryMs = Infinity;
  /** Word of the scheduler's statistics line (src/mem/sched_stats.ts). */
  private readonly statsWord: number;

  constructor(program: Program, io: HostIo, options: VmOptions = {}) {
    this.options = options;
    this.program = program;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.mem = createMemory(options.initialBytes, limits, options.hugePages);
    createSchedStats(this.mem, 1);
    const atoms = new AtomTable(this.mem);
    writeImage(this.mem, atoms, program);
    setAtomLimit(this.mem, limits.maxAtoms);
    const parts = setupThread(this.mem, io, this.channel, {
      stressGc: options.stressGc ?? false,
      limits,
      jit: options.trace ? "off" : options.jit ?? "on",
      exactPreemption: options.exactPreemption,
    }, atoms);
    this.rt = parts.rt;
    this.interp = parts.interp;
    this.procs = parts.procs;
    this.jit = parts.jit;
    this.output = new OutputClock([io.stdout, io.stderr]);
    this.driver = createDriver(
      {
        mem: this.mem,
        values: this.rt.values,
        table: this.procs.table,
        queueLimitCells: limits.maxHeapCells,
        clock: this.rt.clock,
        flushOutput: () => this.output.flushAll(),
      },
      casWaker(this.procs.table, (pid) => this.scheduler.enqueue(pid)),
      io.stdin,
    );
    this.driver.onActivity = () => this.wakeLoop?.();
    const budget = options.reductions ?? DEFAULT_REDUCTIONS;
    this.scheduler = new SingleScheduler(
      this.rt,
      this.interp,
      this.procs,
      budget,
      this.driver,
      this.channel,
      this.output,
      { beforeSlice: options.trace ? (pcb) => this.traceLine(pcb) : undefined },
    );
    this.scheduler.onRunnable = () => this.wakeLoop?.();
    this.procs.sched = this.scheduler;
    this.procs.onExit = (pcb, report) => this.onExit(pcb, report);
    this.statsWord = statsLineWord(this.mem, 0);
    if (options.traceProcs !== undefined) {
      this.tracer = new TraceRecorder(this.mem, 1, "scheduler 1");
      this.tracer.attach(this.procs, this.scheduler);
    }
  }

  /** --trace-procs: this run's recorder (null: not tracing). */
  private readonly tracer: TraceRecorder | null = null;

  /** Run the program from its first instruction as PID 1 until no process can progress. */
  async run(): Promise<RunResult> {
    const started = performance.now();
    const io = this.rt.io;
    if (this.options.verbose) io.stderr.write("ttvm: single scheduler\n");
    if (this.options.dist) {
      const { driver, procs, program } = this;
      await startDistribution(this.options.dist, {
        driver,
        procs,
        program,
        stdout: io.stdout,
        stderr: io.stderr,
      });
    }
    const observer = this.options.observe === undefined ? null : await this.startObserver();
    if (this.options.reload) {
      this.driver.addService(new Reloader(this.driver, io.stderr));
      // file events need event-loop turns while processes compute
      this.turnEveryMs = Math.min(this.turnEveryMs, RELOAD_TURN_MS);
    }
    const { pid } = this.procs.create(0, 0);
    this.procs.start(pid);
    try {
      await this.loop();
    } finally {
      await observer?.close();
    }
    await this.driver.stopped();
    this.procs.spare.flush(); // the statistics count live processes only
    io.stdout.flush();
    const deadlock = this.scheduler.exitCode === null
      ? deadlockReport(this.rt, this.procs.table)
      : "";
    if (this.options.verbose) io.stderr.write(blockedReport(this.procs.table));
    if (this.main?.error) io.stderr.write(this.main.error);
    io.stderr.write(deadlock);
    if (this.options.stats) this.printStats(performance.now() - started);
    if (this.tracer) {
      const { writeTrace } = await import("../observe/trace_writer.ts");
      writeTrace(this.options.traceProcs!, [this.tracer.take()], { schedulers: 1 });
    }
    io.stderr.flush();
    const reason = this.main?.reason ?? "normal";
    if (this.scheduler.exitCode !== null) return { exitCode: this.scheduler.exitCode, reason };
    if (this.main && this.main.reason !== "normal") return { exitCode: 1, reason };
    return { exitCode: deadlock ? 3 : 0, reason };
  }

  /** Run slices until no process can make progress or EXIT ends the run. `afterBatch` runs
   *  after every batch of slices (the TypeScript API drains its host mailbox there). */
  async loop(afterBatch?: () => void): Promise<void> {
    const { scheduler, driver } = this;
    let lastTurn = performance.now();
    try {
      for (;;) {
        const r = scheduler.step(SLICES_PER_BATCH);
        afterBatch?.();
        this.mem.i32[this.statsWord + SS_QUEUE] = scheduler.queueLength;
        if (r === STEP_EXIT) return;
        if (r === STEP_IDLE) {
          if (!driver.canWake()) return; // quiescent: nothing can ever run again
          this.output.flushAll();
          idleBegins(this.mem, this.statsWord);
          await this.idle();
          idleEnds(this.mem, this.statsWord);
          lastTurn = performance.now();
        } else if (this.wantsTurn(lastTurn)) {
          idleBegins(this.mem, this.statsWord);
          await eventLoopTurn();
          idleEnds(this.mem, this.statsWord);
          lastTurn = performance.now();
        }
      }
    } finally {
      this.portsOpenAtEnd = driver.openHandles;
      await driver.shutdown();
      this.output.flushAll();
    }
  }

  /** Whether Deno's event loop is due a turn while processes compute: for I/O in flight, or
   *  for another user of the loop (turnEveryMs). */
  private wantsTurn(lastTurnMs: number): boolean {
    const sinceMs = performance.now() - lastTurnMs;
    return sinceMs >= this.turnEveryMs ||
      (sinceMs >= EVENT_LOOP_TURN_MS && this.driver.waitsOnOutside());
  }

  /** Wait until a process becomes runnable or the next timer is due. */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const ms = this.driver.nextTimerInMs(this.rt.clock());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.wakeLoop = null;
        resolve();
      };
      if (ms !== Infinity) timer = setTimeout(done, ms);
      this.wakeLoop = done;
    });
  }

  /** --observe: the dashboard, served between slices (this run loop hands it event-loop turns
   *  through `turnEveryMs`). */
  private async startObserver(): Promise<Observer> {
    const mem = this.mem;
    const { Observer } = await import("../observe/server.ts"); // loaded only when asked for
    const observer = new Observer(
      {
        mem,
        atoms: this.rt.atoms,
        image: this.rt.image,
        table: this.procs.table,
        runQueues: () => [this.scheduler.queueLength],
      },
      this.options.observe!,
      () => runClockMs(mem),
      this,
    );
    this.rt.io.stderr.write(`ttvm: dashboard at ${observer.url}\n`);
    this.rt.io.stderr.flush();
    return observer;
  }

  get messagesSent(): number {
    return this.mem.messagesSent();
  }

  private onExit(pcb: number, report: ExitReport): void {
    const main = reportExit(this.rt, pcb, report, this.options.verbose ?? false);
    if (main) this.main = main;
  }

  private traceLine(pcb: number): void {
    const w = this.mem.i32, p = pcb << 2;
    const pc = w[p + P_PC];
    const img = this.rt.image;
    if (pc < 0 || pc >= img.nInstr) return;
    this.rt.io.stdout.flush();
    this.rt.io.stderr.write(
      `[trace] pid ${w[p]} pc ${pc} ${img.location(pc)} depth ${w[p + P_SP]}: ${
        instructionText(this.rt, pc)
      }\n`,
    );
    this.rt.io.stderr.flush();
  }

  private printStats(elapsedMs: number): void {
    const s = this.mem.stats();
    const lines = [
      "── ttvm stats ──",
      `reductions:            ${this.interp.reductions}`,
      `processes spawned:     ${this.procs.table.spawned}`,
      `processes alive:       ${this.procs.table.live}`,
      `messages sent:         ${this.mem.messagesSent()}`,
      `time slices:           ${this.scheduler.slices}`,
      `garbage collections:   ${this.procs.gcCount} (${
        this.procs.gcCellsCopied * CELL_BYTES
      } bytes copied)`,
      `peak memory:           ${s.peakBytes} bytes (shared buffer ${s.bufferBytes} bytes)`,
      `memory still in use:   ${s.bytesLive} bytes in ${s.blocksLive} blocks`,
      `ports open at end:     ${this.portsOpenAtEnd}`,
      `wall time:             ${elapsedMs.toFixed(1)} ms`,
    ];
    if (this.jit !== null) {
      const j = this.jit.stats;
      lines.push(
        `compiled units:        ${j.units} (${j.compiledInstrs} instructions, ${
          j.compileMs.toFixed(1)
        } ms to generate; ${j.compiledReductions} reductions in compiled code; ${j.demoted} entries handed back; ${j.directReceives} receives by direct call; ${j.steppers} stepping companions)`,
      );
    }
    this.rt.io.stderr.write(lines.join("\n") + "\n");
  }
}

/** One turn of Deno's event loop that also polls I/O: a timed wait (a plain macrotask such
 *  as setImmediate or MessageChannel runs before I/O is polled; measured here: an echo loop
 *  made 8 round trips/s with those turns, 31,000/s with this one). */
export function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
