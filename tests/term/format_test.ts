/**
 * Float and string text forms match the reference's Rust formatting (original-spec §3.3, §3.4).
 */
import assert from "node:assert/strict";
import { debugString, formatFloatDebug, formatFloatDisplay } from "../../src/term/format.ts";

Deno.test("display form never uses exponents and drops the fraction of integral floats", () => {
  const cases: Array<[number, string]> = [
    [10, "10"],
    [5.640000000000001, "5.640000000000001"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e21, "1000000000000000000000"],
    [1e-7, "0.0000001"],
    [1.5e300, "15" + "0".repeat(299)],
    [-0, "-0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "NaN"],
    [-2.5, "-2.5"],
  ];
  for (const [x, s] of cases) assert.equal(formatFloatDisplay(x), s);
});

Deno.test("debug form always shows a fraction or an exponent", () => {
  const cases: Array<[number, string]> = [
    [1, "1.0"],
    [1e15, "1000000000000000.0"],
    [0.0001, "0.0001"],
    [1e16, "1e16"],
    [1e-5, "1e-5"],
    [1e-7, "1e-7"],
    [1.5e300, "1.5e300"],
    [-0, "-0.0"],
    [Infinity, "inf"],
    [NaN, "NaN"],
    [2.5, "2.5"],
  ];
  for (const [x, s] of cases) assert.equal(formatFloatDebug(x), s);
});

Deno.test("debug strings are quoted and escaped like Rust's {:?}", () => {
  assert.equal(debugString('a"b\\c\n\t\r'), '"a\\"b\\\\c\\n\\t\\r"');
  assert.equal(debugString("é✓\u0001"), '"é✓\\u{1}"');
});
