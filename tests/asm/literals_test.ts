/** Unit tests for src/asm/literals.ts. */
import { strict as assert } from "node:assert";
import {
  isInstructionIndex,
  parseBool,
  parseF64,
  parseI64,
  parseUnsigned,
} from "../../src/asm/literals.ts";

Deno.test("parseI64 accepts signed decimals across the whole 64-bit range", () => {
  assert.deepEqual(parseI64("9223372036854775807"), { ok: true, value: 2n ** 63n - 1n });
  assert.deepEqual(parseI64("-9223372036854775808"), { ok: true, value: -(2n ** 63n) });
  assert.deepEqual(parseI64("+42"), { ok: true, value: 42n });
  assert.deepEqual(parseI64("-0"), { ok: true, value: 0n });
  assert.deepEqual(parseI64("007"), { ok: true, value: 7n });
});

Deno.test("parseI64 rejects values outside 64 bits and non-decimal text", () => {
  assert.deepEqual(parseI64("9223372036854775808"), {
    ok: false,
    message: "integer literal out of 64-bit range: 9223372036854775808",
  });
  assert.deepEqual(parseI64("-9223372036854775809"), {
    ok: false,
    message: "integer literal out of 64-bit range: -9223372036854775809",
  });
  for (const junk of ["0x10", "1_000", "5.0", "", "-", "1e3", "12a"]) {
    assert.deepEqual(parseI64(junk), { ok: false, message: `invalid integer: ${junk}` });
  }
});

Deno.test("parseF64 follows Rust's f64 grammar including inf, infinity and nan in any case", () => {
  const value = (t: string) => {
    const r = parseF64(t);
    assert.ok(r.ok, t);
    return r.value;
  };
  assert.equal(value("5."), 5);
  assert.equal(value(".5"), 0.5);
  assert.equal(value("+3"), 3);
  assert.equal(value("1e3"), 1000);
  assert.equal(value("-2.5E-2"), -0.025);
  assert.ok(Object.is(value("-0"), -0));
  assert.ok(Object.is(value("-0.0"), -0));
  assert.equal(value("inf"), Infinity);
  assert.equal(value("-Infinity"), -Infinity);
  assert.equal(value("+INF"), Infinity);
  assert.ok(Number.isNaN(value("NaN")));
  assert.ok(Number.isNaN(value("-nan")));
  assert.equal(value("1e400"), Infinity);
});

Deno.test("parseF64 rejects text outside the grammar", () => {
  for (const junk of [".", "e3", "1e", "1.2.3", "0x1p3", "infinit", "1_0", "", "--1"]) {
    assert.deepEqual(parseF64(junk), { ok: false, message: `invalid float: ${junk}` });
  }
});

Deno.test("parseBool accepts exactly true and false", () => {
  assert.deepEqual(parseBool("true"), { ok: true, value: 1 });
  assert.deepEqual(parseBool("false"), { ok: true, value: 0 });
  assert.deepEqual(parseBool("TRUE"), { ok: false, message: "invalid boolean: TRUE" });
});

Deno.test("parseUnsigned accepts 0..2147483647 only", () => {
  assert.deepEqual(parseUnsigned("2147483647", "count"), { ok: true, value: 2147483647 });
  assert.deepEqual(parseUnsigned("2147483648", "count"), {
    ok: false,
    message: "count out of range (0..2147483647): 2147483648",
  });
  assert.deepEqual(parseUnsigned("-1", "PID"), { ok: false, message: "invalid PID: -1" });
  assert.equal(isInstructionIndex("12"), true);
  assert.equal(isInstructionIndex("+12"), false);
});
