/**
 * HostValue constructors and hostEquals, the EQ semantics of LANGUAGE.md §1 and reference §6.3.
 */
import assert from "node:assert/strict";
import { debugHost, displayHost } from "../../src/term/format.ts";
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
  hostEquals,
  hStr,
  hTerm,
  hTuple,
} from "../../src/term/host.ts";
import { randomJsonValue, Rng } from "./random_host.ts";

Deno.test("hInt keeps every 64-bit value exact and refuses values outside i64", () => {
  assert.deepEqual(hInt(9223372036854775807n), { kind: "int", value: 9223372036854775807n });
  assert.deepEqual(hInt(-9223372036854775808n), { kind: "int", value: -9223372036854775808n });
  assert.deepEqual(hInt(42), { kind: "int", value: 42n });
  assert.throws(() => hInt(1n << 63n), RangeError);
  assert.throws(() => hInt(-(1n << 63n) - 1n), RangeError);
  assert.throws(() => hInt(1.5), RangeError);
});

Deno.test("constructors build the documented shapes", () => {
  assert.deepEqual(hBytes([1, 2]), { kind: "bytes", value: new Uint8Array([1, 2]) });
  assert.deepEqual(hFunction(5, ["x"]), { kind: "function", addr: 5, params: ["x"] });
  assert.deepEqual(hClosure(7, [], [["a", hInt(1)]]), {
    kind: "closure",
    addr: 7,
    params: [],
    captured: [["a", { kind: "int", value: 1n }]],
  });
  assert.deepEqual(hException("boom"), { kind: "exception", message: "boom", trace: [] });
});

Deno.test("values of different kinds are never equal, Int 1 vs Float 1.0 included", () => {
  const samples = [
    hInt(1),
    hFloat(1),
    hStr("1"),
    hBool(true),
    hNull,
    hList([hInt(1)]),
    hObject([["1", hInt(1)]]),
    hBytes([1]),
    hFunction(1, []),
    hClosure(1, [], []),
    hException("1"),
    hAtom("1"),
    hTuple([hInt(1)]),
    hConn("tcp", 1),
    hTerm(new Uint8Array([1])),
  ];
  for (const [i, a] of samples.entries()) {
    for (const [j, b] of samples.entries()) assert.equal(hostEquals(a, b), i === j, `${i} ${j}`);
  }
});

Deno.test("floats are equal within f64 epsilon; NaN and inf are equal to nothing", () => {
  assert.ok(hostEquals(hFloat(0.1 + 0.2), hFloat(0.3)));
  assert.ok(hostEquals(hFloat(0), hFloat(-0)));
  assert.ok(!hostEquals(hFloat(1), hFloat(1 + 4.5e-16)));
  assert.ok(!hostEquals(hFloat(NaN), hFloat(NaN)));
  assert.ok(!hostEquals(hFloat(Infinity), hFloat(Infinity)));
});

Deno.test("lists compare element-wise and in order", () => {
  assert.ok(hostEquals(hList([hInt(1), hStr("a")]), hList([hInt(1), hStr("a")])));
  assert.ok(!hostEquals(hList([hInt(1), hStr("a")]), hList([hStr("a"), hInt(1)])));
  assert.ok(!hostEquals(hList([hInt(1)]), hList([hInt(1), hInt(1)])));
  assert.ok(hostEquals(hList([]), hList([])));
});

Deno.test("objects compare by keys and values, ignoring field order", () => {
  const ab = hObject([["a", hInt(1)], ["b", hList([hNull])]]);
  const ba = hObject([["b", hList([hNull])], ["a", hInt(1)]]);
  assert.ok(hostEquals(ab, ba));
  assert.ok(!hostEquals(ab, hObject([["a", hInt(1)]])));
  assert.ok(!hostEquals(ab, hObject([["a", hInt(1)], ["c", hList([hNull])]])));
  assert.ok(!hostEquals(ab, hObject([["a", hInt(2)], ["b", hList([hNull])]])));
});

Deno.test("bytes, functions, closures and exceptions compare by content", () => {
  assert.ok(hostEquals(hBytes([1, 2, 3]), hBytes([1, 2, 3])));
  assert.ok(!hostEquals(hBytes([1, 2, 3]), hBytes([1, 2, 4])));
  assert.ok(hostEquals(hFunction(3, ["a", "b"]), hFunction(3, ["a", "b"])));
  assert.ok(!hostEquals(hFunction(3, ["a", "b"]), hFunction(4, ["a", "b"])));
  assert.ok(!hostEquals(hFunction(3, ["a,b"]), hFunction(3, ["a", "b"])));
  const captured: Array<[string, ReturnType<typeof hInt>]> = [["x", hInt(1)], ["y", hInt(2)]];
  assert.ok(hostEquals(hClosure(1, [], captured), hClosure(1, [], [...captured].reverse())));
  assert.ok(!hostEquals(hClosure(1, [], captured), hClosure(1, [], [["x", hInt(1)]])));
  assert.ok(hostEquals(hException("m", ["at 1"]), hException("m", ["at 1"])));
  assert.ok(!hostEquals(hException("m", ["at 1"]), hException("m", [])));
});

Deno.test("every generated value equals itself and a structural copy", () => {
  const rng = new Rng(11);
  for (let i = 0; i < 300; i++) {
    const v = randomJsonValue(rng);
    assert.ok(hostEquals(v, structuredClone(v)));
  }
});

Deno.test("atoms by name, tuples element-wise, connections by id, terms by bytes", () => {
  assert.ok(hostEquals(hAtom("ok"), hAtom("ok")));
  assert.ok(!hostEquals(hAtom("ok"), hStr("ok")));
  assert.ok(!hostEquals(hAtom("ok"), hAtom("error")));
  assert.ok(hostEquals(hTuple([hAtom("a"), hInt(1)]), hTuple([hAtom("a"), hInt(1)])));
  assert.ok(!hostEquals(hTuple([hAtom("a"), hInt(1)]), hTuple([hAtom("a"), hInt(2)])));
  assert.ok(!hostEquals(hTuple([hInt(1)]), hList([hInt(1)])));
  assert.ok(hostEquals(hConn("tcp", 3), hConn("udp", 3)));
  assert.ok(!hostEquals(hConn("tcp", 3), hConn("tcp", 4)));
  assert.ok(hostEquals(hTerm(new Uint8Array([1, 2])), hTerm(new Uint8Array([1, 2]))));
  assert.ok(!hostEquals(hTerm(new Uint8Array([1, 2])), hTerm(new Uint8Array([1]))));
  assert.ok(!hostEquals(hTerm(new Uint8Array([1])), hBytes([1])));
});

Deno.test("display and debug forms of atoms, tuples, connections and terms", () => {
  const v = hTuple([hInt(1), hAtom("ok"), hStr("text"), hConn("http_request", 12)]);
  assert.equal(displayHost(v), "{1, ok, text, Connection(http_request#12)}");
  assert.equal(
    debugHost(v),
    'Tuple([Int(1), Atom(ok), Str("text"), Connection(http_request#12)])',
  );
  assert.equal(displayHost(hTuple([])), "{}");
  assert.equal(debugHost(hList([hTerm(new Uint8Array(3))])), "List([#Term<3 bytes>])");
});
