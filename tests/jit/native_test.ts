/**
 * Native calls (src/jit/native.ts): which functions compile to JavaScript functions called
 * with JavaScript calls, and that a native chain behaves exactly as the interpreter does —
 * preempted at the same instruction for every budget, leaving its frames and stack as the
 * interpreter would hold them, handing an Int overflow, a PID argument, a pushed handler and
 * full frame or stack blocks to the interpreter's own paths.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { generateUnit } from "../../src/jit/codegen.ts";
import { flowOf } from "../../src/jit/compiled_ops.ts";
import { NativeSet } from "../../src/jit/native.ts";
import { discoverRegion } from "../../src/jit/region.ts";
import { assertSameAsInterpreter, codeViewOf } from "./helpers.ts";

/** fib in P processes, each printing its result; the order of the lines shows where slices
 *  ended. */
const parfib = (procs: number, n: number) => [
  "PUSH_INT 0",
  "STORE i",
  "LABEL spawn",
  "LOAD i",
  `PUSH_INT ${procs}`,
  "LT",
  "JZ done",
  "LOAD i",
  "MAKE_FUNCTION worker k",
  "SPAWN",
  "POP",
  "LOAD i",
  "PUSH_INT 1",
  "ADD",
  "STORE i",
  "JMP spawn",
  "LABEL done",
  "HALT",
  "LABEL worker",
  `PUSH_INT ${n}`,
  "LOAD k",
  "ADD",
  "CALL fib n",
  "LOAD k",
  "TO_STR",
  'PUSH_STR ": "',
  "CONCAT",
  "SWAP",
  "TO_STR",
  "CONCAT",
  "PRINT",
  "RET",
  ...fib,
];

const fib = [
  "LABEL fib",
  "LOAD n",
  "PUSH_INT 2",
  "LT",
  "JZ recurse",
  "LOAD n",
  "RET",
  "LABEL recurse",
  "LOAD n",
  "PUSH_INT 1",
  "SUB",
  "CALL fib n",
  "LOAD n",
  "PUSH_INT 2",
  "SUB",
  "CALL fib n",
  "ADD",
  "RET",
];

/** The native set of a program and the pc of one of its labels. */
function analyse(lines: string[]) {
  const program = assembleSource(lines.join("\n") + "\n", "test.ttvm");
  const view = codeViewOf(program);
  const labelPc = (name: string) => program.labels.find((l) => l.name === name)!.pc;
  // Variable names are string-table indexes.
  const atom = (name: string) => program.strings.indexOf(name);
  return { view, set: new NativeSet(view), labelPc, atom };
}

Deno.test("which functions compile natively: Int-only code and calls of such code", () => {
  const { set, labelPc, atom } = analyse([
    "HALT",
    ...fib,
    "LABEL printing",
    "LOAD x",
    "PRINT",
    "PUSH_INT 0",
    "RET",
    "LABEL boolish",
    "LOAD x",
    "PUSH_INT 0",
    "LT",
    "RET",
    "LABEL caller",
    "LOAD x",
    "CALL printing x",
    "RET",
    "LABEL looping",
    "PUSH_INT 0",
    "STORE acc",
    "LABEL again",
    "LOAD x",
    "JZ out",
    "LOAD acc",
    "LOAD x",
    "ADD",
    "STORE acc",
    "LOAD x",
    "PUSH_INT 1",
    "SUB",
    "STORE x",
    "JMP again",
    "LABEL out",
    "LOAD acc",
    "RET",
    "LABEL unbalanced",
    "LOAD x",
    "JZ one",
    "PUSH_INT 1",
    "LABEL one",
    "PUSH_INT 2",
    "RET",
  ]);
  const n = Int32Array.of(atom("n")), x = Int32Array.of(atom("x"));
  const fibFn = set.get(labelPc("fib"), n);
  assert.ok(fibFn !== null, "fib compiles natively");
  assert.deepEqual(fibFn.callees, [`${labelPc("fib")}:${atom("n")}`]);
  assert.equal(fibFn.maxFrameCells, 3);
  assert.ok(set.get(labelPc("looping"), x) !== null, "a loop with a local compiles natively");
  assert.equal(set.get(labelPc("printing"), x), null, "PRINT is not native");
  assert.equal(set.get(labelPc("boolish"), x), null, "a function returning a Bool is not");
  assert.equal(set.get(labelPc("caller"), x), null, "nor one calling a function that is not");
  assert.equal(set.get(labelPc("unbalanced"), x), null, "paths must agree on the stack");
  assert.equal(set.get(labelPc("fib"), Int32Array.of(atom("n"), atom("n"))), null);
  const src = set.source();
  assert.match(src, /function nat_\d+_\d+\(/);
  // The loop is a switch on pc; fib, whose jumps all go forward, is labelled blocks.
  assert.match(src, /switch \(pc\)/);
  assert.match(src, /break b\d+;/);
});

Deno.test("a unit's CALL of a native function calls it; the unit lists its pcs for invalidation", () => {
  const lines = ["PUSH_INT 10", "CALL fib n", "PRINT", "HALT", ...fib];
  const { view, labelPc } = analyse(lines);
  const region = discoverRegion(view.code, view.nInstr, 0, (pc) => flowOf(view, pc));
  const unit = generateUnit(view, region);
  assert.equal(unit.nativeFunctions, 1);
  assert.match(unit.body, /const r = nat_\d+_\d+\(10, ftop, sp, budget\)/);
  const fibInstrs = fib.filter((l) => !l.startsWith("LABEL")).length;
  const fibPcs = Array.from({ length: fibInstrs }, (_, i) => labelPc("fib") + i);
  assert.deepEqual(unit.nativePcs, fibPcs);
  // A stepping companion never calls natively.
  const stepper = generateUnit(view, region, new Set(region.leaders));
  assert.equal(stepper.nativeFunctions, 0);
});

Deno.test("native chains are preempted at exactly the interpreter's instruction, budgets 1..40", async () => {
  const src = parfib(3, 9);
  for (let reductions = 1; reductions <= 40; reductions++) {
    await assertSameAsInterpreter(src, "eager", { reductions });
  }
  for (const reductions of [97, 250, 1000, 100_000]) {
    const run = await assertSameAsInterpreter(src, "eager", { reductions });
    assert.equal(run.stdout, "0: 34\n1: 55\n2: 89\n");
    assert.ok(run.jit!.nativeFunctions > 0);
  }
  for (const reductions of [3, 1000]) {
    await assertSameAsInterpreter(parfib(4, 14), "on", { reductions });
  }
});

Deno.test("an Int overflow inside a native chain goes on in the interpreter's 64-bit arithmetic", async () => {
  const fact = [
    "PUSH_INT 25",
    "CALL fact n",
    "PRINT",
    "PUSH_INT 20",
    "CALL fact n",
    "PRINT",
    "HALT",
    "LABEL fact",
    "LOAD n",
    "PUSH_INT 2",
    "LT",
    "JZ more",
    "PUSH_INT 1",
    "RET",
    "LABEL more",
    "LOAD n",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "CALL fact n",
    "MUL",
    "RET",
  ];
  for (const reductions of [7, 1000]) {
    const run = await assertSameAsInterpreter(fact, "eager", { reductions });
    // 25! wraps in 64 bits as interpreted; 20! fits.
    assert.equal(run.stdout, "7034535277573963776\n2432902008176640000\n");
  }
});

Deno.test("a product that keeps overflowing in a native function is compiled wide, as a unit's is", async () => {
  const program = [
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD i",
    "PUSH_INT 200",
    "LT",
    "JZ done",
    "LOAD i",
    "PUSH_INT 4000000000",
    "ADD",
    "CALL square x",
    "POP",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "JMP loop",
    "LABEL done",
    "PUSH_INT 4000000199",
    "CALL square x",
    "PRINT",
    "HALT",
    "LABEL square",
    "LOAD x",
    "LOAD x",
    "MUL",
    "RET",
  ];
  const run = await assertSameAsInterpreter(program, "on", { reductions: 1000 });
  // 4000000199² wraps in 64 bits, as interpreted.
  assert.equal(run.stdout, "-2446742481709512015\n");
  assert.ok(run.jit!.widePcs > 0, "the MUL was compiled wide");
});

Deno.test("a PID argument, a pushed handler and a raising callee leave the call to the interpreter's paths", async () => {
  const program = [
    "SELF",
    "CALL same x",
    "PRINT",
    "TRY handler",
    "PUSH_INT 12",
    "CALL same x",
    "PRINT",
    "PUSH_INT 3",
    "CALL divides x",
    "PRINT",
    "END_TRY",
    "HALT",
    "LABEL handler",
    "PRINT",
    "HALT",
    "LABEL same",
    "LOAD x",
    "PUSH_INT 0",
    "ADD",
    "LOAD x",
    "SUB",
    "LOAD x",
    "ADD",
    "RET",
    "LABEL divides",
    "LOAD x",
    "PUSH_INT 0",
    "CALL same x",
    "DIV",
    "RET",
  ];
  const run = await assertSameAsInterpreter(program, "eager", { reductions: 1000 });
  assert.match(run.stdout, /^<0\.1\.0>|^\d+\n12\n/);
  assert.match(run.stdout, /12\n/);
  assert.match(run.stdout, /Division by zero/i);
});

Deno.test("native recursion as deep as the blocks grow: frames and stack grow through the interpreter", async () => {
  const sumTo = [
    "PUSH_INT 50000",
    "CALL sum n",
    "PRINT",
    "HALT",
    "LABEL sum",
    "LOAD n",
    "JZ base",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "STORE m",
    "LOAD n",
    "LOAD m",
    "CALL sum n",
    "ADD",
    "RET",
    "LABEL base",
    "PUSH_INT 0",
    "RET",
  ];
  for (const mode of ["eager", "on"] as const) {
    for (const reductions of [1000, 1_000_000]) {
      const run = await assertSameAsInterpreter(sumTo, mode, { reductions });
      assert.equal(run.stdout, "1250025000\n");
    }
  }
});

Deno.test("a native chain stopped for stack room grows the blocks: fib(22)'s calls stay compiled", async () => {
  // A worker's stack starts at 16 cells. A native chain checks the most its callee can use,
  // where the interpreter grows a block only once an instruction needs the room: left to
  // the interpreter, each call at that depth ran interpreted (30 times here, for a 5-cell
  // shortfall). The tier grows the blocks instead, at no charge (the run is the same as the
  // interpreter's, reductions and slices included).
  const program = ["PUSH_INT 22", "CALL fib n", "PRINT", "HALT", ...fib];
  for (const mode of ["eager", "on"] as const) {
    const run = await assertSameAsInterpreter(program, mode);
    assert.equal(run.stdout, "17711\n");
    const calls = run.vm.interp.interpretCalls;
    assert.ok(calls <= 3, `jit=${mode}: the interpreter's loop was entered ${calls} times`);
  }
});
