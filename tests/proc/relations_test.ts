/**
 * The relations block: random adds, finds and removes agree with a plain model (order kept,
 * indices stable until `compact`), and the hash index makes a process with many monitors pay
 * per operation, not per relation (counted in probes, not timed).
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import { createPcb } from "../../src/proc/pcb.ts";
import {
  REL_CHILD,
  REL_FREE,
  REL_LINK,
  REL_MON,
  REL_WATCH,
  Relations,
} from "../../src/proc/relations.ts";

function setup() {
  const mem = Memory.create(64 * 1024 * 1024);
  const pcb = createPcb(mem, 1, 0);
  return { mem, pcb, rel: new Relations(mem) };
}

/** The live entries in order, as [type, a, b]. */
function live(rel: Relations, pcb: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rel.count(pcb); i++) {
    const t = rel.type(pcb, i);
    if (t !== REL_FREE) out.push([t, rel.word(pcb, i, 1), rel.word(pcb, i, 2)]);
  }
  return out;
}

Deno.test("random add/find/remove/compact agree with a model, order kept", () => {
  const { pcb, rel } = setup();
  let seed = 12345;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 8) % n;
  const model: number[][] = [];
  for (let step = 0; step < 20000; step++) {
    const op = rand(10);
    if (op < 5) {
      const type = [REL_LINK, REL_MON, REL_WATCH][rand(3)];
      const a = rand(500);
      if (model.some(([t, x]) => t === type && x === a)) continue; // relations are unique
      rel.add(pcb, type, a, step);
      model.push([type, a, step]);
    } else if (op < 9 && model.length > 0) {
      const [type, a, b] = model[rand(model.length)];
      const i = rel.find(pcb, type, a);
      assert.ok(i >= 0, `find ${type}/${a}`);
      assert.equal(rel.word(pcb, i, 2), b);
      rel.remove(pcb, i);
      model.splice(model.findIndex(([t, x]) => t === type && x === a), 1);
      assert.equal(rel.find(pcb, type, a), -1);
    } else {
      rel.compact(pcb);
    }
    if (step % 997 === 0) assert.deepEqual(live(rel, pcb), model);
  }
  assert.deepEqual(live(rel, pcb), model);
});

Deno.test("children keep their start order across removals and compaction", () => {
  const { pcb, rel } = setup();
  for (let c = 0; c < 5; c++) rel.add(pcb, REL_CHILD, 100 + c);
  for (let k = 0; k < 200; k++) rel.add(pcb, REL_LINK, k);
  for (let k = 0; k < 200; k++) rel.remove(pcb, rel.find(pcb, REL_LINK, k));
  rel.compact(pcb);
  assert.deepEqual(live(rel, pcb).map(([, a]) => a), [100, 101, 102, 103, 104]);
  rel.add(pcb, REL_CHILD, 105);
  assert.deepEqual(live(rel, pcb).map(([, a]) => a), [100, 101, 102, 103, 104, 105]);
});

Deno.test("100,000 monitors found and removed newest first (a scan per lookup: ~10^10 steps)", () => {
  const { mem, pcb, rel } = setup();
  const n = 100_000;
  for (let ref = 1; ref <= n; ref++) rel.add(pcb, REL_MON, ref, ref + 7);
  // Newest first, the worst order for a scan from the front.
  for (let ref = n; ref >= 1; ref--) {
    const i = rel.find(pcb, REL_MON, ref);
    assert.equal(rel.word(pcb, i, 2), ref + 7);
    rel.remove(pcb, i);
  }
  assert.deepEqual(live(rel, pcb), []);
  rel.compact(pcb);
  assert.equal(rel.count(pcb), 0);
  rel.release(pcb);
  assert.equal(mem.i32[(pcb << 2) + 17], 0);
});

Deno.test("a few relations are found by a scan with no hash block; the eighth entry builds it", () => {
  const { mem, pcb, rel } = setup();
  const blocks = () => mem.stats().blocksLive;
  const before = blocks();
  let seed = 777;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 8) % n;
  const model: number[][] = [];
  // Only six distinct relations exist, so at most six are live; tombstones come and go.
  for (let step = 0; step < 5000; step++) {
    const type = [REL_LINK, REL_MON, REL_WATCH][rand(3)], a = rand(2);
    const i = rel.find(pcb, type, a);
    const m = model.findIndex(([t, x]) => t === type && x === a);
    assert.equal(i >= 0, m >= 0, `find ${type}/${a} at step ${step}`);
    if (i >= 0) {
      assert.equal(rel.word(pcb, i, 2), model[m][2]);
      rel.remove(pcb, i);
      model.splice(m, 1);
    } else {
      rel.add(pcb, type, a, step);
      model.push([type, a, step]);
    }
    if (rand(4) === 0) rel.compact(pcb);
    assert.deepEqual(live(rel, pcb), model);
  }
  rel.release(pcb);
  assert.equal(blocks(), before, "release frees the entries block and any hash block");
  for (let k = 0; k < 7; k++) rel.add(pcb, REL_WATCH, 1000 + k);
  assert.equal(blocks() - before, 1, "seven entries: still no hash block");
  rel.add(pcb, REL_WATCH, 1007);
  assert.equal(blocks() - before, 2, "the eighth entry builds the hash block");
  for (let k = 0; k < 8; k++) assert.equal(rel.find(pcb, REL_WATCH, 1000 + k), k);
  assert.equal(rel.find(pcb, REL_WATCH, 999), -1);
  rel.release(pcb);
  assert.equal(blocks(), before);
});
