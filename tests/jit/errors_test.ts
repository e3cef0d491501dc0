/**
 * Errors raised in compiled code: the compiled fast path hands the faulting instruction to the
 * interpreter, which raises exactly its error — same message, same trace,
 * same `file:line` when uncaught — and a TRY in the same or an outer frame catches it.
 */
import assert from "node:assert/strict";
import { assertSameAsInterpreter } from "./helpers.ts";

/** `fn` raises inside a compiled loop after a few rounds; the caller catches. */
function caught(body: string[]): string[] {
  return [
    "TRY handler",
    "PUSH_INT 5",
    "CALL f n",
    "PRINT",
    "END_TRY",
    "JMP after",
    "LABEL handler",
    "CATCH",
    "PRINT",
    "LABEL after",
    'PUSH_STR "after"',
    "PRINT",
    "HALT",
    "LABEL f",
    "LABEL loop",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "STORE n",
    ...body,
    "LOAD n",
    "JZ out",
    "JMP loop",
    "LABEL out",
    "LOAD n",
    "RET",
  ];
}

const CASES: Array<[string, string[], string]> = [
  [
    "Int division by zero",
    ["LOAD n", "PUSH_INT 2", "SUB", "PUSH_INT 10", "SWAP", "DIV", "POP"],
    "Division by zero",
  ],
  [
    "Int modulo by zero",
    ["PUSH_INT 10", "LOAD n", "PUSH_INT 2", "SUB", "MOD", "POP"],
    "Division by zero",
  ],
  ["Float division by zero", [
    "PUSH_FLOAT 1.0",
    "LOAD n",
    "PUSH_INT 2",
    "EQ",
    "JZ ok",
    "PUSH_FLOAT 0.0",
    "DIV_F",
    "LABEL ok",
    "POP",
  ], "DIV_F expects non-zero divisor but got zero"],
  ["type mismatch", [
    "LOAD n",
    "PUSH_INT 2",
    "EQ",
    "JZ ok",
    'PUSH_STR "x"',
    "LOAD n",
    "ADD",
    "POP",
    "LABEL ok",
  ], "ADD expects two numbers (int or float) but got"],
  [
    "undefined variable",
    ["LOAD n", "PUSH_INT 2", "EQ", "JZ ok", "LOAD nope", "POP", "LABEL ok"],
    "Undefined variable: nope",
  ],
  [
    "stack underflow",
    ["LOAD n", "PUSH_INT 2", "EQ", "JZ ok", "POP", "LABEL ok"],
    "Stack underflow during POP",
  ],
  [
    "too few call arguments",
    ["LOAD n", "PUSH_INT 2", "EQ", "JZ ok", "CALL g a b", "LABEL ok"],
    "Need 2 stack items but only 0 available",
  ],
  ["THROW in a compiled loop", [
    "LOAD n",
    "PUSH_INT 2",
    "EQ",
    "JZ ok",
    'PUSH_STR "thrown"',
    "THROW",
    "LABEL ok",
  ], "thrown"],
  // INDEX is not compiled: the unit runs it through the interpreter's slow path, which
  // raises from inside the unit.
  ["an instruction run through the slow path", [
    "LOAD n",
    "PUSH_INT 2",
    "EQ",
    "JZ ok",
    "MAKE_LIST 0",
    "PUSH_INT 3",
    "INDEX",
    "POP",
    "LABEL ok",
  ], "Index 3 out of bounds for list of length 0"],
  ["comparison of a Str", [
    "LOAD n",
    "PUSH_INT 2",
    "EQ",
    "JZ ok",
    'PUSH_STR "x"',
    "PUSH_INT 1",
    "LT",
    "POP",
    "LABEL ok",
  ], "LT expects two integers but got"],
];

for (const [name, body, message] of CASES) {
  Deno.test(`${name} in compiled code is caught by a TRY in the caller, as interpreted`, async () => {
    const src = [...caught(body), "LABEL g", "RET"];
    for (const reductions of [1000, 4]) {
      const run = await assertSameAsInterpreter(src, "eager", { reductions });
      assert.ok(run.stdout.includes(message), `${name}: ${run.stdout}`);
      assert.ok(run.stdout.endsWith("after\n"), run.stdout);
      assert.match(run.stdout, /at test\.ttvm:\d+/);
    }
  });

  Deno.test(`${name} in compiled code, uncaught: same error and file:line`, async () => {
    // Without the TRY: the process ends with the interpreter's report.
    const src = caught(body).filter((l) => !["TRY handler", "END_TRY", "CATCH"].includes(l));
    const run = await assertSameAsInterpreter([...src, "LABEL g", "RET"], "eager");
    assert.equal(run.exitCode, 1);
    assert.match(run.stderr, /^Error: .*\n {4}at test\.ttvm:\d+\n$/);
  });
}

Deno.test("TRY, END_TRY and a raising INDEX inside a compiled loop: handlers pushed and popped in the unit", async () => {
  // Every third round the INDEX raises and the handler of this round's TRY catches it; a RET
  // after the loop must see no handler left (the unit reloads the handler top after each
  // instruction it runs through the slow path).
  const src = [
    "PUSH_INT 0",
    "CALL f n",
    "PRINT",
    "HALT",
    "LABEL f",
    "PUSH_INT 0",
    "STORE caught",
    "LABEL loop",
    "TRY h",
    "LOAD n",
    "PUSH_INT 3",
    "MOD",
    "JZ skip",
    "MAKE_LIST 0",
    "LOAD n",
    "INDEX",
    "POP",
    "LABEL skip",
    "END_TRY",
    "JMP next",
    "LABEL h",
    "CATCH",
    "POP",
    "LOAD caught",
    "PUSH_INT 1",
    "ADD",
    "STORE caught",
    "LABEL next",
    "LOAD n",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE n",
    "PUSH_INT 3000",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "LOAD caught",
    "RET",
  ];
  for (const reductions of [1000, 7]) {
    for (const mode of ["eager", "on"] as const) {
      const run = await assertSameAsInterpreter(src, mode, { reductions });
      assert.equal(run.stdout, "2000\n");
    }
  }
});

Deno.test("an Int overflow in a compiled ADD goes on exactly in 64 bits (the interpreter's path)", async () => {
  const src = [
    "PUSH_INT 9007199254740980",
    "STORE x",
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD x",
    "PUSH_INT 7",
    "ADD",
    "STORE x",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    "PUSH_INT 5",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "LOAD x",
    "PRINT",
    "PUSH_INT 9223372036854775807",
    "PUSH_INT 1",
    "ADD",
    "PRINT",
  ];
  const run = await assertSameAsInterpreter(src, "eager");
  assert.equal(run.stdout, "9007199254741015\n-9223372036854775808\n");
});

Deno.test("a function with a TRY of its own returns through the interpreter's handler cleanup", async () => {
  const src = [
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD i",
    "CALL guarded k",
    "PRINT",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    "PUSH_INT 4",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "HALT",
    "LABEL guarded",
    "TRY h",
    "PUSH_INT 10",
    "LOAD k",
    "PUSH_INT 2",
    "MOD",
    "DIV",
    "RET", // returns with the handler still installed: RET drops it
    "LABEL h",
    "CATCH",
    "POP",
    'PUSH_STR "odd"',
    "END_TRY",
    "RET",
  ];
  const run = await assertSameAsInterpreter(src, "eager");
  assert.equal(run.stdout, "odd\n10\nodd\n10\n");
});
