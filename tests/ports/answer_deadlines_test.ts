/**
 * An HTTP request nobody answers in time is answered 503 (LANGUAGE.md §7). The server keeps one
 * timer for all its requests (src/ports/http.ts AnswerDeadlines): exactly the unanswered ones
 * expire, in arrival order, each once, and no timer is left once the server closes.
 *
 * Which request expires when is checked on a clock the test advances by hand: real timers fire
 * late by however long a busy machine takes, and a test that reads them races the machine. The
 * real clock is checked for what does not depend on timing: it expires, and it leaves no timer.
 */
import assert from "node:assert/strict";
import { AnswerDeadlines, type DeadlineClock } from "../../src/ports/http.ts";

/** A clock that moves only when told; due timers fire in due order, as a host's would. */
class ManualClock implements DeadlineClock {
  private nowMs = 0;
  private nextHandle = 1;
  private readonly timers = new Map<number, { dueMs: number; fn: () => void }>();

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): number {
    const handle = this.nextHandle++;
    this.timers.set(handle, { dueMs: this.nowMs + delayMs, fn });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get armed(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, at its time. */
  advance(ms: number): void {
    const endMs = this.nowMs + ms;
    for (;;) {
      let first: [number, { dueMs: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].dueMs <= endMs && (first === undefined || entry[1].dueMs < first[1].dueMs)) {
          first = entry;
        }
      }
      if (first === undefined) break;
      this.timers.delete(first[0]);
      this.nowMs = Math.max(this.nowMs, first[1].dueMs);
      first[1].fn();
    }
    this.nowMs = endMs;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("only unanswered requests expire, oldest first, each once", () => {
  const clock = new ManualClock();
  const expired: number[] = [];
  const d = new AnswerDeadlines((id) => expired.push(id), 40, clock);
  d.add(1);
  d.add(2);
  clock.advance(15);
  d.add(3);
  d.add(4);
  d.answered(2);
  d.answered(4);
  clock.advance(39 - 15); // 1 ms before 1's deadline
  assert.deepEqual(expired, []);
  clock.advance(1); // 1 is due (40 ms), 3 not yet (55 ms)
  assert.deepEqual(expired, [1]);
  clock.advance(14);
  assert.deepEqual(expired, [1]);
  clock.advance(1);
  assert.deepEqual(expired, [1, 3]);
  d.answered(3); // late answer of an expired request: nothing happens
  d.close();
  assert.equal(clock.armed, 0, "no timer outlives the last request once closed");
  clock.advance(1_000);
  assert.deepEqual(expired, [1, 3]);
});

Deno.test("requests that arrive together expire together, in arrival order", () => {
  const clock = new ManualClock();
  const expired: number[] = [];
  const d = new AnswerDeadlines((id) => expired.push(id), 10, clock);
  for (const id of [5, 3, 9, 1]) d.add(id);
  clock.advance(10);
  assert.deepEqual(expired, [5, 3, 9, 1]);
});

Deno.test("after the queue empties, a new request still gets its deadline", () => {
  const clock = new ManualClock();
  const expired: number[] = [];
  const d = new AnswerDeadlines((id) => expired.push(id), 20, clock);
  d.add(1);
  d.answered(1);
  clock.advance(30); // the timer fired on an empty queue and stopped
  assert.equal(clock.armed, 0);
  d.add(2);
  clock.advance(19);
  assert.deepEqual(expired, []);
  clock.advance(1);
  assert.deepEqual(expired, [2]);
  d.close();
});

Deno.test("on the real clock an unanswered request expires once the timeout has passed", async () => {
  const expired: number[] = [];
  const startMs = performance.now();
  const d = new AnswerDeadlines((id) => expired.push(id), 20);
  d.add(1);
  d.add(2);
  d.answered(2);
  const limitMs = startMs + 5_000;
  while (expired.length === 0 && performance.now() < limitMs) await sleep(10);
  assert.deepEqual(expired, [1]);
  assert.ok(performance.now() - startMs >= 20, "not before its timeout");
  d.close(); // the test's timer sanitizer fails if a timer were left behind
});

Deno.test("closing with requests in flight clears the timer when the last one is answered", async () => {
  const expired: number[] = [];
  const d = new AnswerDeadlines((id) => expired.push(id), 30);
  d.add(7);
  d.close();
  d.answered(7); // the test's timer sanitizer fails if a timer were left behind
  await sleep(40);
  assert.deepEqual(expired, []);
});
