import { strict as assert } from "node:assert";
import { formatFloat, formatName, quoteString } from "../../src/bytecode/literals.ts";

Deno.test("floats print as the shortest round-trip text that is still a float literal", () => {
  const cases: Array<[number, string]> = [
    [1, "1.0"],
    [-0, "-0.0"],
    [0, "0.0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
    [1e300, "1e300"],
    [1e21, "1e21"],
    [1e-7, "1e-7"],
    [0.1, "0.1"],
    [-2.5, "-2.5"],
    [123456789012, "123456789012.0"],
    [5e-324, "5e-324"],
  ];
  for (const [x, text] of cases) assert.equal(formatFloat(x), text, `for ${x}`);
});

Deno.test("every printed finite float parses back to the identical number", () => {
  for (const x of [0.30000000000000004, 1 / 3, -1.7976931348623157e308, 2 ** -1074, 1e-300]) {
    assert.ok(Object.is(Number(formatFloat(x)), x));
  }
});

Deno.test("strings are quoted with exactly the five escapes", () => {
  assert.equal(quoteString('a\nb\tc\rd"e\\f'), '"a\\nb\\tc\\rd\\"e\\\\f"');
  assert.equal(quoteString("é ✓ 😀 ; x"), '"é ✓ 😀 ; x"');
  assert.equal(quoteString(""), '""');
});

Deno.test("names are bare when they are identifiers and quoted otherwise", () => {
  assert.equal(formatName("counter"), "counter");
  assert.equal(formatName("_a.b2"), "_a.b2");
  assert.equal(formatName("how much"), '"how much"');
  assert.equal(formatName("2x"), '"2x"');
  assert.equal(formatName(""), '""');
  assert.equal(formatName("ünï"), '"ünï"');
});
