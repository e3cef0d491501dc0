/**
 * SparePcbs: the PCB of a process that exited with its blocks at their initial sizes is taken
 * whole by the next process (no block allocated or freed), with every register as a new PCB
 * has it; a PCB whose blocks grew goes back to the allocator; at most SPARE_PCBS_MAX wait, and
 * `flush` returns them all, so a run's memory statistics count live processes only.
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import {
  createPcb,
  INITIAL_STACK_CELLS,
  P_HANDLERS,
  P_HANDLERS_CAP,
  P_PC,
  P_PID,
  P_STACK,
  P_STACK_CAP,
  PCB_CELLS,
  SPARE_PCBS_MAX,
  SparePcbs,
} from "../../src/proc/pcb.ts";
import { runDenoScript } from "../run_deno.ts";

function words(mem: Memory, pcb: number): number[] {
  return Array.from(mem.i32.subarray(pcb << 2, (pcb + PCB_CELLS) << 2));
}

Deno.test("a spare PCB is taken whole, with the registers and roots of a new one", () => {
  const mem = Memory.create(16 * 1024 * 1024);
  const spare = new SparePcbs(mem);
  const pcb = spare.take(7, 40);
  const blocks = mem.stats().blocksLive;
  // What a process leaves behind: every register and root cell scribbled over, a handler block.
  mem.i32.fill(-5, (pcb << 2) + 16, (pcb + PCB_CELLS) << 2);
  const handlers = mem.allocBlock(4);
  mem.i32[(pcb << 2) + P_HANDLERS] = handlers;
  mem.i32[(pcb << 2) + P_HANDLERS_CAP] = 4;
  spare.give(pcb);
  assert.equal(spare.size, 1);
  assert.equal(mem.stats().blocksLive, blocks, "the handler block is freed, the rest kept");
  const again = spare.take(8, 99);
  assert.equal(again, pcb);
  assert.equal(mem.stats().blocksLive, blocks, "no block allocated for the second process");
  // Register by register, as createPcb writes them for the same pid and pc, block cells aside.
  const fresh = createPcb(mem, 8, 99);
  const [got, want] = [words(mem, again), words(mem, fresh)];
  for (const reg of [4, 8, 13, 15]) got[reg] = want[reg] = 0; // stack, frames, heap, hp
  assert.deepEqual(got, want);
  assert.equal(mem.i32[(again << 2) + P_PID], 8);
  assert.equal(mem.i32[(again << 2) + P_PC], 99);
});

Deno.test("a spare whose process had a handler block frees that block once, flushed or not", () => {
  // On an SMP worker a twice-freed block entered its block cache twice, the cache's count
  // outran its list, and draining it wrote a block number over the buffer's magic word.
  for (const cache of [false, true]) {
    const mem = Memory.create(16 * 1024 * 1024);
    if (cache) mem.enableThreadCache();
    const spare = new SparePcbs(mem);
    const pcb = spare.take(7, 40);
    const handlers = mem.allocBlock(4);
    mem.i32[(pcb << 2) + P_HANDLERS] = handlers;
    mem.i32[(pcb << 2) + P_HANDLERS_CAP] = 4;
    spare.give(pcb);
    spare.flush();
    mem.flushCaches();
    assert.equal(mem.stats().blocksLive, 0, `cache ${cache}: every block back exactly once`);
    assert.equal(mem.i32[0], 0x5454564d, `cache ${cache}: the magic word is intact`);
    // The same 4-cell block is not handed out twice.
    const a = mem.allocBlock(4), b = mem.allocBlock(4);
    assert.notEqual(a, b);
  }
});

Deno.test("a PCB whose stack grew goes back to the allocator", () => {
  const mem = Memory.create(16 * 1024 * 1024);
  const spare = new SparePcbs(mem);
  const before = mem.stats().blocksLive;
  const pcb = spare.take(1, 0);
  const p = pcb << 2;
  mem.freeBlock(mem.i32[p + P_STACK], INITIAL_STACK_CELLS);
  mem.i32[p + P_STACK] = mem.allocBlock(4 * INITIAL_STACK_CELLS);
  mem.i32[p + P_STACK_CAP] = 4 * INITIAL_STACK_CELLS;
  spare.give(pcb);
  assert.equal(spare.size, 0);
  assert.equal(mem.stats().blocksLive, before);
});

Deno.test("at most SPARE_PCBS_MAX wait; flush returns every block", () => {
  const mem = Memory.create(64 * 1024 * 1024);
  const spare = new SparePcbs(mem);
  const before = mem.stats();
  const pcbs = Array.from({ length: SPARE_PCBS_MAX + 10 }, (_, i) => spare.take(i + 1, 0));
  for (const pcb of pcbs) spare.give(pcb);
  assert.equal(spare.size, SPARE_PCBS_MAX);
  spare.flush();
  assert.equal(spare.size, 0);
  assert.equal(mem.stats().blocksLive, before.blocksLive);
  assert.equal(mem.stats().bytesLive, before.bytesLive);
});

/** `memory still in use` of a run with --stats, in bytes. */
async function memoryInUse(flags: string[], children: number): Promise<number> {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/spawner.ttvm`;
  await Deno.writeTextFile(
    file,
    [
      `PUSH_INT ${children}`,
      "STORE k",
      "LABEL spawn",
      "LOAD k",
      "JZ spawned",
      'PUSH_STR "child"',
      "SPAWN_MONITOR",
      "POP",
      "POP",
      "LOAD k",
      "PUSH_INT 1",
      "SUB",
      "STORE k",
      "JMP spawn",
      "LABEL spawned",
      `PUSH_INT ${children}`,
      "STORE k",
      "LABEL collect",
      "LOAD k",
      "JZ done",
      "RECEIVE",
      "POP",
      "LOAD k",
      "PUSH_INT 1",
      "SUB",
      "STORE k",
      "JMP collect",
      "LABEL done",
      "HALT",
      "LABEL child",
      "HALT",
    ].join("\n") + "\n",
  );
  const run = await runDenoScript("main.ts", [...flags, "--stats", file]);
  await Deno.remove(dir, { recursive: true });
  assert.equal(run.code, 0, run.stderr);
  const m = /memory still in use: +(\d+) bytes/.exec(run.stderr);
  assert.ok(m, run.stderr);
  return Number(m[1]);
}

for (const flags of [[], ["--smp=2"]]) {
  Deno.test(`${flags.join(" ") || "one scheduler"}: 3,000 monitored children that exit leave the memory of 30`, async () => {
    // All children are spawned before any DOWN is taken, so thousands of PCBs are given back
    // at once. Both runs stay on the process table's first page (4,096 pids): only spare PCBs
    // left unreturned at the end could make the two differ.
    assert.equal(await memoryInUse(flags, 3000), await memoryInUse(flags, 30));
  });
}
