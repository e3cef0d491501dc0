/**
 * Introspection instructions (LANGUAGE.md §9): PROCESSES, PROCESS_INFO, SYSTEM_INFO.
 *
 * PROCESS_INFO of another process is a signal, as in Erlang: the asker sends SIG_INFO and
 * waits like for a port reply (FLAG_IO_WAIT, P_TIMER_SEQ = the request's seq; src/ports/client.ts
 * explains the registers); the target answers from its own thread when it next handles its
 * signals — at the start of its next slice (a WAITING target is woken for it, as by a message)
 * or inside a receive — because only a process reads its own relations and mailbox (DESIGN.md
 * invariant 2). So no process is ever stopped to be inspected. A target that is dead, or dies
 * before it answers, answers Null (src/proc/procs.ts respondToDead). Asking about oneself takes
 * the same path, so the counters include the slice that asked.
 *
 * PROCESSES and SYSTEM_INFO read counters any thread may read (the process table, the header,
 * the schedulers' statistics lines).
 */
import {
  CELL_BYTES,
  H_ACTIVE,
  H_CELLS_LIVE,
  H_MAX_PROCESSES,
  H_PROCS_LIVE,
} from "../mem/layout.ts";
import { readSchedStats } from "../mem/sched_stats.ts";
import { liveProcesses } from "../proc/introspect.ts";
import {
  FLAG_IO_WAIT,
  P_FLAGS,
  P_PC,
  P_PID,
  P_SAVE_NODE,
  P_SAVE_PC,
  P_TIMER_SEQ,
} from "../proc/pcb.ts";
import { newNode, SIG_INFO } from "../proc/signals.ts";
import type { HostValue } from "../term/host.ts";
import { setNull } from "../term/tags.ts";
import { typeMismatch } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { R_CONTINUE, R_WAIT, R_YIELD } from "./results.ts";
import { finishRequest } from "./ops_io.ts";

const PROCESS_INFO = 0xe9;

/** The node name of a run that is not distributed (Erlang's). */
export const NO_NODE = "nonode@nohost";

/** PROCESSES: `→ list` of the live local PIDs. */
export function processes(it: Interpreter, pcb: number): number {
  const rt = it.rt;
  const pids = liveProcesses(rt.mem, rt.procs.table);
  it.charge(pids.length);
  const dst = it.m.push(pcb);
  rt.values.putHost(pcb, dst, {
    kind: "list",
    items: pids.map((pid) => int(pid)),
  });
  return R_CONTINUE;
}

/** PROCESS_INFO: `pid → obj`, or Null for a process that is not alive. */
export function processInfo(it: Interpreter, pcb: number, ip: number): number {
  const rt = it.rt, m = it.m, v = rt.values, p = pcb << 2;
  let w = rt.mem.i32;
  if (w[p + P_FLAGS] & FLAG_IO_WAIT) return finishRequest(it, pcb, PROCESS_INFO, ip);
  m.need(pcb, 1, "PROCESS_INFO");
  const c = m.arg(pcb, 0);
  if (!v.isInt(c)) throw typeMismatch("PROCESS_INFO", "a pid (int)", [v.debug(c)]);
  const big = v.int(c);
  const target = big > 0n && big <= 0x7fffffffn ? Number(big) : 0;
  const procs = rt.procs;
  // No PCB: not a process (the TypeScript API's host mailbox, a remote process's proxy).
  if (!procs.table.isAlive(target) || procs.table.pcbOf(target) === 0) {
    setNull(w, c);
    return R_CONTINUE;
  }
  const pc = ip >> 2;
  const seq = ++w[p + P_TIMER_SEQ];
  w[p + P_FLAGS] |= FLAG_IO_WAIT;
  w[p + P_SAVE_PC] = pc;
  w[p + P_SAVE_NODE] = 0;
  const node = newNode(rt.mem, SIG_INFO, w[p + P_PID], seq);
  if (!procs.deliver(target, node)) {
    // It began to exit meanwhile: it is not alive any more.
    w = rt.mem.i32;
    w[p + P_FLAGS] &= ~FLAG_IO_WAIT;
    w[p + P_SAVE_PC] = -1;
    setNull(w, m.arg(pcb, 0));
    return R_CONTINUE;
  }
  rt.mem.i32[p + P_PC] = pc; // run this instruction again when the answer is in
  return R_WAIT;
}

/** SYSTEM_INFO: `→ obj` with the run's counters. Its first run ends the slice (pc left on
 *  itself, P_SAVE_PC marking it), so that the reductions include the caller's own work up to
 *  here: schedulers publish their totals at the end of each slice. */
export function systemInfo(it: Interpreter, pcb: number, ip: number): number {
  const rt = it.rt, mem = rt.mem, p = pcb << 2, pc = ip >> 2;
  if (mem.i32[p + P_SAVE_PC] !== pc) {
    mem.i32[p + P_SAVE_PC] = pc;
    mem.i32[p + P_PC] = pc;
    return R_YIELD;
  }
  mem.i32[p + P_SAVE_PC] = -1;
  const w = mem.i32;
  const scheds = readSchedStats(mem);
  // Schedulers not parked are running a process (or about to take one): what H_ACTIVE
  // (RUNNABLE + RUNNING) counts beyond them is queued.
  let reductions = 0, running = 0;
  for (const s of scheds) {
    reductions += s.reductions;
    if (!s.idle) running++;
  }
  const info: HostValue = {
    kind: "object",
    entries: [
      ["node", { kind: "atom", name: NO_NODE }],
      ["schedulers", int(Math.max(1, scheds.length))],
      ["process_count", int(Atomics.load(w, H_PROCS_LIVE))],
      ["process_limit", int(Atomics.load(w, H_MAX_PROCESSES))],
      ["run_queue", int(Math.max(0, Atomics.load(w, H_ACTIVE) - running))],
      ["memory_bytes", int(Atomics.load(w, H_CELLS_LIVE) * CELL_BYTES)],
      ["messages", int(rt.mem.messagesSent())],
      ["reductions", int(reductions)],
      ["uptime_ms", int(rt.clock())],
    ],
  };
  const dst = it.m.push(pcb);
  rt.values.putHost(pcb, dst, info);
  return R_CONTINUE;
}

function int(n: number): HostValue {
  return { kind: "int", value: BigInt(Math.max(0, Math.trunc(n))) };
}
