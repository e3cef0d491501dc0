/**
 * An HTTP request nobody answers in time is answered 503 (LANGUAGE.md §7). The server keeps one
 * timer for all its requests (src/ports/http.ts AnswerDeadlines): exactly the unanswered ones
 * expire, in arrival order, each once, and no timer is left once the server closes.
 */
import assert from "node:assert/strict";
import { AnswerDeadlines } from "../../src/ports/http.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("only unanswered requests expire, oldest first, each once", async () => {
  const expired: number[] = [];
  const d = new AnswerDeadlines((id) => expired.push(id), 40);
  d.add(1);
  d.add(2);
  await sleep(15);
  d.add(3);
  d.add(4);
  d.answered(2);
  d.answered(4);
  await sleep(35); // 1 is due (40 ms), 3 not yet
  assert.deepEqual(expired, [1]);
  await sleep(30);
  assert.deepEqual(expired, [1, 3]);
  d.answered(3); // late answer of an expired request: nothing happens
  d.close();
  await sleep(50);
  assert.deepEqual(expired, [1, 3]);
});

Deno.test("after the queue empties, a new request still gets its deadline", async () => {
  const expired: number[] = [];
  const d = new AnswerDeadlines((id) => expired.push(id), 20);
  d.add(1);
  d.answered(1);
  await sleep(30); // the timer fired on an empty queue and stopped
  d.add(2);
  await sleep(35);
  assert.deepEqual(expired, [2]);
  d.close();
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
