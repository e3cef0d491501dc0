/**
 * The value mapping of LANGUAGE.md §8 (src/cluster/values.ts) without a network: every ttvm
 * value through ETF and back is equal to itself, Erlang terms with no ttvm form become Terms
 * that re-encode byte for byte, PIDs cross as pids both ways, exit reasons follow Erlang's
 * convention, and a list nested a million deep converts.
 */
import assert from "node:assert/strict";
import {
  atom,
  binary,
  decodeTerm,
  encodeTerm,
  type ErlPid,
  type ErlTerm,
  float,
  list,
  map,
  NIL,
  pid,
  ref,
  termEquals,
  tuple,
} from "../../src/dist/mod.ts";
import {
  erlToHost,
  hostToErl,
  reasonFromErl,
  reasonToErl,
  type ValueContext,
} from "../../src/cluster/values.ts";
import {
  hAtom,
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
  hostEquals,
  type HostValue,
  hPid,
  hStr,
  hTerm,
  hTuple,
} from "../../src/term/host.ts";

/** A context whose proxies are numbers from 1000 up, for pids of node "far@host". */
function context(program = 77): ValueContext & { proxies: Map<number, ErlPid> } {
  const proxies = new Map<number, ErlPid>();
  return {
    program,
    proxies,
    toErlPid: (n) => proxies.get(n) ?? pid("me@host", n, 0, 1),
    fromErlPid: (p) => {
      if (p.node === "me@host") return p.id;
      for (const [n, q] of proxies) if (termEquals(p, q)) return n;
      const n = 1000 + proxies.size;
      proxies.set(n, p);
      return n;
    },
  };
}

/** Through the wire format: host → term → bytes → term → host. */
function roundTrip(v: HostValue, ctx = context()): HostValue {
  return erlToHost(decodeTerm(encodeTerm(hostToErl(v, ctx))), ctx);
}

Deno.test("every ttvm value kind round-trips exactly through ETF", () => {
  const values: HostValue[] = [
    hInt(0),
    hInt(-(2n ** 63n)),
    hInt(2n ** 63n - 1n),
    hFloat(1.5),
    hFloat(-0),
    hFloat(5e-324),
    hFloat(Infinity),
    hFloat(-Infinity),
    hFloat(NaN),
    hStr(""),
    hStr("héllo 😀 \u{feff}bom"),
    hStr("lone \ud800 surrogate"),
    hBool(true),
    hBool(false),
    hNull,
    hAtom("ok"),
    hAtom("日本語"),
    hAtom("x".repeat(300)),
    hTuple([]),
    hTuple([hAtom("a"), hInt(1), hStr("b")]),
    hList([]),
    hList([hInt(1), hList([hStr("x")]), hObject([])]),
    hObject([["name", hStr("ttvm")], ["nested", hObject([["k", hList([hBool(true)])]])]]),
    hBytes([0xff, 0x00, 0xc3]),
    { ...hFunction(12, ["a", "b"]), code: { pc: 12, paramList: 3 } } as HostValue,
    {
      ...hClosure(40, ["x"], [["captured", hList([hInt(7)])], ["y", hStr("z")]]),
      code: { pc: 40, paramList: 1 },
    } as HostValue,
    hException("Division by zero", ["at prog.ttvm:3"]),
    { kind: "conn", connKind: "tcp", id: 9 },
    hTerm(encodeTerm(ref("far@host", 3, [1, 2, 3]))),
    hTerm(new Uint8Array([1, 2, 3])), // not ETF: still comes back
  ];
  for (const v of values) {
    const back = roundTrip(v);
    assert.deepEqual(back, v, `round trip of ${JSON.stringify(v, (_k, x) => String(x))}`);
  }
});

Deno.test("Erlang's view of ttvm values follows the mapping table", () => {
  const ctx = context();
  const erl = (v: HostValue) => hostToErl(v, ctx);
  assert.equal(erl(hInt(5)), 5n);
  assert.ok(termEquals(erl(hStr("text")), binary("text")));
  assert.ok(termEquals(erl(hBytes([1, 2])), binary(new Uint8Array([1, 2]))));
  assert.ok(termEquals(erl(hBool(true)), atom("true")));
  assert.ok(termEquals(erl(hNull), atom("undefined")));
  assert.ok(termEquals(erl(hList([])), NIL));
  assert.ok(termEquals(erl(hList([hInt(1), hInt(2)])), list([1n, 2n])));
  assert.ok(
    termEquals(erl(hObject([["k", hFloat(1)]])), map([[binary("k"), float(1)]])),
  );
  assert.ok(termEquals(erl(hPid(4)), pid("me@host", 4, 0, 1)));
  // a plain Int that happens to equal a PID stays an integer
  assert.equal(erl(hInt(4)), 4n);
});

Deno.test("Erlang terms with no ttvm form become Terms that re-encode byte for byte", () => {
  const ctx = context();
  const foreign: ErlTerm[] = [
    2n ** 64n,
    -(2n ** 70n),
    ref("far@host", 1, [5, 6, 7]),
    list([1n, 2n], atom("tail")),
    map([[1n, atom("one")]]),
    map([[atom("a"), 1n], [binary("a"), 2n]]), // keys that collide as Str
    map([[binary(new Uint8Array([0xff])), 1n]]), // a key that is no Str
    { t: "opaque", kind: "port", bytes: new Uint8Array([89, 119, 1, 97, 0, 0, 0, 5, 0, 0, 0, 1]) },
  ];
  for (const t of foreign) {
    const h = erlToHost(t, ctx);
    assert.equal(h.kind, "term");
    const back = hostToErl(h, ctx);
    assert.deepEqual(encodeTerm(back), encodeTerm(t));
  }
});

Deno.test("Erlang → ttvm: binaries, atoms, maps with atom keys (Elixir structs), pids", () => {
  const ctx = context();
  const host = (t: ErlTerm) => erlToHost(t, ctx);
  assert.deepEqual(host(binary("ok")), hStr("ok"));
  assert.deepEqual(host(binary(new Uint8Array([0xff]))), hBytes([0xff]));
  assert.deepEqual(host(atom("undefined")), hNull);
  assert.deepEqual(host(atom("false")), hBool(false));
  assert.deepEqual(host(list([104n, 105n])), hList([hInt(104), hInt(105)])); // a charlist
  const struct = map([
    [atom("__struct__"), atom("Elixir.User")],
    [atom("name"), binary("José")],
    [atom("age"), 42n],
  ]);
  assert.deepEqual(
    host(struct),
    hObject([["__struct__", hAtom("Elixir.User")], ["name", hStr("José")], ["age", hInt(42)]]),
  );
  const far = pid("far@host", 85, 0, 3);
  const proxy = host(far);
  assert.deepEqual(proxy, hPid(1000));
  assert.deepEqual(host(far), proxy, "the same remote pid maps to the same proxy");
  assert.ok(termEquals(hostToErl(proxy, ctx), far));
  assert.deepEqual(host(pid("me@host", 7, 0, 1)), hPid(7));
});

Deno.test("functions are rebuilt only by a node running the same program", () => {
  const f = { ...hFunction(12, ["a"]), code: { pc: 12, paramList: 0 } } as HostValue;
  const term = hostToErl(f, context(1));
  assert.deepEqual(erlToHost(term, context(1)), f);
  assert.equal(erlToHost(term, context(2)).kind, "tuple");
});

Deno.test("exit reasons: a Str crosses as an atom, an atom arrives as a Str", () => {
  const ctx = context();
  assert.ok(termEquals(reasonToErl(hStr("normal"), ctx), atom("normal")));
  assert.ok(termEquals(reasonToErl(hStr("x".repeat(256)), ctx), binary("x".repeat(256))));
  assert.ok(termEquals(reasonToErl(hTuple([hAtom("shutdown")]), ctx), tuple(atom("shutdown"))));
  assert.deepEqual(reasonFromErl(atom("noconnection"), ctx), hStr("noconnection"));
  assert.deepEqual(reasonFromErl(atom("undefined"), ctx), hStr("undefined"));
  assert.deepEqual(reasonFromErl(tuple(atom("badarg")), ctx), hTuple([hAtom("badarg")]));
});

Deno.test("a list nested a million deep converts both ways", () => {
  let v: HostValue = hList([]);
  for (let i = 0; i < 1_000_000; i++) v = hList([v]);
  const back = roundTrip(v);
  assert.ok(hostEquals(back, v));
});
