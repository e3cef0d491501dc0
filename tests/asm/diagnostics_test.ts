/** Diagnostic text: location, source line, caret, hint; and reporting all errors at once. */
import { strict as assert } from "node:assert";
import { AsmError, formatDiagnostic } from "../../src/asm/mod.ts";
import { asm, diagnosticsOf, summaries } from "./helpers.ts";

Deno.test("an unknown mnemonic is shown with its line, a caret under it and a suggestion", () => {
  const [d] = diagnosticsOf(() => asm("PUSH_INT 1\nPRINT\n  PUSH_IN 5\n", "examples/x.ttvm"));
  assert.equal(
    formatDiagnostic(d),
    [
      "examples/x.ttvm:3:3: unknown instruction 'PUSH_IN'",
      "    PUSH_IN 5",
      "    ^~~~~~~",
      "  did you mean 'PUSH_INT'?",
    ].join("\n"),
  );
});

Deno.test("a lower-case mnemonic is suggested in upper case", () => {
  const [d] = diagnosticsOf(() => asm("push_int 5"));
  assert.equal(d.message, "unknown instruction 'push_int'");
  assert.equal(d.hint, "did you mean 'PUSH_INT'?");
  assert.deepEqual([d.line, d.col, d.length], [1, 1, 8]);
});

Deno.test("a far-off mnemonic gets no suggestion and no hint line", () => {
  const [d] = diagnosticsOf(() => asm("FROBNICATE"));
  assert.equal(d.hint, undefined);
  assert.equal(
    formatDiagnostic(d),
    "t.ttvm:1:1: unknown instruction 'FROBNICATE'\n  FROBNICATE\n  ^" + "~".repeat(9),
  );
});

Deno.test("the caret keeps tabs of the source line and counts columns in code points", () => {
  const [d] = diagnosticsOf(() => asm('\tPUSH_STR "é" x'));
  assert.deepEqual([d.col, d.length], [15, 1]);
  assert.equal(formatDiagnostic(d).split("\n")[2], "  \t" + " ".repeat(13) + "^");
  const [wide] = diagnosticsOf(() => asm('PUSH_STR "😀\\q"'));
  assert.deepEqual([wide.col, wide.length], [12, 2]);
});

Deno.test("all errors of a file are reported, each at its own line and column", () => {
  const source = [
    "PUSH_INT 1",
    "PUSH_FLOT 2.0", // 2:1
    "PRINT",
    "PUSH_INT 12x", // 4:10
    "; fine",
    "JMP nowhere", // 6:5
  ].join("\n");
  const error = (() => {
    try {
      asm(source);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof AsmError);
  assert.deepEqual(summaries(error.diagnostics), [
    "t.ttvm:2:1: unknown instruction 'PUSH_FLOT'",
    "t.ttvm:4:10: invalid integer: 12x",
    "t.ttvm:6:5: unknown label 'nowhere'",
  ]);
  assert.equal(error.message, error.diagnostics.map(formatDiagnostic).join("\n"));
});

Deno.test("a diagnostic without a location formats as its message alone", () => {
  assert.equal(
    formatDiagnostic({
      file: "a.ttvm",
      line: 0,
      col: 0,
      message: "File operation failed on a.ttvm: No such file or directory (os error 2)",
      sourceLine: "",
      length: 0,
    }),
    "File operation failed on a.ttvm: No such file or directory (os error 2)",
  );
});
