/**
 * The assembler's work and output stay linear in its input: huge tokens and lines, many
 * problems, many labels, many bundle sections. Scaling is checked by ratio (time for 8n
 * against time for n, best of three, with a generous bound: a quadratic part makes it ~64×),
 * never by absolute timings; output size is checked exactly.
 */
import { strict as assert } from "node:assert";
import { AsmError, formatDiagnostic, MAX_SHOWN_DIAGNOSTICS } from "../../src/asm/mod.ts";
import {
  diagnosticAt,
  DiagnosticList,
  MAX_EXCERPT_COLUMNS,
  MAX_KEPT_DIAGNOSTICS,
  type SourceLine,
} from "../../src/asm/diagnostics.ts";
import { asm, diagnosticsOf } from "./helpers.ts";

function failure(source: string): AsmError {
  try {
    asm(source, "big.ttvm");
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  assert.fail("expected an AsmError");
}

/** Wall time of `run`, in ms. */
function timeOf(run: () => void): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

/** Asserts that input 8n costs less than 25× input n (linear: ~8×, up to ~2× more when the
 *  larger heap makes the garbage collector work harder; quadratic: ~64×). The two sizes
 *  alternate, three rounds, and the best time of each counts, so load from other processes
 *  hits both alike. */
function assertLinear(name: string, make: (n: number) => string, n: number): void {
  const assemble = (source: string) => () => {
    try {
      asm(source, "big.ttvm");
    } catch (e) {
      if (!(e instanceof AsmError)) throw e;
    }
  };
  const small = assemble(make(n)), large = assemble(make(8 * n));
  small(); // warm up the JIT
  let tSmall = Infinity, tLarge = Infinity;
  for (let round = 0; round < 3; round++) {
    tSmall = Math.min(tSmall, timeOf(small));
    tLarge = Math.min(tLarge, timeOf(large));
  }
  // An allowance of 150 ms keeps timer resolution and garbage-collector pauses (which a small
  // input may not meet at all) from deciding a fast case.
  assert.ok(
    tLarge < 25 * tSmall + 150,
    `${name}: ${tSmall.toFixed(1)} ms for n = ${n}, ${tLarge.toFixed(1)} ms for 8n`,
  );
}

Deno.test("a 10 MB unknown token fails quickly with a few hundred bytes of diagnostics", () => {
  const t0 = performance.now();
  const e = failure("A".repeat(10_000_000) + "\n");
  const elapsedMs = performance.now() - t0;
  assert.equal(e.diagnostics.length, 1);
  assert.ok(e.message.length < 400, `${e.message.length} characters`);
  const [head, excerpt, caret] = e.message.split("\n");
  assert.equal(head, `big.ttvm:1:1: unknown instruction '${"A".repeat(40)}…'`);
  assert.equal(excerpt, `  ${"A".repeat(MAX_EXCERPT_COLUMNS)}…`);
  assert.equal(caret, `  ^${"~".repeat(MAX_EXCERPT_COLUMNS - 1)}`);
  // Generous: it takes tens of milliseconds; the quadratic version took 47 s.
  assert.ok(elapsedMs < 5000, `${elapsedMs} ms`);
});

Deno.test("assembly time is linear in the input for every kind of large input", () => {
  const n = 100_000;
  assertLinear("one unknown token", (k) => "A".repeat(k), n);
  assertLinear("unknown escapes on one line", (k) => `PUSH_STR "${"\\q".repeat(k / 2)}"`, n);
  assertLinear("blanks inside a raw PUSH_STR", (k) => `PUSH_STR a${" ".repeat(k)}b`, n);
  assertLinear("a long run of digits in a float", (k) => `PUSH_FLOAT ${"1".repeat(k)}x`, n);
  assertLinear("a long integer", (k) => `PUSH_INT ${"1".repeat(k)}`, n);
  assertLinear(
    "many unknown labels among many labels",
    (k) => Array.from({ length: k / 20 }, (_, i) => `LABEL lab${i}\nJMP nol${i}`).join("\n"),
    n,
  );
  assertLinear("many bad lines", (k) => "X\n".repeat(k / 2), n);
  assertLinear(
    "many bundle sections, each importing the next",
    (k) =>
      Array.from({ length: k / 40 }, (_, i) => `.module "m${i}"\nIMPORT "m${i + 1}"`).join("\n") +
      `\n.module "m${k / 40}"\nHALT`,
    n,
  );
});

Deno.test("a long import chain in a bundle is checked for cycles without deep recursion", () => {
  const count = 30_000;
  const parts = Array.from(
    { length: count },
    (_, i) => `.module "m${i}"\n${i + 1 < count ? `IMPORT "m${i + 1}"` : "HALT"}`,
  );
  assert.equal(asm(parts.join("\n")).modules.length, count);
  // The same chain closed into a cycle: reported once, at the IMPORT that closes it.
  parts[count - 1] = `.module "m${count - 1}"\nIMPORT "m0"`;
  const [d] = diagnosticsOf(() => asm(parts.join("\n")));
  assert.equal(d.message, "Circular dependency detected: m0");
  assert.equal(d.line, 2 * count);
});

Deno.test("at most 20 diagnostics are shown, then how many more there are", () => {
  const e = failure("X\n".repeat(1500));
  const lines = e.message.split("\n");
  assert.equal(lines.filter((l) => l.startsWith("big.ttvm:")).length, MAX_SHOWN_DIAGNOSTICS);
  assert.equal(lines.at(-1), `… and ${1500 - MAX_SHOWN_DIAGNOSTICS} more`);
  // Only the first MAX_KEPT_DIAGNOSTICS are kept as objects; the rest are counted.
  assert.equal(e.diagnostics.length, MAX_KEPT_DIAGNOSTICS);
  assert.equal(e.omitted, 1500 - MAX_KEPT_DIAGNOSTICS);
  assert.deepEqual(e.diagnostics.slice(0, 3).map((d) => d.line), [1, 2, 3]);
});

Deno.test("the kept diagnostics are the first by position, ties in the order found", () => {
  const list = new DiagnosticList();
  const line = (lineNo: number): SourceLine => ({ lineNo, text: "xx" });
  // Found in reverse line order, as a later pass (labels) finds earlier lines' problems.
  for (let k = 3 * MAX_KEPT_DIAGNOSTICS; k >= 1; k--) {
    list.push(diagnosticAt("f", line(k), 0, 1, `first ${k}`));
    list.push(diagnosticAt("f", line(k), 0, 1, `second ${k}`));
  }
  const kept = list.sorted();
  assert.equal(kept.length, MAX_KEPT_DIAGNOSTICS);
  assert.equal(list.count, 6 * MAX_KEPT_DIAGNOSTICS);
  assert.deepEqual(kept.slice(0, 3).map((d) => d.message), ["first 1", "second 1", "first 2"]);
  assert.equal(kept.at(-1)?.message, `second ${MAX_KEPT_DIAGNOSTICS / 2}`);
});

Deno.test("a long line is shown as a window around the caret, with … where it was cut", () => {
  const source = `PUSH_INT 1 ${"x".repeat(5000)} extra`;
  const [d] = diagnosticsOf(() => asm(source));
  assert.equal(d.message, `unexpected operand '${"x".repeat(40)}…' (PUSH_INT takes 1 operand(s))`);
  const [, excerpt, caret] = formatDiagnostic(d).split("\n");
  assert.equal(excerpt, `  PUSH_INT 1 ${"x".repeat(MAX_EXCERPT_COLUMNS - 11)}…`);
  assert.equal(caret, `  ${" ".repeat(11)}^${"~".repeat(MAX_EXCERPT_COLUMNS - 12)}`);
  // A problem far into the line: 30 columns of context before the caret.
  const far = `PUSH_STR "${"a".repeat(3000)}\\q${"b".repeat(3000)}"`;
  const [escape] = diagnosticsOf(() => asm(far));
  assert.equal(escape.col, 3011);
  const [, farExcerpt, farCaret] = formatDiagnostic(escape).split("\n");
  assert.equal(farExcerpt, `  …${"a".repeat(30)}\\q${"b".repeat(MAX_EXCERPT_COLUMNS - 32)}…`);
  assert.equal(farCaret, `  ${" ".repeat(31)}^~`);
});

Deno.test("columns stay in code points on long lines with surrogate pairs", () => {
  const source = `PUSH_STR "${"😀".repeat(2000)}\\q"`;
  const [d] = diagnosticsOf(() => asm(source));
  assert.equal(d.col, 2011);
  const [, excerpt, caret] = formatDiagnostic(d).split("\n");
  assert.ok(excerpt.startsWith(`  …${"😀".repeat(30)}\\q"`), excerpt.slice(0, 80));
  assert.equal(caret, `  ${" ".repeat(31)}^~`);
});

Deno.test("control characters are escaped in messages and blanked in excerpts", () => {
  const [d] = diagnosticsOf(() => asm("BAD\x1b[2J x"));
  assert.equal(d.message, "unknown instruction 'BAD\\x1b[2J'");
  assert.equal(formatDiagnostic(d).split("\n")[1], "  BAD\uFFFD[2J x");
});
