/**
 * Deep recursion and growing blocks under compiled code: compiled CALL/RET keep every frame in
 * the process's frame block (never on the host stack), so recursion as deep as the frame limit
 * allows works and ends with the interpreter's `Stack overflow` when it does not; the frame and
 * stack blocks grow (through the interpreter, which then hands back to compiled code) while a
 * compiled function recurses or a compiled loop pushes.
 */
import assert from "node:assert/strict";
import { assertSameAsInterpreter, runWith } from "./helpers.ts";

/** sum(n) = n + sum(n - 1), sum(0) = 0, recursing n deep. */
const sum = (n: number) => [
  `PUSH_INT ${n}`,
  "CALL sum n",
  "PRINT",
  "HALT",
  "LABEL sum",
  "LOAD n",
  "JZ base",
  "LOAD n",
  "LOAD n",
  "PUSH_INT 1",
  "SUB",
  "CALL sum n",
  "ADD",
  "RET",
  "LABEL base",
  "PUSH_INT 0",
  "RET",
];

Deno.test("recursion 200,000 deep runs compiled, frames in the frame block", async () => {
  const run = await assertSameAsInterpreter(sum(200_000), "on");
  assert.equal(run.stdout, "20000100000\n");
  assert.ok(run.jit!.compiledReductions > run.reductions * 0.9);
});

Deno.test("recursion beyond the frame limit ends in the interpreter's Stack overflow, catchable", async () => {
  const deep = sum(2_000_000);
  const run = await assertSameAsInterpreter(deep, "on");
  assert.equal(run.exitCode, 1);
  assert.match(run.stderr, /^Error: Stack overflow\n {4}at test\.ttvm:\d+\n$/);
  const caught = ["TRY h", ...deep.slice(0, 3), "LABEL h", "CATCH", "PRINT", ...deep.slice(3)];
  const run2 = await assertSameAsInterpreter(caught, "on");
  assert.match(run2.stdout, /^Exception: Stack overflow\n/);
});

Deno.test("a compiled loop that pushes 300,000 values grows the stack and goes on compiled", async () => {
  const src = [
    "PUSH_INT 0",
    "STORE i",
    "LABEL push",
    "LOAD i",
    "DUP",
    "PUSH_INT 2",
    "MUL",
    "SWAP",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    "PUSH_INT 300000",
    "LT",
    "JZ summed",
    "JMP push",
    "LABEL summed",
    "PUSH_INT 0",
    "STORE total",
    "LABEL pop",
    "LOAD total",
    "ADD",
    "STORE total",
    "LOAD i",
    "PUSH_INT 1",
    "SUB",
    "DUP",
    "STORE i",
    "JZ done",
    "JMP pop",
    "LABEL done",
    "LOAD total",
    "PRINT",
  ];
  const off = await runWith(src, "off");
  for (const reductions of [1000, 6]) {
    const run = await assertSameAsInterpreter(src, "eager", { reductions });
    assert.equal(run.stdout, "89999700000\n");
    if (reductions === 1000) assert.ok(run.jit!.compiledReductions > run.reductions * 0.9);
  }
  assert.equal(off.stdout, "89999700000\n");
});

Deno.test("mutual recursion across calls inside one unit and through a CALL_FUNCTION", async () => {
  const src = [
    "PUSH_INT 3000",
    "CALL even n",
    "PRINT",
    "MAKE_FUNCTION odd n",
    "STORE oddf",
    "PUSH_INT 2001",
    "LOAD oddf",
    "CALL_FUNCTION",
    "PRINT",
    "HALT",
    "LABEL even",
    "LOAD n",
    "JZ yes",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "CALL odd n",
    "RET",
    "LABEL yes",
    "TRUE",
    "RET",
    "LABEL odd",
    "LOAD n",
    "JZ no",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "CALL even n",
    "RET",
    "LABEL no",
    "FALSE",
    "RET",
  ];
  const run = await assertSameAsInterpreter(src, "eager", { reductions: 13 });
  assert.equal(run.stdout, "true\ntrue\n");
});
