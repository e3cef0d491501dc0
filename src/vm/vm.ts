/**
 * Vm: one run of a program — the shared memory, this thread's runtime and interpreter, the
 * processes and the scheduler loop that drives them, and the end-of-run report.
 *
 * Single scheduler: processes run in FIFO order for a budget of reductions each; the run ends
 * when no process can make progress (LANGUAGE.md §5). Exit status: EXIT's code if used, 1 if
 * process 1 crashed, 0 otherwise.
 */
import type { Program } from "../isa/program.ts";
import { writeImage } from "../mem/image.ts";
import { AtomTable } from "../mem/atoms.ts";
import { Memory } from "../mem/memory.ts";
import {
  createPcb,
  DEFAULT_LIMITS,
  freePcb,
  type Limits,
  P_EXIT_PC,
  P_FLAGS,
  P_GC_COUNT,
  P_GC_CELLS_COPIED,
  P_PC,
  P_SP,
  R_REASON,
} from "../proc/pcb.ts";
import { CELL_BYTES } from "../mem/layout.ts";
import {
  Interpreter,
  R_CRASH,
  R_DONE,
  R_EXIT,
  R_SLEEP,
  R_WAIT,
  R_YIELD,
} from "./interp.ts";
import { FLAG_UNHANDLED_THROW } from "./raise.ts";
import { type HostIo, Runtime } from "./runtime.ts";
import { instructionText } from "./trace.ts";

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
}

export interface RunResult {
  exitCode: number;
  /** Exit reason of process 1 ("normal" or the crash message). */
  reason: string;
}

export const DEFAULT_REDUCTIONS = 1000;

export class Vm {
  readonly mem: Memory;
  readonly rt: Runtime;
  readonly interp: Interpreter;
  private readonly options: VmOptions;
  private gcCount = 0;
  private gcCellsCopied = 0;
  private spawned = 0;

  constructor(program: Program, io: HostIo, options: VmOptions = {}) {
    this.options = options;
    this.mem = Memory.create(options.initialBytes);
    const atoms = new AtomTable(this.mem);
    writeImage(this.mem, atoms, program);
    this.rt = new Runtime(this.mem, io, {
      stressGc: options.stressGc ?? false,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    }, atoms);
    this.interp = new Interpreter(this.rt);
  }

  /** Run the program's main process (PID 1) to the end. */
  run(): RunResult {
    const started = performance.now();
    const pcb = createPcb(this.mem, 1, 0);
    this.spawned++;
    const result = this.runProcess(pcb);
    const w = this.mem.i32;
    this.gcCount += w[(pcb << 2) + P_GC_COUNT];
    this.gcCellsCopied += w[(pcb << 2) + P_GC_CELLS_COPIED];
    freePcb(this.mem, pcb);
    const io = this.rt.io;
    io.stdout.flush();
    if (this.options.stats) this.printStats(performance.now() - started);
    io.stderr.flush();
    return result;
  }

  private runProcess(pcb: number): RunResult {
    const it = this.interp, io = this.rt.io;
    const budget = this.options.trace ? 1 : (this.options.reductions ?? DEFAULT_REDUCTIONS);
    for (;;) {
      if (this.options.trace) this.traceLine(pcb);
      const r = it.run(pcb, budget);
      switch (r) {
        case R_YIELD:
          continue;
        case R_SLEEP:
          io.stdout.flush();
          sleepSync(it.sleepMs);
          continue;
        case R_DONE:
          return { exitCode: 0, reason: "normal" };
        case R_EXIT:
          return { exitCode: it.exitCode, reason: "normal" };
        case R_CRASH:
          return this.reportCrash(pcb);
        case R_WAIT:
          return { exitCode: 0, reason: "normal" };
      }
    }
  }

  private reportCrash(pcb: number): RunResult {
    const w = this.mem.i32, p = pcb << 2;
    const reason = this.rt.values.str(pcb + R_REASON);
    const unhandled = (w[p + P_FLAGS] & FLAG_UNHANDLED_THROW) !== 0;
    const io = this.rt.io;
    io.stdout.flush();
    io.stderr.write(
      `Error: ${unhandled ? "Unhandled exception: " : ""}${reason}\n` +
        `    at ${this.rt.image.location(w[p + P_EXIT_PC])}\n`,
    );
    return { exitCode: 1, reason };
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
      `instructions executed: ${this.interp.reductions}`,
      `processes spawned:     ${this.spawned}`,
      `garbage collections:   ${this.gcCount} (${this.gcCellsCopied * CELL_BYTES} bytes copied)`,
      `peak memory:           ${s.peakBytes} bytes (shared buffer ${s.bufferBytes} bytes)`,
      `memory still in use:   ${s.bytesLive} bytes in ${s.blocksLive} blocks`,
      `wall time:             ${elapsedMs.toFixed(1)} ms`,
    ];
    this.rt.io.stderr.write(lines.join("\n") + "\n");
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}
