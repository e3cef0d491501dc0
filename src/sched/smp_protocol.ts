/**
 * The only messages between the SMP pool and its workers (boot, results, fatal errors); all
 * run-time communication goes through shared memory.
 */
import type { Limits } from "../proc/pcb.ts";
import type { MainExit } from "../vm/report.ts";
import type { JitMode } from "../vm/runtime.ts";
import type { WorkerStats } from "./worker_scheduler.ts";
import type { TracePart } from "../observe/trace.ts";

export interface WorkerBoot {
  sab: SharedArrayBuffer;
  index: number;
  dequeBlocks: number[];
  injectionBlock: number;
  reductions: number;
  stressGc: boolean;
  /** Compiler tier policy; each worker compiles for itself. */
  jit: JitMode;
  verbose: boolean;
  limits: Limits;
  args: string[];
  /** Debug: index of a worker that must fail at start (-1: none). */
  crashWorker: number;
  /** Debug: index of a worker that must fail outside its try (-1: none). */
  crashOutside: number;
  /** --trace-procs: record slices, spawns, exits and sends for the trace file. */
  traceProcs: boolean;
}

export interface WorkerDoneStats extends WorkerStats {
  reductions: number;
  gcs: number;
  /** Compiler tier: units this worker compiled, reductions its compiled code charged. */
  jitUnits: number;
  jitReductions: number;
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "main-exit"; main: MainExit }
  | { type: "done"; stats: WorkerDoneStats; trace: TracePart | null }
  | { type: "failed"; worker: number; message: string };
