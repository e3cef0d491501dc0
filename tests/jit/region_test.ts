/**
 * Region discovery: which instructions a unit covers. Under the tier's `on` policy only the
 * hot part of a region is kept (`keepHotPart`): the code that leads back to the root, to a RET
 * or out of the region; a loop's one-way exit path is left to the interpreter.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { flowOf } from "../../src/jit/compiled_ops.ts";
import { discoverRegion, keepHotPart, type Region } from "../../src/jit/region.ts";
import { assertSameAsInterpreter, codeViewOf } from "./helpers.ts";

/** The program's pcs by label, its code view and the full and the kept region from `root`. */
function regions(lines: string[], rootLabel: string) {
  const program = assembleSource(lines.join("\n") + "\n", "region.ttvm");
  const view = codeViewOf(program);
  const labels = new Map<string, number>();
  let pc = 0;
  for (const line of lines) {
    if (line.startsWith("LABEL ")) labels.set(line.slice(6), pc);
    else pc++;
  }
  const flow = (at: number) => flowOf(view, at);
  const root = labels.get(rootLabel)!;
  const full = discoverRegion(view.code, view.nInstr, root, flow);
  const kept: Region = keepHotPart(full, view.code, view.nInstr, flow);
  return { labels, full, kept };
}

const LOOP_THEN_REPORT = [
  "PUSH_INT 0", // 0
  "STORE i", // 1
  "LABEL loop",
  "LOAD i", // 2
  "PUSH_INT 1", // 3
  "ADD", // 4
  "DUP", // 5
  "STORE i", // 6
  "PUSH_INT 1000", // 7
  "GE", // 8
  "JZ loop", // 9
  "LOAD i", // 10  the exit: runs once
  "PUSH_INT 1000", // 11
  "EQ", // 12
  "JZ wrong", // 13
  "LOAD i", // 14
  "PRINT", // 15
  "HALT", // 16
  "LABEL wrong",
  'PUSH_STR "wrong count"', // 17
  "THROW", // 18
];

Deno.test("a loop's unit keeps the loop and leaves its one-way exit to the interpreter", () => {
  const { full, kept } = regions(LOOP_THEN_REPORT, "loop");
  assert.deepEqual(full.pcs, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  assert.deepEqual(kept.pcs, [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(kept.leaders, [2]);
});

Deno.test("a function's unit keeps its epilogue: every path that reaches RET stays", () => {
  const lines = [
    "PUSH_INT 20",
    "CALL fib n",
    "PRINT",
    "HALT",
    "LABEL fib",
    "LOAD n", // 4
    "PUSH_INT 2",
    "LT",
    "JZ recurse",
    "LOAD n",
    "RET", // 9
    "LABEL recurse",
    "LOAD n", // 10
    "PUSH_INT 1",
    "SUB",
    "CALL fib n",
    "LOAD n",
    "PUSH_INT 2",
    "SUB",
    "CALL fib n",
    "ADD",
    "RET", // 19
  ];
  const { full, kept } = regions(lines, "fib");
  assert.deepEqual(kept, full);
  assert.ok(kept.pcs.includes(9) && kept.pcs.includes(19));
});

Deno.test("a root on no loop and no path to RET keeps its whole region", () => {
  const { full, kept } = regions(LOOP_THEN_REPORT, "wrong");
  assert.deepEqual(full.pcs, [17, 18]);
  assert.deepEqual(kept, full);
});

Deno.test("nested loops: either root keeps both loops and drops the final exit", () => {
  const lines = [
    "PUSH_INT 0",
    "STORE i", // 1
    "LABEL outer",
    "PUSH_INT 0", // 2
    "STORE j",
    "LABEL inner",
    "LOAD j", // 4
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE j",
    "PUSH_INT 50",
    "GE",
    "JZ inner", // 11
    "LOAD i", // 12
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    "PUSH_INT 50",
    "GE",
    "JZ outer", // 19
    "LOAD i", // 20
    "PRINT",
    "HALT", // 22
  ];
  // The outer loop's body runs back into the inner loop: both units keep both loops, and
  // both leave the final exit (20-22) to the interpreter.
  const both = Array.from({ length: 18 }, (_, k) => k + 2);
  assert.deepEqual(regions(lines, "inner").kept.pcs, both);
  assert.deepEqual(regions(lines, "outer").kept.pcs, both);
});

Deno.test("leaving the kept part of a unit for its exit path changes nothing observable", async () => {
  for (const reductions of [1000, 7]) {
    const run = await assertSameAsInterpreter(LOOP_THEN_REPORT, "on", { reductions });
    assert.equal(run.stdout, "1000\n");
  }
});
