/**
 * Chase-Lev work-stealing deque of PIDs in shared memory (one per SMP worker), plus the shared
 * injection queue it overflows into.
 *
 * Deque block (i32 words):
 * ```
 *  0 top      stolen from here by CAS (thieves)
 *  1 bottom   pushed here by the owner only
 *  2 capacity power of two
 *  3 (pad)    then `capacity` PID slots, index = position & (capacity - 1)
 * ```
 * top and bottom only grow (wrap-around handled with `| 0` differences). Everyone takes from
 * the top with a CAS, the owner too: the SMP scheduler runs its own work in FIFO order
 * (fairness, LANGUAGE.md §5), so Chase & Lev's owner-side LIFO pop is not needed — the deque is
 * a single-producer ring that any worker consumes lock-free. JS Atomics are sequentially
 * consistent, which gives the fences for free.
 *
 * Injection queue (shared by all, guarded by a spin lock): [lock, head, tail, capacity] then a
 * ring of PIDs; it takes what a full deque cannot hold and what other threads hand over.
 */
import type { Memory } from "../mem/memory.ts";
import { spinLock, spinUnlock } from "../mem/spin.ts";

const TOP = 0, BOTTOM = 1, CAP = 2, SLOTS = 4;

export class Deque {
  /** i32 word index of the block. */
  protected readonly base: number;
  protected readonly mask: number;

  constructor(protected readonly mem: Memory, readonly block: number) {
    this.base = block << 2;
    this.mask = mem.i32[this.base + CAP] - 1;
  }

  /** Allocate and initialise a deque of `capacity` (power of two) slots; returns its block. */
  static create(mem: Memory, capacity: number): number {
    const block = mem.allocBlock(Math.ceil((SLOTS + capacity) / 4));
    const w = mem.i32, b = block << 2;
    w[b + TOP] = 0;
    w[b + BOTTOM] = 0;
    w[b + CAP] = capacity;
    return block;
  }

  get size(): number {
    const w = this.mem.i32;
    return Math.max(
      0,
      (Atomics.load(w, this.base + BOTTOM) - Atomics.load(w, this.base + TOP)) | 0,
    );
  }

  /** Owner: push at the bottom; false when full. */
  push(pid: number): boolean {
    const w = this.mem.i32, b = this.base;
    const bottom = Atomics.load(w, b + BOTTOM);
    const top = Atomics.load(w, b + TOP);
    if (((bottom - top) | 0) > this.mask) return false;
    Atomics.store(w, b + SLOTS + (bottom & this.mask), pid);
    Atomics.store(w, b + BOTTOM, (bottom + 1) | 0);
    return true;
  }

  /** Thief: take from the top; 0 when empty or when it lost a race. */
  steal(): number {
    const w = this.mem.i32, b = this.base;
    const top = Atomics.load(w, b + TOP);
    const bottom = Atomics.load(w, b + BOTTOM);
    if (((bottom - top) | 0) <= 0) return 0;
    const pid = Atomics.load(w, b + SLOTS + (top & this.mask));
    return Atomics.compareExchange(w, b + TOP, top, (top + 1) | 0) === top ? pid : 0;
  }
}

/**
 * The owner's view of its deque. Only the owner writes `bottom`, so it keeps the value in a
 * field and reads the shared word never: every Atomics call is a builtin call in V8 (15–25 ns
 * here, docs/PERFORMANCE.md finding 1), and a worker's slice used to make six of them on its
 * own deque's bottom. A slot is written with a plain store before the seq-cst store of bottom
 * that publishes it (a thief's Atomics.load of bottom then sees the slot), and read back by the
 * owner with a plain load (it wrote it itself).
 */
export class OwnedDeque extends Deque {
  private bottom: number;

  constructor(mem: Memory, block: number) {
    super(mem, block);
    this.bottom = Atomics.load(mem.i32, (block << 2) + BOTTOM);
  }

  override get size(): number {
    return Math.max(0, (this.bottom - Atomics.load(this.mem.i32, this.base + TOP)) | 0);
  }

  override push(pid: number): boolean {
    const w = this.mem.i32, b = this.base, bottom = this.bottom;
    if (((bottom - Atomics.load(w, b + TOP)) | 0) > this.mask) return false;
    w[b + SLOTS + (bottom & this.mask)] = pid;
    this.bottom = (bottom + 1) | 0;
    Atomics.store(w, b + BOTTOM, this.bottom);
    return true;
  }

  /** Take the oldest PID (from the top, as thieves do: FIFO); 0 when empty or when a thief
   *  took it first. */
  take(): number {
    const w = this.mem.i32, b = this.base;
    const top = Atomics.load(w, b + TOP);
    if (((this.bottom - top) | 0) <= 0) return 0;
    const pid = w[b + SLOTS + (top & this.mask)];
    return Atomics.compareExchange(w, b + TOP, top, (top + 1) | 0) === top ? pid : 0;
  }
}

const LOCK = 0, HEAD = 1, TAIL = 2, QCAP = 3;

/** The shared injection queue (FIFO, lock-protected, growable). Its header block never moves;
 *  word 4 points at the current ring. */
export class InjectionQueue {
  private readonly base: number;

  constructor(private readonly mem: Memory, readonly block: number) {
    this.base = block << 2;
  }

  static create(mem: Memory, capacity: number): number {
    const block = mem.allocBlock(2);
    const ring = mem.allocBlock(capacity / 4);
    const w = mem.i32, b = block << 2;
    w[b + LOCK] = 0;
    w[b + HEAD] = 0;
    w[b + TAIL] = 0;
    w[b + QCAP] = capacity;
    w[b + 4] = ring;
    return block;
  }

  get size(): number {
    const w = this.mem.i32;
    return (Atomics.load(w, this.base + TAIL) - Atomics.load(w, this.base + HEAD)) | 0;
  }

  push(pid: number): void {
    this.lock();
    try {
      this.mem.refresh();
      let w = this.mem.i32;
      const b = this.base;
      const head = w[b + HEAD], tail = w[b + TAIL], cap = w[b + QCAP];
      if (((tail - head) | 0) >= cap) {
        this.grow(head, tail, cap);
        w = this.mem.i32;
      }
      w[(w[b + 4] << 2) + (w[b + TAIL] & (w[b + QCAP] - 1))] = pid;
      Atomics.store(w, b + TAIL, (w[b + TAIL] + 1) | 0);
    } finally {
      this.unlock();
    }
  }

  /** Oldest PID, or 0. */
  shift(): number {
    if (this.size <= 0) return 0;
    this.lock();
    try {
      this.mem.refresh();
      const w = this.mem.i32, b = this.base;
      const head = w[b + HEAD];
      if (((w[b + TAIL] - head) | 0) <= 0) return 0;
      const pid = w[(w[b + 4] << 2) + (head & (w[b + QCAP] - 1))];
      Atomics.store(w, b + HEAD, (head + 1) | 0);
      return pid;
    } finally {
      this.unlock();
    }
  }

  private grow(head: number, tail: number, cap: number): void {
    const mem = this.mem;
    const ring = mem.allocBlock((cap * 2) / 4);
    const w = mem.i32, b = this.base;
    const old = w[b + 4] << 2;
    for (let i = 0; ((head + i - tail) | 0) < 0; i++) {
      w[(ring << 2) + i] = w[old + ((head + i) & (cap - 1))];
    }
    mem.freeBlock(w[b + 4], cap / 4);
    w[b + 4] = ring;
    w[b + HEAD] = 0;
    w[b + TAIL] = (tail - head) | 0;
    w[b + QCAP] = cap * 2;
  }

  private lock(): void {
    spinLock(this.mem, this.base + LOCK);
  }
  private unlock(): void {
    spinUnlock(this.mem, this.base + LOCK);
  }
}
