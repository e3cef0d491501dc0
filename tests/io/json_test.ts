/**
 * JSON is real RFC 8259: exact 64-bit Ints, Floats that stay Floats, key order, every escape,
 * errors with line and column, any nesting depth without a stack overflow, and round trips.
 */
import assert from "node:assert/strict";
import { JsonError, jsonParse, jsonStringify } from "../../src/io/json.ts";
import {
  hAtom,
  hBool,
  hBytes,
  hClosure,
  hConn,
  hException,
  hFloat,
  hFunction,
  hInt,
  hList,
  hNull,
  hObject,
  type HostValue,
  hStr,
  hTerm,
  hTuple,
} from "../../src/term/host.ts";
import { randomJsonValue, Rng } from "../term/random_host.ts";

/** The JsonError message jsonParse gives for `text` (fails the test if it parses). */
function parseError(text: string): string {
  try {
    jsonParse(text);
  } catch (e) {
    assert.ok(e instanceof JsonError, `not a JsonError: ${e}`);
    return e.message;
  }
  assert.fail(`parsed: ${JSON.stringify(text)}`);
}

Deno.test("integers that fit i64 parse exactly as Ints; larger ones become Floats", () => {
  assert.deepEqual(jsonParse("9223372036854775807"), hInt(9223372036854775807n));
  assert.deepEqual(jsonParse("-9223372036854775808"), hInt(-9223372036854775808n));
  assert.deepEqual(jsonParse("9223372036854775808"), hFloat(9223372036854775808));
  assert.deepEqual(jsonParse("-9223372036854775809"), hFloat(-9223372036854775809));
  assert.deepEqual(jsonParse("12345678901234567890123"), hFloat(1.2345678901234568e22));
  assert.deepEqual(jsonParse("0"), hInt(0));
  assert.deepEqual(jsonParse("-0"), hInt(0));
  assert.deepEqual(jsonParse("1" + "0".repeat(300)), hFloat(1e300));
});

Deno.test("numbers with a fraction or exponent are Floats, even when integral", () => {
  assert.deepEqual(jsonParse("1.0"), hFloat(1));
  assert.deepEqual(jsonParse("1e2"), hFloat(100));
  assert.deepEqual(jsonParse("1E+2"), hFloat(100));
  assert.deepEqual(jsonParse("-1.5e-3"), hFloat(-0.0015));
  assert.deepEqual(jsonParse("-0.0"), hFloat(-0));
  assert.deepEqual(jsonParse("0.1"), hFloat(0.1));
  assert.deepEqual(jsonParse("5e-324"), hFloat(5e-324));
  assert.deepEqual(jsonParse("1e-400"), hFloat(0));
  assert.deepEqual(jsonParse("1.7976931348623157e308"), hFloat(Number.MAX_VALUE));
  assert.deepEqual(jsonParse("0." + "3".repeat(1000)), hFloat(1 / 3));
});

Deno.test("literals, whitespace and nesting parse to the matching HostValues", () => {
  assert.deepEqual(jsonParse(" \t\r\n true \n"), hBool(true));
  assert.deepEqual(jsonParse("false"), hBool(false));
  assert.deepEqual(jsonParse("null"), hNull);
  assert.deepEqual(jsonParse("[]"), hList([]));
  assert.deepEqual(jsonParse("{}"), hObject([]));
  assert.deepEqual(
    jsonParse('[ 1 , [ ] , { "a" : [ null ] } , "s" ]'),
    hList([hInt(1), hList([]), hObject([["a", hList([hNull])]]), hStr("s")]),
  );
});

Deno.test("objects keep key order; a repeated key keeps its first place and last value", () => {
  assert.deepEqual(
    jsonParse('{"b": 1, "a": 2, "10": 3, "1": 4}'),
    hObject([["b", hInt(1)], ["a", hInt(2)], ["10", hInt(3)], ["1", hInt(4)]]),
  );
  assert.deepEqual(
    jsonParse('{"a": 1, "b": 2, "a": 3}'),
    hObject([["a", hInt(3)], ["b", hInt(2)]]),
  );
  assert.deepEqual(
    jsonParse('{"": 1, "__proto__": 2}'),
    hObject([["", hInt(1)], ["__proto__", hInt(2)]]),
  );
});

Deno.test("strings decode every escape, surrogate pairs included", () => {
  assert.deepEqual(
    jsonParse(String.raw`"\" \\ \/ \b \f \n \r \t \u0041\u00e9\u4E2D"`),
    hStr('" \\ / \b \f \n \r \t Aé中'),
  );
  assert.deepEqual(jsonParse(String.raw`"\ud83d\ude00 \uD83D\uDE00"`), hStr("😀 😀"));
  assert.deepEqual(jsonParse('"raw é ✓ 😀 \u007f"'), hStr("raw é ✓ 😀 \u007f"));
  assert.deepEqual(jsonParse(String.raw`"\u0000"`), hStr("\0"));
  const long = "x".repeat(100000) + "\\n" + "y".repeat(100000);
  assert.deepEqual(jsonParse(`"${long}"`), hStr("x".repeat(100000) + "\n" + "y".repeat(100000)));
});

Deno.test("syntax errors name the line, the column and what is wrong", () => {
  const cases: Array<[string, string]> = [
    ['{"a": 1,\n  }', "line 2, column 3: unexpected character '}'"],
    ['"abc', "line 1, column 1: unterminated string"],
    ['[1, "ab\\', "line 1, column 8: unterminated string"],
    ["[1] x", "line 1, column 5: trailing characters"],
    ["[1 2]", "line 1, column 4: unexpected character '2'"],
    ["[1,]", "line 1, column 4: unexpected character ']'"],
    ["", "line 1, column 1: unexpected end of input"],
    ["   ", "line 1, column 4: unexpected end of input"],
    ["[1,", "line 1, column 4: unexpected end of input"],
    ['{"a" 1}', "line 1, column 6: unexpected character '1'"],
    ["{a: 1}", "line 1, column 2: unexpected character 'a'"],
    ["{'a': 1}", "line 1, column 2: unexpected character '''"],
    ["tru", "line 1, column 4: unexpected end of input"],
    ["nul1", "line 1, column 4: unexpected character '1'"],
    ["True", "line 1, column 1: unexpected character 'T'"],
    ["01", "line 1, column 1: invalid number (leading zero)"],
    ["-", "line 1, column 1: invalid number"],
    ["-a", "line 1, column 1: invalid number"],
    ["1.", "line 1, column 1: invalid number (no digits after '.')"],
    [".5", "line 1, column 1: unexpected character '.'"],
    ["+1", "line 1, column 1: unexpected character '+'"],
    ["1e", "line 1, column 1: invalid number (no exponent digits)"],
    ["1e400", "line 1, column 1: number out of range"],
    ["[NaN]", "line 1, column 2: unexpected character 'N'"],
    ['"a\tb"', "line 1, column 3: unescaped control character U+0009 in string"],
    ['"a\nb"', "line 1, column 3: unescaped control character U+000A in string"],
    [String.raw`"\x"`, "line 1, column 2: invalid escape '\\x'"],
    [String.raw`"\u12G4"`, "line 1, column 2: invalid \\u escape (needs 4 hex digits)"],
    [String.raw`"\ud83d"`, "line 1, column 2: unpaired surrogate in \\u escape"],
    [String.raw`"\ud83dx"`, "line 1, column 2: unpaired surrogate in \\u escape"],
    [String.raw`"\ud83d\u0041"`, "line 1, column 2: unpaired surrogate in \\u escape"],
    [String.raw`"\ude00"`, "line 1, column 2: unpaired surrogate in \\u escape"],
    ["\u00a0 1", "line 1, column 1: unexpected character '\u00a0'"],
    ["[\u0001]", "line 1, column 2: unexpected character U+0001"],
    ["\n\n  [\n1,\n  }", "line 5, column 3: unexpected character '}'"],
    ['["😀😀", x]', "line 1, column 8: unexpected character 'x'"],
  ];
  for (const [text, expected] of cases) {
    assert.equal(parseError(text), `invalid JSON at ${expected}`, JSON.stringify(text));
  }
});

Deno.test("any nesting depth parses and stringifies without a stack overflow", () => {
  const depth = 1_000_000;
  const nested = "[".repeat(depth) + "]".repeat(depth);
  const deepest = jsonParse(nested);
  let cursor = deepest, levels = 0;
  while (cursor.kind === "list" && cursor.items.length === 1) {
    cursor = cursor.items[0];
    levels++;
  }
  assert.equal(levels, depth - 1);
  assert.deepEqual(cursor, hList([]));
  assert.equal(jsonStringify(deepest), nested);
  let objects: HostValue = hInt(7);
  for (let i = 0; i < 200_000; i++) objects = hObject([["k", objects]]);
  const text = jsonStringify(objects);
  assert.equal(text, '{"k":'.repeat(200_000) + "7" + "}".repeat(200_000));
  assert.equal(jsonStringify(jsonParse(text)), text);
  assert.match(
    parseError("[".repeat(1_000_000)),
    /line 1, column 1000001: unexpected end of input/,
  );
  assert.match(parseError('{"a":'.repeat(100_000)), /column 500001: unexpected end of input/);
});

Deno.test("stringify is compact and writes floats that read back as Floats", () => {
  assert.equal(
    jsonStringify(hObject([["b", hInt(9223372036854775807n)], ["a", hList([hInt(-1), hNull])]])),
    '{"b":9223372036854775807,"a":[-1,null]}',
  );
  const floats: Array<[number, string]> = [
    [1, "1.0"],
    [-0, "-0.0"],
    [0, "0.0"],
    [1.5, "1.5"],
    [0.1, "0.1"],
    [1e20, "100000000000000000000.0"],
    [1e21, "1e21"],
    [1.5e-7, "1.5e-7"],
    [5e-324, "5e-324"],
    [Number.MAX_VALUE, "1.7976931348623157e308"],
  ];
  for (const [x, text] of floats) {
    assert.equal(jsonStringify(hFloat(x)), text);
    assert.deepEqual(jsonParse(text), hFloat(x));
  }
  assert.equal(jsonStringify(hBool(true)), "true");
  assert.equal(jsonStringify(hList([])), "[]");
  assert.equal(jsonStringify(hObject([])), "{}");
});

Deno.test("an Atom is written as its name's string and a Tuple as an array", () => {
  assert.equal(
    jsonStringify(hTuple([hAtom("ok"), hInt(1), hTuple([]), hList([hAtom('a"b')])])),
    '["ok",1,[],["a\\"b"]]',
  );
  assert.deepEqual(jsonParse(jsonStringify(hTuple([hAtom("ok")]))), hList([hStr("ok")]));
});

Deno.test("stringify escapes strings per JSON and replaces unpaired surrogates", () => {
  assert.equal(
    jsonStringify(hStr('a"b\\c/\b\f\n\r\t\u0001\u001f\u007f é😀')),
    String.raw`"a\"b\\c/\b\f\n\r\t\u0001\u001f` + '\u007f é😀"',
  );
  assert.equal(jsonStringify(hStr("x\ud800y\udc00z")), '"x\ufffdy\ufffdz"');
  assert.equal(jsonStringify(hObject([['k"\n', hInt(1)]])), String.raw`{"k\"\n":1}`);
});

Deno.test("stringify refuses values that have no JSON form", () => {
  const refused: Array<[HostValue, string]> = [
    [hFloat(NaN), "cannot encode NaN as JSON"],
    [hFloat(Infinity), "cannot encode inf as JSON"],
    [hFloat(-Infinity), "cannot encode -inf as JSON"],
    [hBytes([1]), "cannot encode Bytes as JSON"],
    [hFunction(1, []), "cannot encode a function as JSON"],
    [hClosure(1, [], []), "cannot encode a function as JSON"],
    [hException("boom"), "cannot encode an Exception as JSON"],
    [hConn("tcp", 3), "cannot encode a Connection as JSON"],
    [hTerm(new Uint8Array([131, 106])), "cannot encode a Term as JSON"],
    [hTuple([hInt(1), hConn("udp", 1)]), "cannot encode a Connection as JSON"],
    [hList([hInt(1), hObject([["f", hFloat(NaN)]])]), "cannot encode NaN as JSON"],
  ];
  for (const [value, message] of refused) {
    assert.throws(
      () => jsonStringify(value),
      (e) => e instanceof JsonError && e.message === message,
    );
  }
});

Deno.test("generated values round-trip exactly (bits, key order, 64-bit ints)", () => {
  const rng = new Rng(2024);
  for (let i = 0; i < 2000; i++) {
    const value = randomJsonValue(rng);
    const text = jsonStringify(value);
    assert.deepEqual(jsonParse(text), value, text);
    JSON.parse(text); // and the text is JSON any parser accepts
  }
});

/** JSON.parse's result, with our Ints as numbers, for comparing with the built-in parser. */
function toPlain(v: HostValue): unknown {
  switch (v.kind) {
    case "int":
      return Number(v.value);
    case "float":
    case "str":
    case "bool":
      return v.value;
    case "null":
      return null;
    case "list":
      return v.items.map(toPlain);
    case "object":
      return Object.fromEntries(v.entries.map(([k, x]) => [k, toPlain(x)]));
    default:
      throw new Error(`not JSON: ${v.kind}`);
  }
}

Deno.test("on mutated texts, accepts and rejects exactly what JSON.parse does", () => {
  const rng = new Rng(77);
  const alphabet = ['"', "\\", "[", "]", "{", "}", ",", ":", "-", "0", "1", "e", ".", " ", "u"];
  let accepted = 0, rejected = 0;
  for (let i = 0; i < 5000; i++) {
    const chars = [...jsonStringify(randomJsonValue(rng, 3))];
    for (let m = rng.below(3) + 1; m > 0; m--) {
      const at = rng.below(chars.length + 1);
      const op = rng.below(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, rng.pick(alphabet));
      else chars[at] = rng.pick(alphabet);
    }
    const text = chars.join("");
    let builtIn: unknown, builtInOk = true;
    try {
      builtIn = JSON.parse(text);
    } catch {
      builtInOk = false;
    }
    let ours: HostValue | undefined, error = "";
    try {
      ours = jsonParse(text);
    } catch (e) {
      assert.ok(e instanceof JsonError, `${e} for ${text}`);
      error = e.message;
    }
    // We are stricter than JSON.parse in exactly two documented ways.
    if (/unpaired surrogate|number out of range/.test(error)) continue;
    assert.equal(ours !== undefined, builtInOk, `${text}: ${error}`);
    if (ours !== undefined) {
      assert.deepEqual(toPlain(ours), builtIn, text);
      accepted++;
    } else {
      rejected++;
    }
  }
  assert.ok(accepted > 200 && rejected > 2000, `${accepted} accepted, ${rejected} rejected`);
});

Deno.test("multi-megabyte documents parse and stringify in linear time", () => {
  const rows = Array.from({ length: 50_000 }, (_, i) =>
    hObject([
      ["id", hInt(BigInt(i) * 184467440737n)],
      ["name", hStr(`row "${i}"\n`)],
      ["score", hFloat(i / 7)],
      ["tags", hList([hStr("a"), hBool(i % 2 === 0), hNull])],
    ]));
  const doc = hList(rows);
  const started = performance.now();
  const text = jsonStringify(doc);
  const parsed = jsonParse(text);
  const elapsedMs = performance.now() - started;
  // Generous: quadratic string building would take minutes at this size, even on a busy host.
  assert.ok(elapsedMs < 10_000, `${elapsedMs} ms`);
  assert.ok(text.length > 4_000_000);
  assert.deepEqual(parsed, doc);
});
