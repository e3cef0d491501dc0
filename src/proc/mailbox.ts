/**
 * The mailbox of a process: the one module that appends to it, scans it and takes from it
 * (the interpreter's receive asks it; it never walks the list itself).
 *
 * ```
 *  PCB registers                       message node (src/proc/signals.ts)
 *  P_MBOX_HEAD ─► node ─► node ─► 0    cell 0 [next, kind=SIG_MSG, from, blockCells]
 *  P_MBOX_TAIL ────────────┘           cell 1 [a, port, queuedCells, origin]
 *  P_MBOX_LEN   count                  cell 2 value cell, cell 3… the copied value's objects
 *                                      (a compact node: cell 1 is its value cell, and its
 *                                      words here read as a = port = origin = 0)
 *  P_SAVE_PC    receive being re-run
 *  P_SAVE_NODE  last node it rejected
 * ```
 * - `queuedCells` (word 6): the cells this node added to the process's queued count when it
 *   was sent (src/proc/signals.ts pushMessage); taking or dropping the node subtracts them
 *   (`queuedCellsOf`, which knows that a compact node counted its own size).
 * - `port` (word 5): the handle whose active-mode data this message carries; taking it tells
 *   the port table one fewer message is unreceived (flow control, src/ports/port_table.ts).
 * - `origin` (word 7): ORIGIN_DOWN / ORIGIN_EXIT for the notifications the runtime builds
 *   (word `a` = the monitor ref of a DOWN). DEMONITOR's flush removes only runtime DOWNs of
 *   its ref, never a user message that merely looks like one.
 *
 * Selective receive remembers the last node it rejected (P_SAVE_NODE, valid while P_SAVE_PC
 * is the receive being re-run), so each wake-up scans only the messages that arrived since.
 *
 * Invariant: only the thread running the process touches its mailbox.
 */
import type { Memory } from "../mem/memory.ts";
import { PortTable } from "../ports/port_table.ts";
import { P_MBOX_HEAD, P_MBOX_LEN, P_MBOX_TAIL, P_SAVE_NODE, P_SAVE_PC } from "./pcb.ts";
import {
  freeNode,
  isCompactNode,
  N_NEXT,
  queuedCellsOf,
  unqueueMessageAt,
  valueCellOf,
} from "./signals.ts";
import type { ProcTable } from "./table.ts";

export const N_PORT = 5;
export const N_ORIGIN = 7;
export const ORIGIN_USER = 0;
export const ORIGIN_DOWN = 1;
export const ORIGIN_EXIT = 2;

/** Active-mode backlog below which paused delivery resumes (LANGUAGE.md §7 pauses above
 *  1,000 unreceived messages). */
export const RESUME_BELOW = 500;

export class Mailbox {
  private readonly ports: PortTable;
  /** `select`'s last result and its predecessor, so `take` needs no second scan. */
  private selected = 0;
  private selectedPrev = 0;
  /** Called when the owner of a paused port drained its backlog (asks the driver to resume). */
  onPortDrained: ((port: number) => void) | null = null;

  constructor(private readonly mem: Memory, private readonly table: ProcTable) {
    this.ports = new PortTable(mem);
  }

  length(pcb: number): number {
    return this.mem.i32[(pcb << 2) + P_MBOX_LEN];
  }

  append(pcb: number, node: number): void {
    const w = this.mem.i32, p = pcb << 2;
    w[(node << 2) + N_NEXT] = 0;
    const tail = w[p + P_MBOX_TAIL];
    if (tail === 0) w[p + P_MBOX_HEAD] = node;
    else w[(tail << 2) + N_NEXT] = node;
    w[p + P_MBOX_TAIL] = node;
    w[p + P_MBOX_LEN]++;
  }

  /** The oldest message the receive at `pc` accepts (`accepts(valueCell)`, or any when null),
   *  scanning only what arrived since that receive last looked; 0 when none. The node stays in
   *  the mailbox until `take`. */
  select(pcb: number, pc: number, accepts: ((cell: number) => boolean) | null): number {
    const w = this.mem.i32, p = pcb << 2;
    let prev = w[p + P_SAVE_PC] === pc ? w[p + P_SAVE_NODE] : 0;
    let node = prev === 0 ? w[p + P_MBOX_HEAD] : w[(prev << 2) + N_NEXT];
    while (node !== 0 && accepts !== null && !accepts(valueCellOf(w, node))) {
      prev = node;
      node = w[(node << 2) + N_NEXT];
    }
    w[p + P_SAVE_PC] = pc;
    w[p + P_SAVE_NODE] = prev;
    this.selected = node;
    this.selectedPrev = prev;
    return node;
  }

  /** `select` and `take` in one step for a receive without a pattern (it accepts the oldest
   *  message, so there is nothing to scan and nothing to remember): unlinks and settles the
   *  oldest message, ends the receive and returns the node; 0 when the mailbox is empty (the
   *  receive at `pc` is then marked as waiting, as `select` marks it). */
  takeOldest(pcb: number, e: number, pc: number): number {
    const w = this.mem.i32, p = pcb << 2;
    const node = w[p + P_MBOX_HEAD];
    if (node === 0) {
      w[p + P_SAVE_PC] = pc;
      w[p + P_SAVE_NODE] = 0;
      return 0;
    }
    this.unlink(pcb, 0, node);
    this.endReceive(pcb);
    this.selected = 0;
    this.settle(e, node);
    return node;
  }

  /** The oldest message's node, left in place; 0 when the mailbox is empty (compiled code's
   *  plain RECEIVE looks before it takes: src/vm/ops_proc.ts `receiveDirect`). */
  oldest(pcb: number): number {
    return this.mem.i32[(pcb << 2) + P_MBOX_HEAD];
  }

  /** The receive is over (it took a message or timed out): forget where it was. */
  endReceive(pcb: number): void {
    const w = this.mem.i32, p = pcb << 2;
    w[p + P_SAVE_PC] = -1;
    w[p + P_SAVE_NODE] = 0;
  }

  /** Unlink `node` (just found by `select`), settle its accounting and end the receive (as
   *  `takeOldest` does); the caller copies its value out and then frees it with `free`. `e`:
   *  the process's table entry. */
  take(pcb: number, e: number, node: number): void {
    let prev = 0;
    if (node === this.selected) prev = this.selectedPrev;
    else {
      const w = this.mem.i32;
      for (let n = w[(pcb << 2) + P_MBOX_HEAD]; n !== node; n = w[(n << 2) + N_NEXT]) prev = n;
    }
    this.selected = 0;
    this.unlink(pcb, prev, node);
    this.endReceive(pcb);
    this.settle(e, node);
  }

  private unlink(pcb: number, prev: number, node: number): void {
    const w = this.mem.i32, p = pcb << 2;
    const next = w[(node << 2) + N_NEXT];
    if (prev === 0) w[p + P_MBOX_HEAD] = next;
    else w[(prev << 2) + N_NEXT] = next;
    if (w[p + P_MBOX_TAIL] === node) w[p + P_MBOX_TAIL] = prev;
    if (w[p + P_SAVE_NODE] === node) w[p + P_SAVE_NODE] = prev;
    w[p + P_MBOX_LEN]--;
  }

  free(node: number): void {
    freeNode(this.mem, node);
  }

  /** DEMONITOR: drop the runtime's DOWN notifications for `ref` still in the mailbox. */
  flushDown(pcb: number, pid: number, ref: number): void {
    const w = this.mem.i32, e = this.table.entry(pid);
    let prev = 0;
    for (let n = w[(pcb << 2) + P_MBOX_HEAD]; n !== 0;) {
      const next = w[(n << 2) + N_NEXT];
      if (
        !isCompactNode(w, n) && w[(n << 2) + N_ORIGIN] === ORIGIN_DOWN && w[(n << 2) + 4] === ref
      ) {
        this.unlink(pcb, prev, n);
        this.settle(e, n);
        freeNode(this.mem, n);
      } else {
        prev = n;
      }
      n = next;
    }
  }

  /** Free every message (the process exits). */
  clear(pcb: number, pid: number): void {
    const w = this.mem.i32, p = pcb << 2, e = this.table.entry(pid);
    for (let n = w[p + P_MBOX_HEAD]; n !== 0;) {
      const next = w[(n << 2) + N_NEXT];
      this.settle(e, n);
      freeNode(this.mem, n);
      n = next;
    }
    w[p + P_MBOX_HEAD] = 0;
    w[p + P_MBOX_TAIL] = 0;
    w[p + P_MBOX_LEN] = 0;
  }

  /** A node leaves the mailbox: it no longer counts as queued, nor as unreceived port data. */
  private settle(e: number, node: number): void {
    const w = this.mem.i32;
    if (queuedCellsOf(w, node) !== 0) unqueueMessageAt(this.mem, e, node);
    if (isCompactNode(w, node)) return; // (it carries no port)
    const port = w[(node << 2) + N_PORT];
    if (port !== 0 && this.ports.received(port, RESUME_BELOW)) this.onPortDrained?.(port);
  }
}
