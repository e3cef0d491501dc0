/**
 * Process table: PID → entry, in shared memory. PIDs are allocated sequentially from 1 and never
 * reused, so an entry belongs to one process forever and a sender can never reach a different
 * process through a stale PID.
 *
 * Two levels so that entries never move (concurrent CAS on an entry stays valid):
 * ```
 *  H_PROC_TABLE_CELL ─► directory block: i32 per page (cell index of the page, 0 = not yet)
 *  page (PAGE_ENTRIES cells): one cell per PID
 *     word 0  pcb        PCB cell while the process lives, 0 before spawn / after exit
 *     word 1  sigq       head of the signal stack (src/proc/signals.ts); CLOSED after exit
 *     word 2  status     ST_* below; changed by CAS (DESIGN.md invariant 6)
 *     word 3  owner      worker index + 1 while running (SMP assertion), else 0
 * ```
 * Cost: 16 bytes per PID ever spawned (pages are kept), 4096 PIDs per page.
 */
import {
  H_NEXT_PID,
  H_PROC_TABLE_CAP,
  H_PROC_TABLE_CELL,
  H_PROCS_LIVE,
  H_PROCS_SPAWNED,
  H_TABLE_LOCK,
} from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";

export const PAGE_SHIFT = 12;
export const PAGE_ENTRIES = 1 << PAGE_SHIFT;
const DIRECTORY_PAGES = 1 << 16; // 2^28 PIDs

export const E_PCB = 0;
export const E_SIGQ = 1;
/** E_SIGQ of a process that has begun to exit: pushes fail (src/proc/signals.ts). */
export const SIGQ_CLOSED = -1;
export const E_STATUS = 2;
/** Debug: worker index + 1 while a worker runs the process (SMP ownership assertion). */
export const E_OWNER = 3;

/** Entry status. RUNNABLE = in a run queue; only the CAS into RUNNABLE may enqueue. */
export const ST_NONE = 0;
export const ST_RUNNABLE = 1;
export const ST_RUNNING = 2;
export const ST_WAITING = 3;
export const ST_EXITED = 4;

export class ProcTable {
  constructor(private readonly mem: Memory) {}

  /** A fresh PID with its entry created (status NONE). */
  newPid(): number {
    const w = this.mem.i32;
    const pid = Atomics.add(w, H_NEXT_PID, 1) + 1;
    this.ensurePage(pid >> PAGE_SHIFT);
    Atomics.add(this.mem.i32, H_PROCS_SPAWNED, 1);
    Atomics.add(this.mem.i32, H_PROCS_LIVE, 1);
    return pid;
  }

  /** Cell of pid's entry, or 0 when pid was never allocated. Pages never move, so the last
   *  page looked up is remembered (a rebuildable, thread-local cache). */
  entry(pid: number): number {
    const w = this.mem.i32;
    if (pid <= 0 || pid > w[H_NEXT_PID]) return 0;
    const pageNo = pid >> PAGE_SHIFT;
    if (pageNo === this.cachedPageNo) return this.cachedPage + (pid & (PAGE_ENTRIES - 1));
    this.mem.refresh(); // the page may have been allocated by another thread
    const w2 = this.mem.i32;
    const dir = w2[H_PROC_TABLE_CELL];
    const page = w2[(dir << 2) + pageNo];
    if (page === 0) return 0;
    this.cachedPageNo = pageNo;
    this.cachedPage = page;
    return page + (pid & (PAGE_ENTRIES - 1));
  }

  private cachedPageNo = -1;
  private cachedPage = 0;

  /** The live process's PCB, or 0. */
  pcbOf(pid: number): number {
    const e = this.entry(pid);
    return e === 0 ? 0 : Atomics.load(this.mem.i32, (e << 2) + E_PCB);
  }

  status(pid: number): number {
    const e = this.entry(pid);
    return e === 0 ? ST_NONE : Atomics.load(this.mem.i32, (e << 2) + E_STATUS);
  }

  /** Compare-and-swap pid's status; true when it was `from` and is now `to`. */
  casStatus(pid: number, from: number, to: number): boolean {
    const e = this.entry(pid);
    if (e === 0) return false;
    return Atomics.compareExchange(this.mem.i32, (e << 2) + E_STATUS, from, to) === from;
  }

  setStatus(pid: number, status: number): void {
    Atomics.store(this.mem.i32, (this.entry(pid) << 2) + E_STATUS, status);
  }

  attach(pid: number, pcb: number): void {
    Atomics.store(this.mem.i32, (this.entry(pid) << 2) + E_PCB, pcb);
  }

  /** The process has exited: forget its PCB. */
  detach(pid: number): void {
    const e = this.entry(pid) << 2;
    Atomics.store(this.mem.i32, e + E_PCB, 0);
    Atomics.store(this.mem.i32, e + E_STATUS, ST_EXITED);
    Atomics.sub(this.mem.i32, H_PROCS_LIVE, 1);
  }

  /** False from the moment an exiting process closes its signal queue (before it notifies
   *  anyone), so IS_ALIVE after its DOWN or EXIT is false on every worker. */
  isAlive(pid: number): boolean {
    const e = this.entry(pid);
    if (e === 0) return false;
    const w = this.mem.i32, s = Atomics.load(w, (e << 2) + E_STATUS);
    return s !== ST_NONE && s !== ST_EXITED && Atomics.load(w, (e << 2) + E_SIGQ) !== SIGQ_CLOSED;
  }

  get live(): number {
    return Atomics.load(this.mem.i32, H_PROCS_LIVE);
  }
  get spawned(): number {
    return Atomics.load(this.mem.i32, H_PROCS_SPAWNED);
  }

  private ensurePage(page: number): void {
    const mem = this.mem;
    if (page >= DIRECTORY_PAGES) throw new Error("process table full (2^28 processes)");
    if (mem.i32[H_PROC_TABLE_CELL] !== 0 && mem.i32[(mem.i32[H_PROC_TABLE_CELL] << 2) + page]) {
      return;
    }
    while (Atomics.compareExchange(mem.i32, H_TABLE_LOCK, 0, 1) !== 0) { /* spin */ }
    try {
      if (mem.i32[H_PROC_TABLE_CELL] === 0) {
        const dir = mem.allocBlock(DIRECTORY_PAGES / 4);
        mem.i32.fill(0, dir << 2, (dir << 2) + DIRECTORY_PAGES);
        mem.i32[H_PROC_TABLE_CAP] = DIRECTORY_PAGES;
        Atomics.store(mem.i32, H_PROC_TABLE_CELL, dir);
      }
      const slot = (mem.i32[H_PROC_TABLE_CELL] << 2) + page;
      if (mem.i32[slot] === 0) {
        const cells = mem.allocBlock(PAGE_ENTRIES);
        mem.i32.fill(0, cells << 2, (cells + PAGE_ENTRIES) << 2);
        Atomics.store(mem.i32, slot, cells);
      }
    } finally {
      Atomics.store(mem.i32, H_TABLE_LOCK, 0);
    }
  }
}
