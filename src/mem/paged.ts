/**
 * Paged tables in shared memory: a directory block of page pointers, each page a block of
 * fixed-size entries that never moves, so a CAS on an entry stays valid while the table grows.
 * Used by the process table (PIDs) and the port table (handle ids), whose ids are handed out
 * sequentially and never reused.
 *
 * ```
 *  header word dirWord ─► directory block: i32 per page (cell index of the page, 0 = not yet)
 *  page: entriesPerPage entries of entryCells cells each
 * ```
 * Invariant: pages are created under the table's spin lock and published with Atomics.store;
 * readers that find a page pointer of 0 may re-check under the lock (ensurePage) or treat the
 * id as unknown (entry lookups of ids never handed out).
 */
import type { Memory } from "./memory.ts";
import { spinLock, spinUnlock } from "./spin.ts";

export interface PagedLayout {
  /** Header word holding the directory's cell index. */
  dirWord: number;
  /** Header word of the spin lock that guards page creation. */
  lockWord: number;
  /** Pages in the directory (the id space is dirPages × entriesPerPage). */
  dirPages: number;
  /** log2 of entries per page. */
  pageShift: number;
  /** Cells per entry. */
  entryCells: number;
}

/** Make sure page `page` exists (creating the directory on first use); false when the
 *  directory is full. */
export function ensurePage(mem: Memory, t: PagedLayout, page: number): boolean {
  if (page >= t.dirPages) return false;
  const dir0 = mem.load(t.dirWord);
  if (dir0 !== 0 && mem.load((dir0 << 2) + page) !== 0) return true;
  spinLock(mem, t.lockWord);
  try {
    if (mem.i32[t.dirWord] === 0) {
      const dir = mem.allocBlock(Math.ceil(t.dirPages / 4));
      mem.i32.fill(0, dir << 2, (dir << 2) + t.dirPages);
      Atomics.store(mem.i32, t.dirWord, dir);
    }
    const slot = (mem.i32[t.dirWord] << 2) + page;
    if (mem.i32[slot] === 0) {
      const cells = (1 << t.pageShift) * t.entryCells;
      const block = mem.allocBlock(cells);
      mem.i32.fill(0, block << 2, (block + cells) << 2);
      Atomics.store(mem.i32, slot, block);
    }
    return true;
  } finally {
    spinUnlock(mem, t.lockWord);
  }
}

/** Cell of the page holding `page`, or 0 if it does not exist (yet). Refreshes the views when
 *  the page may have been allocated by another thread. */
export function pageCell(mem: Memory, t: PagedLayout, page: number): number {
  if (page >= t.dirPages) return 0;
  mem.refresh();
  const dir = mem.load(t.dirWord);
  return dir === 0 ? 0 : mem.load((dir << 2) + page);
}
