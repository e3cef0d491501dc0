/**
 * Introspection of processes (LANGUAGE.md §9): what PROCESSES and PROCESS_INFO report, built
 * from the process table, PCBs and relations blocks.
 *
 * Two kinds of readers:
 * - `processInfo` describes a process *from its own thread* (the target answering a SIG_INFO
 *   signal, src/proc/procs.ts), so its relations block and mailbox are read by their owner
 *   only (DESIGN.md invariant 2) and every figure is exact at that moment.
 * - Plain numbers any thread may read racily, never stopping the process: its mailbox length
 *   (P_MBOX_LEN; messages still in its signal queue join it at its next slice), reductions
 *   (PCB f64), block capacities, pc. `liveProcesses` walks the table up to the highest PID
 *   handed out, so it always ends.
 *
 * Status words: `running` (the process asked about itself, or was answering from inside its
 * code), `runnable` (queued, or preempted), `waiting` (in a receive, sleep or I/O wait).
 */
import type { ProgramImage } from "../mem/image.ts";
import { H_NEXT_PID } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import type { HostValue } from "../term/host.ts";
import {
  FLAG_SUPERVISOR,
  FLAG_TRAP_EXIT,
  P_FLAGS,
  P_FRAMES_CAP,
  P_HANDLERS,
  P_HANDLERS_CAP,
  P_HEAP_CAP,
  P_PID,
  P_REDUCTIONS_F64,
  P_REL,
  P_SP,
  P_STACK_CAP,
  PCB_CELLS,
} from "./pcb.ts";
import { REL_LINK, REL_MON, REL_NAME, type Relations } from "./relations.ts";
import { queuedCells } from "./signals.ts";
import {
  E_PCB,
  E_SIGQ,
  E_STATUS,
  type ProcTable,
  SIGQ_CLOSED,
  ST_NONE,
  ST_RUNNABLE,
  ST_RUNNING,
  ST_WAITING,
} from "./table.ts";
import { CELL_BYTES } from "../mem/layout.ts";
import type { AtomTable } from "../mem/atoms.ts";

export const STATUS_RUNNING = "running";
export const STATUS_RUNNABLE = "runnable";
export const STATUS_WAITING = "waiting";

/** PIDs of every live local process, in PID order (a racy snapshot; bounded by the highest
 *  PID handed out when it started). */
export function liveProcesses(mem: Memory, table: ProcTable): number[] {
  const out: number[] = [];
  const last = Atomics.load(mem.i32, H_NEXT_PID);
  for (let pid = 1; pid <= last; pid++) {
    const e = table.entry(pid);
    if (e === 0 || liveStatus(mem.i32, e) === ST_NONE) continue;
    if (Atomics.load(mem.i32, (e << 2) + E_PCB) === 0) continue;
    out.push(pid);
  }
  return out;
}

/** The status of process-table entry `e` (src/proc/table.ts) when it is a live local process
 *  — RUNNABLE, RUNNING or WAITING, with its signal queue open — else ST_NONE. A racy
 *  snapshot (PROCESSES, the dashboard). */
export function liveStatus(w: Int32Array, e: number): number {
  const x = e << 2;
  const s = Atomics.load(w, x + E_STATUS);
  if (s !== ST_RUNNABLE && s !== ST_RUNNING && s !== ST_WAITING) return ST_NONE;
  return Atomics.load(w, x + E_SIGQ) === SIGQ_CLOSED ? ST_NONE : s;
}

/** Bytes a process holds: its PCB, stack, frames, handlers, heap and relations blocks and the
 *  messages sent to it that it has not received. Racy-safe: only reads words. */
export function processMemoryBytes(mem: Memory, table: ProcTable, pcb: number): number {
  const w = mem.i32, p = pcb << 2;
  const rel = w[p + P_REL];
  const relCells = rel > 0 && rel < w.length >> 2 ? Math.max(0, w[(rel << 2) + 1]) : 0;
  const cells = PCB_CELLS + w[p + P_STACK_CAP] + w[p + P_FRAMES_CAP] + w[p + P_HEAP_CAP] +
    (w[p + P_HANDLERS] !== 0 ? w[p + P_HANDLERS_CAP] : 0) + relCells +
    queuedCells(mem, table, w[p + P_PID]);
  return cells * CELL_BYTES;
}

/** Reductions executed by the process in its finished slices (racy-safe). */
export function processReductions(mem: Memory, pcb: number): number {
  return mem.f64[(pcb << 1) + P_REDUCTIONS_F64];
}

export interface InfoContext {
  mem: Memory;
  table: ProcTable;
  rel: Relations;
  atoms: AtomTable;
  image: ProgramImage;
}

/** PROCESS_INFO's object for the process at `pcb`, read by that process's own thread; `pc` is
 *  the instruction it is at (its `current`), `queueLength` the messages sent to it and not
 *  yet received (mailbox and signal queue). */
export function processInfo(
  cx: InfoContext,
  pcb: number,
  status: string,
  pc: number,
  queueLength: number,
): HostValue {
  const { mem, table, rel, atoms, image } = cx;
  const w = mem.i32, p = pcb << 2;
  const pid = w[p + P_PID];
  let name: HostValue = { kind: "null" };
  const links: HostValue[] = [];
  const monitors: HostValue[] = [];
  const n = rel.count(pcb);
  for (let i = 0; i < n; i++) {
    const type = rel.type(pcb, i);
    if (type === REL_LINK) links.push(int(rel.word(pcb, i, 1)));
    else if (type === REL_MON) monitors.push(int(rel.word(pcb, i, 2)));
    else if (type === REL_NAME && name.kind === "null") {
      name = { kind: "str", value: atoms.name(rel.word(pcb, i, 1)) };
    }
  }
  const flags = w[p + P_FLAGS];
  return {
    kind: "object",
    entries: [
      ["pid", int(pid)],
      ["status", { kind: "str", value: status }],
      ["name", name],
      ["message_queue_len", int(queueLength)],
      ["reductions", int(processReductions(mem, pcb))],
      ["memory_bytes", int(processMemoryBytes(mem, table, pcb))],
      ["stack_depth", int(w[p + P_SP])],
      ["links", { kind: "list", items: links }],
      ["monitors", { kind: "list", items: monitors }],
      ["trap_exit", { kind: "bool", value: (flags & (FLAG_TRAP_EXIT | FLAG_SUPERVISOR)) !== 0 }],
      ["current", { kind: "str", value: image.location(pc) }],
    ],
  };
}

function int(n: number): HostValue {
  return { kind: "int", value: BigInt(Math.trunc(n)) };
}
