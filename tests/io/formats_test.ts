/**
 * Data formats done for real: SipHash-1-3 matches the original's test vectors; JSON keeps exact
 * 64-bit integers and key order and reports errors with positions; CSV follows RFC 4180 quoting.
 */
import assert from "node:assert/strict";
import { hashBytes, hashStr } from "../../src/io/siphash.ts";
import { jsonParse, jsonStringify } from "../../src/io/json.ts";
import { csvParse, csvWrite } from "../../src/io/csv.ts";
import { hInt, hList, hObject, hostEquals, hStr } from "../../src/term/host.ts";

Deno.test("HASH reproduces the reference's SipHash-1-3 vectors", () => {
  assert.equal(hashStr(""), "30406ea523c53def");
  assert.equal(hashStr("abc"), "ef09e0f4895a251d");
  assert.equal(hashStr("Hash this data"), "1b8f520d518bf47c");
  assert.equal(hashStr("Data to hash"), "349daa519832330d");
  assert.equal(hashBytes(new TextEncoder().encode("abc")), "4aa3e4b34416e6c9");
});

Deno.test("JSON keeps 64-bit integers exact, floats as floats, and key order", () => {
  const v = jsonParse(
    '{"b": 9223372036854775807, "a": [-9223372036854775808, 1.5, 1e3, true, null, "x\\u00e9\\n"]}',
  );
  assert.ok(hostEquals(
    v,
    hObject([
      ["b", hInt(9223372036854775807n)],
      [
        "a",
        hList([
          hInt(-9223372036854775808n),
          { kind: "float", value: 1.5 },
          { kind: "float", value: 1000 },
          { kind: "bool", value: true },
          { kind: "null" },
          hStr("xé\n"),
        ]),
      ],
    ]),
  ));
  assert.deepEqual(v.kind === "object" && v.entries.map(([k]) => k), ["b", "a"]);
  assert.equal(
    jsonStringify(v),
    '{"b":9223372036854775807,"a":[-9223372036854775808,1.5,1000.0,true,null,"xé\\n"]}',
  );
});

Deno.test("JSON round-trips generated values", () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const gen = (d: number): ReturnType<typeof jsonParse> => {
    switch (d > 3 ? rnd(4) : rnd(6)) {
      case 0:
        return hInt(BigInt(rnd(1 << 30)) * BigInt(rnd(1 << 30)) - (1n << 59n));
      case 1:
        return { kind: "float", value: rnd(100000) / 7 };
      case 2:
        return hStr(String.fromCharCode(...Array.from({ length: rnd(8) }, () => rnd(0x3000))));
      case 3:
        return { kind: "bool", value: rnd(2) === 1 };
      case 4:
        return hList(Array.from({ length: rnd(5) }, () => gen(d + 1)));
      default:
        return hObject(Array.from({ length: rnd(5) }, (_, i) => [`k${i}`, gen(d + 1)]));
    }
  };
  for (let i = 0; i < 300; i++) {
    const v = gen(0);
    assert.ok(hostEquals(jsonParse(jsonStringify(v)), v), jsonStringify(v));
  }
});

Deno.test("JSON errors name line and column; unencodable values are refused", () => {
  assert.throws(
    () => jsonParse('{"a": 1,\n  }'),
    /invalid JSON at line 2, column 3: unexpected character '}'/,
  );
  assert.throws(() => jsonParse('"abc'), /unterminated string/);
  assert.throws(() => jsonParse("[1] x"), /trailing characters/);
  assert.throws(() => jsonParse("[".repeat(20000)), /nesting too deep/);
  assert.throws(() => jsonStringify({ kind: "float", value: Infinity }), /cannot encode inf/);
  assert.throws(() => jsonStringify({ kind: "bytes", value: new Uint8Array(1) }), /Bytes/);
});

Deno.test("CSV follows RFC 4180 quoting and round-trips", () => {
  assert.deepEqual(csvParse('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n'), [
    ["a", "b"],
    ["x, y", 'say "hi"'],
    ["multi\nline", ""],
  ]);
  assert.deepEqual(csvParse(""), []);
  const rows = [["name", "note"], ["Ann", " padded "], ['q"uote', "a,b"], ["", "line\nbreak"]];
  assert.deepEqual(csvParse(csvWrite(rows)), rows);
  assert.throws(() => csvParse('"open'), /unterminated quoted field starting at line 1/);
  assert.throws(() => csvParse('a"b'), /quote inside an unquoted field/);
});
