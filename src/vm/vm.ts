/**
 * Vm: one run of a program — the shared memory, this thread's runtime, interpreter, process
 * layer and scheduler, and the end-of-run report.
 *
 * Exit status (LANGUAGE.md §5): the EXIT opcode's code if used; 1 if process 1 crashed (after
 * `Error: <reason>` on stderr); 0 otherwise. Crashes of other processes print
 * `Process <pid> crashed: <reason> (<file>:<line>)` on stderr.
 */
import type { Program } from "../isa/program.ts";
import { writeImage } from "../mem/image.ts";
import { AtomTable } from "../mem/atoms.ts";
import { Memory } from "../mem/memory.ts";
import { CELL_BYTES, H_MESSAGES } from "../mem/layout.ts";
import { DEFAULT_LIMITS, type Limits, P_PC, P_SP } from "../proc/pcb.ts";
import { type ExitReport, Processes } from "../proc/procs.ts";
import { Supervisors } from "../proc/supervisor.ts";
import { SingleScheduler } from "../sched/single.ts";
import { Interpreter } from "./interp.ts";
import { type HostIo, type JitMode, Runtime } from "./runtime.ts";
import { attachTier, type Jit } from "../jit/tier.ts";
import { instructionText } from "./trace.ts";
import { blockedReport, type MainExit, reportExit } from "./report.ts";

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
  /** Compiler tier: "off", "on" (default) or "eager" (compile everything on first arrival).
   *  Off while tracing (one instruction per slice). */
  jit?: JitMode;
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
  readonly procs: Processes;
  readonly scheduler: SingleScheduler;
  /** This thread's compiler tier (null when off). */
  readonly jit: Jit | null;
  private readonly options: VmOptions;
  private main: MainExit | null = null;

  constructor(program: Program, io: HostIo, options: VmOptions = {}) {
    this.options = options;
    this.mem = Memory.create(options.initialBytes);
    const atoms = new AtomTable(this.mem);
    writeImage(this.mem, atoms, program);
    const jit = options.trace ? "off" : options.jit ?? "on";
    this.rt = new Runtime(this.mem, io, {
      stressGc: options.stressGc ?? false,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      jit,
    }, atoms);
    this.interp = new Interpreter(this.rt);
    this.jit = attachTier(this.interp, jit);
    this.procs = new Processes(this.mem, this.rt.values, atoms, this.rt.image, this.interp.m);
    this.rt.procs = this.procs;
    this.rt.supervisors = new Supervisors(this.procs, this.rt.clock);
    const budget = options.reductions ?? DEFAULT_REDUCTIONS;
    this.scheduler = new SingleScheduler(this.rt, this.interp, this.procs, budget, {
      beforeSlice: options.trace ? (pcb) => this.traceLine(pcb) : undefined,
    });
    this.rt.sched = this.scheduler;
    this.procs.sched = this.scheduler;
    this.procs.onExit = (pcb, report) => this.onExit(pcb, report);
  }

  /** Run the program from its first instruction as PID 1 until no process can progress. */
  run(): RunResult {
    const started = performance.now();
    const io = this.rt.io;
    if (this.options.verbose) io.stderr.write("ttvm: single scheduler\n");
    const { pid } = this.procs.create(0, 0);
    this.procs.start(pid);
    this.scheduler.run();
    io.stdout.flush();
    if (this.options.verbose) io.stderr.write(blockedReport(this.procs.table));
    if (this.main?.error) io.stderr.write(this.main.error);
    if (this.options.stats) this.printStats(performance.now() - started);
    io.stderr.flush();
    const reason = this.main?.reason ?? "normal";
    if (this.scheduler.exitCode !== null) return { exitCode: this.scheduler.exitCode, reason };
    return { exitCode: this.main?.crashed ? 1 : 0, reason };
  }

  get messagesSent(): number {
    return Atomics.load(this.mem.i32, H_MESSAGES);
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
      `messages sent:         ${Atomics.load(this.mem.i32, H_MESSAGES)}`,
      `time slices:           ${this.scheduler.slices}`,
      `garbage collections:   ${this.procs.gcCount} (${
        this.procs.gcCellsCopied * CELL_BYTES
      } bytes copied)`,
      `peak memory:           ${s.peakBytes} bytes (shared buffer ${s.bufferBytes} bytes)`,
      `memory still in use:   ${s.bytesLive} bytes in ${s.blocksLive} blocks`,
      `wall time:             ${elapsedMs.toFixed(1)} ms`,
    ];
    if (this.jit !== null) {
      const j = this.jit.stats;
      lines.push(
        `compiled units:        ${j.units} (${j.compiledInstrs} instructions, ${
          j.compileMs.toFixed(1)
        } ms to generate; ${j.compiledReductions} reductions in compiled code; ${j.demoted} entries handed back)`,
      );
    }
    this.rt.io.stderr.write(lines.join("\n") + "\n");
  }
}
