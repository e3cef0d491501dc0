/** Every operand kind, assembled from source and checked word by word. */
import { strict as assert } from "node:assert";
import { asm, diagnosticsOf, opcode, summaries, words } from "./helpers.ts";

Deno.test("i64 operands fitting i32 are inline; larger ones go to Program.ints", () => {
  const p = asm([
    "PUSH_INT 2147483647",
    "PUSH_INT -2147483648",
    "PUSH_INT 2147483648",
    "PUSH_INT 9223372036854775807",
    "PUSH_INT -9223372036854775808",
    "PUSH_INT 2147483648",
  ].join("\n"));
  const op = opcode("PUSH_INT");
  assert.deepEqual(words(p, 0), [op, 2147483647, 0, 0]);
  assert.deepEqual(words(p, 1), [op, -2147483648, 0, 0]);
  assert.deepEqual(words(p, 2), [op, 0, 1, 0]);
  assert.deepEqual(words(p, 3), [op, 1, 1, 0]);
  assert.deepEqual(words(p, 4), [op, 2, 1, 0]);
  assert.deepEqual(words(p, 5), [op, 0, 1, 0], "deduplicated");
  assert.deepEqual(p.ints, [2n ** 31n, 2n ** 63n - 1n, -(2n ** 63n)]);
});

Deno.test("f64 operands are pooled and deduplicated by Object.is", () => {
  const p = asm(
    ["PUSH_FLOAT 1.5", "PUSH_FLOAT -0.0", "PUSH_FLOAT 0", "PUSH_FLOAT nan", "PUSH_FLOAT NaN"]
      .concat(["PUSH_FLOAT -inf", "PUSH_FLOAT 1.50", "PUSH_FLOAT .5", "PUSH_FLOAT 5."]).join("\n"),
  );
  assert.equal(p.floats.length, 7);
  assert.deepEqual(p.floats.slice(0, 3), [1.5, -0, 0]);
  assert.ok(Object.is(p.floats[1], -0));
  assert.ok(Number.isNaN(p.floats[3]));
  assert.deepEqual(p.floats.slice(4), [-Infinity, 0.5, 5]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((pc) => words(p, pc)[1]), [
    0,
    1,
    2,
    3,
    3,
    4,
    0,
    5,
    6,
  ]);
});

Deno.test("str operands: quoted with escapes, ';' kept inside quotes, or the raw rest of the line", () => {
  const p = asm([
    String.raw`PUSH_STR "a;b\n\t\"q\"\\"`,
    "PUSH_STR hello world   ; comment",
    'PUSH_STR ""',
    'PUSH_STR say "hi; there" now',
    'PUSH_STR  "  spaced  "',
  ].join("\n"));
  assert.deepEqual(p.strings, [
    'a;b\n\t"q"\\',
    "hello world",
    "",
    'say "hi; there" now',
    "  spaced  ",
  ]);
  assert.deepEqual([0, 1, 2, 3, 4].map((pc) => words(p, pc)[1]), [0, 1, 2, 3, 4]);
});

Deno.test("name operands may be bare or quoted and name the same string", () => {
  const p = asm('PUSH_INT 1\nSTORE "x"\nLOAD x\nSET_FIELD "two words"\nGET_FIELD "tab\\t"');
  assert.deepEqual(p.strings, ["x", "two words", "tab\t"]);
  assert.equal(words(p, 1)[1], words(p, 2)[1]);
});

Deno.test("bool operands are true/false only", () => {
  const p = asm("PUSH_BOOL true\nPUSH_BOOL false");
  assert.deepEqual([words(p, 0)[1], words(p, 1)[1]], [1, 0]);
  assert.deepEqual(summaries(diagnosticsOf(() => asm("PUSH_BOOL yes"))), [
    "t.ttvm:1:11: invalid boolean: yes",
  ]);
});

Deno.test("count operands are unsigned decimals up to 2147483647", () => {
  assert.deepEqual(words(asm("MAKE_LIST 2147483647"), 0), [opcode("MAKE_LIST"), 2147483647, 0, 0]);
  assert.deepEqual(summaries(diagnosticsOf(() => asm("MAKE_LIST -1\nMAKE_LIST 2147483648"))), [
    "t.ttvm:1:11: invalid count: -1",
    "t.ttvm:2:11: count out of range (0..2147483647): 2147483648",
  ]);
});

Deno.test("pid operands are optional: absent is 0", () => {
  const p = asm("SEND\nSEND 0\nLINK 7\nMONITOR\nUNLINK 3");
  assert.deepEqual([0, 1, 2, 3, 4].map((pc) => words(p, pc)[1]), [0, 0, 7, 0, 3]);
  assert.deepEqual(summaries(diagnosticsOf(() => asm("LINK abc"))), [
    "t.ttvm:1:6: invalid PID: abc",
  ]);
});

Deno.test("absent optional operands are -1; present ones are encoded in order", () => {
  const p = asm([
    "START_SUPERVISOR",
    "START_SUPERVISOR one_for_all",
    "START_SUPERVISOR rest_for_one 5 30",
    "SUPERVISE_CHILD worker",
    "SUPERVISE_CHILD worker loop transient",
  ].join("\n"));
  const s = (name: string) => p.strings.indexOf(name);
  assert.deepEqual(words(p, 0).slice(1), [-1, -1, -1]);
  assert.deepEqual(words(p, 1).slice(1), [s("one_for_all"), -1, -1]);
  assert.deepEqual(words(p, 2).slice(1), [s("rest_for_one"), 5, 30]);
  assert.deepEqual(words(p, 3).slice(1), [s("worker"), -1, -1]);
  assert.deepEqual(words(p, 4).slice(1), [s("worker"), s("loop"), s("transient")]);
});

Deno.test("func operands hold the target pc and a deduplicated parameter list", () => {
  const p = asm([
    "CALL f a b",
    'MAKE_FUNCTION f "a" b',
    "MAKE_LAMBDA 4",
    "CALL f b a",
    "LABEL f",
    "RET",
  ].join("\n"));
  assert.deepEqual(words(p, 0), [opcode("CALL"), 4, 0, 0]);
  assert.deepEqual(words(p, 1), [opcode("MAKE_FUNCTION"), 4, 0, 0]);
  assert.deepEqual(words(p, 2), [opcode("MAKE_LAMBDA"), 4, 1, 0]);
  assert.deepEqual(words(p, 3), [opcode("CALL"), 4, 2, 0]);
  assert.deepEqual(p.strings, ["a", "b"]);
  assert.deepEqual(p.paramLists, [[0, 1], [], [1, 0]]);
});

Deno.test("SEND_NAMED is accepted as an alias of SENDNAMED", () => {
  const p = asm("SEND_NAMED logger\nSENDNAMED logger");
  assert.deepEqual(words(p, 0), words(p, 1));
  assert.equal(words(p, 0)[0], opcode("SENDNAMED"));
});

Deno.test("CATCH accepts and ignores one name; a second one is an error", () => {
  assert.deepEqual(words(asm("CATCH err"), 0), [opcode("CATCH"), 0, 0, 0]);
  assert.deepEqual(summaries(diagnosticsOf(() => asm("CATCH err more"))), [
    "t.ttvm:1:11: unexpected operand 'more' (CATCH takes 0 operand(s))",
  ]);
});

Deno.test("missing and extra operands are reported with the opcode's operand description", () => {
  assert.deepEqual(summaries(diagnosticsOf(() => asm("PUSH_INT\nLOAD\nJMP 0 1\nPUSH_STR"))), [
    "t.ttvm:1:1: PUSH_INT needs an operand: value (64-bit integer literal)",
    "t.ttvm:2:1: LOAD needs an operand: var (name (bare word or quoted string))",
    "t.ttvm:3:7: unexpected operand '1' (JMP takes 1 operand(s))",
    't.ttvm:4:1: PUSH_STR needs an operand: text (string literal (`"…"` with `\\n \\t \\r \\" \\\\` escapes))',
  ]);
});

Deno.test("quoted numbers are not numbers", () => {
  assert.deepEqual(summaries(diagnosticsOf(() => asm('PUSH_INT "5"\nPUSH_FLOAT "1.0"'))), [
    't.ttvm:1:10: invalid integer: "5"',
    't.ttvm:2:12: invalid float: "1.0"',
  ]);
});
