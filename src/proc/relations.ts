/**
 * A process's relations — links, monitors it holds, monitors on it, registered names, and (for
 * a supervisor) its configuration, children and restart times — kept in one block that only the
 * process itself touches (PCB register P_REL; 0 until first needed).
 *
 * ```
 *  cell 0        [count, capacityCells, 0, 0]
 *  cell 1 + i    entry i: [type, a, b, c]   (order = insertion order; children = start order)
 *    REL_LINK     a = pid
 *    REL_MON      a = ref, b = pid          this process monitors pid
 *    REL_WATCH    a = ref, b = pid          pid monitors this process
 *    REL_NAME     a = atom
 *    REL_SUP      a = strategy, b = max restarts, c = period (s)
 *    REL_CHILD    a = id atom, b = pid (0 = not running), c = entry pc; type word bits 8.. = restart
 *    REL_RESTART  words 2..3 = f64 time (ms) of a restart
 * ```
 */
import type { Memory } from "../mem/memory.ts";
import { P_REL } from "./pcb.ts";

export const REL_LINK = 1;
export const REL_MON = 2;
export const REL_WATCH = 3;
export const REL_NAME = 4;
export const REL_SUP = 5;
export const REL_CHILD = 6;
export const REL_RESTART = 7;

const INITIAL_CELLS = 4;

export class Relations {
  constructor(private readonly mem: Memory) {}

  private block(pcb: number): number {
    return this.mem.i32[(pcb << 2) + P_REL];
  }

  count(pcb: number): number {
    const b = this.block(pcb);
    return b === 0 ? 0 : this.mem.i32[b << 2];
  }

  /** Cell of entry i. */
  at(pcb: number, i: number): number {
    return this.block(pcb) + 1 + i;
  }

  type(pcb: number, i: number): number {
    return this.mem.i32[this.at(pcb, i) << 2] & 0xff;
  }

  word(pcb: number, i: number, k: number): number {
    return this.mem.i32[(this.at(pcb, i) << 2) + k];
  }

  setWord(pcb: number, i: number, k: number, v: number): void {
    this.mem.i32[(this.at(pcb, i) << 2) + k] = v;
  }

  /** Append an entry; returns its index. */
  add(pcb: number, type: number, a: number, b = 0, c = 0): number {
    const mem = this.mem;
    let block = this.block(pcb);
    const n = block === 0 ? 0 : mem.i32[block << 2];
    const cap = block === 0 ? 0 : mem.i32[(block << 2) + 1];
    if (n + 1 >= cap) {
      const newCap = Math.max(INITIAL_CELLS, cap * 2);
      const nb = mem.allocBlock(newCap);
      const w = mem.i32;
      if (block !== 0) {
        w.copyWithin(nb << 2, block << 2, (block + 1 + n) << 2);
        mem.freeBlock(block, cap);
      } else {
        w[nb << 2] = 0;
      }
      w[(nb << 2) + 1] = newCap;
      w[(pcb << 2) + P_REL] = nb;
      block = nb;
    }
    const w = mem.i32;
    const e = (block + 1 + n) << 2;
    w[e] = type;
    w[e + 1] = a;
    w[e + 2] = b;
    w[e + 3] = c;
    w[block << 2] = n + 1;
    return n;
  }

  /** Index of the first entry of `type` whose word 1 is `a` (and word 2 is `b` if given). */
  find(pcb: number, type: number, a: number, b?: number): number {
    const n = this.count(pcb);
    const w = this.mem.i32;
    const base = this.block(pcb) + 1;
    for (let i = 0; i < n; i++) {
      const e = (base + i) << 2;
      if ((w[e] & 0xff) === type && w[e + 1] === a && (b === undefined || w[e + 2] === b)) {
        return i;
      }
    }
    return -1;
  }

  remove(pcb: number, i: number): void {
    const w = this.mem.i32;
    const block = this.block(pcb);
    const n = w[block << 2];
    w.copyWithin((block + 1 + i) << 2, (block + 2 + i) << 2, (block + 1 + n) << 2);
    w[block << 2] = n - 1;
  }

  /** Free the block (process exit). */
  release(pcb: number): void {
    const block = this.block(pcb);
    if (block === 0) return;
    this.mem.freeBlock(block, this.mem.i32[(block << 2) + 1]);
    this.mem.i32[(pcb << 2) + P_REL] = 0;
  }
}
