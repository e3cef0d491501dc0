/** Unit tests for src/asm/suggest.ts. */
import { strict as assert } from "node:assert";
import { editDistance, nearest } from "../../src/asm/suggest.ts";

Deno.test("editDistance counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("PUSH_IN", "PUSH_INT"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("same", "same"), 0);
});

Deno.test("nearest suggests a close candidate, the first one on ties", () => {
  assert.equal(nearest("lop", ["start", "loop", "lap"]), "loop");
  assert.equal(nearest("PRNT", ["PRINT", "POP"]), "PRINT");
});

Deno.test("nearest offers nothing when no candidate is close", () => {
  assert.equal(nearest("FOO", ["POP", "PRINT"]), undefined);
  assert.equal(nearest("x", []), undefined);
});

Deno.test("nearest compares folded forms so case errors are found", () => {
  assert.equal(nearest("push_int", ["PUSH_STR", "PUSH_INT"], (s) => s.toUpperCase()), "PUSH_INT");
});
