/**
 * Process table: PID → entry, in shared memory. PIDs are allocated sequentially from 1 and never
 * reused, so an entry belongs to one process forever and a sender can never reach a different
 * process through a stale PID.
 *
 * Two levels so that entries never move (concurrent CAS on an entry stays valid; src/mem/paged.ts):
 * ```
 *  H_PROC_TABLE_CELL ─► directory block: i32 per page (cell index of the page, 0 = not yet)
 *  page (PAGE_ENTRIES entries of 2 cells): one entry per PID
 *     word 0  pcb        PCB cell while the process lives, 0 before spawn / after exit
 *     word 1  sigq       head of the signal stack (src/proc/signals.ts); CLOSED after exit
 *     word 2  status     ST_* below; changed by CAS (DESIGN.md invariant 6)
 *     word 3  owner      worker index + 1 while running (SMP assertion), else 0
 *     word 4  queued     cells of messages sent to it and not yet received (senders add,
 *                        the receiver subtracts) — they count toward its memory limit
 *     word 5  flags      EF_OVER_LIMIT: a sender found the queue over the limit; the process
 *                        ends with `Heap limit exceeded` at its next slice
 *                        EF_PROXY_DEAD (proxies): the remote process is known to be gone
 *     word 6  node       proxies: atom id of the node the remote process lives on
 *     word 7  spare
 * ```
 * A **proxy** (status ST_PROXY) stands for a process on another node (LANGUAGE.md §8): a PID
 * number with no PCB, handed out by the distribution bridge (src/cluster/) the first time a
 * remote pid is seen. Its signal queue is CLOSED, so a push fails exactly as towards a dead
 * process, and Processes.deliver then hands the signal to the bridge instead of dropping it.
 * A proxy is not a live process (it counts in neither the live nor the spawned total).
 * Cost: 32 bytes per PID ever spawned (pages are kept), 4096 PIDs per page.
 *
 * Live processes are limited (H_MAX_PROCESSES, --max-processes): spawning beyond the limit is
 * the catchable error `Process limit reached`, as is exhausting the 2^28 PIDs of the table.
 */
import {
  H_MAX_PROCESSES,
  H_NEXT_PID,
  H_PROC_TABLE_CELL,
  H_PROCS_LIVE,
  H_PROCS_SPAWNED,
  H_TABLE_LOCK,
} from "../mem/layout.ts";
import { LimitError } from "../mem/limit_error.ts";
import type { Memory } from "../mem/memory.ts";
import { ensurePage, pageCell, type PagedLayout } from "../mem/paged.ts";

export const PAGE_SHIFT = 12;
export const PAGE_ENTRIES = 1 << PAGE_SHIFT;
export const ENTRY_CELLS = 2;
const LAYOUT: PagedLayout = {
  dirWord: H_PROC_TABLE_CELL,
  lockWord: H_TABLE_LOCK,
  dirPages: 1 << 16, // 2^28 PIDs
  pageShift: PAGE_SHIFT,
  entryCells: ENTRY_CELLS,
};
/** Default of --max-processes (LANGUAGE.md §2). */
export const DEFAULT_MAX_PROCESSES = 2_097_152;

export const E_PCB = 0;
export const E_SIGQ = 1;
/** E_SIGQ of a process that has begun to exit: pushes fail (src/proc/signals.ts). */
export const SIGQ_CLOSED = -1;
export const E_STATUS = 2;
/** Debug: worker index + 1 while a worker runs the process (SMP ownership assertion). */
export const E_OWNER = 3;
/** Cells of messages queued to the process and not yet received. */
export const E_QUEUED = 4;
export const E_FLAGS = 5;
export const EF_OVER_LIMIT = 1;
export const EF_PROXY_DEAD = 2;
export const E_NODE = 6;

/** Entry status. RUNNABLE = in a run queue; only the CAS into RUNNABLE may enqueue. */
export const ST_NONE = 0;
export const ST_RUNNABLE = 1;
export const ST_RUNNING = 2;
export const ST_WAITING = 3;
export const ST_EXITED = 4;
/** A local stand-in for a process on another node (see the header). */
export const ST_PROXY = 5;

export class ProcTable {
  constructor(private readonly mem: Memory) {}

  /** A fresh PID with its entry created (status NONE). Throws the catchable LimitError
   *  `Process limit reached` when --max-processes processes live, or the table is full. */
  newPid(): number {
    const mem = this.mem;
    const live = mem.add(H_PROCS_LIVE, 1) + 1;
    const max = mem.load(H_MAX_PROCESSES);
    if (max > 0 && live > max) {
      mem.add(H_PROCS_LIVE, -1);
      throw new LimitError("Process limit reached", true);
    }
    const pid = mem.add(H_NEXT_PID, 1) + 1;
    if (!ensurePage(mem, LAYOUT, pid >> PAGE_SHIFT)) {
      mem.add(H_PROCS_LIVE, -1);
      throw new LimitError("Process limit reached (all 2^28 process ids are used)", true);
    }
    mem.add(H_PROCS_SPAWNED, 1);
    return pid;
  }

  /** Set the live-process limit (once, before the run starts). */
  static setLimit(mem: Memory, maxProcesses: number): void {
    Atomics.store(mem.i32, H_MAX_PROCESSES, maxProcesses);
  }

  /** Cell of pid's entry, or 0 when pid was never allocated. Pages never move, so the last
   *  two pages looked up are remembered (a rebuildable, thread-local cache): two, because a
   *  process and the young processes it talks to are often on different pages (a parent
   *  spawning and monitoring thousands of children). */
  entry(pid: number): number {
    const w = this.mem.i32;
    if (pid <= 0 || pid > w[H_NEXT_PID]) return 0;
    const pageNo = pid >> PAGE_SHIFT;
    const slot = (pid & (PAGE_ENTRIES - 1)) * ENTRY_CELLS;
    if (pageNo === this.cachedPageNo) return this.cachedPage + slot;
    if (pageNo === this.otherPageNo) return this.otherPage + slot;
    const page = pageCell(this.mem, LAYOUT, pageNo); // may have been allocated by another thread
    if (page === 0) return 0;
    // The two slots are replaced in turn.
    if (this.replaceOther) {
      this.otherPageNo = pageNo;
      this.otherPage = page;
    } else {
      this.cachedPageNo = pageNo;
      this.cachedPage = page;
    }
    this.replaceOther = !this.replaceOther;
    return page + slot;
  }

  private cachedPageNo = -1;
  private cachedPage = 0;
  private otherPageNo = -1;
  private otherPage = 0;
  private replaceOther = false;

  /** The live process's PCB, or 0. */
  pcbOf(pid: number): number {
    const e = this.entry(pid);
    return e === 0 ? 0 : this.mem.load((e << 2) + E_PCB);
  }

  status(pid: number): number {
    const e = this.entry(pid);
    return e === 0 ? ST_NONE : this.mem.load((e << 2) + E_STATUS);
  }

  /** Compare-and-swap pid's status; true when it was `from` and is now `to`. */
  casStatus(pid: number, from: number, to: number): boolean {
    const e = this.entry(pid);
    return e !== 0 && this.mem.cas((e << 2) + E_STATUS, from, to) === from;
  }

  /** The PCB recorded in entry cell `e` (from `entry`, non-zero), or 0. */
  pcbAt(e: number): number {
    return this.mem.load((e << 2) + E_PCB);
  }

  /** casStatus on entry cell `e` (from `entry`, non-zero). */
  casStatusAt(e: number, from: number, to: number): boolean {
    return this.mem.cas((e << 2) + E_STATUS, from, to) === from;
  }

  /** setStatus on entry cell `e` (from `entry`, non-zero). */
  setStatusAt(e: number, status: number): void {
    this.mem.store((e << 2) + E_STATUS, status);
  }

  setStatus(pid: number, status: number): void {
    this.mem.store((this.entry(pid) << 2) + E_STATUS, status);
  }

  attach(pid: number, pcb: number): void {
    this.mem.store((this.entry(pid) << 2) + E_PCB, pcb);
  }

  /** The process has exited: forget its PCB. */
  detach(pid: number): void {
    const e = this.entry(pid) << 2, mem = this.mem;
    mem.store(e + E_PCB, 0);
    mem.store(e + E_STATUS, ST_EXITED);
    mem.add(H_PROCS_LIVE, -1);
  }

  /** False from the moment an exiting process closes its signal queue (before it notifies
   *  anyone), so IS_ALIVE after its DOWN or EXIT is false on every worker. A proxy is alive
   *  until its remote process is known to be gone (its EXIT or DOWN came, or its node went). */
  isAlive(pid: number): boolean {
    const e = this.entry(pid);
    if (e === 0) return false;
    const mem = this.mem, s = mem.load((e << 2) + E_STATUS);
    if (s === ST_PROXY) return (mem.load((e << 2) + E_FLAGS) & EF_PROXY_DEAD) === 0;
    return s !== ST_NONE && s !== ST_EXITED && mem.load((e << 2) + E_SIGQ) !== SIGQ_CLOSED;
  }

  // ── proxies (processes on other nodes) ────────────────────────────────────────────────────

  /** A new proxy PID for a process on the node named by atom `nodeAtom`. */
  newProxy(nodeAtom: number): number {
    const w = this.mem.i32;
    const pid = Atomics.add(w, H_NEXT_PID, 1) + 1;
    if (!ensurePage(this.mem, LAYOUT, pid >> PAGE_SHIFT)) {
      throw new LimitError("Process limit reached (all 2^28 process ids are used)", true);
    }
    const e = this.entry(pid) << 2;
    const v = this.mem.i32;
    Atomics.store(v, e + E_PCB, 0);
    Atomics.store(v, e + E_SIGQ, SIGQ_CLOSED);
    Atomics.store(v, e + E_FLAGS, 0);
    Atomics.store(v, e + E_NODE, nodeAtom);
    Atomics.store(v, e + E_STATUS, ST_PROXY);
    return pid;
  }

  isProxy(pid: number): boolean {
    return this.status(pid) === ST_PROXY;
  }

  /** The node atom of proxy `pid`, or -1 when `pid` is no proxy. */
  proxyNode(pid: number): number {
    const e = this.entry(pid);
    if (e === 0) return -1;
    const w = this.mem.i32;
    return Atomics.load(w, (e << 2) + E_STATUS) === ST_PROXY
      ? Atomics.load(w, (e << 2) + E_NODE)
      : -1;
  }

  /** The remote process of proxy `pid` is gone: IS_ALIVE says false, signals to it are dropped. */
  markProxyDead(pid: number): void {
    const e = this.entry(pid);
    if (e !== 0) Atomics.or(this.mem.i32, (e << 2) + E_FLAGS, EF_PROXY_DEAD);
  }

  get live(): number {
    return Atomics.load(this.mem.i32, H_PROCS_LIVE);
  }
  get spawned(): number {
    return Atomics.load(this.mem.i32, H_PROCS_SPAWNED);
  }
}
