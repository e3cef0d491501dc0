/**
 * The work-stealing deque (src/sched/deque.ts): the owner's view (OwnedDeque, which keeps
 * bottom in a field) against thieves' views of the same block. In one thread, random
 * interleavings of push, take and steal agree with a FIFO model, across many wrap-arounds of
 * the ring; across threads, an owner pushing and taking while two workers steal loses and
 * duplicates no PID.
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import { Deque, OwnedDeque } from "../../src/sched/deque.ts";

Deno.test("deque: owner push/take and a thief's steal agree with a FIFO model, through wrap-arounds", () => {
  const mem = Memory.create(1 << 20);
  const block = Deque.create(mem, 8);
  const owner = new OwnedDeque(mem, block), thief = new Deque(mem, block);
  const model: number[] = [];
  let next = 1, seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let step = 0; step < 20000; step++) {
    const r = random();
    if (r < 0.5) {
      const pushed = owner.push(next);
      assert.equal(pushed, model.length < 8, `step ${step}: push into ${model.length} of 8`);
      if (pushed) model.push(next++);
    } else {
      const pid = r < 0.75 ? owner.take() : thief.steal();
      assert.equal(pid, model.shift() ?? 0, `step ${step}`);
    }
    assert.equal(owner.size, model.length, `step ${step}: owner's size`);
    assert.equal(thief.size, model.length, `step ${step}: thief's size`);
  }
  assert.ok(next > 5000, "the ring wrapped around many times");
});

Deno.test("deque: an owner pushing and taking while two workers steal loses and duplicates nothing", async () => {
  const mem = Memory.create(1 << 22);
  const block = Deque.create(mem, 64);
  const total = 200_000;
  const url = new URL("./deque_thief_worker.ts", import.meta.url);
  const thieves = [0, 1].map(() => new Worker(url, { type: "module" }));
  const stolen = thieves.map((w) =>
    new Promise<number[]>((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data as number[]);
      w.onerror = (e) => reject(e);
    })
  );
  const doneWord = mem.allocBlock(1) << 2; // "the owner is done"
  for (const w of thieves) w.postMessage({ sab: mem.sab, block, doneWord });
  const owner = new OwnedDeque(mem, block);
  const taken: number[] = [];
  for (let pid = 1; pid <= total;) {
    if (owner.push(pid)) pid++;
    if (pid % 3 === 0) {
      const got = owner.take();
      if (got !== 0) taken.push(got);
    }
  }
  for (let got = owner.take(); got !== 0 || owner.size > 0; got = owner.take()) {
    if (got !== 0) taken.push(got);
  }
  Atomics.store(mem.i32, doneWord, 1);
  const all = [...taken, ...(await stolen[0]), ...(await stolen[1])].sort((a, b) => a - b);
  for (const w of thieves) w.terminate();
  assert.equal(all.length, total, "every PID taken exactly once");
  for (let i = 0; i < total; i++) assert.equal(all[i], i + 1);
  assert.ok(taken.length < total, "the thieves took some");
});
