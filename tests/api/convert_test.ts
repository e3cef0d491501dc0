/**
 * JS ⇄ VM conversion of the LANGUAGE.md §6 values: Atom (interned), Tuple, Connection and Term
 * classes map to their VM values and back; every sendable kind survives JS → VM → JS, also
 * with a collection (and heap verification) before every allocation; inside the VM the host's
 * values have the right TYPE_OF, PRINT form, EQ and pattern-matching behaviour.
 */
import assert from "node:assert/strict";
import { ActorVm, Atom, Connection, type JsValue, Term, Tuple } from "../../mod.ts";
import { fromHostValue, toHostValue } from "../../src/api/convert.ts";
import {
  hAtom,
  hConn,
  hInt,
  hList,
  hObject,
  hostEquals,
  hTerm,
  hTuple,
} from "../../src/term/host.ts";
import { Rng } from "../term/random_host.ts";

Deno.test("Atom.of interns: the same name gives the same object", () => {
  assert.equal(Atom.of("ok"), Atom.of("ok"));
  assert.notEqual(Atom.of("ok"), Atom.of("error"));
  assert.equal(String(Atom.of("ok")), "ok");
  assert.equal(fromHostValue(hAtom("ok")), Atom.of("ok"));
});

Deno.test("atoms, tuples, connections and terms map to their HostValues and back", () => {
  const bytes = new Uint8Array([131, 104, 0]);
  const js: JsValue = Tuple.of(Atom.of("ok"), 1, [new Connection("tcp", 3)], new Term(bytes));
  const host = toHostValue(js);
  assert.deepEqual(
    host,
    hTuple([hAtom("ok"), hInt(1), hList([hConn("tcp", 3)]), hTerm(bytes)]),
  );
  assert.deepEqual(fromHostValue(host), js);
  // an object with an "atom" field stays an object
  assert.deepEqual(toHostValue({ atom: "ok" }), hObject([["atom", { kind: "str", value: "ok" }]]));
  // "__proto__" is an ordinary key both ways
  const proto = fromHostValue(hObject([["__proto__", hInt(1)]])) as Record<string, JsValue>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto), ["__proto__"]);
});

Deno.test("a Connection needs a known kind and a positive 31-bit id", () => {
  assert.throws(() => new Connection("pipe", 1), /unknown connection kind pipe/);
  assert.throws(() => new Connection("tcp", 0), /bad connection id 0/);
  assert.throws(() => new Connection("tcp", 2 ** 31), /bad connection id/);
  assert.throws(() => new Connection("tcp", 1.5), /bad connection id/);
  assert.equal(new Connection("http_request", 7).kind, "http_request");
});

/** A random JS value of every sendable kind, nested at most `depth` containers deep. */
function randomJs(rng: Rng, depth: number): JsValue {
  switch (rng.below(depth > 0 ? 12 : 8)) {
    case 0:
      return rng.below(2000) - 1000;
    case 1:
      return rng.i64() >> 1n === 0n ? 0 : rng.finiteDouble() + 0.5;
    case 2:
      return rng.string();
    case 3:
      return rng.below(2) === 1;
    case 4:
      return null;
    case 5:
      return Atom.of(rng.string(3));
    case 6:
      return new Connection(rng.pick(["tcp", "udp", "db", "future"]), 1 + rng.below(1000));
    case 7:
      return rng.below(2)
        ? new Uint8Array(Array.from({ length: rng.below(20) }, () => rng.below(256)))
        : new Term(new Uint8Array(Array.from({ length: rng.below(20) }, () => rng.below(256))));
    case 8:
    case 9:
      return Array.from({ length: rng.below(4) }, () => randomJs(rng, depth - 1));
    case 10:
      return new Tuple(Array.from({ length: rng.below(4) }, () => randomJs(rng, depth - 1)));
    default: {
      const obj: Record<string, JsValue> = {};
      for (let i = rng.below(4); i > 0; i--) obj[`k${rng.below(10)}`] = randomJs(rng, depth - 1);
      return obj;
    }
  }
}

const ECHO = `
LABEL echo
STORE reply
LABEL loop
RECEIVE
STORE m
LOAD reply
LOAD m
SEND
JMP loop
`;

for (const stressGc of [false, true]) {
  Deno.test(`every sendable kind survives JS → VM → JS${stressGc ? " (--stress-gc)" : ""}`, async () => {
    const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {}, stressGc });
    const echo = vm.spawn("echo", vm.host.pid);
    const rng = new Rng(stressGc ? 7 : 8);
    const sent = Array.from({ length: 150 }, () => randomJs(rng, 3));
    for (const v of sent) vm.send(echo, v);
    const done = vm.run();
    const got: JsValue[] = [];
    for await (const m of vm.host) got.push(m);
    await done;
    assert.equal(got.length, sent.length);
    assert.deepEqual(got, sent); // same classes, kinds, ids, bytes (not just EQ-equal)
    for (let i = 0; i < sent.length; i++) {
      assert.ok(
        hostEquals(toHostValue(got[i]), toHostValue(sent[i])),
        `message ${i}: sent ${Deno.inspect(sent[i])}, got ${Deno.inspect(got[i])}`,
      );
    }
  });
}

Deno.test("inside the VM, host atoms, tuples, connections and terms type, print, compare and match", async () => {
  let out = "";
  const vm = ActorVm.fromSource(
    `
LABEL show
STORE term
STORE conn
STORE tuple
LOAD tuple
PRINT
LOAD conn
PRINT
LOAD term
PRINT
LOAD conn
TYPE_OF
LOAD term
TYPE_OF
LOAD tuple
TYPE_OF
LOAD tuple
PUSH_INT 0
INDEX
TYPE_OF
MAKE_LIST 4
PRINT
; Connections are EQ when their handle ids are equal
LOAD conn
RECEIVE
EQ
LOAD conn
RECEIVE
EQ
MAKE_LIST 2
PRINT
; a tuple pattern with the host's atom and connection
SELF
LOAD tuple
SEND
PUSH_ATOM ok
LOAD conn
PUSH_STR "_"
MAKE_TUPLE 3
RECEIVE_MATCH
LOAD tuple
EQ
PRINT
TRY failed
LOAD conn
JSON_STRINGIFY
END_TRY
HALT
LABEL failed
CATCH
TO_STR
PRINT
END_TRY
; the debug form, in an error message
TRY failed2
LOAD term
LOAD conn
ADD
END_TRY
HALT
LABEL failed2
CATCH
TO_STR
PRINT
END_TRY
`,
    "show.ttvm",
    { stdout: (t) => (out += t), stressGc: true },
  );
  const conn = new Connection("tcp", 3);
  const pid = vm.spawn(
    "show",
    Tuple.of(Atom.of("ok"), conn, "text"),
    conn,
    new Term(new Uint8Array([131, 100, 0, 2, 104, 105])),
  );
  vm.send(pid, new Connection("udp", 3)); // same id, other kind: EQ
  vm.send(pid, new Connection("tcp", 4));
  await vm.run();
  assert.equal(
    out,
    [
      "{ok, Connection(tcp#3), text}",
      "Connection(tcp#3)",
      "#Term<hi>",
      "[connection, term, tuple, atom]",
      "[1, 0]",
      "1",
      "Exception: JSON_STRINGIFY: cannot encode a Connection as JSON",
      "Stack trace:",
      "  at show.ttvm:47",
      "Exception: ADD expects two numbers (int or float) but got #Term<hi>, Connection(tcp#3)",
      "Stack trace:",
      "  at show.ttvm:59",
      "",
    ].join("\n"),
  );
});
