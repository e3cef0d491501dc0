/**
 * What the run prints when a process ends (LANGUAGE.md §2, §5), shared by the single scheduler
 * and the SMP workers: a crash of any process but PID 1 prints
 * `Process <pid> crashed: <reason> (<file>:<line>)` at once; PID 1's crash becomes the
 * `Error: …` report printed at the end of the run; `--verbose` adds an exit line per process.
 */
import { FLAG_SUPERVISING, FLAG_UNHANDLED_THROW, P_EXIT_PC, P_FLAGS, P_PC } from "../proc/pcb.ts";
import type { ExitReport } from "../proc/procs.ts";
import { type ProcTable, ST_WAITING } from "../proc/table.ts";
import type { Runtime } from "./runtime.ts";

export interface MainExit {
  reason: string;
  crashed: boolean;
  /** The final `Error: …` text for a crashed PID 1 ("" otherwise). */
  error: string;
}

/** Print what a process's exit requires; returns PID 1's exit summary (null for others). */
export function reportExit(
  rt: Runtime,
  pcb: number,
  report: ExitReport,
  verbose: boolean,
): MainExit | null {
  const w = rt.mem.i32, p = pcb << 2, io = rt.io;
  const where = rt.image.location(w[p + P_EXIT_PC]);
  let main: MainExit | null = null;
  if (report.pid === 1) {
    const unhandled = (w[p + P_FLAGS] & FLAG_UNHANDLED_THROW) !== 0;
    // Any end but `normal` is reported: a crash with where it happened; an EXIT_SELF or an
    // exit signal from another process with its reason (LANGUAGE.md §5).
    let error = "";
    if (report.crashed) {
      error = `Error: ${
        unhandled ? "Unhandled exception: " : ""
      }${report.reason}\n    at ${where}\n`;
    } else if (report.reason !== "normal") {
      error = `Error: ${report.reason}\n`;
    }
    main = { reason: report.reason, crashed: report.crashed, error };
  } else if (report.crashed) {
    io.stdout.flush();
    io.stderr.write(`Process ${report.pid} crashed: ${report.reason} (${where})\n`);
    io.stderr.flush();
  }
  if (verbose) {
    io.stdout.flush();
    io.stderr.write(`ttvm: process ${report.pid} exited: ${report.reason}\n`);
    io.stderr.flush();
  }
  return main;
}

/** --verbose: the processes still blocked when the run ended ("" when none). */
export function blockedReport(table: ProcTable): string {
  const blocked: number[] = [];
  for (let pid = 1; pid <= table.spawned; pid++) {
    if (table.status(pid) === ST_WAITING) blocked.push(pid);
  }
  if (blocked.length === 0) return "";
  const shown = blocked.slice(0, 20).join(", ") + (blocked.length > 20 ? ", …" : "");
  return `ttvm: run ended with ${blocked.length} process(es) still blocked: ${shown}\n`;
}

/** The run ended by quiescence while process 1 still waits (in a receive or on I/O): the
 *  deadlock report of LANGUAGE.md §5, or "" when process 1 is gone or is a supervisor whose
 *  own code has ended (it only supervises). */
export function deadlockReport(rt: Runtime, table: ProcTable): string {
  if (table.status(1) !== ST_WAITING) return "";
  const pcb = table.pcbOf(1);
  if (pcb === 0) return "";
  const w = rt.mem.i32;
  if (w[(pcb << 2) + P_FLAGS] & FLAG_SUPERVISING) return "";
  let blocked = 0;
  for (let pid = 1; pid <= table.spawned; pid++) if (table.status(pid) === ST_WAITING) blocked++;
  const where = rt.image.location(w[(pcb << 2) + P_PC]);
  return `Error: deadlock: process 1 waits forever at ${where} (${blocked} processes blocked)\n`;
}
