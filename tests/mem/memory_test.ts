/**
 * The block allocator: blocks never overlap, blocks of a cache line or more start on a line
 * (the gap a 2-cell block leaves is itself a free block), freed blocks are reused, and a
 * worker's private block caches (SMP) hand out each block once and give everything back on
 * flush, so the end-of-run statistics stay exact.
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import { LINE_CELLS, MIN_CLASS } from "../../src/mem/layout.ts";

/** Allocate `sizes` (in cells), checking no two live blocks overlap; returns [block, cells]. */
function allocateAll(mem: Memory, sizes: number[]): [number, number][] {
  const blocks = sizes.map((cells): [number, number] => [mem.allocBlock(cells), cells]);
  for (const [block, cells] of blocks) {
    if (Memory.blockCells(cells) >= LINE_CELLS) {
      assert.equal(block % LINE_CELLS, 0, `a ${cells}-cell block at ${block} is off its line`);
    }
  }
  const spans = blocks.map(([block, cells]) => [block, block + Memory.blockCells(cells)])
    .sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    assert.ok(
      spans[i][0] >= spans[i - 1][1],
      `blocks at ${spans[i - 1][0]} and ${spans[i][0]} overlap`,
    );
  }
  return blocks;
}

const SIZES = Array.from(
  { length: 3000 },
  (_, i) => [4, 2, 8, 1, 16, 40, 2, 200, 300, 5000][i % 10],
);

for (const cached of [false, true]) {
  const name = cached ? "with a thread cache" : "shared lists only";
  Deno.test(`allocator (${name}): no overlap, reuse after free, exact statistics`, () => {
    const mem = Memory.create(1024 * 1024);
    mem.concurrent = cached;
    if (cached) mem.enableThreadCache();
    const before = mem.stats();
    const first = allocateAll(mem, SIZES);
    const grown = mem.stats().peakBytes;
    for (const [block, cells] of first) mem.freeBlock(block, cells);
    mem.flushCaches();
    assert.deepEqual(
      { blocks: mem.stats().blocksLive, bytes: mem.stats().bytesLive },
      { blocks: before.blocksLive, bytes: before.bytesLive },
    );
    // The same demand again is served from the free lists: the arena does not grow.
    const second = allocateAll(mem, SIZES);
    assert.equal(mem.stats().peakBytes, grown);
    for (const [block, cells] of second) mem.freeBlock(block, cells);
    mem.flushCaches();
    assert.equal(mem.stats().bytesLive, before.bytesLive);
  });
}

Deno.test("a thread cache keeps a bounded number of free blocks", () => {
  const mem = Memory.create(1024 * 1024);
  mem.concurrent = true;
  mem.enableThreadCache();
  const before = mem.stats().bytesLive;
  const blocks = allocateAll(mem, Array(2000).fill(4));
  for (const [block, cells] of blocks) mem.freeBlock(block, cells);
  // Without a flush, only the cache's bound (twice a 32-block batch of 4-cell blocks) is
  // still counted as live.
  assert.ok(mem.stats().bytesLive - before <= 64 * 4 * 16, `${mem.stats().bytesLive - before}`);
  mem.flushCaches();
  assert.equal(mem.stats().bytesLive, before);
});

Deno.test("a cached block comes out of the shared lists once: another thread cannot get it", () => {
  const mem = Memory.create(1024 * 1024);
  mem.concurrent = true;
  mem.enableThreadCache();
  const other = Memory.attach(mem.sab); // a second thread's view, without a cache
  const mine = new Set(allocateAll(mem, Array(100).fill(16)).map(([b]) => b));
  for (let i = 0; i < 200; i++) {
    const theirs = other.allocBlock(16);
    assert.ok(!mine.has(theirs), `block ${theirs} is in both threads' hands`);
  }
});

Deno.test("word operations: the same results with Atomics (shared memory) and without (one thread)", () => {
  const WORD = 4096;
  const trace = (concurrent: boolean) => {
    const mem = Memory.create(1024 * 1024);
    mem.concurrent = concurrent;
    const seen: number[] = [];
    mem.store(WORD, 7);
    seen.push(mem.load(WORD));
    seen.push(mem.add(WORD, 5), mem.load(WORD));
    seen.push(mem.add(WORD, -20), mem.load(WORD));
    mem.store(WORD, 0x7fffffff);
    seen.push(mem.add(WORD, 1), mem.load(WORD)); // wraps as an int32, as Atomics.add does
    seen.push(mem.cas(WORD, 3, 9), mem.load(WORD)); // expected value absent: no swap
    seen.push(mem.cas(WORD, -0x80000000, 9), mem.load(WORD)); // present: swapped
    return seen;
  };
  const plain = trace(false);
  assert.deepEqual(plain, trace(true));
  assert.deepEqual(plain, [
    7,
    7,
    12,
    12,
    -8,
    0x7fffffff,
    -0x80000000,
    -0x80000000,
    -0x80000000,
    -0x80000000,
    9,
  ]);
});

Deno.test("Memory.classOf: the smallest power-of-two class that holds the cells", () => {
  for (let cells = 0; cells <= 70_000; cells++) {
    const k = Memory.classOf(cells);
    assert.ok((1 << k) >= cells && k >= MIN_CLASS, `class ${k} too small for ${cells}`);
    assert.ok(k === MIN_CLASS || (1 << (k - 1)) < cells, `class ${k} too large for ${cells}`);
  }
  assert.equal(Memory.blockCells(1), 2, "the smallest block is 2 cells (32 bytes)");
});

Deno.test("a line-sized block after a 2-cell one skips to the next line; the gap is reused", () => {
  const mem = Memory.create(1024 * 1024);
  const before = mem.stats();
  const small = mem.allocBlock(2);
  assert.equal(small % LINE_CELLS, 0, "the bump pointer starts on a line");
  const line = mem.allocBlock(4);
  assert.equal(line, small + LINE_CELLS, "the 4-cell block starts on the next line");
  assert.equal(mem.allocBlock(2), small + 2, "the gap is the next 2-cell block");
  assert.equal(mem.allocBlock(2), line + 4, "then the bump pointer again");
  assert.equal(mem.stats().bytesLive - before.bytesLive, (2 + 4 + 2 + 2) * 16, "gaps are not live");
});
