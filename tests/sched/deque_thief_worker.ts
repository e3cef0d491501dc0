/** A thief of tests/sched/deque_test.ts: steals from the deque until the owner is done and
 *  the deque is empty, then posts what it stole. */
import { Memory } from "../../src/mem/memory.ts";
import { Deque } from "../../src/sched/deque.ts";

self.onmessage = (e: MessageEvent<{ sab: SharedArrayBuffer; block: number; doneWord: number }>) => {
  const mem = Memory.attach(e.data.sab);
  const deque = new Deque(mem, e.data.block);
  const stolen: number[] = [];
  for (;;) {
    const pid = deque.steal();
    if (pid !== 0) stolen.push(pid);
    else if (Atomics.load(mem.i32, e.data.doneWord) === 1 && deque.size <= 0) break;
  }
  self.postMessage(stolen);
};
