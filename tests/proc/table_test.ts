/**
 * ProcTable.entry: the thread-local cache of recently used pages never changes an answer —
 * lookups that alternate among pids on several pages (a parent on page 0 and its children on
 * later ones) give the cell a table with no cache history gives.
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import { PAGE_ENTRIES, ProcTable } from "../../src/proc/table.ts";

Deno.test("entry() agrees with a fresh table across alternating pages", () => {
  const mem = Memory.create(64 * 1024 * 1024);
  const table = new ProcTable(mem);
  const pids = 4 * PAGE_ENTRIES + 17;
  for (let i = 0; i < pids; i++) table.newPid();
  let seed = 99;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 8) % n;
  const cells = new Set<number>();
  for (let step = 0; step < 20_000; step++) {
    // Mostly pid 1 and a pid near a moving front, sometimes anywhere (three pages in play).
    const front = 1 + Math.floor((step / 20_000) * (pids - 1));
    const pid = [1, front, 1 + rand(pids)][rand(3)];
    const e = table.entry(pid);
    assert.equal(e, new ProcTable(mem).entry(pid), `pid ${pid} at step ${step}`);
    assert.notEqual(e, 0);
    cells.add(e);
  }
  assert.ok(cells.size > 1000, "many distinct entries were looked up");
  assert.equal(table.entry(0), 0);
  assert.equal(table.entry(pids + 1), 0, "a pid never allocated has no entry");
});
