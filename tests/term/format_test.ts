/**
 * Text forms match the reference's Rust formatting: float Display (§3.3) and Debug (§3.4),
 * str Debug, and the Display/Debug of every HostValue kind (§3.2, §3.4).
 */
import assert from "node:assert/strict";
import {
  debugHost,
  debugString,
  displayHost,
  formatFloatDebug,
  formatFloatDisplay,
} from "../../src/term/format.ts";
import {
  hBool,
  hBytes,
  hClosure,
  hException,
  hFloat,
  hFunction,
  hInt,
  hList,
  hNull,
  hObject,
  hStr,
} from "../../src/term/host.ts";
import { Rng } from "./random_host.ts";

Deno.test("float display never uses exponents and drops the fraction of integral floats", () => {
  const cases: Array<[number, string]> = [
    [10, "10"],
    [5.640000000000001, "5.640000000000001"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e21, "1000000000000000000000"],
    [1e-7, "0.0000001"],
    [1.5e300, "15" + "0".repeat(299)],
    [-0, "-0"],
    [0, "0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "NaN"],
    [-2.5, "-2.5"],
    [123456.789, "123456.789"],
    [5e-324, "0." + "0".repeat(323) + "5"],
    [2 ** 53, "9007199254740992"],
    [1.7976931348623157e308, "17976931348623157" + "0".repeat(292)],
  ];
  for (const [x, s] of cases) assert.equal(formatFloatDisplay(x), s, String(x));
});

Deno.test("float debug shows a fraction, or an exponent outside [1e-4, 1e16)", () => {
  const cases: Array<[number, string]> = [
    [1, "1.0"],
    [1e15, "1000000000000000.0"],
    [9999999999999998, "9999999999999998.0"],
    [0.0001, "0.0001"],
    [0.00012, "0.00012"],
    [1e16, "1e16"],
    [1.25e16, "1.25e16"],
    [1e-5, "1e-5"],
    [1e-7, "1e-7"],
    [1.5e300, "1.5e300"],
    [-1.5e-300, "-1.5e-300"],
    [5e-324, "5e-324"],
    [-0, "-0.0"],
    [0, "0.0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "NaN"],
    [2.5, "2.5"],
    [-3, "-3.0"],
  ];
  for (const [x, s] of cases) assert.equal(formatFloatDebug(x), s, String(x));
});

Deno.test("float display and debug use the shortest digits that round-trip, for any bits", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 20000; i++) {
    const x = rng.anyDouble();
    const display = formatFloatDisplay(x), debug = formatFloatDebug(x);
    if (!Number.isFinite(x)) continue;
    assert.ok(!/e/.test(display), display);
    assert.equal(Number(display), x, display);
    assert.equal(Number(debug), x, debug);
    // Where JavaScript itself avoids exponents, Rust's display has the very same text.
    const abs = Math.abs(x);
    if (abs >= 1e-6 && abs < 1e21) assert.equal(display, String(x));
    if (abs >= 1e-4 && abs < 1e16) {
      assert.equal(debug, Number.isInteger(x) ? `${x}.0` : String(x));
    } else if (x !== 0) {
      assert.equal(debug, x.toExponential().replace("e+", "e"));
    }
  }
});

Deno.test("debug strings are quoted and escaped like Rust's {:?}", () => {
  assert.equal(debugString('a"b\\c\n\t\r'), '"a\\"b\\\\c\\n\\t\\r"');
  assert.equal(debugString("\0"), '"\\0"');
  assert.equal(debugString("it's"), `"it's"`);
  assert.equal(debugString("é✓😀 日本"), '"é✓😀 日本"');
  assert.equal(debugString("\u0001\u001b\u007f\u0085"), '"\\u{1}\\u{1b}\\u{7f}\\u{85}"');
  // Non-printable format/space/separator characters and combining marks are escaped too.
  assert.equal(debugString("\u00a0\u200b\u2028\ufeff"), '"\\u{a0}\\u{200b}\\u{2028}\\u{feff}"');
  assert.equal(debugString("e\u0301"), '"e\\u{301}"');
  assert.equal(debugString(""), '""');
});

Deno.test("display of every kind follows reference §3.2", () => {
  assert.equal(displayHost(hInt(-9223372036854775808n)), "-9223372036854775808");
  assert.equal(displayHost(hFloat(2)), "2");
  assert.equal(displayHost(hStr("a b")), "a b");
  assert.equal(displayHost(hBool(false)), "false");
  assert.equal(displayHost(hNull), "null");
  assert.equal(displayHost(hList([])), "[]");
  assert.equal(displayHost(hList([hInt(1), hStr("x"), hList([hFloat(0.5)])])), "[1, x, [0.5]]");
  assert.equal(displayHost(hObject([])), "{}");
  assert.equal(displayHost(hObject([["b", hInt(2)], ["a", hStr("s")]])), "{b: 2, a: s}");
  assert.equal(displayHost(hBytes([1, 2, 3])), "Bytes(3)");
  assert.equal(displayHost(hFunction(5, ["x", "y"])), "function@5 (x, y)");
  assert.equal(displayHost(hFunction(3, [])), "function@3 ()");
  assert.equal(displayHost(hClosure(9, ["b"], [["a", hInt(1)]])), "closure@9 (b) [captured: 1]");
  assert.equal(displayHost(hException("boom")), "Exception: boom");
  assert.equal(
    displayHost(hException("boom", ["at instruction 3", "at instruction 7"])),
    "Exception: boom\nStack trace:\n  at instruction 3\n  at instruction 7",
  );
});

Deno.test("debug of every kind follows reference §3.4", () => {
  assert.equal(debugHost(hInt(42)), "Int(42)");
  assert.equal(debugHost(hFloat(1)), "Float(1.0)");
  assert.equal(debugHost(hStr("a\n")), 'Str("a\\n")');
  assert.equal(debugHost(hBool(true)), "Bool(true)");
  assert.equal(debugHost(hNull), "Null");
  assert.equal(debugHost(hList([hInt(1), hStr("x")])), 'List([Int(1), Str("x")])');
  assert.equal(
    debugHost(hObject([["a", hInt(1)], ["b", hNull]])),
    'Object({"a": Int(1), "b": Null})',
  );
  assert.equal(debugHost(hObject([])), "Object({})");
  assert.equal(debugHost(hBytes([1, 2])), "Bytes([1, 2])");
  assert.equal(debugHost(hFunction(1, ["a"])), 'Function { addr: 1, params: ["a"] }');
  assert.equal(
    debugHost(hClosure(1, ["b"], [["a", hInt(1)]])),
    'Closure { addr: 1, params: ["b"], captured: {"a": Int(1)} }',
  );
  assert.equal(
    debugHost(hException("m", ["at instruction 2"])),
    'Exception { message: "m", stack_trace: ["at instruction 2"] }',
  );
});
