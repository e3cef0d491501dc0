/**
 * Atoms, tuples and TYPE_OF (LANGUAGE.md §6). Stack discipline as in machine.ts: operands are
 * read in place, results are built in R_TMP0 (a root) and replace the operands.
 *
 * TYPE_OF answers with a Str literal (an atom string: no allocation) naming the type:
 * `int float str bool null list object tuple atom bytes function closure connection term`, and
 * `exception` for the Exception values CATCH pushes (LANGUAGE.md lists no name for them; an
 * Exception is neither an object nor a string, so it gets its own).
 */
import { R_TMP0 } from "../proc/pcb.ts";
import {
  listCells,
  setAtom,
  setAtomStr,
  setList,
  setPtr,
  T_LIST,
  T_TUPLE,
  tupleCells,
} from "../term/tags.ts";
import { insufficient, typeMismatch } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { replaceWithTmp } from "./ops_data.ts";

/** TYPE_OF's answer for each tag (tags.ts). */
const TYPE_NAMES: readonly string[] = [
  "null", // T_NULL
  "bool", // T_BOOL
  "int", // T_INT
  "int", // T_BIGINT
  "float", // T_FLOAT
  "atom", // T_ATOM
  "str", // T_ATOM_STR
  "function", // T_FUNC
  "str", // T_STR
  "list", // T_LIST
  "object", // T_OBJECT
  "bytes", // T_BYTES
  "closure", // T_CLOSURE
  "exception", // T_EXCEPTION
  "tuple", // T_TUPLE
  "term", // T_TERM
  "connection", // T_CONN
];

/** PUSH_ATOM name: the operand is a program string, whose index is its atom id. */
export function pushAtom(it: Interpreter, pcb: number, atom: number): void {
  setAtom(it.rt.mem.i32, it.m.push(pcb), atom);
}

export function makeTuple(it: Interpreter, pcb: number, n: number): void {
  const m = it.m;
  const depth = m.depth(pcb);
  if (depth < n) throw insufficient(n, depth);
  it.rt.values.putTupleFromCells(pcb, pcb + R_TMP0, m.arg(pcb, n - 1), n);
  it.charge(n);
  replaceWithTmp(it, pcb, n);
}

export function tupleToList(it: Interpreter, pcb: number): void {
  convertSequence(it, pcb, "TUPLE_TO_LIST", T_TUPLE, T_LIST);
}

export function listToTuple(it: Interpreter, pcb: number): void {
  convertSequence(it, pcb, "LIST_TO_TUPLE", T_LIST, T_TUPLE);
}

/** A new sequence of type `to` with the elements of the `from` value on top of the stack. */
function convertSequence(it: Interpreter, pcb: number, op: string, from: number, to: number) {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, op);
  const c = m.arg(pcb, 0);
  if (v.tag(c) !== from) {
    throw typeMismatch(op, from === T_LIST ? "a list" : "a tuple", [v.debug(c)]);
  }
  const n = v.len(c);
  const o = v.newObject(pcb, to, n, to === T_LIST ? listCells(n) : tupleCells(n));
  const w = it.rt.mem.i32;
  const src = v.obj(m.arg(pcb, 0)); // re-read: the allocation may have collected
  w.copyWithin((o + 1) << 2, (src + 1) << 2, (src + 1 + n) << 2);
  if (to === T_LIST) setList(w, pcb + R_TMP0, o, n);
  else setPtr(w, pcb + R_TMP0, T_TUPLE, o);
  it.charge(n);
  replaceWithTmp(it, pcb, 1);
}

export function typeOf(it: Interpreter, pcb: number): void {
  const m = it.m, rt = it.rt;
  m.need(pcb, 1, "TYPE_OF");
  const c = m.arg(pcb, 0);
  const name = TYPE_NAMES[rt.values.tag(c)];
  const atom = rt.atoms.intern(name); // may grow memory: take the views afterwards
  setAtomStr(rt.mem.i32, c, atom);
}
