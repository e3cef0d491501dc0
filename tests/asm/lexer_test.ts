/** Unit tests for src/asm/lexer.ts. */
import { strict as assert } from "node:assert";
import { lexLine, splitSourceLines } from "../../src/asm/lexer.ts";

Deno.test("splitSourceLines drops a leading BOM and trailing CRs, numbering lines from 1", () => {
  const lines = splitSourceLines("\uFEFFHALT\r\nPRINT\n\nEND\r");
  assert.deepEqual(lines, [
    { lineNo: 1, text: "HALT" },
    { lineNo: 2, text: "PRINT" },
    { lineNo: 3, text: "" },
    { lineNo: 4, text: "END" },
  ]);
});

Deno.test("lexLine separates tokens on spaces and tabs and records their positions", () => {
  const { tokens, codeEnd } = lexLine("\tCALL  f\ta b");
  assert.deepEqual(tokens.map((t) => [t.text, t.start, t.end]), [
    ["CALL", 1, 5],
    ["f", 7, 8],
    ["a", 9, 10],
    ["b", 11, 12],
  ]);
  assert.equal(codeEnd, 12);
});

Deno.test("lexLine stops at a comment outside strings but keeps ';' inside them", () => {
  const lexed = lexLine('PUSH_STR "a;b" ; comment "x"');
  assert.deepEqual(lexed.tokens.map((t) => t.value), ["PUSH_STR", "a;b"]);
  assert.equal(lexed.codeEnd, 15);
  assert.deepEqual(lexLine("LOAD x;y").tokens.map((t) => t.text), ["LOAD", "x"]);
});

Deno.test("lexLine processes the five escapes of a quoted string", () => {
  const [, token] = lexLine(String.raw`PUSH_STR "a\nb\tc\rd\"e\\f"`).tokens;
  assert.equal(token.value, 'a\nb\tc\rd"e\\f');
  assert.equal(token.quoted, true);
  assert.deepEqual(token.problems, []);
});

Deno.test("lexLine reports an unknown escape at the backslash and goes on", () => {
  const [, token] = lexLine(String.raw`X "a\qb\é"`).tokens;
  assert.deepEqual(token.problems.map((p) => [p.message, p.start, p.end]), [
    ["unknown escape sequence '\\q'", 4, 6],
    ["unknown escape sequence '\\é'", 7, 9],
  ]);
  assert.equal(token.value, "ab");
});

Deno.test("lexLine reports an unterminated string from its quote to the end of the line", () => {
  const [, token] = lexLine('PUSH_STR "abc ; no comment').tokens;
  assert.deepEqual(token.problems, [{ start: 9, end: 26, message: "unterminated string literal" }]);
  assert.equal(token.value, "abc ; no comment");
  const [, trailingBackslash] = lexLine('X "abc\\').tokens;
  assert.equal(trailingBackslash.problems[0].message, "unterminated string literal");
});
