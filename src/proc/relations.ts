/**
 * A process's relations — links, monitors it holds, monitors on it, registered names, and (for
 * a supervisor) its configuration, children and restart times — kept in blocks that only the
 * process itself touches (PCB register P_REL; 0 until first needed).
 *
 * ```
 *  entries block (P_REL)
 *   cell 0        [used, capacityCells, live, hash block (0 = none yet)]
 *   cell 1 + i    entry i: [type, a, b, c]   (order = insertion order; children = start order)
 *    REL_LINK     a = pid
 *    REL_MON      a = ref, b = pid          this process monitors pid
 *    REL_WATCH    a = ref, b = pid          pid monitors this process
 *    REL_NAME     a = atom
 *    REL_SUP      a = strategy, b = max restarts, c = period (s)
 *    REL_CHILD    a = id atom, b = pid (0 = not running), c = entry pc; type word bits 8.. = restart
 *    REL_RESTART  words 2..3 = f64 time (ms) of a restart
 *    REL_FREE     a removed entry (skipped by every scan; reclaimed by `compact`)
 *  hash block: cell 0 [slots, filled (live + deleted), 0, 0], then `slots` i32 words:
 *    entry index + 1, 0 = empty, -1 = deleted    (open addressing, linear probing)
 * ```
 * Links, monitors, watchers and names — the relations a process may have thousands of — are
 * indexed by (type, a) in the hash block once the process has HASH_FROM entries, so find,
 * add and remove are O(1) (a process monitoring N others pays O(N) in all, not O(N²)). Below
 * that, find scans the few entries: most processes have one or two relations (the link or
 * monitor they were spawned with), and building a hash block for them cost every spawn an
 * allocation and a 64-byte fill. Removal leaves a REL_FREE tombstone, so the
 * indices of the other entries, and the start order of children, stay as they were; `compact`
 * squeezes tombstones out and is called only where no caller holds an index (the start of
 * signal handling).
 */
import type { Memory } from "../mem/memory.ts";
import { P_REL } from "./pcb.ts";

export const REL_FREE = 0;
export const REL_LINK = 1;
export const REL_MON = 2;
export const REL_WATCH = 3;
export const REL_NAME = 4;
export const REL_SUP = 5;
export const REL_CHILD = 6;
export const REL_RESTART = 7;

const INITIAL_CELLS = 4;
const MIN_HASH_SLOTS = 16;
/** Entries (tombstones included) from which the hashed types are indexed; below, a scan of
 *  at most this many is as fast as hashing. */
const HASH_FROM = 8;
/** Only these types are indexed (and only by word a). */
const HASHED = (type: number) => type >= REL_LINK && type <= REL_NAME;

const H_USED = 0, H_CAP = 1, H_LIVE = 2, H_HASH = 3;

export class Relations {
  constructor(private readonly mem: Memory) {}

  private block(pcb: number): number {
    return this.mem.i32[(pcb << 2) + P_REL];
  }

  /** Entries used, tombstones included: iterate `i < count` and test `type`. */
  count(pcb: number): number {
    const b = this.block(pcb);
    return b === 0 ? 0 : this.mem.i32[(b << 2) + H_USED];
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

  /** Append an entry; returns its index. Indices of existing entries do not change. */
  add(pcb: number, type: number, a: number, b = 0, c = 0): number {
    const mem = this.mem;
    let block = this.block(pcb);
    const used = block === 0 ? 0 : mem.i32[(block << 2) + H_USED];
    const cap = block === 0 ? 0 : mem.i32[(block << 2) + H_CAP];
    if (used + 1 >= cap) {
      const newCap = Math.max(INITIAL_CELLS, cap * 2);
      const nb = mem.allocBlock(newCap);
      const w = mem.i32;
      if (block !== 0) {
        w.copyWithin(nb << 2, block << 2, (block + 1 + used) << 2);
        mem.freeBlock(block, cap);
      } else {
        w.fill(0, nb << 2, (nb << 2) + 4);
      }
      w[(nb << 2) + H_CAP] = newCap;
      w[(pcb << 2) + P_REL] = nb;
      block = nb;
    }
    const w = mem.i32;
    const e = (block + 1 + used) << 2;
    w[e] = type;
    w[e + 1] = a;
    w[e + 2] = b;
    w[e + 3] = c;
    w[(block << 2) + H_USED] = used + 1;
    w[(block << 2) + H_LIVE]++;
    if (HASHED(type & 0xff)) this.hashInsert(pcb, type & 0xff, a, used);
    return used;
  }

  /** Index of the first entry of `type` whose word 1 is `a` (and word 2 is `b` if given). */
  find(pcb: number, type: number, a: number, b?: number): number {
    const block = this.block(pcb);
    if (block === 0) return -1;
    const w = this.mem.i32;
    const base = block + 1;
    const hash = HASHED(type) ? w[(block << 2) + H_HASH] : 0;
    if (hash !== 0) {
      const slots = w[hash << 2], mask = slots - 1;
      const first = (hash + 1) << 2;
      for (
        let k = slotOf(type, a, mask), probes = 0;
        probes < slots;
        k = (k + 1) & mask, probes++
      ) {
        const v = w[first + k];
        if (v === 0) return -1;
        if (v < 0) continue;
        const e = (base + v - 1) << 2;
        if ((w[e] & 0xff) === type && w[e + 1] === a && (b === undefined || w[e + 2] === b)) {
          return v - 1;
        }
      }
      return -1;
    }
    const used = w[(block << 2) + H_USED];
    for (let i = 0; i < used; i++) {
      const e = (base + i) << 2;
      if ((w[e] & 0xff) === type && w[e + 1] === a && (b === undefined || w[e + 2] === b)) {
        return i;
      }
    }
    return -1;
  }

  /** Remove entry i (it becomes a tombstone; other indices stay). */
  remove(pcb: number, i: number): void {
    const block = this.block(pcb);
    const w = this.mem.i32;
    const e = (block + 1 + i) << 2;
    const type = w[e] & 0xff;
    if (type === REL_FREE) return;
    if (HASHED(type)) this.hashDelete(pcb, type, w[e + 1], i);
    w[e] = REL_FREE;
    w[(block << 2) + H_LIVE]--;
  }

  /** Squeeze out tombstones once they outnumber the live entries (keeps order). Only where
   *  no caller holds an entry index. */
  compact(pcb: number): void {
    const block = this.block(pcb);
    if (block === 0) return;
    const w = this.mem.i32;
    const used = w[(block << 2) + H_USED], live = w[(block << 2) + H_LIVE];
    if (used - live <= Math.max(8, live)) return;
    let n = 0;
    for (let i = 0; i < used; i++) {
      const from = (block + 1 + i) << 2;
      if ((w[from] & 0xff) === REL_FREE) continue;
      if (n !== i) w.copyWithin((block + 1 + n) << 2, from, from + 4);
      n++;
    }
    w[(block << 2) + H_USED] = n;
    if (n >= HASH_FROM) this.rebuildHash(pcb, Math.max(MIN_HASH_SLOTS, hashSlotsFor(n)));
    else this.dropHash(block);
  }

  /** Free the blocks (process exit). */
  release(pcb: number): void {
    const block = this.block(pcb);
    if (block === 0) return;
    const hash = this.mem.i32[(block << 2) + H_HASH];
    if (hash !== 0) this.mem.freeBlock(hash, 1 + (this.mem.i32[hash << 2] >> 2));
    this.mem.freeBlock(block, this.mem.i32[(block << 2) + 1]);
    this.mem.i32[(pcb << 2) + P_REL] = 0;
  }

  // ── hash index ──────────────────────────────────────────────────────────────────────────

  private hashInsert(pcb: number, type: number, a: number, index: number): void {
    const block = this.block(pcb);
    let w = this.mem.i32;
    let hash = w[(block << 2) + H_HASH];
    // Few entries, tombstones included: found by a scan of at most HASH_FROM entries.
    if (hash === 0 && w[(block << 2) + H_USED] < HASH_FROM) return;
    if (hash === 0 || (w[(hash << 2) + 1] + 1) * 2 > w[hash << 2]) {
      this.rebuildHash(pcb, hashSlotsFor(w[(block << 2) + H_LIVE]));
      w = this.mem.i32;
      hash = w[(this.block(pcb) << 2) + H_HASH];
      return; // the rebuild indexed every live entry, the new one included
    }
    const slots = w[hash << 2], mask = slots - 1, first = (hash + 1) << 2;
    let k = slotOf(type, a, mask);
    while (w[first + k] > 0) k = (k + 1) & mask;
    if (w[first + k] === 0) w[(hash << 2) + 1]++;
    w[first + k] = index + 1;
  }

  private hashDelete(pcb: number, type: number, a: number, index: number): void {
    const w = this.mem.i32;
    const hash = w[(this.block(pcb) << 2) + H_HASH];
    if (hash === 0) return;
    const slots = w[hash << 2], mask = slots - 1, first = (hash + 1) << 2;
    for (let k = slotOf(type, a, mask), probes = 0; probes < slots; k = (k + 1) & mask, probes++) {
      const v = w[first + k];
      if (v === 0) return;
      if (v === index + 1) {
        w[first + k] = -1;
        return;
      }
    }
  }

  /** Free the hash block of the entries block `block`, if it has one (scans find entries). */
  private dropHash(block: number): void {
    const w = this.mem.i32, hash = w[(block << 2) + H_HASH];
    if (hash === 0) return;
    w[(block << 2) + H_HASH] = 0;
    this.mem.freeBlock(hash, 1 + (w[hash << 2] >> 2));
  }

  /** A fresh hash block of `slots` slots indexing every live hashed entry. */
  private rebuildHash(pcb: number, slots: number): void {
    const mem = this.mem;
    const block = this.block(pcb);
    const old = mem.i32[(block << 2) + H_HASH];
    const cells = 1 + (slots >> 2);
    const hash = mem.allocBlock(cells);
    if (old !== 0) mem.freeBlock(old, 1 + (mem.i32[old << 2] >> 2));
    const w = mem.i32;
    const b = this.block(pcb); // allocation does not move the entries block, but re-read
    w.fill(0, hash << 2, (hash + cells) << 2);
    w[hash << 2] = slots;
    w[(b << 2) + H_HASH] = hash;
    const mask = slots - 1, first = (hash + 1) << 2;
    const used = w[(b << 2) + H_USED];
    let filled = 0;
    for (let i = 0; i < used; i++) {
      const e = (b + 1 + i) << 2;
      const type = w[e] & 0xff;
      if (!HASHED(type)) continue;
      let k = slotOf(type, w[e + 1], mask);
      while (w[first + k] !== 0) k = (k + 1) & mask;
      w[first + k] = i + 1;
      filled++;
    }
    w[(hash << 2) + 1] = filled;
  }
}

function slotOf(type: number, a: number, mask: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(type, 0x85ebca6b)) >>> 0 & mask;
}

/** Slots for `live` entries: a power of two, at most a quarter full after the rebuild. */
function hashSlotsFor(live: number): number {
  let slots = MIN_HASH_SLOTS;
  while (slots < (live + 1) * 4) slots *= 2;
  return slots;
}
