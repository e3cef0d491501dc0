/**
 * The dashboard's sampler (src/observe/sampler.ts) reads the right facts out of shared memory
 * — statuses, registered names, mailbox lengths, links, monitors in both directions, the
 * supervision tree — and, reading racily, never throws or runs away: with the PCBs, relations
 * blocks and registry overwritten by random words, every read still ends and returns.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { Output } from "../../src/io/output.ts";
import { fixedInput } from "../../src/io/stdin.ts";
import { H_REGISTRY_CELL } from "../../src/mem/layout.ts";
import { rowsOf, Sampler } from "../../src/observe/sampler.ts";
import { topIndices } from "../../src/observe/server.ts";
import { P_REL, PCB_CELLS } from "../../src/proc/pcb.ts";
import { Vm } from "../../src/vm/vm.ts";

const SOURCE = `
PUSH_STR "sup"
SPAWN
POP
PUSH_STR "flooded"
SPAWN
STORE f
LOAD f
PUSH_INT 1
SEND
LOAD f
PUSH_INT 2
SEND
LOAD f
PUSH_INT 3
SEND
LOAD f
MAKE_FUNCTION watcher f
SPAWN
POP
HALT
LABEL sup
START_SUPERVISOR
SUPERVISE_CHILD a idle
SUPERVISE_CHILD inner inner_sup
HALT
LABEL inner_sup
START_SUPERVISOR
SUPERVISE_CHILD b idle
HALT
LABEL idle
RECEIVE
JMP idle
LABEL flooded
REGISTER flooded
PUSH_STR "never"
RECEIVE_MATCH
HALT
LABEL watcher
LOAD f
MONITOR
POP
LOAD f
LINK
PUSH_STR "never"
RECEIVE_MATCH
HALT
`;

async function blockedRun(): Promise<{ vm: Vm; sampler: Sampler }> {
  const vm = new Vm(assembleSource(SOURCE, "sampled.ttvm"), {
    stdout: new Output({ write: () => {} }),
    stderr: new Output({ write: () => {} }),
    stdin: fixedInput(),
    args: [],
  });
  const r = await vm.run();
  assert.equal(r.exitCode, 0);
  const sampler = new Sampler({
    mem: vm.mem,
    atoms: vm.rt.atoms,
    image: vm.rt.image,
    table: vm.procs.table,
    runQueues: () => [0],
  });
  return { vm, sampler };
}

Deno.test("the sampler reads statuses, names, mailboxes, relations and the supervision tree", async () => {
  const { sampler } = await blockedRun();
  const rows = rowsOf(sampler.tick(1));
  const byName = new Map(rows.map((r) => [r.name, r]));
  assert.deepEqual(
    rows.map((r) => r.status),
    rows.map(() => "waiting"),
    "every live process waits",
  );
  for (const n of ["flooded", "a", "inner", "b"]) assert.ok(byName.has(n), `${n} missing`);
  assert.equal(byName.get("flooded")!.mailbox, 3);
  assert.ok(rows.every((r) => r.reductions > 0 && r.memory > 0));
  const flooded = byName.get("flooded")!.pid;
  const watcher = rows.find((r) => r.name === null && !r.supervisor && r.pid > flooded)!.pid;
  const f = sampler.detail(flooded)!;
  assert.deepEqual(f.links, [watcher]);
  assert.deepEqual(f.monitored_by, [watcher]);
  assert.deepEqual(f.monitors, []);
  const w = sampler.detail(watcher)!;
  assert.deepEqual(w.links, [flooded]);
  assert.deepEqual(w.monitors, [flooded]);
  assert.match(w.current as string, /^sampled\.ttvm:\d+$/);
  assert.equal(sampler.detail(9999), null);
  const trees = sampler.supervisionTrees();
  assert.equal(trees.length, 1);
  assert.deepEqual(trees[0].children.map((c) => c.id), ["a", "inner"]);
  const inner = trees[0].children[1];
  assert.equal(inner.supervisor, true);
  assert.deepEqual(inner.children.map((c) => [c.id, c.name]), [["b", "b"]]);
  // Rates need two samples: the history gets a point per later sample.
  sampler.tick(1001);
  assert.equal(sampler.history.length, 1);
});

Deno.test("racy reads never throw or run away, whatever the memory holds", async () => {
  const { vm, sampler } = await blockedRun();
  const w = vm.mem.i32;
  const pcbs = rowsOf(sampler.tick(1)).map((r) => vm.procs.table.pcbOf(r.pid));
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
  const wild = () => {
    switch (rand() & 3) {
      case 0:
        return rand(); // anything
      case 1:
        return rand() & 0xffff; // a plausible small number
      case 2:
        return -1 - (rand() & 7);
      default:
        return 0x7fffffff;
    }
  };
  for (let round = 0; round < 300; round++) {
    // Scribble over PCB registers, relations blocks and the registry.
    for (let k = 0; k < 8; k++) {
      const pcb = pcbs[(rand() >>> 0) % pcbs.length];
      w[(pcb << 2) + ((rand() >>> 0) % (PCB_CELLS * 4))] = wild();
      const rel = w[(pcb << 2) + P_REL];
      if (rel > 0 && (rel + 4) * 4 < w.length) w[(rel << 2) + ((rand() >>> 0) % 16)] = wild();
    }
    if ((rand() & 7) === 0) w[H_REGISTRY_CELL] = wild();
    const t0 = performance.now();
    const tick = sampler.tick(round + 2);
    for (const r of rowsOf(tick)) sampler.detail(r.pid);
    sampler.supervisionTrees();
    assert.ok(performance.now() - t0 < 2000, "a sample of a handful of processes took over 2 s");
  }
});

Deno.test("top-N selection: largest first, ties by smaller PID, at most n", () => {
  const values = new Float64Array([5, 1, 9, 5, 0, 9, 3]);
  const pids = new Int32Array([10, 11, 12, 13, 14, 15, 16]);
  assert.deepEqual(topIndices(values, pids, 7, 4), [2, 5, 0, 3]);
  assert.deepEqual(topIndices(values, pids, 7, 100), [2, 5, 0, 3, 6, 1, 4]);
  assert.deepEqual(topIndices(values, pids, 7, 0), []);
  assert.deepEqual(topIndices(values, pids, 3, 2), [2, 0]);
});
