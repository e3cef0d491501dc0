/**
 * Memory: one SharedArrayBuffer and this thread's fixed-length views over it, plus the block
 * allocator of the arena (power-of-two size classes, free lists, bump pointer).
 *
 * Invariants:
 * - Views always have a fixed length (length-tracking views on a growable SAB are ~70× slower).
 *   After the buffer grows, `refresh()` rebuilds them; it is cheap to call when nothing changed
 *   (one Atomics.load of H_GENERATION).
 * - Callers must re-read `mem.i32` etc. after anything that can allocate a block, because the
 *   old view objects stay valid but may be too short.
 * - The allocator is guarded by a spin lock (H_ALLOC_LOCK) so several workers can share it.
 *   A free block's first word holds the next free block of its class (0 = end of list).
 * - Blocks are 2^k cells, k ≥ MIN_CLASS (2 cells, 32 bytes). A block of a cache line or more
 *   (LINE_CELLS) starts on a line, so a 4-cell message node is one line, never two: where the
 *   bump pointer is half a line in, the 2-cell gap goes to the 2-cell free list.
 * - Words other threads may touch are read and written through `load`, `store`, `add` and
 *   `cas`: Atomics when the memory is shared between threads (`concurrent`), plain accesses
 *   otherwise. An Atomics call costs 15–25 ns here (V8 calls a builtin for each, even a load),
 *   a plain access 1–3 ns; on one thread the two are the same, and a message with its two
 *   slices made about forty such accesses.
 * - An SMP worker also keeps a private cache of free blocks per small size class (links in the
 *   blocks' first words, like the shared lists; heads and counts in this thread's JS memory).
 *   It is refilled from / drained to the shared lists a batch at a time, so the lock and the
 *   shared statistics are touched once per batch instead of on every spawn and GC. Cached
 *   blocks count as live in the shared statistics until `flushCaches()` returns them, which
 *   a worker does before it reports its end (so end-of-run figures are exact).
 */
import { adviseHugePages } from "../host/huge_pages.ts";
import { LimitError } from "./limit_error.ts";
import { spinLock, spinUnlock } from "./spin.ts";
import {
  CELL_BYTES,
  GROW_FACTOR,
  H_ALLOC_LOCK,
  H_BLOCKS_LIVE,
  H_BUMP_CELL,
  H_CELLS_LIVE,
  H_EPOCH_F64,
  H_FREE_LISTS,
  H_GENERATION,
  H_LIMIT_CELLS,
  H_MAGIC,
  H_MEMORY_LIMIT_CELLS,
  H_MESSAGES,
  H_PEAK_CELLS,
  HEADER_CELLS,
  INITIAL_BYTES,
  LINE_CELLS,
  MAGIC,
  MAX_BYTES,
  MIN_CLASS,
  SIZE_CLASSES,
} from "./layout.ts";

/** The arena cannot hold the allocation: within the VM's memory limit (--max-memory-mb) for
 *  a process, or within the buffer's maximum for the runtime itself. `detail` says which. */
export class OutOfMemoryError extends LimitError {
  constructor(readonly detail: string) {
    super("Out of memory", false);
  }
}

export class Memory {
  readonly sab: SharedArrayBuffer;
  i32!: Int32Array;
  f64!: Float64Array;
  i64!: BigInt64Array;
  u16!: Uint16Array;
  u8!: Uint8Array;
  private generation = -1;
  /** False while one thread owns the memory (the single scheduler): the allocator then skips
   *  its lock. Every thread of an SMP pool sets it. */
  concurrent = false;
  /** > 0 while this thread allocates for the runtime itself (exit notifications, the port
   *  driver): such allocations may use the reserve above the VM's memory limit, so that a
   *  process that ran out of memory can still die cleanly and its watchers hear of it. */
  systemDepth = 0;
  /** This thread's block caches (`enableThreadCache`), indexed by size class; null = none. */
  private cacheHead: Int32Array | null = null;
  private cacheCount: Int32Array | null = null;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.rebuildViews();
  }

  /** A fresh, initialised memory. Processes may use up to `limitBytes` of arena (default:
   *  three quarters of physical memory); the buffer may grow a reserve beyond that for the
   *  runtime's own allocations. `hugePages`: ask Linux to back the arena with huge pages
   *  (src/host/huge_pages.ts). */
  static create(
    initialBytes: number = INITIAL_BYTES,
    limitBytes: number = defaultLimitBytes(),
    hugePages = false,
  ): Memory {
    const limit = Math.min(roundCellsDown(limitBytes), MAX_BYTES - RESERVE_BYTES);
    const sab = new SharedArrayBuffer(roundCells(Math.min(initialBytes, limit)), {
      maxByteLength: Math.min(roundCellsDown(limit + RESERVE_BYTES), MAX_BYTES),
    });
    // Before the first word is written: a 2 MiB stretch with a small page in it already stays
    // small pages. (Asking once the arena passes 2 MiB spares small programs the 2–3 ms of
    // opening libc, but then counting's 5 MiB backlog gained nothing: measured 208 against
    // 212 ms, where asking at once gave 188 against 204.)
    if (hugePages) adviseHugePages(sab);
    const mem = new Memory(sab);
    const w = mem.i32;
    w[H_MAGIC] = MAGIC;
    w[H_BUMP_CELL] = HEADER_CELLS;
    w[H_LIMIT_CELLS] = sab.byteLength / CELL_BYTES;
    w[H_MEMORY_LIMIT_CELLS] = limit / CELL_BYTES;
    mem.f64[H_EPOCH_F64] = performance.timeOrigin + performance.now();
    return mem;
  }

  /** Milliseconds since the run's epoch (the same on every thread). */
  nowMs(): number {
    return Math.floor(performance.timeOrigin + performance.now() - this.f64[H_EPOCH_F64]);
  }

  /** Attach to a buffer created by another thread. */
  static attach(sab: SharedArrayBuffer): Memory {
    const mem = new Memory(sab);
    mem.concurrent = true;
    if (mem.i32[H_MAGIC] !== MAGIC) throw new Error("not a ttvm memory buffer");
    return mem;
  }

  /** Rebuild the views when another thread has grown the buffer (on one thread the views
   *  are rebuilt by the grow itself). */
  refresh(): void {
    if (this.concurrent && Atomics.load(this.i32, H_GENERATION) !== this.generation) {
      this.rebuildViews();
    }
  }

  // ── the message count ─────────────────────────────────────────────────────────────────

  /** Messages this thread sent and has not yet added to H_MESSAGES. */
  private unpublishedMessages = 0;

  /** A message was sent from this thread (counted here; see `publishMessages`). */
  countMessage(): void {
    this.unpublishedMessages++;
  }

  /** Add this thread's count to the shared total H_MESSAGES. Schedulers call it after each
   *  slice, the pool's I/O owner on each turn of its loop: one write to the shared word per
   *  slice instead of one per message, which on the pool was a line every worker's sends
   *  fought over. */
  publishMessages(): void {
    if (this.unpublishedMessages === 0) return;
    this.add(H_MESSAGES, this.unpublishedMessages);
    this.unpublishedMessages = 0;
  }

  /** Messages sent so far (SYSTEM_INFO, --stats, the dashboard): the shared total with this
   *  thread's own count in it. Like the reduction counts (LANGUAGE.md §9) it lags by what
   *  processes running on other threads sent in their current slice. */
  messagesSent(): number {
    this.publishMessages();
    return this.load(H_MESSAGES);
  }

  // ── words other threads may touch (see the header) ─────────────────────────────────────

  /** Read word `i` (sequentially consistent when shared). */
  load(i: number): number {
    return this.concurrent ? Atomics.load(this.i32, i) : this.i32[i];
  }

  /** Write word `i` (sequentially consistent when shared). */
  store(i: number, value: number): void {
    if (this.concurrent) Atomics.store(this.i32, i, value);
    else this.i32[i] = value;
  }

  /** Add `delta` to word `i`; returns the old value. */
  add(i: number, delta: number): number {
    if (this.concurrent) return Atomics.add(this.i32, i, delta);
    const w = this.i32, old = w[i];
    w[i] = (old + delta) | 0;
    return old;
  }

  /** Compare-and-swap word `i`; returns the value seen (=== expected: swapped). */
  cas(i: number, expected: number, replacement: number): number {
    if (this.concurrent) return Atomics.compareExchange(this.i32, i, expected, replacement);
    const w = this.i32, seen = w[i];
    if (seen === expected) w[i] = replacement;
    return seen;
  }

  private rebuildViews(): void {
    const sab = this.sab;
    const bytes = sab.byteLength;
    this.i32 = new Int32Array(sab, 0, Math.floor(bytes / 4));
    this.f64 = new Float64Array(sab, 0, Math.floor(bytes / 8));
    this.i64 = new BigInt64Array(sab, 0, Math.floor(bytes / 8));
    this.u16 = new Uint16Array(sab, 0, Math.floor(bytes / 2));
    this.u8 = new Uint8Array(sab, 0, bytes);
    this.generation = Atomics.load(this.i32, H_GENERATION);
  }

  get byteLength(): number {
    return this.sab.byteLength;
  }

  // ── allocator ───────────────────────────────────────────────────────────────────────────

  /** Size class of a block of at least `cells` cells. */
  static classOf(cells: number): number {
    return cells <= 1 << MIN_CLASS ? MIN_CLASS : 32 - Math.clz32(cells - 1);
  }

  /** Allocate a block of exactly 2^classOf(cells) cells; returns its cell index. Contents are
   *  NOT zeroed. Throws OutOfMemoryError when the buffer cannot grow. */
  allocBlock(cells: number): number {
    const k = Memory.classOf(cells);
    if (k >= SIZE_CLASSES) throw new OutOfMemoryError(`block of ${cells} cells is too large`);
    const heads = this.cacheHead;
    if (heads !== null && k < CACHE_CLASSES) {
      const block = heads[k];
      if (block === 0) return this.refillCache(k);
      // The block came from this thread's own allocation, so the current views cover it.
      heads[k] = this.i32[block << 2];
      this.cacheCount![k]--;
      return block;
    }
    const size = 1 << k;
    this.lock();
    try {
      let w = this.i32;
      let block = w[H_FREE_LISTS + k];
      if (block !== 0) {
        w[H_FREE_LISTS + k] = w[block << 2];
      } else {
        block = this.bumpLocked(size, 1);
        w = this.i32;
      }
      w[H_BLOCKS_LIVE]++;
      w[H_CELLS_LIVE] += size;
      return block;
    } finally {
      this.unlock();
    }
  }

  /** Return a block obtained from allocBlock(cells) (same `cells` or any value of the same class). */
  freeBlock(block: number, cells: number): void {
    const k = Memory.classOf(cells);
    const heads = this.cacheHead;
    if (heads !== null && k < CACHE_CLASSES) {
      this.i32[block << 2] = heads[k];
      heads[k] = block;
      if (++this.cacheCount![k] > 2 * batchOf(k)) this.drainCache(k, batchOf(k));
      return;
    }
    this.lock();
    try {
      const w = this.i32;
      w[block << 2] = w[H_FREE_LISTS + k];
      w[H_FREE_LISTS + k] = block;
      w[H_BLOCKS_LIVE]--;
      w[H_CELLS_LIVE] -= 1 << k;
    } finally {
      this.unlock();
    }
  }

  /** Give this thread private block caches (SMP workers; see the file header). */
  enableThreadCache(): void {
    this.cacheHead = new Int32Array(CACHE_CLASSES);
    this.cacheCount = new Int32Array(CACHE_CLASSES);
  }

  /** Return every cached block to the shared free lists. */
  flushCaches(): void {
    if (this.cacheCount === null) return;
    for (let k = MIN_CLASS; k < CACHE_CLASSES; k++) this.drainCache(k, this.cacheCount[k]);
  }

  /** Take a batch of class-k blocks from the shared lists (or the bump pointer) under one lock
   *  acquisition; keep all but one in the cache and return that one. */
  private refillCache(k: number): number {
    const size = 1 << k, want = batchOf(k);
    const heads = this.cacheHead!, counts = this.cacheCount!;
    this.lock();
    try {
      let w = this.i32;
      let got = 0;
      let block = w[H_FREE_LISTS + k];
      while (block !== 0 && got < want) {
        const next = w[block << 2];
        w[block << 2] = heads[k];
        heads[k] = block;
        got++;
        block = next;
      }
      w[H_FREE_LISTS + k] = block;
      if (got < want) {
        // One contiguous run from the bump pointer for the rest of the batch.
        const n = want - got;
        const run = this.bumpLocked(size, n);
        w = this.i32;
        for (let b = run + (n - 1) * size; b >= run; b -= size) {
          w[b << 2] = heads[k];
          heads[k] = b;
        }
        got = want;
      }
      w[H_BLOCKS_LIVE] += got;
      w[H_CELLS_LIVE] += got * size;
    } finally {
      this.unlock();
    }
    const first = heads[k];
    heads[k] = this.i32[first << 2];
    counts[k] = want - 1;
    return first;
  }

  /** Move `n` cached class-k blocks to the shared list under one lock acquisition. */
  private drainCache(k: number, n: number): void {
    if (n <= 0) return;
    const heads = this.cacheHead!, counts = this.cacheCount!;
    this.lock();
    try {
      const w = this.i32;
      for (let i = 0; i < n; i++) {
        const block = heads[k];
        heads[k] = w[block << 2];
        w[block << 2] = w[H_FREE_LISTS + k];
        w[H_FREE_LISTS + k] = block;
      }
      w[H_BLOCKS_LIVE] -= n;
      w[H_CELLS_LIVE] -= n << k;
    } finally {
      this.unlock();
    }
    counts[k] -= n;
  }

  /** Capacity in cells of a block allocated for `cells`. */
  static blockCells(cells: number): number {
    return 1 << Memory.classOf(cells);
  }

  /** `n` blocks of `size` cells, one after another, from the bump pointer (lock held); the
   *  first cell of the run. A run of blocks of a line or more starts on a line: the gap before
   *  it (2 cells: every block is a multiple of 2 cells) becomes a free 2-cell block. */
  private bumpLocked(size: number, n: number): number {
    let w = this.i32;
    const at = w[H_BUMP_CELL];
    const gap = size >= LINE_CELLS ? -at & (LINE_CELLS - 1) : 0;
    const top = at + gap + n * size;
    this.checkLimit(top);
    if (top > w[H_LIMIT_CELLS]) {
      this.growLocked(top);
      w = this.i32;
    }
    if (gap !== 0) {
      w[at << 2] = w[H_FREE_LISTS + MIN_CLASS];
      w[H_FREE_LISTS + MIN_CLASS] = at;
    }
    w[H_BUMP_CELL] = top;
    if (top > w[H_PEAK_CELLS]) w[H_PEAK_CELLS] = top;
    return at + gap;
  }

  /** A process's allocation may not move the bump pointer beyond the memory limit. */
  private checkLimit(topCells: number): void {
    if (this.systemDepth === 0 && topCells > this.i32[H_MEMORY_LIMIT_CELLS]) {
      throw new OutOfMemoryError(
        `the VM's memory limit of ${this.i32[H_MEMORY_LIMIT_CELLS] * CELL_BYTES} bytes is reached`,
      );
    }
  }

  /** Run `f` as an allocation of the runtime itself (see `systemDepth`). */
  system<T>(f: () => T): T {
    this.systemDepth++;
    try {
      return f();
    } finally {
      this.systemDepth--;
    }
  }

  private growLocked(neededCells: number): void {
    const sab = this.sab;
    const neededBytes = neededCells * CELL_BYTES;
    if (neededBytes > sab.maxByteLength) {
      throw new OutOfMemoryError(`shared memory exhausted (${sab.maxByteLength} bytes maximum)`);
    }
    const target = Math.min(
      sab.maxByteLength,
      roundCells(Math.max(neededBytes, sab.byteLength * GROW_FACTOR)),
    );
    try {
      sab.grow(target);
    } catch (e) {
      throw new OutOfMemoryError(`cannot grow shared memory to ${target} bytes: ${e}`);
    }
    this.rebuildViews();
    this.i32[H_LIMIT_CELLS] = sab.byteLength / CELL_BYTES;
    Atomics.add(this.i32, H_GENERATION, 1);
    this.generation = Atomics.load(this.i32, H_GENERATION);
  }

  /** The allocator's futex mutex (src/mem/spin.ts): a thread that waits for a batch refill
   *  or a grow of the buffer (done under the lock) sleeps instead of spinning. */
  private lock(): void {
    if (!this.concurrent) return;
    spinLock(this, H_ALLOC_LOCK);
    // Another thread may have grown the buffer while we waited.
    if (Atomics.load(this.i32, H_GENERATION) !== this.generation) this.rebuildViews();
  }

  private unlock(): void {
    if (this.concurrent) spinUnlock(this, H_ALLOC_LOCK);
  }

  /** Allocator figures for --stats. */
  stats(): { blocksLive: number; bytesLive: number; peakBytes: number; bufferBytes: number } {
    const w = this.i32;
    return {
      blocksLive: w[H_BLOCKS_LIVE],
      bytesLive: w[H_CELLS_LIVE] * CELL_BYTES,
      peakBytes: w[H_PEAK_CELLS] * CELL_BYTES,
      bufferBytes: this.sab.byteLength,
    };
  }
}

/** Room above the VM's memory limit for the runtime's own allocations (exit notifications of
 *  processes that ran out of memory, the port driver's replies). */
const RESERVE_BYTES = 256 * 1024 ** 2;

/** The default memory limit: three quarters of physical memory (LANGUAGE.md §2). */
export function defaultLimitBytes(): number {
  let total = 8 * 1024 ** 3;
  try {
    total = Deno.systemMemoryInfo().total;
  } catch {
    // no permission to read it: assume 8 GiB
  }
  return Math.floor(total * 0.75);
}

/** Size classes below this one (blocks up to 4 KiB) are cached per thread. */
const CACHE_CLASSES = 9;

/** Blocks moved per refill or drain: up to 32, at most 32 KiB of cells. */
function batchOf(k: number): number {
  return Math.max(2, Math.min(32, 2048 >> k));
}

function roundCells(bytes: number): number {
  return Math.ceil(bytes / CELL_BYTES) * CELL_BYTES;
}
function roundCellsDown(bytes: number): number {
  return Math.floor(bytes / CELL_BYTES) * CELL_BYTES;
}
