/**
 * Every opcode the compiler tier compiles, against the interpreter: each one applied to every
 * kind of operand (Ints at the ±2^53 boundary, 64-bit Ints, Floats with -0 and NaN, Bools,
 * Null, Strs, Lists, Functions), with the operands coming from constants, from variables and
 * from the stack left by an earlier block (the three ways the code generator sees a value).
 * Results and errors (caught by TRY, printed with their message and instruction) must be the
 * same with the tier off and eager. A second test proves the fast paths really run compiled.
 */
import assert from "node:assert/strict";
import { COMPILED_OPCODES } from "../../src/jit/compiled_ops.ts";
import { assertSameAsInterpreter, runWith } from "./helpers.ts";

const VALUES = [
  "PUSH_INT 0",
  "PUSH_INT 7",
  "PUSH_INT -3",
  "PUSH_INT 9007199254740991",
  "PUSH_INT -9007199254740991",
  "PUSH_INT 9223372036854775807",
  "PUSH_INT -9223372036854775808",
  "PUSH_FLOAT 2.5",
  "PUSH_FLOAT -0.0",
  "PUSH_FLOAT 0.0",
  "PUSH_FLOAT nan",
  "PUSH_FLOAT inf",
  "TRUE",
  "FALSE",
  "NULL",
  'PUSH_STR "s"',
  'PUSH_STR "u"',
  'PUSH_STR ""\nPUSH_STR "s"\nCONCAT', // "s" again, built at run time (not an atom)
  "PUSH_INT 1\nPUSH_INT 2\nMAKE_LIST 2",
  'PUSH_STR "t"\nPUSH_FLOAT 0.5\nMAKE_TUPLE 2',
  "MAKE_FUNCTION f",
];

const UNARY = ["NEG", "NOT", "DUP", "POP"];
const BINARY = [
  "ADD",
  "SUB",
  "MUL",
  "DIV",
  "MOD",
  "ADD_F",
  "SUB_F",
  "MUL_F",
  "DIV_F",
  "EQ",
  "NE",
  "GT",
  "LT",
  "GE",
  "LE",
  "EQ_F",
  "NE_F",
  "GT_F",
  "LT_F",
  "GE_F",
  "LE_F",
  "AND",
  "OR",
  "SWAP",
  "OVER",
  "INDEX",
];

/** The arithmetic the tier may compile wide (tier.ts `noteBail`, codegen.ts `wide`). */
const WIDE = ["ADD", "SUB", "MUL", "DIV", "MOD", "NEG"];

/** One TRY-protected section applying `op` to `operands`, delivered in `how`. */
function section(op: string, operands: string[], how: "const" | "var" | "slot", k: number) {
  const lines = [`TRY h${k}`];
  if (how === "const") lines.push(...operands);
  else if (how === "var") {
    operands.forEach((v, i) => lines.push(v, `STORE v${i}`));
    operands.forEach((_, i) => lines.push(`LOAD v${i}`));
  } else lines.push(...operands, `JMP b${k}`, `LABEL b${k}`); // a block boundary
  lines.push(op);
  // Print whatever the op left (DUMP of the stack depth would need more opcodes): up to three.
  const left = op === "POP" ? 0 : op === "DUP" || op === "SWAP" ? 2 : op === "OVER" ? 3 : 1;
  for (let i = 0; i < left; i++) lines.push("PRINT");
  lines.push("END_TRY", `JMP n${k}`, `LABEL h${k}`, "CATCH", "PRINT", `LABEL n${k}`);
  return lines;
}

function programFor(op: string, how: "const" | "var" | "slot"): string[] {
  const lines: string[] = [];
  let k = 0;
  if (UNARY.includes(op)) {
    for (const a of VALUES) lines.push(...section(op, [a], how, k++));
  } else {
    for (const a of VALUES) for (const b of VALUES) lines.push(...section(op, [a, b], how, k++));
  }
  lines.push("HALT", "LABEL f", "RET");
  return lines;
}

for (const op of [...UNARY, ...BINARY]) {
  Deno.test(`${op}: every operand kind gives the interpreter's result or error`, async () => {
    for (const how of ["const", "var", "slot"] as const) {
      const src = programFor(op, how);
      for (const reductions of [1000, 7]) {
        await assertSameAsInterpreter(src, "eager", { reductions });
        if (WIDE.includes(op)) {
          await assertSameAsInterpreter(src, "eager", { reductions }, (vm) => {
            vm.jit!.compileAllWide();
          });
        }
      }
    }
  });
}

Deno.test("constants, variables and control flow: PUSH_*, LOAD, STORE, JMP, JZ, CALL, RET, CATCH", async () => {
  const src = [
    "PUSH_INT 5",
    "STORE n",
    "PUSH_BOOL false",
    "STORE flag",
    "LABEL loop",
    "LOAD n",
    "JZ out",
    "LOAD n",
    "PUSH_FLOAT 1.5",
    'PUSH_STR "x"',
    "NULL",
    "TRUE",
    "FALSE",
    "MAKE_FUNCTION g a",
    "PRINT",
    "PRINT",
    "PRINT",
    "PRINT",
    "PRINT",
    "PRINT",
    "CALL g a",
    "PRINT",
    "LOAD flag",
    "JZ skip",
    'PUSH_STR "flag set"',
    "PRINT",
    "LABEL skip",
    "LOAD flag",
    "NOT",
    "STORE flag",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "STORE n",
    "JMP loop",
    "LABEL out",
    "TRY h",
    "LOAD missing",
    "END_TRY",
    "LABEL h",
    "CATCH",
    "PRINT",
    "HALT",
    "LABEL g",
    "LOAD a",
    "LOAD a",
    "MUL",
    "STORE sq",
    "LOAD sq",
    "RET",
  ];
  for (const reductions of [1, 2, 3, 4, 5, 9, 1000]) {
    await assertSameAsInterpreter(src, "eager", { reductions });
    await assertSameAsInterpreter(src, "on", { reductions });
  }
});

Deno.test("the fast paths run compiled: an Int and Float loop charges ≥ 95% in compiled code", async () => {
  const src = [
    "PUSH_INT 0",
    "STORE i",
    "PUSH_FLOAT 0.0",
    "STORE x",
    "LABEL loop",
    "LOAD i",
    "PUSH_INT 20000",
    "LT",
    "JZ done",
    "LOAD x",
    "PUSH_FLOAT 0.5",
    "ADD",
    "PUSH_FLOAT 2.0",
    "MUL_F",
    "PUSH_FLOAT 2.0",
    "DIV_F",
    "NEG",
    "NEG",
    "STORE x",
    "LOAD i",
    "PUSH_INT 3",
    "MOD",
    "PUSH_INT 7",
    "DIV",
    "DUP",
    "POP",
    "PUSH_INT 1",
    "SWAP",
    "OVER",
    "GE",
    "NOT",
    "TRUE",
    "AND",
    "FALSE",
    "OR",
    "NOT",
    "POP",
    "POP",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "JMP loop",
    "LABEL done",
    "LOAD x",
    "PRINT",
    "LOAD i",
    "PRINT",
  ];
  const run = await assertSameAsInterpreter(src, "on");
  assert.equal(run.stderr, "");
  assert.equal(run.stdout, "10000\n20000\n");
  const share = run.jit!.compiledReductions / run.reductions;
  assert.ok(share > 0.95, `only ${(share * 100).toFixed(1)}% of reductions in compiled code`);
});

Deno.test("SEND: every value to self, to a dead PID, to a literal PID; every bad target raises as interpreted", async () => {
  // Each value goes to self from a constant, a variable and a stack slot (so the direct
  // call sees operands written out from every kind of virtual entry), then comes back in
  // order; targets that are no PID raise, caught, with the interpreter's text and pc; a
  // PID no process ever had, and a 64-bit Int, take a message silently.
  const lines = ["SELF", "STORE me"];
  let k = 0;
  for (const v of VALUES) {
    lines.push("LOAD me", v, "SEND");
    lines.push(v, "STORE v", "LOAD me", "LOAD v", "SEND");
    lines.push("LOAD me", v, `JMP s${k}`, `LABEL s${k}`, "SEND");
    k++;
  }
  lines.push("PUSH_INT 1", "PUSH_INT 77", "SEND"); // PID 1 is main itself
  lines.push("PUSH_INT 78", "SEND 1"); // the literal form
  for (let i = 0; i < 3 * VALUES.length + 2; i++) lines.push("RECEIVE", "PRINT");
  for (const target of VALUES.filter((v) => !/^PUSH_INT -?\d+$/.test(v))) {
    lines.push(`TRY h${k}`, target, "PUSH_INT 1", "SEND", "END_TRY", `JMP n${k}`);
    lines.push(`LABEL h${k}`, "CATCH", "PRINT", `LABEL n${k}`);
    k++;
  }
  lines.push("PUSH_INT 999999", "PUSH_INT 1", "SEND");
  lines.push("PUSH_INT 9223372036854775807", "PUSH_INT 1", "SEND");
  lines.push("PUSH_INT -3", "PUSH_INT 1", "SEND");
  lines.push('PUSH_STR "done"', "PRINT", "HALT", "LABEL f", "RET");
  for (const reductions of [1000, 7]) {
    const run = await assertSameAsInterpreter(lines, "eager", { reductions });
    assert.match(run.stdout, /^0\n0\n0\n7\n7\n7\n/);
    assert.match(run.stdout, /77\n78\n[^]*done\n$/);
  }
});

Deno.test("every opcode the tier compiles is covered by these tests", () => {
  const covered = new Set([
    ...UNARY,
    ...BINARY,
    ...["PUSH_INT", "PUSH_STR", "TRUE", "FALSE", "NULL", "PUSH_FLOAT", "PUSH_BOOL"],
    ...["LOAD", "STORE", "MAKE_FUNCTION", "CATCH", "JMP", "JZ", "CALL", "RET", "SEND"],
  ]);
  assert.deepEqual(COMPILED_OPCODES.filter((op) => !covered.has(op)), []);
});

Deno.test("a program that only uses opcodes the tier does not compile runs in the interpreter", async () => {
  const run = await runWith(["MAKE_OBJECT", "KEYS", "PRINT"], "eager");
  assert.equal(run.stdout, "[]\n");
  assert.equal(run.jit!.compiledReductions, 0);
});

Deno.test("a process woken at a RECEIVE inside a block resumes in compiled code, not the interpreter", async () => {
  // The ponger's loop label is one instruction before its RECEIVE, so the RECEIVE is not a
  // branch target: it must still be a unit entry, or every wake-up interprets the loop's rest.
  const src = [
    "SELF",
    "MAKE_FUNCTION ponger parent",
    "SPAWN",
    "STORE pong",
    "PUSH_INT 0",
    "STORE i",
    "LABEL ping",
    "LOAD pong",
    "LOAD i",
    "SEND",
    "RECEIVE",
    "DUP",
    "STORE i",
    "PUSH_INT 3000",
    "GE",
    "JZ ping",
    "LOAD i",
    "PRINT",
    "HALT",
    "LABEL ponger",
    "LOAD parent",
    "RECEIVE",
    // enough work per wake-up for the tier to keep the entry (tier.ts DEMOTE_MIN)
    ...Array.from({ length: 12 }, () => ["PUSH_INT 3", "ADD", "PUSH_INT 3", "SUB"]).flat(),
    "PUSH_INT 1",
    "ADD",
    "SEND",
    "JMP ponger",
  ];
  const run = await assertSameAsInterpreter(src, "on");
  assert.equal(run.stdout, "3000\n");
  // pcs: labels take none
  const pcOf = (k: number) => src.slice(0, k).filter((l) => !l.startsWith("LABEL")).length;
  const ponger = pcOf(src.indexOf("LABEL ponger")), receive = ponger + 1;
  const unit = run.vm.jit!.compile(ponger)!;
  assert.ok(unit.leaders.includes(receive), `entries ${unit.leaders} lack RECEIVE at ${receive}`);
  // Were the RECEIVE no entry, each of the ponger's 3,000 wake-ups would run it in the
  // interpreter (measured: 3,065 slow-path calls in all, main's RECEIVEs); as an entry, the
  // unit runs it, as it runs main's: through the slow path, or by a direct call when the
  // message is already in the mailbox (SEND is always a direct call).
  const inUnits = run.vm.interp.slowCalls + run.jit!.directReceives;
  assert.ok(inUnits >= 2 * 3000, `${inUnits} receives and other slow instructions in units`);
});

Deno.test("a loop that compares atom strings (a DOWN's reason) stays compiled", async () => {
  // 300 monitored children exit; the parent checks each DOWN's reason against "normal". EQ of
  // two atom strings is compiled, so the receive loop does not bail at it and is not handed
  // back to the interpreter.
  const src = [
    "MAKE_FUNCTION child",
    "STORE child",
    "PUSH_INT 300",
    "STORE k",
    "LABEL spawn",
    "LOAD child",
    "SPAWN_MONITOR",
    "POP",
    "POP",
    "LOAD k",
    "PUSH_INT 1",
    "SUB",
    "DUP",
    "STORE k",
    "JZ collect",
    "JMP spawn",
    "LABEL collect",
    "PUSH_INT 0",
    "STORE normal",
    "PUSH_INT 300",
    "STORE k",
    "LABEL down",
    "RECEIVE",
    "GET_FIELD reason",
    'PUSH_STR "normal"',
    "EQ",
    "LOAD normal",
    "ADD",
    "STORE normal",
    "LOAD k",
    "PUSH_INT 1",
    "SUB",
    "DUP",
    "STORE k",
    "JZ done",
    "JMP down",
    "LABEL done",
    "LOAD normal",
    "PRINT",
    "HALT",
    "LABEL child",
    "HALT",
  ];
  const run = await assertSameAsInterpreter(src, "on");
  assert.equal(run.stdout, "300\n");
  assert.equal(run.jit!.demoted, 0);
  assert.ok(run.jit!.compiledReductions > run.reductions / 2, `${run.jit!.compiledReductions}`);
});
