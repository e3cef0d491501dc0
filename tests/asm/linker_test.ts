/** Layout and pool interning of the linked Program. */
import { strict as assert } from "node:assert";
import { assembleSource } from "../../src/asm/mod.ts";
import { programsEqual } from "../../src/isa/program.ts";
import { asm, memFs, opcode, words } from "./helpers.ts";

Deno.test("pools are filled in order of first use: module order, instruction order, operand order", () => {
  const fs = memFs({
    "/work/a.ttvm": 'PUSH_STR "from a"\nPUSH_INT 5000000000\nPUSH_FLOAT 2.5\nCALL 0 q',
  });
  const p = assembleSource(
    ['PUSH_STR "y"', "CALL f x y", "PUSH_FLOAT 1.0", "IMPORT a.ttvm", "LOAD x", "LABEL f"].join(
      "\n",
    ),
    "main.ttvm",
    fs,
  );
  assert.deepEqual(p.strings, ["y", "x", "from a", "q"]);
  assert.deepEqual(p.paramLists, [[1, 0], [3]]);
  assert.deepEqual(p.ints, [5000000000n]);
  assert.deepEqual(p.floats, [1, 2.5]);
});

Deno.test("assembling the same sources twice gives identical programs", () => {
  const files = {
    "/work/lib.ttvm": 'PUSH_STR "lib"\nCALL g z\nLABEL g\nRET',
    "/std/io.ttvm": "PUSH_FLOAT nan\nPUSH_INT -9223372036854775808",
  };
  const source = 'IMPORT lib.ttvm\nIMPORT std/io.ttvm\nCALL h a b\nPUSH_STR "main"\nLABEL h\nRET';
  const first = assembleSource(source, "main.ttvm", memFs(files));
  const second = assembleSource(source, "main.ttvm", memFs(files));
  assert.ok(programsEqual(first, second));
});

Deno.test("unused operand words are zero and every module ends with END", () => {
  const p = asm("PRINT\nJMP 0\nCALL 0\nHALT");
  assert.deepEqual(words(p, 0), [opcode("PRINT"), 0, 0, 0]);
  assert.deepEqual(words(p, 1), [opcode("JMP"), 0, 0, 0]);
  assert.deepEqual(words(p, 2), [opcode("CALL"), 0, 0, 0]);
  assert.deepEqual(words(p, 4), [opcode("END"), 0, 0, 0]);
  assert.deepEqual(p.paramLists, [[]]);
});

Deno.test("an empty source is a program of one END", () => {
  const p = asm("; nothing here\n");
  assert.deepEqual(Array.from(p.code), [opcode("END"), 0, 0, 0]);
  assert.deepEqual(p.modules, [{ path: "t.ttvm", startPc: 0, endPc: 0 }]);
});
