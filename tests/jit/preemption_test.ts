/**
 * Preemption inside compiled code: processes whose hot loops run compiled are preempted after
 * exactly the budget the interpreter would give them, for every budget from 1 to 40 and a few
 * larger ones — the interleaving of their output, the reductions charged and the number of
 * slices are those of the interpreter. Covers loops that stay inside one unit, calls across
 * units and loops broken by instructions the tier does not compile.
 */
import assert from "node:assert/strict";
import { assertSameAsInterpreter } from "./helpers.ts";

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

Deno.test("a long compiled loop really is preempted: many slices, most reductions compiled", async () => {
  const src = [
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
  for (const reductions of [3, 20, 1000]) {
    const run = await assertSameAsInterpreter(src, "on", { reductions });
    assert.equal(run.stdout, "100000\n");
    // 900,000 instructions: a slice per `reductions` of them.
    assert.ok(run.slices >= Math.floor(900_000 / reductions), `${run.slices} slices`);
    // A budget smaller than a block (4 and 5 instructions here) runs it in the interpreter;
    // from a few blocks per slice on, most of the work is compiled.
    const share = run.jit!.compiledReductions / run.reductions;
    if (reductions >= 20) assert.ok(share > 0.5, `${reductions}: compiled share ${share}`);
  }
});
