/**
 * TRY/CATCH/THROW/END_TRY: runtime errors and thrown values are caught by the innermost live
 * handler; END_TRY after CATCH closes the handler that caught (so an outer TRY still works);
 * uncaught THROW is reported with its location.
 */
import assert from "node:assert/strict";
import { out, run } from "./helpers.ts";

Deno.test("canonical TRY/CATCH shapes nest correctly", async () => {
  assert.deepEqual(
    await out([
      "TRY outer",
      "  TRY inner",
      '    PUSH_STR "e1"',
      "    THROW",
      "  END_TRY",
      "  JMP after_inner",
      "  LABEL inner",
      "  CATCH",
      "  PRINT",
      "  END_TRY",
      "  LABEL after_inner",
      '  PUSH_STR "e2"',
      "  THROW",
      "END_TRY",
      "JMP end",
      "LABEL outer",
      "CATCH",
      "PRINT",
      "END_TRY",
      "LABEL end",
      'PUSH_STR "done"',
      "PRINT",
    ]),
    [
      "Exception: e1",
      "Stack trace:",
      "  at test.ttvm:4",
      "Exception: e2",
      "Stack trace:",
      "  at test.ttvm:13",
      "done",
    ],
  );
});

Deno.test("errors inside called functions unwind frames and operand stack", async () => {
  assert.deepEqual(
    await out([
      "PUSH_INT 7",
      "STORE keep",
      "TRY h",
      "PUSH_INT 1",
      "PUSH_INT 2",
      "PUSH_INT 3",
      "CALL f x",
      "END_TRY",
      "HALT",
      "LABEL h",
      "CATCH",
      "PRINT",
      "LOAD keep",
      "PRINT",
      "END_TRY",
      "HALT",
      "LABEL f",
      "PUSH_INT 1",
      "PUSH_INT 0",
      "DIV",
      "RET",
    ]),
    ["Exception: Division by zero", "Stack trace:", "  at test.ttvm:20", "7"],
  );
});

Deno.test("THROW of a non-string wraps it; rethrowing keeps the original trace", async () => {
  assert.deepEqual(
    await out([
      "TRY a",
      "PUSH_INT 42",
      "THROW",
      "LABEL a",
      "CATCH",
      "STORE e",
      "END_TRY",
      "TRY b",
      "LOAD e",
      "THROW",
      "LABEL b",
      "CATCH",
      "PRINT",
      "END_TRY",
    ]),
    ["Exception: Thrown value: Int(42)", "Stack trace:", "  at test.ttvm:3"],
  );
});

Deno.test("a caught error's trace names the same file:line as the uncaught error", async () => {
  const uncaught = await run(["NULL", "POP", "PUSH_INT 1", "PUSH_INT 0", "DIV"]);
  assert.equal(uncaught.stderr, "Error: Division by zero\n    at test.ttvm:5\n");
  const caught = await out([
    "TRY h",
    "NULL",
    "PUSH_INT 1",
    "PUSH_INT 0",
    "DIV",
    "LABEL h",
    "CATCH",
    "PRINT",
  ]);
  assert.deepEqual(caught, ["Exception: Division by zero", "Stack trace:", "  at test.ttvm:5"]);
  // A thrown Str likewise.
  const thrown = await out(["TRY h", 'PUSH_STR "boom"', "THROW", "LABEL h", "CATCH", "PRINT"]);
  assert.deepEqual(thrown, ["Exception: boom", "Stack trace:", "  at test.ttvm:3"]);
});

Deno.test("uncaught THROW reports Unhandled exception with file:line", async () => {
  const r = await run(["PUSH_INT 1", "POP", 'PUSH_STR "boom"', "THROW"]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "Error: Unhandled exception: boom\n    at test.ttvm:4\n");
});

Deno.test("a handler installed in a returned frame no longer catches", async () => {
  const r = await run([
    "CALL f",
    'PUSH_STR "late"',
    "THROW",
    "LABEL f",
    "TRY never",
    "RET",
    "LABEL never",
    "CATCH",
    'PUSH_STR "wrongly caught"',
    "PRINT",
    "HALT",
  ]);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "Error: Unhandled exception: late\n    at test.ttvm:3\n");
});
