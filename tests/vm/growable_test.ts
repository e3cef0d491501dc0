/**
 * Growable strings and lists (src/term/tags.ts): the spare room APPEND and CONCAT add for
 * amortised O(1) growth never makes a value fail that fits the process's heap exactly.
 */
import assert from "node:assert/strict";
import { run } from "./helpers.ts";

const doubled = (n: number) => [
  'PUSH_STR "x"',
  ...Array.from({ length: n }, () => ["DUP", "CONCAT"]).flat(),
];

Deno.test("near the heap limit, CONCAT falls back from grown to exact room instead of failing", async () => {
  // 2^18 + 2^17 + 1 characters = 49,153 cells: with half as much room again the result would
  // need more than the 65,536-cell heap allows in one allocation; exactly sized, it fits.
  const r = await run([
    ...doubled(18),
    "STORE a",
    ...doubled(17),
    "STORE b",
    "LOAD a",
    "LOAD b",
    "CONCAT",
    'PUSH_STR "x"',
    "CONCAT",
    "STORE s",
    "NULL",
    "STORE a",
    "NULL",
    "STORE b",
    "LOAD s",
    "STR_LEN",
    "PRINT",
    "LOAD s",
    'PUSH_STR "!"',
    "CONCAT",
    "STR_LEN",
    "PRINT",
  ], { limits: { maxHeapCells: 1 << 16 } });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "393217\n393218\n");
});

Deno.test("a list appended past the point where grown room would not fit still grows", async () => {
  const r = await run([
    "MAKE_LIST 0",
    "STORE l",
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD l",
    "LOAD i",
    "APPEND",
    "STORE l",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    "PUSH_INT 50000",
    "LT",
    "JZ done",
    "JMP loop",
    "LABEL done",
    "LOAD l",
    "LEN",
    "PRINT",
  ], { limits: { maxHeapCells: 1 << 16 } });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "50000\n");
});
