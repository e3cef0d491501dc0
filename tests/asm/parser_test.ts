/** Labels, targets, comments and line numbers of one module. */
import { strict as assert } from "node:assert";
import { asm, diagnosticsOf, opcode, summaries, words } from "./helpers.ts";

Deno.test("labels resolve forward and backward to the next instruction's index", () => {
  const p = asm([
    "LABEL top ; comment",
    "JMP bottom",
    "",
    "; only a comment",
    "JZ top",
    "LABEL bottom",
    "HALT",
  ].join("\n"));
  assert.deepEqual(words(p, 0), [opcode("JMP"), 2, 0, 0]);
  assert.deepEqual(words(p, 1), [opcode("JZ"), 0, 0, 0]);
  assert.deepEqual(p.labels, [
    { name: "top", pc: 0, module: 0 },
    { name: "bottom", pc: 2, module: 0 },
  ]);
});

Deno.test("a numeric target is an index even when a label has that name", () => {
  const p = asm('LABEL 0\nHALT\nLABEL 2\nJMP 2\nJMP "2"\nTRY 1');
  assert.deepEqual(words(p, 1).slice(0, 2), [opcode("JMP"), 2]);
  assert.deepEqual(words(p, 2).slice(0, 2), [opcode("JMP"), 1], "a quoted number is a label");
  assert.deepEqual(words(p, 3).slice(0, 2), [opcode("TRY"), 1], "TRY accepts numbers");
});

Deno.test("a label at the end of the file denotes the file's END", () => {
  const p = asm("JMP done\nPRINT\nLABEL done");
  assert.deepEqual(words(p, 0), [opcode("JMP"), 2, 0, 0]);
  assert.deepEqual(words(p, 2), [opcode("END"), 0, 0, 0]);
  assert.deepEqual(p.labels, [{ name: "done", pc: 2, module: 0 }]);
});

Deno.test("quoted label names may contain spaces", () => {
  const p = asm('JMP "my loop"\nLABEL "my loop"\nHALT');
  assert.deepEqual(p.labels, [{ name: "my loop", pc: 1, module: 0 }]);
  assert.equal(words(p, 0)[1], 1);
});

Deno.test("a duplicate label is an error naming the first definition", () => {
  assert.deepEqual(summaries(diagnosticsOf(() => asm("LABEL a\nHALT\n  LABEL a"))), [
    "t.ttvm:3:9: label 'a' is already defined at line 1",
  ]);
});

Deno.test("jump targets may reach the END but not beyond", () => {
  assert.equal(words(asm("JMP 2\nHALT"), 0)[1], 2);
  assert.deepEqual(summaries(diagnosticsOf(() => asm("JMP 3\nHALT"))), [
    "t.ttvm:1:5: jump target 3 is outside this file (0..2)",
  ]);
});

Deno.test("unknown labels get a suggestion only when a label is close", () => {
  const [close, far] = diagnosticsOf(() => asm("JMP lop\nCALL zzzzzz\nLABEL loop\nHALT"));
  assert.equal(close.message, "unknown label 'lop'");
  assert.equal(close.hint, "did you mean 'loop'?");
  assert.equal(far.message, "unknown label 'zzzzzz'");
  assert.equal(far.hint, undefined);
});

Deno.test("instructions record their physical line numbers; END records 0", () => {
  const p = asm("; header\n\nPUSH_INT 1\n\nPRINT\n");
  assert.deepEqual(Array.from(p.lines), [3, 5, 0]);
  assert.deepEqual(Array.from(p.files), [0, 0, 0]);
  assert.deepEqual(p.modules, [{ path: "t.ttvm", startPc: 0, endPc: 2 }]);
});

Deno.test(".line sets the recorded line of the following instructions", () => {
  const p = asm("PRINT\n.line 40\nPRINT\nPRINT\n.line 7\nPRINT");
  assert.deepEqual(Array.from(p.lines), [1, 40, 40, 7, 0]);
});

Deno.test("CRLF line endings, a BOM and tab separators are accepted", () => {
  const p = asm("\uFEFFPUSH_INT\t5\r\nPRINT\r\n");
  assert.deepEqual(words(p, 0), [opcode("PUSH_INT"), 5, 0, 0]);
  assert.deepEqual(Array.from(p.lines), [1, 2, 0]);
});

Deno.test("malformed LABEL lines, END and unknown directives are errors", () => {
  assert.deepEqual(summaries(diagnosticsOf(() => asm("LABEL\nLABEL a b\nEND\n.foo 1\n.line x"))), [
    "t.ttvm:1:1: LABEL needs a name",
    "t.ttvm:2:9: unexpected operand 'b' (LABEL takes 1 operand(s))",
    "t.ttvm:3:1: 'END' is internal to the assembler and cannot be written in source",
    "t.ttvm:4:1: unknown directive '.foo'",
    "t.ttvm:5:7: invalid line number: x",
  ]);
});

Deno.test("an erroneous line still counts as an instruction, so later addresses stay right", () => {
  // With BOGUS counted there are 2 instructions and JMP 2 targets the END; otherwise it
  // would be out of range.
  const diagnostics = diagnosticsOf(() => asm("BOGUS\nJMP 2"));
  assert.deepEqual(summaries(diagnostics), ["t.ttvm:1:1: unknown instruction 'BOGUS'"]);
});
