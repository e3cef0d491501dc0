/**
 * A slice publishes what it counted before its process can run anywhere else
 * (src/sched/slice.ts `ownedSlice`). On a pool, the process a slice requeues or parks may be
 * taken by another worker at once; SYSTEM_INFO there must already count the messages the
 * process sent here (SYSTEM_INFO yields once for exactly that). The CI saw
 * tests/golden/introspect/processes_system_info.ttvm print `messages >= 3: 0` under --smp=2,
 * once: the slice published after the requeue, and the worker that took the process read the
 * total in between.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { Output } from "../../src/io/output.ts";
import { AtomTable } from "../../src/mem/atoms.ts";
import { writeImage } from "../../src/mem/image.ts";
import { H_ACTIVE, H_MESSAGES } from "../../src/mem/layout.ts";
import { createSchedStats } from "../../src/mem/sched_stats.ts";
import { createPcb, DEFAULT_LIMITS } from "../../src/proc/pcb.ts";
import { ProcTable, ST_RUNNABLE } from "../../src/proc/table.ts";
import { SliceRunner } from "../../src/sched/slice.ts";
import { setupThread } from "../../src/sched/thread.ts";
import { createMemory } from "../../src/vm/vm.ts";

const PROGRAM = `
SELF
PUSH_INT 1
SEND
SELF
PUSH_INT 2
SEND
SELF
PUSH_INT 3
SEND
YIELD
RECEIVE
RECEIVE
RECEIVE
ADD
ADD
PRINT
HALT
`;

Deno.test("a slice's messages are in the shared total before its process is requeued", () => {
  const program = assembleSource(PROGRAM, "publish.ttvm");
  const mem = createMemory(undefined, DEFAULT_LIMITS, false);
  const atoms = new AtomTable(mem);
  writeImage(mem, atoms, program);
  createSchedStats(mem, 1);
  const table = new ProcTable(mem);
  const pid = table.newPid();
  table.attach(pid, createPcb(mem, pid, 0));
  table.setStatus(pid, ST_RUNNABLE);
  mem.i32[H_ACTIVE] = 1;
  const printed: string[] = [];
  const decoder = new TextDecoder();
  const sink = { write: (bytes: Uint8Array) => void printed.push(decoder.decode(bytes)) };
  const io = { stdout: new Output(sink), stderr: new Output(sink), args: [] };
  const { rt, interp, procs } = setupThread(
    mem,
    io,
    { submit: () => {} },
    { stressGc: false, limits: DEFAULT_LIMITS, jit: "off" },
    atoms,
  );
  const seenAtRequeue: number[] = [];
  const queue: number[] = [];
  const runner = new SliceRunner(rt, interp, procs, 1000, (p) => {
    // What another worker taking the process now would read.
    seenAtRequeue.push(mem.i32[H_MESSAGES]);
    queue.push(p);
  });
  procs.sched = { enqueue: (p) => queue.push(p), armTimer: () => {} };
  runner.run(pid); // three SENDs, then YIELD: requeued
  assert.deepEqual(seenAtRequeue, [3], "the three messages were counted when it was requeued");
  while (queue.length > 0) runner.run(queue.shift()!);
  io.stdout.flush();
  assert.equal(printed.join(""), "6\n");
});
