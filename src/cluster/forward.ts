/**
 * The process side of distribution: a signal whose target is a proxy PID (a process on another
 * node, src/proc/table.ts ST_PROXY) leaves the thread as a REQ_DIST_SIGNAL request to the port
 * driver, where the distribution bridge sends it over the node connection. Installed as
 * `Processes.remote` on every thread (src/sched/thread.ts), so SEND, LINK, UNLINK, MONITOR,
 * DEMONITOR, EXIT_SIGNAL and the EXIT/DOWN of an exiting process reach other nodes through
 * `Processes.deliver`, like local signals.
 *
 * Order: the requests of one process reach the driver in the order it made them (the request
 * channel keeps each sender's order), and the bridge writes them in that order to the one
 * connection per node — so the per-pair order of LANGUAGE.md §3 holds across nodes.
 */
import type { Memory } from "../mem/memory.ts";
import type { PortClient } from "../ports/client.ts";
import {
  freeNode,
  N_FROM,
  N_KIND,
  SIG_DOWN,
  SIG_EXIT,
  SIG_MSG,
  valueCellOf,
} from "../proc/signals.ts";
import type { ProcTable } from "../proc/table.ts";
import type { HostValue } from "../term/host.ts";
import type { Values } from "../term/values.ts";
import { REQ_DIST_SIGNAL } from "./protocol.ts";

const NULL: HostValue = { kind: "null" };

/** `Processes.remote`: takes (and frees) a signal node addressed to a live proxy; false for
 *  anything else (the caller treats the target as dead, as before). */
export function remoteForwarder(
  mem: Memory,
  values: Values,
  table: ProcTable,
  ports: PortClient,
): (toPid: number, node: number) => boolean {
  return (toPid, node) => {
    if (table.proxyNode(toPid) < 0 || !table.isAlive(toPid)) return false;
    const w = mem.i32, h = node << 2;
    const kind = w[h + N_KIND], from = w[h + N_FROM], a = w[h + 4];
    const carriesValue = kind === SIG_MSG || kind === SIG_EXIT || kind === SIG_DOWN;
    const value = carriesValue ? values.toHost(valueCellOf(w, node)) : NULL;
    freeNode(mem, node);
    ports.submit({
      kind: REQ_DIST_SIGNAL,
      from,
      seq: 0,
      handle: toPid,
      a: kind,
      b: a,
      args: [value],
    });
    return true;
  };
}
