/**
 * Standard input shared by the workers of the SMP pool. A per-worker buffered reader would
 * lose input: bytes one worker read ahead are invisible to a process that reads next on
 * another worker. Here the read-ahead buffer is a block of the SharedArrayBuffer, and every
 * read takes the stdin lock, so each byte is consumed exactly once and in order, whichever
 * worker the reading process runs on.
 *
 * ```
 *  header words (src/mem/layout.ts, line 5)      buffer block (BUFFER_BYTES)
 *  H_STDIN_LOCK         0 free, 1 held,          ┌──────────┬──────────────────┬──────────┐
 *                       2 held with waiters      │ consumed │ unread bytes     │ free     │
 *  H_STDIN_BUF_CELL     cell of the block        └──────────┴──────────────────┴──────────┘
 *  H_STDIN_START_BYTES  ─────────────────────────────────────┘ START           END ┘
 *  H_STDIN_END_BYTES
 *  H_STDIN_EOF          1 once the source ended
 * ```
 *
 * Invariants: START, END and the buffer change only under the lock; the buffer is refilled
 * only when it is empty (START = END, both reset to 0); a line longer than the buffer is
 * collected across refills without releasing the lock. A reader blocked on a terminal holds
 * the lock: other stdin readers wait (they could not read anything before it either), every
 * other process runs on.
 */
import {
  H_STDIN_BUF_CELL,
  H_STDIN_END_BYTES,
  H_STDIN_EOF,
  H_STDIN_LOCK,
  H_STDIN_START_BYTES,
} from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import type { ByteSource, Stdin } from "./stdin.ts";

/** Size of the shared read-ahead buffer (a power of two number of 16-byte cells). */
export const BUFFER_BYTES = 64 * 1024;
const SPINS_BEFORE_WAIT = 100;

const decoder = new TextDecoder();

export class SharedStdin implements Stdin {
  /** Private landing area for one read: host reads do not write into shared memory. */
  private readonly chunk = new Uint8Array(BUFFER_BYTES);

  constructor(private readonly mem: Memory, private readonly source: ByteSource) {}

  readLine(): string {
    return this.locked(() => {
      const parts: Uint8Array[] = [];
      for (;;) {
        const { u8, base, start, end } = this.window();
        const nl = u8.subarray(base + start, base + end).indexOf(10);
        if (nl >= 0) {
          parts.push(u8.slice(base + start, base + start + nl));
          this.consumeTo(start + nl + 1);
          const line = join(parts);
          const cut = line.length > 0 && line[line.length - 1] === 13
            ? line.length - 1
            : line.length;
          return decoder.decode(line.subarray(0, cut));
        }
        parts.push(u8.slice(base + start, base + end));
        this.consumeTo(end);
        if (!this.fill()) return decoder.decode(join(parts));
      }
    });
  }

  readByte(): number | null {
    return this.locked(() => {
      let { u8, base, start, end } = this.window();
      if (start === end) {
        if (!this.fill()) return null;
        ({ u8, base, start, end } = this.window());
      }
      this.consumeTo(start + 1);
      return u8[base + start];
    });
  }

  readAll(): string {
    return this.locked(() => {
      const parts: Uint8Array[] = [];
      do {
        const { u8, base, start, end } = this.window();
        parts.push(u8.slice(base + start, base + end));
        this.consumeTo(end);
      } while (this.fill());
      return decoder.decode(join(parts));
    });
  }

  // ── under the lock ──────────────────────────────────────────────────────────────────────

  /** The buffer and its unread range (allocating the buffer on first use). */
  private window(): { u8: Uint8Array; base: number; start: number; end: number } {
    const mem = this.mem;
    let cell = mem.i32[H_STDIN_BUF_CELL];
    if (cell === 0) {
      cell = mem.allocBlock(BUFFER_BYTES / 16);
      mem.i32[H_STDIN_BUF_CELL] = cell;
    }
    mem.refresh();
    const w = mem.i32;
    return {
      u8: mem.u8,
      base: cell << 4,
      start: w[H_STDIN_START_BYTES],
      end: w[H_STDIN_END_BYTES],
    };
  }

  /** Mark everything before `offsetBytes` consumed; an emptied buffer starts over at 0. */
  private consumeTo(offsetBytes: number): void {
    const w = this.mem.i32;
    if (offsetBytes >= w[H_STDIN_END_BYTES]) {
      w[H_STDIN_START_BYTES] = 0;
      w[H_STDIN_END_BYTES] = 0;
    } else {
      w[H_STDIN_START_BYTES] = offsetBytes;
    }
  }

  /** Read more input into the (empty) buffer; false at end of input. */
  private fill(): boolean {
    const w = this.mem.i32;
    if (w[H_STDIN_EOF] !== 0) return false;
    const n = this.source.readSync(this.chunk);
    if (n === null || n === 0) {
      w[H_STDIN_EOF] = 1;
      return false;
    }
    const { u8, base } = this.window();
    u8.set(this.chunk.subarray(0, n), base);
    w[H_STDIN_START_BYTES] = 0;
    w[H_STDIN_END_BYTES] = n;
    return true;
  }

  // ── the lock (a futex mutex: 0 free, 1 held, 2 held and someone may wait) ──────────────

  private locked<T>(body: () => T): T {
    this.lock();
    try {
      return body();
    } finally {
      this.unlock();
    }
  }

  private lock(): void {
    const w = this.mem.i32;
    for (let i = 0; i < SPINS_BEFORE_WAIT; i++) {
      if (Atomics.compareExchange(w, H_STDIN_LOCK, 0, 1) === 0) return;
    }
    while (Atomics.exchange(w, H_STDIN_LOCK, 2) !== 0) Atomics.wait(w, H_STDIN_LOCK, 2);
  }

  private unlock(): void {
    const w = this.mem.i32;
    if (Atomics.exchange(w, H_STDIN_LOCK, 0) === 2) Atomics.notify(w, H_STDIN_LOCK, 1);
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
