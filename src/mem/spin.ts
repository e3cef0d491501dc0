/**
 * The mutex every shared structure's writers take (allocator, process and port tables,
 * registry, atom table, injection queue, output): a futex word, 0 free, 1 held, 2 held with
 * waiters. A contended locker spins briefly reading the word (no CAS storm on the cache line),
 * then sleeps in Atomics.wait until the holder's unlock notifies it, so a thread that lost the
 * race does not burn the core the holder needs (2 cores on these machines).
 *
 * Invariant: critical sections are short and never wait for another thread; Atomics.wait is
 * allowed on every thread of this runtime (Deno permits it on the main thread too).
 */
import type { Memory } from "./memory.ts";

const SPINS = 64;
/** Upper bound of one sleep; the unlock notifies, so this only bounds a missed wake-up. */
const SLEEP_MS = 5;

export function spinLock(mem: Memory, word: number): void {
  const w = mem.i32;
  let c = Atomics.compareExchange(w, word, 0, 1);
  if (c === 0) return;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(w, word) === 0) {
      c = Atomics.compareExchange(w, word, 0, 1);
      if (c === 0) return;
    }
  }
  if (c !== 2) c = Atomics.exchange(w, word, 2);
  while (c !== 0) {
    Atomics.wait(w, word, 2, SLEEP_MS);
    c = Atomics.exchange(w, word, 2);
  }
}

export function spinUnlock(mem: Memory, word: number): void {
  const w = mem.i32;
  if (Atomics.sub(w, word, 1) !== 1) {
    Atomics.store(w, word, 0);
    Atomics.notify(w, word, 1);
  }
}
