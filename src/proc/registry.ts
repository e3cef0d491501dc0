/**
 * Name registry: atom → PID, shared by every process. An open-addressing hash table in shared
 * memory (linear probing, power-of-two capacity, at most half full). Each slot is two i32 words
 * [atom, pid]; atom EMPTY (-1) ends a probe, TOMBSTONE (-2) does not.
 *
 * Writers (REGISTER, UNREGISTER, exits) take H_REGISTRY_LOCK (a futex mutex, src/mem/spin.ts)
 * and make H_REGISTRY_SEQ odd while they change the table. Readers (WHEREIS, SENDNAMED — the
 * common case) take no lock: a seqlock read that retries when the sequence was odd or changed
 * under it. A reader may see a table that a resize just freed: its words are garbage then,
 * but the sequence has moved, and every probe is bounded by the capacity it read.
 *
 * Ownership: a process registers itself (REGISTER); at exit it removes only entries that still
 * name *it* (a supervisor may already have re-registered the id for a restarted child).
 */
import {
  H_REGISTRY_CAP,
  H_REGISTRY_CELL,
  H_REGISTRY_LOCK,
  H_REGISTRY_SEQ,
  H_REGISTRY_USED,
} from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { spinLock, spinUnlock } from "../mem/spin.ts";

const EMPTY = -1;
const TOMBSTONE = -2;
const INITIAL_SLOTS = 64;

export class Registry {
  constructor(private readonly mem: Memory) {}

  /** PID registered under `atom`, or 0. Lock-free (seqlock read). */
  whereis(atom: number): number {
    for (let attempt = 0;; attempt++) {
      const before = Atomics.load(this.mem.i32, H_REGISTRY_SEQ);
      if (before & 1) {
        if (attempt > 64) Atomics.wait(this.mem.i32, H_REGISTRY_SEQ, before, 1);
        continue;
      }
      this.mem.refresh(); // the table may have been reallocated by another thread
      const pid = this.lookup(atom);
      if (Atomics.load(this.mem.i32, H_REGISTRY_SEQ) === before) return pid;
    }
  }

  /** The pid of `atom` in the table as it is now (racy: validated by the caller). */
  private lookup(atom: number): number {
    const w = this.mem.i32;
    const table = Atomics.load(w, H_REGISTRY_CELL);
    const cap = Atomics.load(w, H_REGISTRY_CAP);
    if (table === 0 || cap <= 0 || (table << 2) + 2 * cap > w.length) return 0;
    const mask = cap - 1;
    for (let i = hash(atom) & mask, probes = 0; probes < cap; i = (i + 1) & mask, probes++) {
      const a = w[(table << 2) + 2 * i];
      if (a === EMPTY) return 0;
      if (a === atom) return w[(table << 2) + 2 * i + 1];
    }
    return 0;
  }

  /** Register `atom` → pid unless taken (by a live process — checked by `isAlive`); with
   *  `replace` an existing entry is overwritten. Returns false if the name is taken. */
  register(atom: number, pid: number, replace = false): boolean {
    this.lock();
    try {
      if (this.mem.i32[H_REGISTRY_CELL] === 0) this.resize(INITIAL_SLOTS);
      const found = this.probe(atom);
      if (found >= 0) {
        if (!replace) return false;
        this.mem.i32[(this.mem.i32[H_REGISTRY_CELL] << 2) + 2 * found + 1] = pid;
        return true;
      }
      const cap = this.mem.i32[H_REGISTRY_CAP];
      if ((this.mem.i32[H_REGISTRY_USED] + 1) * 2 > cap) this.resize(cap * 2);
      this.insert(atom, pid);
      return true;
    } finally {
      this.unlock();
    }
  }

  /** Remove `atom` if it maps to `pid` (or to anyone, when pid is 0). True if removed. */
  unregister(atom: number, pid = 0): boolean {
    this.lock();
    try {
      const i = this.probe(atom);
      if (i < 0) return false;
      const slot = (this.mem.i32[H_REGISTRY_CELL] << 2) + 2 * i;
      if (pid !== 0 && this.mem.i32[slot + 1] !== pid) return false;
      this.mem.i32[slot] = TOMBSTONE;
      this.mem.i32[slot + 1] = 0;
      return true;
    } finally {
      this.unlock();
    }
  }

  /** Slot index of `atom`, or -1. Caller holds the lock. */
  private probe(atom: number): number {
    const w = this.mem.i32;
    const table = w[H_REGISTRY_CELL];
    if (table === 0) return -1;
    const mask = w[H_REGISTRY_CAP] - 1;
    for (let i = hash(atom) & mask;; i = (i + 1) & mask) {
      const a = w[(table << 2) + 2 * i];
      if (a === EMPTY) return -1;
      if (a === atom) return i;
    }
  }

  private insert(atom: number, pid: number): void {
    const w = this.mem.i32;
    const table = w[H_REGISTRY_CELL];
    const mask = w[H_REGISTRY_CAP] - 1;
    for (let i = hash(atom) & mask;; i = (i + 1) & mask) {
      const slot = (table << 2) + 2 * i;
      if (w[slot] === EMPTY || w[slot] === TOMBSTONE) {
        if (w[slot] === EMPTY) w[H_REGISTRY_USED]++;
        w[slot] = atom;
        w[slot + 1] = pid;
        return;
      }
    }
  }

  private resize(slots: number): void {
    const mem = this.mem;
    const oldTable = mem.i32[H_REGISTRY_CELL], oldCap = mem.i32[H_REGISTRY_CAP];
    const table = mem.allocBlock(slots / 2);
    const w = mem.i32;
    w.fill(EMPTY, table << 2, (table << 2) + 2 * slots);
    w[H_REGISTRY_CELL] = table;
    w[H_REGISTRY_CAP] = slots;
    w[H_REGISTRY_USED] = 0;
    for (let i = 0; i < oldCap; i++) {
      const a = w[(oldTable << 2) + 2 * i];
      if (a >= 0) this.insert(a, w[(oldTable << 2) + 2 * i + 1]);
    }
    if (oldTable !== 0) mem.freeBlock(oldTable, oldCap / 2);
  }

  /** Writers: the mutex, then an odd sequence while the table changes. */
  private lock(): void {
    spinLock(this.mem, H_REGISTRY_LOCK);
    this.mem.refresh(); // the table may have been reallocated by another thread
    Atomics.add(this.mem.i32, H_REGISTRY_SEQ, 1);
  }
  private unlock(): void {
    Atomics.add(this.mem.i32, H_REGISTRY_SEQ, 1);
    Atomics.notify(this.mem.i32, H_REGISTRY_SEQ);
    spinUnlock(this.mem, H_REGISTRY_LOCK);
  }
}

function hash(atom: number): number {
  return Math.imul(atom, 0x9e3779b1) >>> 0;
}
