/**
 * The tier's bookkeeping: units keyed by pc range and dropped by range (what hot code loading
 * will call), recompilation after a drop, policies (off / on / eager, off under --trace), and
 * the `--jit` command-line option.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { Output } from "../../src/io/output.ts";
import { fixedInput } from "../../src/io/stdin.ts";
import { arithmeticChain, HOT_THRESHOLD } from "../../src/jit/tier.ts";
import type { Program } from "../../src/isa/program.ts";
import { Vm } from "../../src/vm/vm.ts";
import type { JitMode } from "../../src/vm/runtime.ts";
import { assertSameAsInterpreter, codeViewOf, runWith } from "./helpers.ts";
import { runDenoScript } from "../run_deno.ts";

function vmFor(source: string[], jit: JitMode, trace = false): { vm: Vm; out: () => string } {
  let out = "";
  const dec = new TextDecoder();
  const vm = new Vm(assembleSource(source.join("\n") + "\n", "test.ttvm"), {
    stdout: new Output({ write: (b) => (out += dec.decode(b)) }),
    stderr: new Output({ write: () => {} }),
    stdin: fixedInput(),
    args: [],
  }, { jit, trace });
  return { vm, out: () => out };
}

// pc 0..7: main calls f twice; f (pc 8..) has a loop.
const PROGRAM = [
  "PUSH_INT 3", // 0
  "CALL f n", // 1
  "PRINT", // 2
  "PUSH_INT 4", // 3
  "CALL f n", // 4
  "PRINT", // 5
  "HALT", // 6
  "LABEL f",
  "PUSH_INT 0", // 7
  "STORE acc", // 8
  "LABEL loop",
  "LOAD n", // 9
  "JZ out", // 10
  "LOAD acc", // 11
  "LOAD n", // 12
  "ADD", // 13
  "STORE acc", // 14
  "LOAD n", // 15
  "PUSH_INT 1", // 16
  "SUB", // 17
  "STORE n", // 18
  "JMP loop", // 19
  "LABEL out",
  "LOAD acc", // 20
  "RET", // 21
];

Deno.test("units are keyed by pc range: invalidating a range drops exactly the units covering it", () => {
  const { vm } = vmFor(PROGRAM, "on");
  const jit = vm.jit!;
  const main = jit.compile(0)!;
  assert.ok(main.pcs.includes(0) && main.pcs.includes(9), "main's unit includes f (a call target)");
  const loop = jit.compile(9)!;
  assert.equal(jit.unitFor(9), loop, "a root runs its own unit");
  assert.equal(jit.unitFor(0), main);
  assert.equal(jit.unitCount, 2);
  // Only main's unit covers pc 3.
  assert.equal(jit.invalidate(3, 4), 1);
  assert.equal(jit.unitFor(0), null);
  assert.equal(jit.unitFor(9), loop);
  // Both cover the loop body.
  jit.compile(0);
  assert.equal(jit.invalidate(12, 13), 2);
  assert.equal(jit.unitCount, 0);
  assert.equal(jit.unitFor(9), null);
  assert.equal(jit.hot[9], HOT_THRESHOLD, "a dropped entry counts down from the start again");
});

Deno.test("after invalidation the program recompiles from the image and runs correctly", async () => {
  const { vm, out } = vmFor(PROGRAM, "eager");
  const jit = vm.jit!;
  jit.compile(0);
  jit.invalidate(0, vm.rt.image.nInstr);
  assert.equal(jit.unitCount, 0);
  await vm.run();
  assert.equal(out(), "6\n10\n");
  assert.ok(jit.unitCount > 0);
  assert.ok(jit.stats.compiledReductions > 0);
});

Deno.test("ensureCapacity follows an image that grew: new pcs start cold", () => {
  const { vm } = vmFor(PROGRAM, "on");
  const jit = vm.jit!;
  const n = vm.rt.image.nInstr;
  jit.hot[5] = 1;
  jit.ensureCapacity(n + 100);
  assert.equal(jit.hot.length, n + 100);
  assert.equal(jit.ic.length, n + 100);
  assert.equal(jit.hot[5], 1, "existing counters are kept");
  assert.equal(jit.hot[n + 50], HOT_THRESHOLD);
  assert.equal(jit.unitFor(n + 50), null);
});

Deno.test("policies: off compiles nothing, on compiles the hot loop only, eager compiles at once", async () => {
  const loop = [
    "PUSH_INT 0",
    "STORE i",
    "LABEL l",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    `PUSH_INT ${HOT_THRESHOLD * 3}`,
    "LT",
    "JZ d",
    "JMP l",
    "LABEL d",
  ];
  assert.equal((await runWith(loop, "off")).jit, null);
  const on = await runWith(loop, "on");
  assert.equal(on.jit!.units, 1);
  assert.ok(on.jit!.compiledReductions > 0);
  // Below the threshold nothing is hot.
  const cold = await runWith(loop.map((l) => l.replace(`${HOT_THRESHOLD * 3}`, "5")), "on");
  assert.equal(cold.jit!.units, 0);
  const eager = await runWith(loop.map((l) => l.replace(`${HOT_THRESHOLD * 3}`, "5")), "eager");
  assert.equal(eager.jit!.units, 1);
});

Deno.test("--trace runs without the tier (one instruction per slice)", () => {
  const { vm } = vmFor(["PUSH_INT 1", "PRINT"], "eager", true);
  assert.equal(vm.jit, null);
  assert.equal(vm.interp.tier, null);
});

const ROOT = new URL("../../", import.meta.url).pathname;

const cli = (args: string[]) => runDenoScript("main.ts", args);

Deno.test("CLI: --jit=off|on|eager run the program; another value is a usage error", async () => {
  for (const mode of ["off", "on", "eager"]) {
    const r = await cli([`--jit=${mode}`, "--stats", "bench/programs/fib.ttvm"]);
    assert.equal(r.stdout, "196418\n", r.stderr);
    assert.equal(r.code, 0);
    assert.equal(/compiled units/.test(r.stderr), mode !== "off", r.stderr);
  }
  const bad = await cli(["--jit=fast", "examples/hello.ttvm"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid value 'fast' for --jit: expected one of off, on, eager/);
  const help = await cli(["--help"]);
  assert.match(help.stdout, /--jit MODE +compiler tier/);
});

Deno.test("CLI: --trace with --jit=eager traces exactly what --jit=off traces", async () => {
  const path = await Deno.makeTempFile({ suffix: ".ttvm" });
  try {
    const fib = await Deno.readTextFile(ROOT + "bench/programs/fib.ttvm");
    await Deno.writeTextFile(path, fib.replace("PUSH_INT 27", "PUSH_INT 12"));
    const on = await cli(["--trace", "--jit=eager", path]);
    const off = await cli(["--trace", "--jit=off", path]);
    assert.equal(on.stdout, "144\n");
    assert.equal(on.stderr, off.stderr);
    assert.ok(on.stderr.split("\n").filter((l) => l.startsWith("[trace]")).length > 3000);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a loop cut by instructions the interpreter runs stays in compiled code, the same as interpreted", async () => {
  // SELF is not compiled: the unit runs it through the interpreter's slow path and goes on.
  const src = [
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "SELF",
    "POP",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "SELF",
    "POP",
    "LOAD i",
    "PUSH_INT 5000",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "LOAD i",
    "PRINT",
  ];
  for (const mode of ["on", "eager"] as const) {
    // Same output, reductions and preemption points as interpreted, with a small budget.
    await assertSameAsInterpreter(src, mode, { reductions: 37 });
    const run = await runWith(src, mode);
    assert.equal(run.stdout, "5000\n");
    assert.equal(run.jit!.demoted, 0);
    assert.ok(
      run.jit!.compiledReductions > run.reductions * 0.9,
      `${mode}: ${run.jit!.compiledReductions} of ${run.reductions}`,
    );
  }
});

Deno.test("policy on hands back an entry that does too little work before waiting; eager never", async () => {
  // Two processes bounce a number. The echo's compiled code, entered after its RECEIVE, runs
  // three instructions and a SEND before it waits again: entering it costs more than
  // interpreting them, so policy on gives that entry back.
  const src = [
    "SELF",
    "MAKE_FUNCTION echo parent",
    "SPAWN",
    "STORE peer",
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD peer",
    "LOAD i",
    "SEND",
    "RECEIVE",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "LOAD i",
    "PUSH_INT 3000",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "LOAD i",
    "PRINT",
    "HALT",
    "LABEL echo",
    "RECEIVE",
    "STORE n",
    "LOAD parent",
    "LOAD n",
    "SEND",
    "JMP echo",
  ];
  const on = await runWith(src, "on");
  assert.equal(on.stdout, "3000\n");
  assert.ok(on.jit!.demoted > 0, "nothing handed back");
  const eager = await runWith(src, "eager");
  assert.equal(eager.stdout, "3000\n");
  assert.equal(eager.jit!.demoted, 0);
  assert.ok(
    on.jit!.compiledReductions < eager.jit!.compiledReductions * 0.8,
    `on ${on.jit!.compiledReductions}, eager ${eager.jit!.compiledReductions}`,
  );
});

Deno.test("an entry handed back is never compiled again, though exact preemption steps through it", async () => {
  // A loop whose body the interpreter's slow path cuts (MAKE_LIST) is handed back; with a
  // budget shorter than the loop, every slice ends inside it and the stepping companion runs
  // through the loop's head. That once reset the head's count, and every later arrival there
  // compiled one more unit that could never become its entry (deep_values at --reductions 7:
  // 142,497 units, 563 MB of generated source, then out of memory).
  const src = [
    "PUSH_INT 0",
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD i",
    "PUSH_INT 3000",
    "LT",
    "JZ done",
    "MAKE_LIST 1",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "JMP loop",
    "LABEL done",
    "TO_STR",
    "STR_LEN",
    "PRINT",
    "HALT",
  ];
  for (const reductions of [7, 1000]) {
    const on = await assertSameAsInterpreter(src, "on", { reductions });
    assert.equal(on.stdout, "6001\n");
    assert.ok(on.jit!.units <= 2, `${on.jit!.units} units at --reductions ${reductions}`);
  }
});

Deno.test("an arithmetic guard that keeps failing at a pc gets it compiled wide, with the same results", async () => {
  // x * 1103515245 leaves ±2^53 every round (the 64-bit path), so the compiled MUL's guard
  // fails each time, and so would the ADD and MOD that take its 64-bit result; after
  // BAIL_LIMIT bails the unit is rebuilt with those three compiled wide (the loop counter's ADD
  // keeps its inline fast path), and nothing observable changes.
  const src = [
    "PUSH_INT 1",
    "STORE x",
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD x",
    "PUSH_INT 1103515245",
    "MUL",
    "PUSH_INT 12345",
    "ADD",
    "PUSH_INT 2147483648",
    "MOD",
    "STORE x",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "LOAD i",
    "PUSH_INT 3000",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "LOAD x",
    "PRINT",
    "HALT",
  ];
  for (const mode of ["on", "eager"] as const) {
    for (const reductions of [1000, 7]) {
      const run = await assertSameAsInterpreter(src, mode, { reductions });
      // (A budget of 7 ends most slices inside a block: the interpreter runs those.)
      if (reductions !== 1000) continue;
      assert.equal(run.jit!.widePcs, 3, `${mode}: MUL, ADD and MOD compiled wide`);
      // The ADD and MOD go on with the MUL's result: made wide with it, in one rebuild (one
      // more function for V8 to warm up), not one rebuild each.
      assert.equal(run.jit!.units, 2, `${mode}: the loop's unit and one rebuild`);
      assert.ok(run.jit!.compiledReductions > run.reductions / 2, `${mode}: mostly compiled`);
      // Wide arithmetic runs in the unit, not through the interpreter's slow path (which
      // took three calls a round, ~9,000 in all, before).
      assert.ok(run.vm.interp.slowCalls < 10, `${mode}: ${run.vm.interp.slowCalls} slow calls`);
    }
  }
});

Deno.test("the arithmetic chain of a wide pc: the instructions that go on with its result", () => {
  const program: Program = assembleSource(
    [
      "LOAD x", // 0
      "PUSH_INT 7", // 1
      "MUL", // 2  made wide
      "PUSH_INT 5", // 3
      "ADD", // 4  takes the product
      "LOAD y", // 5
      "SUB", // 6  takes the sum (y is above it)
      "DUP", // 7  not arithmetic: the chain ends
      "PUSH_INT 3",
      "MOD",
      "HALT",
    ].join("\n") + "\n",
    "chain.ttvm",
  );
  const view = codeViewOf(program);

  assert.deepEqual(arithmeticChain(view, 2), [4, 6]);
  assert.deepEqual(arithmeticChain(view, 9), []);
});
