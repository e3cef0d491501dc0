/**
 * Preemption inside compiled code. With `--exact-preemption`, processes whose hot loops run
 * compiled are preempted after exactly the budget the interpreter would give them, for every
 * budget from 1 to 40 and a few larger ones — the interleaving of their output, the reductions
 * charged and the number of slices are those of the interpreter. Covers loops that stay
 * inside one unit, calls across units and loops broken by instructions the tier does not
 * compile. By default a slice ends at the first block its budget does not cover: never past
 * the budget, the same work charged, the same interleaving on every run, and no stepping
 * companion.
 */
import assert from "node:assert/strict";
import { assertSameAsInterpreter, runWith } from "./helpers.ts";

/** Three processes counting in compiled loops, each printing a line every `every` rounds;
 *  the order of the lines shows where every slice ended. */
const counters = (every: number) => [
  'PUSH_STR "a"',
  "MAKE_FUNCTION worker name",
  "SPAWN",
  "POP",
  'PUSH_STR "b"',
  "MAKE_FUNCTION worker name",
  "SPAWN",
  "POP",
  'PUSH_STR "c"',
  "HALT",
  "LABEL worker",
  "PUSH_INT 0",
  "STORE i",
  "LABEL loop",
  "LOAD i",
  "PUSH_INT 60",
  "LT",
  "JZ done",
  "LOAD i",
  `PUSH_INT ${every}`,
  "MOD",
  "JZ report",
  "JMP next",
  "LABEL report",
  "LOAD name",
  "LOAD i",
  "TO_STR",
  "CONCAT",
  "PRINT",
  "LABEL next",
  "LOAD i",
  "CALL step k",
  "STORE i",
  "JMP loop",
  "LABEL done",
  "RET",
  "LABEL step",
  "LOAD k",
  "PUSH_INT 1",
  "ADD",
  "RET",
];

Deno.test("a compiled loop is preempted at exactly the interpreter's instruction, budgets 1..40", async () => {
  const src = counters(7);
  for (let reductions = 1; reductions <= 40; reductions++) {
    await assertSameAsInterpreter(src, "eager", { reductions });
  }
  for (const reductions of [97, 250, 1000]) {
    await assertSameAsInterpreter(src, "eager", { reductions });
  }
});

Deno.test("with --jit=on the hot loop compiles mid-run and interleaving stays the interpreter's", async () => {
  const src = counters(3);
  for (const reductions of [1, 2, 5, 11, 64, 1000]) {
    const run = await assertSameAsInterpreter(src, "on", { reductions });
    assert.ok(run.jit!.units > 0, `nothing compiled with reductions ${reductions}`);
  }
});

/** Counts to 100,000 in one loop of 9 instructions (blocks of 4 and 5), then prints. */
const longLoop = [
  "PUSH_INT 0",
  "STORE i",
  "LABEL loop",
  "LOAD i",
  "PUSH_INT 100000",
  "LT",
  "JZ done",
  "LOAD i",
  "PUSH_INT 1",
  "ADD",
  "STORE i",
  "JMP loop",
  "LABEL done",
  "LOAD i",
  "PRINT",
];

Deno.test("a long compiled loop really is preempted: many slices, most reductions compiled", async () => {
  for (const reductions of [3, 20, 1000]) {
    const run = await assertSameAsInterpreter(longLoop, "on", { reductions });
    assert.equal(run.stdout, "100000\n");
    // 900,000 instructions: a slice per `reductions` of them.
    assert.ok(run.slices >= Math.floor(900_000 / reductions), `${run.slices} slices`);
    // Even a budget smaller than a block (4 and 5 instructions here) runs compiled: the
    // unit's stepping companion runs the instructions up to each preemption and from it.
    const share = run.jit!.compiledReductions / run.reductions;
    assert.ok(share > 0.99, `${reductions}: compiled share ${share}`);
  }
});

/** Run the long loop above with the tier on, recording the most reductions any slice used. */
async function longLoopRun(reductions: number, exact: boolean) {
  let mostUsed = 0;
  const run = await runWith(longLoop, "on", { reductions }, (vm) => {
    vm.jit!.exactPreemption = exact;
    const interp = vm.interp;
    const run = interp.run.bind(interp);
    interp.run = (pcb: number, budget: number) => {
      const before = interp.reductions;
      const r = run(pcb, budget);
      mostUsed = Math.max(mostUsed, interp.reductions - before);
      return r;
    };
  });
  return { run, mostUsed };
}

Deno.test("where preemption need not be exact (SMP workers), slices end at block starts and stay compiled", async () => {
  for (const reductions of [20, 97, 1000]) {
    const exact = await longLoopRun(reductions, true);
    const loose = await longLoopRun(reductions, false);
    for (const { run, mostUsed } of [exact, loose]) {
      assert.equal(run.stdout, "100000\n");
      assert.ok(mostUsed <= reductions, `a slice used ${mostUsed} of ${reductions} reductions`);
    }
    // Loose: after warm-up (64 interpreted arrivals) no slice calls the interpreter's loop.
    // Exact: neither — the unit's stepping companion runs the rest of each slice's budget,
    // and the next slice from there, in compiled code.
    const calls = (r: typeof exact) => r.run.vm.interp.interpretCalls;
    assert.ok(calls(exact) < 80, `exact: ${calls(exact)} of ${exact.run.slices}`);
    assert.ok(calls(loose) < 80, `loose: ${calls(loose)} interpreter calls`);
    assert.equal(exact.run.jit!.steppers, 1);
    // (Loose compiles one only if a slice enters compiled code with less budget than a block.)
    assert.ok(loose.run.jit!.steppers <= 1);
    // Slices end a little short of the budget, never beyond it; the work is the same.
    assert.equal(loose.run.reductions, exact.run.reductions);
    assert.ok(loose.run.slices >= exact.run.slices);
  }
});

Deno.test("by default slices end at block starts: the interpreter's work, the same interleaving every run", async () => {
  const src = counters(7);
  for (const reductions of [1, 3, 7, 20, 97, 1000]) {
    const off = await runWith(src, "off", { reductions });
    const runs = [
      await runWith(src, "eager", { reductions }),
      await runWith(src, "on", { reductions }),
    ];
    for (const run of runs) {
      const label = `reductions ${reductions}`;
      assert.equal(run.exitCode, 0, label);
      assert.equal(run.reductions, off.reductions, `${label}: the work charged is the same`);
      assert.deepEqual(
        run.stdout.trim().split("\n").sort(),
        off.stdout.trim().split("\n").sort(),
        `${label}: every line printed`,
      );
      assert.ok(
        run.slices >= off.slices,
        `${label}: slices end short of the budget, never past it`,
      );
    }
    // Deterministic: a second run interleaves exactly as the first.
    assert.equal((await runWith(src, "eager", { reductions })).stdout, runs[0].stdout);
  }
  // No slice needs the stepping companion when its budget covers every block.
  const long = await longLoopRun(1000, false);
  assert.equal(long.run.jit!.steppers, 0);
  const byDefault = await runWith(longLoop, "on", { reductions: 1000 });
  assert.equal(byDefault.jit!.steppers, 0);
  assert.equal(byDefault.slices, long.run.slices);
});

Deno.test("loose preemption still makes progress when a block is longer than the whole budget", async () => {
  for (const reductions of [1, 2, 3, 4]) {
    const { run, mostUsed } = await longLoopRun(reductions, false);
    assert.equal(run.stdout, "100000\n");
    assert.ok(mostUsed <= reductions);
  }
});

Deno.test("loose preemption keeps every process running: the three counters all finish", async () => {
  const src = counters(7);
  const off = await runWith(src, "off", { reductions: 13 });
  const loose = await runWith(src, "on", { reductions: 13 }, (vm) => {
    vm.jit!.exactPreemption = false;
  });
  const lines = (s: string) => s.trim().split("\n").sort();
  assert.deepEqual(lines(loose.stdout), lines(off.stdout));
  assert.equal(loose.exitCode, 0);
});

Deno.test("a budget beyond what a unit counts in int32 is lent in parts: same slices, reductions and output", async () => {
  // Lowered so the parts are small: a unit stops where its part ends, the interpreter goes on
  // from there, and the slice still ends at exactly the interpreter's instruction.
  for (const reductions of [7, 97, 1000]) {
    await assertSameAsInterpreter(counters(7), "eager", { reductions }, (vm) => {
      vm.jit!.unitBudgetMax = 5;
    });
  }
  // A budget past 2^31 (an API caller's choice): one slice, lent in parts of UNIT_BUDGET_MAX.
  const run = await assertSameAsInterpreter(longLoop, "on", { reductions: 2 ** 40 });
  assert.equal(run.stdout, "100000\n");
  assert.equal(run.slices, 1);
});

/**
 * Five pushes fill the initial stack (8 cells, 4 kept as headroom) past the point where the
 * interpreter grows it — before the next instruction it starts, charging a reduction. `drop`
 * is a block start (JZ names it) whose block only pops: a unit that entered it after a slice
 * ended there must still grow the stack first (before the rule, one reduction went missing).
 */
const pushPastGrowth = [
  "PUSH_INT 1",
  "JZ drop",
  ...Array(5).fill("PUSH_INT 7"),
  "LABEL drop",
  ...Array(5).fill("POP"),
  'PUSH_STR "done"',
  "PRINT",
];

Deno.test("a block entered with the stack past its growth point grows it first, as interpreted", async () => {
  for (const reductions of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000]) {
    const run = await assertSameAsInterpreter(pushPastGrowth, "eager", { reductions });
    assert.equal(run.stdout, "done\n");
  }
});
