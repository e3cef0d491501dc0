/**
 * One setup routine for a thread that runs processes — the single scheduler's main thread and
 * every SMP worker build the same parts the same way: runtime (memory views, atoms, image,
 * heap, values, the way to the port driver), interpreter and its compiler tier, process layer
 * and supervisors, with the limits wired in. Only the scheduler that drives them differs
 * (DESIGN.md invariant 5).
 */
import type { AtomTable } from "../mem/atoms.ts";
import type { Memory } from "../mem/memory.ts";
import { P_FRAMES_CAP, P_PID, P_STACK_CAP } from "../proc/pcb.ts";
import type { Processes } from "../proc/procs.ts";
import { queuedCells } from "../proc/signals.ts";
import type { PortChannel } from "../ports/protocol.ts";
import { REQ_RESUME } from "../ports/protocol.ts";
import type { Values } from "../term/values.ts";
import { Interpreter } from "../vm/interp.ts";
import { attachTier, type Jit } from "../jit/tier.ts";
import { remoteForwarder } from "../cluster/forward.ts";
import { Runtime, type RuntimeOptions, type ThreadIo } from "../vm/runtime.ts";

export interface ThreadParts {
  rt: Runtime;
  interp: Interpreter;
  procs: Processes;
  /** The thread's compiler tier (options.jit, default on; null when off). */
  jit: Jit | null;
}

export function setupThread(
  mem: Memory,
  io: ThreadIo,
  channel: PortChannel | ((values: Values) => PortChannel),
  options: RuntimeOptions,
  atoms?: AtomTable,
): ThreadParts {
  const rt = new Runtime(mem, io, channel, options, atoms);
  const interp = new Interpreter(rt);
  const jit = attachTier(interp, options.jit ?? "on");
  if (jit) jit.exactPreemption = options.exactPreemption ?? false;
  const procs = rt.procs;
  // A process's memory: heap, stack and frames, and the messages it has not received yet.
  procs.queueLimitCells = options.limits.maxHeapCells;
  rt.heap.otherCells = (pcb) => {
    const w = mem.i32, p = pcb << 2;
    return w[p + P_STACK_CAP] + w[p + P_FRAMES_CAP] + queuedCells(mem, procs.table, w[p + P_PID]);
  };
  procs.portsExit = (pid) => rt.ports.exited(pid);
  procs.adopt = (pcb, cell) => rt.ports.adopt(pcb, cell);
  // Signals to processes on other nodes (proxy PIDs) go to the distribution bridge.
  procs.remote = remoteForwarder(mem, rt.values, procs.table, rt.ports);
  procs.mailbox.onPortDrained = (port) => rt.ports.notify(REQ_RESUME, port);
  return { rt, interp, procs, jit };
}

/** Causal output for a thread of the SMP pool, where every thread buffers what its processes
 *  print: that output is written before anything they caused leaves the thread — a signal to
 *  another process, or a request to the port driver (TCP_SEND, CONN_CLOSE, a socket closed
 *  at exit) — so whatever the other side prints in response comes after it. (The single
 *  scheduler has one buffer for everyone and needs no hook.) */
export function flushBeforeLeaving(rt: Runtime): void {
  const flush = () => rt.io.stdout.flush();
  rt.procs.beforeDeliver = flush;
  rt.ports.beforeSubmit = flush;
}
