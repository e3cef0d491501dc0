/**
 * The value layer in shared memory: the tag set (which tags hold heap pointers), Connection
 * cells, Terms, the growable STR/LIST cells, the collector's handling of shared growable
 * objects, and the heap verifier catching broken cells of the new kinds.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../mod.ts";
import { Output } from "../../src/io/output.ts";
import { fixedInput } from "../../src/io/stdin.ts";
import { R_TMP0, R_TMP1, R_TMP2 } from "../../src/proc/pcb.ts";
import { describeTerm } from "../../src/term/describe_term.ts";
import { hAtom, hConn, hInt, hList, hostEquals, hStr, hTerm, hTuple } from "../../src/term/host.ts";
import {
  CONN_KINDS,
  connKindIndex,
  isPtrTag,
  LAST_TAG,
  setConn,
  setList,
  T_ATOM,
  T_BOOL,
  T_CONN,
  T_EXCEPTION,
  T_FUNC,
  T_STR,
  T_TERM,
  T_TUPLE,
} from "../../src/term/tags.ts";
import { Vm } from "../../src/vm/vm.ts";

/** A VM with one process (never run), for building values on its heap. */
function scratch(stressGc = false) {
  const vm = new Vm(assembleSource("HALT\n", "scratch.ttvm"), {
    stdout: new Output({ write: () => {} }),
    stderr: new Output({ write: () => {} }),
    stdin: fixedInput(),
    args: [],
  }, { stressGc });
  const { pcb } = vm.procs.create(0, 0);
  return { vm, pcb, v: vm.rt.values, w: () => vm.mem.i32 };
}

Deno.test("exactly the tags 8..15 hold heap pointers; Atoms and Connections are immediate", () => {
  const pointers = [];
  for (let tag = 0; tag <= LAST_TAG + 2; tag++) if (isPtrTag(tag)) pointers.push(tag);
  assert.deepEqual(pointers, [8, 9, 10, 11, 12, 13, 14, 15]);
  assert.ok(isPtrTag(T_TUPLE) && isPtrTag(T_TERM) && isPtrTag(T_STR) && isPtrTag(T_EXCEPTION));
  assert.ok(!isPtrTag(T_ATOM) && !isPtrTag(T_CONN) && !isPtrTag(T_FUNC) && !isPtrTag(T_BOOL));
  assert.equal(LAST_TAG, T_CONN);
});

Deno.test("Connection cells: kind index, handle id, printed Connection(kind#id), EQ by id", () => {
  const { v, w, pcb } = scratch();
  assert.deepEqual(
    [...CONN_KINDS],
    ["tcp", "tcp_listener", "udp", "http_listener", "http_request", "future", "db", "stream"],
  );
  assert.equal(connKindIndex("http_request"), 4);
  assert.equal(connKindIndex("pipe"), -1);
  const a = pcb + R_TMP0, b = pcb + R_TMP1, c = pcb + R_TMP2;
  setConn(w(), a, connKindIndex("tcp"), 3);
  setConn(w(), b, connKindIndex("db"), 3);
  setConn(w(), c, connKindIndex("tcp"), 4);
  assert.deepEqual(Array.from(w().subarray(a << 2, (a << 2) + 4)), [T_CONN, 3, 0, 0]);
  assert.equal(v.display(a), "Connection(tcp#3)");
  assert.equal(v.debug(b), "Connection(db#3)");
  assert.equal(v.equal(a, b), true);
  assert.equal(v.equal(a, c), false);
  assert.deepEqual(v.toHost(b), hConn("db", 3));
  assert.throws(() => setConn(w(), a, 8, 1), /bad connection/);
  assert.throws(() => setConn(w(), a, 0, 0), /bad connection/);
  v.heap.verify(pcb);
});

Deno.test("Terms hold their bytes, print through describeTerm and compare byte-wise", () => {
  const { v, pcb } = scratch();
  const bytes = new Uint8Array([131, 100, 0, 1, 97]);
  v.putTerm(pcb, pcb + R_TMP0, bytes);
  v.putTerm(pcb, pcb + R_TMP1, bytes.slice());
  v.putTerm(pcb, pcb + R_TMP2, new Uint8Array([131]));
  assert.equal(describeTerm(bytes), "#Term<a>");
  assert.equal(v.display(pcb + R_TMP0), "#Term<a>");
  assert.equal(v.debug(pcb + R_TMP2), "#Term<1 bytes>");
  assert.equal(v.equal(pcb + R_TMP0, pcb + R_TMP1), true);
  assert.equal(v.equal(pcb + R_TMP0, pcb + R_TMP2), false);
  assert.deepEqual(v.toHost(pcb + R_TMP0), hTerm(bytes));
  v.heap.verify(pcb);
});

Deno.test("host values of every new kind are written to a heap and read back", () => {
  const { v, pcb } = scratch(true);
  const value = hTuple([
    hAtom("ok"),
    hList([hConn("future", 9), hTerm(new Uint8Array([1, 2]))]),
    hTuple([]),
    hStr("a😀"),
  ]);
  v.putHost(pcb, pcb + R_TMP0, value);
  v.heap.verify(pcb);
  assert.ok(hostEquals(v.toHost(pcb + R_TMP0), value));
  assert.equal(v.display(pcb + R_TMP0), "{ok, [Connection(future#9), #Term<2 bytes>], {}, a😀}");
  assert.equal(v.codePoints(v.obj(pcb + R_TMP0) + 4), 2);
});

Deno.test("a STR or LIST cell sees only its own prefix of a shared object, across collections", () => {
  const { vm, v, w, pcb } = scratch();
  // A list object with room for 8 elements and 3 filled; two cells share it.
  v.putHost(pcb, pcb + R_TMP0, hList([hInt(1), hInt(2), hInt(3)]));
  const o = v.obj(pcb + R_TMP0);
  setList(w(), pcb + R_TMP1, o, 2);
  assert.equal(v.display(pcb + R_TMP0), "[1, 2, 3]");
  assert.equal(v.display(pcb + R_TMP1), "[1, 2]");
  vm.rt.heap.collect(pcb, 16);
  // The collector copied the object once: both cells still share it, each with its length.
  assert.equal(v.obj(pcb + R_TMP0), v.obj(pcb + R_TMP1));
  assert.equal(v.display(pcb + R_TMP0), "[1, 2, 3]");
  assert.equal(v.display(pcb + R_TMP1), "[1, 2]");
  assert.equal(v.len(pcb + R_TMP1), 2);
  vm.rt.heap.verify(pcb);
  // A cell longer than its object's fill is a broken heap.
  setList(w(), pcb + R_TMP1, v.obj(pcb + R_TMP0), 4);
  assert.throws(() => vm.rt.heap.verify(pcb), /length 4 beyond the fill 3/);
});

Deno.test("the heap verifier rejects bad atoms, bad connections and unknown tags", () => {
  const { vm, w, pcb } = scratch();
  const c = pcb + R_TMP0;
  w()[c << 2] = T_ATOM;
  w()[(c << 2) + 1] = 1 << 30;
  assert.throws(() => vm.rt.heap.verify(pcb), /bad atom/);
  w()[c << 2] = T_CONN;
  w()[(c << 2) + 1] = 5;
  w()[(c << 2) + 2] = CONN_KINDS.length;
  assert.throws(() => vm.rt.heap.verify(pcb), /bad connection/);
  w()[c << 2] = LAST_TAG + 1;
  assert.throws(() => vm.rt.heap.verify(pcb), /bad tag/);
  w()[c << 2] = 0;
  vm.rt.heap.verify(pcb);
});

Deno.test("a STR cell made by setPtr counts its code points on demand", () => {
  const { v, w, pcb } = scratch();
  v.putStr(pcb, pcb + R_TMP0, "x😀y");
  assert.equal(v.codePoints(pcb + R_TMP0), 3);
  w()[((pcb + R_TMP0) << 2) + 3] = -1; // as setPtr leaves it
  assert.equal(v.codePoints(pcb + R_TMP0), 3);
  assert.equal(w()[((pcb + R_TMP0) << 2) + 3], 3);
  assert.equal(v.tag(pcb + R_TMP0), T_STR);
});
