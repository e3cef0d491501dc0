/**
 * The per-process copying collector: garbage is reclaimed, live data survives any number of
 * collections intact (also with a collection before every allocation plus heap verification),
 * and unbounded growth ends the process with `Heap limit exceeded`.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../mod.ts";
import { Output } from "../../src/io/output.ts";
import { fixedInput } from "../../src/io/stdin.ts";
import { Vm } from "../../src/vm/vm.ts";
import { run } from "./helpers.ts";
import { ENTRY_CELLS, PAGE_ENTRIES } from "../../src/proc/table.ts";
import { CELL_BYTES } from "../../src/mem/layout.ts";

// Builds a live list of 200 strings while creating lots of garbage strings and objects.
const CHURN = [
  "MAKE_LIST 0",
  "STORE keep",
  "PUSH_INT 0",
  "STORE i",
  "LABEL loop",
  "LOAD i",
  "PUSH_INT 2000",
  "LT",
  "JZ done",
  'PUSH_STR "garbage-"',
  "LOAD i",
  "TO_STR",
  "CONCAT",
  "POP",
  "MAKE_OBJECT",
  "LOAD i",
  "SET_FIELD n",
  "POP",
  "LOAD i",
  "PUSH_INT 10",
  "MOD",
  "JZ keepit",
  "JMP next",
  "LABEL keepit",
  "LOAD keep",
  'PUSH_STR "k"',
  "LOAD i",
  "TO_STR",
  "CONCAT",
  "APPEND",
  "STORE keep",
  "LABEL next",
  "LOAD i",
  "PUSH_INT 1",
  "ADD",
  "STORE i",
  "JMP loop",
  "LABEL done",
  "LOAD keep",
  "LEN",
  "PRINT",
  "LOAD keep",
  "PUSH_INT 199",
  "INDEX",
  "PRINT",
];

async function runVm(src: string, stressGc: boolean) {
  let stdout = "";
  const dec = new TextDecoder();
  const vm = new Vm(assembleSource(src, "churn.ttvm"), {
    stdout: new Output({ write: (b) => (stdout += dec.decode(b)) }),
    stderr: new Output({ write: () => {} }),
    stdin: fixedInput(),
    args: [],
  }, { stressGc });
  const before = vm.mem.stats().bytesLive;
  const result = await vm.run();
  return { stdout, result, vm, before };
}

Deno.test("live data survives collections and garbage is reclaimed", async () => {
  const { stdout, vm, before } = await runVm(CHURN.join("\n"), false);
  assert.equal(stdout, "200\nk1990\n");
  // Everything the process owned was freed at its exit: what remains beyond the image and
  // atoms is exactly the process table (directory + one page of entries).
  const processTableBytes = (PAGE_ENTRIES * ENTRY_CELLS + (1 << 16) / 4) * CELL_BYTES;
  assert.equal(vm.mem.stats().bytesLive - before, processTableBytes);
});

Deno.test("stress mode: a collection before every allocation, heap verified each time", async () => {
  const { stdout } = await runVm(CHURN.join("\n"), true);
  assert.equal(stdout, "200\nk1990\n");
});

Deno.test("unbounded heap growth ends with Heap limit exceeded, not a JS error", async () => {
  const r = await run([
    'PUSH_STR "xx"',
    "STORE s",
    "LABEL grow",
    "LOAD s",
    "LOAD s",
    "CONCAT",
    "STORE s",
    "JMP grow",
  ], { limits: { maxHeapCells: 1 << 16 } });
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr, "Error: Heap limit exceeded\n    at test.ttvm:6\n");
});

Deno.test("Heap limit exceeded ends the process even inside TRY (LANGUAGE.md §2)", async () => {
  const r = await run([
    "TRY caught",
    'PUSH_STR "xx"',
    "STORE s",
    "LABEL grow",
    "LOAD s",
    "LOAD s",
    "CONCAT",
    "STORE s",
    "JMP grow",
    "LABEL caught",
    "CATCH",
    "PRINT",
  ], { limits: { maxHeapCells: 1 << 14 } });
  assert.equal(r.exitCode, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "Error: Heap limit exceeded\n    at test.ttvm:7\n");
});
