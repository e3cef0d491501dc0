/**
 * Unbounded recursion and unbounded stack growth end the process with `Stack overflow`.
 */
import assert from "node:assert/strict";
import { run } from "./helpers.ts";

Deno.test("unbounded recursion ends with Stack overflow", async () => {
  const r = await run(["PUSH_INT 1", "CALL f n", "LABEL f", "LOAD n", "CALL f n"]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr, "Error: Stack overflow\n    at test.ttvm:5\n");
});

Deno.test("unbounded operand-stack growth ends with Stack overflow", async () => {
  const r = await run(["LABEL top", "PUSH_INT 1", "JMP top"], {
    limits: { maxStackCells: 1 << 12 },
  });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /^Error: Stack overflow\n {4}at test\.ttvm:[12]\n$/);
});
