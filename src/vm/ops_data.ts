/**
 * Lists, objects, strings and data formats (slow paths). Every function follows the stack
 * discipline of machine.ts: read operands in place, allocate (results go to R_TMP0 or a
 * freshly pushed cell), then drop operands and place the result.
 *
 * APPEND and CONCAT grow lists and strings Go-slice style (src/term/tags.ts, "Growable STR and
 * LIST"): onto a value that ends at its object's fill and has spare capacity they write in
 * place and return a longer cell; otherwise they copy into an object with half as much room
 * again, so a value built step by step costs amortised O(1) per element or character. Work
 * that grows with the operands is charged with `it.charge` (about one reduction per 64 units).
 */
import { R_TMP0 } from "../proc/pcb.ts";
import type { HostValue } from "../term/host.ts";
import {
  copyCell,
  HDR_LEN,
  listCells,
  setList,
  setNull,
  setSmallInt,
  setStr,
  strCells,
  T_ATOM_STR,
  T_BYTES,
  T_INT,
  T_LIST,
  T_OBJECT,
  T_STR,
  T_TUPLE,
} from "../term/tags.ts";
import { joinedCodePoints } from "../term/text.ts";
import type { Values } from "../term/values.ts";
import { csvParse, csvWrite } from "../io/csv.ts";
import { jsonParse, jsonStringify } from "../io/json.ts";
import { hashBytes, hashStr } from "../io/siphash.ts";
import { insufficient, typeMismatch, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";

/** Replace the top `nArgs` operands by the value in R_TMP0. */
export function replaceWithTmp(it: Interpreter, pcb: number, nArgs: number): void {
  const m = it.m;
  m.drop(pcb, nArgs);
  const dst = m.push(pcb); // may grow the stack: take the views afterwards
  const w = it.rt.mem.i32;
  copyCell(w, dst, pcb + R_TMP0);
  setNull(w, pcb + R_TMP0);
}

export function makeList(it: Interpreter, pcb: number, n: number): void {
  const m = it.m;
  const depth = m.depth(pcb);
  if (depth < n) throw insufficient(n, depth);
  it.rt.values.putListFromCells(pcb, pcb + R_TMP0, m.arg(pcb, n - 1), n);
  it.charge(n);
  replaceWithTmp(it, pcb, n);
}

export function len(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "LEN");
  const c = m.arg(pcb, 0);
  const t = v.tag(c);
  if (t !== T_LIST && t !== T_TUPLE && t !== T_OBJECT) {
    throw typeMismatch("LEN", "a list, tuple or object", [v.debug(c)]);
  }
  setSmallInt(it.rt.mem.i32, it.rt.mem.f64, c, v.len(c));
}

export function index(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "INDEX");
  const list = m.arg(pcb, 1), idx = m.arg(pcb, 0);
  if (!v.isInt(idx)) throw typeMismatch("INDEX", "an integer index", [v.debug(idx)]);
  const t = v.tag(list);
  if (t !== T_LIST && t !== T_TUPLE) {
    throw typeMismatch("INDEX", "a list or tuple", [v.debug(list)]);
  }
  // A small Int index needs no BigInt; a negative one reads as 2^64 + i, as the reference does.
  const small = v.tag(idx) === T_INT && v.num(idx) >= 0;
  const i = small ? v.num(idx) : BigInt.asUintN(64, v.int(idx));
  const n = v.len(list);
  if (i >= n) { // (a BigInt index compares with the Number length exactly)
    const what = t === T_LIST ? "list" : "tuple";
    throw new VmError(`Index ${i} out of bounds for ${what} of length ${n}`);
  }
  copyCell(it.rt.mem.i32, list, v.obj(list) + 1 + Number(i));
  m.drop(pcb, 1);
}

/** Room for a value of `n` elements or units that is being built step by step: half as much
 *  again (amortised O(1) growth), at least `min`. */
export function grownCapacity(n: number, min: number): number {
  return Math.max(min, n + (n >> 1));
}

export function append(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "APPEND");
  const list = m.arg(pcb, 1);
  if (v.tag(list) !== T_LIST) throw typeMismatch("APPEND", "a list", [v.debug(list)]);
  const n = v.len(list);
  let w = it.rt.mem.i32;
  const o = v.obj(list);
  if (w[(o << 2) + HDR_LEN] === n && v.spare(o) > 0) {
    // The list ends at its object's fill: add x in place; older cells keep their length.
    copyCell(w, o + 1 + n, m.arg(pcb, 0));
    w[(o << 2) + HDR_LEN] = n + 1;
    setList(w, list, o, n + 1);
    m.drop(pcb, 1);
    return;
  }
  const cap = grownCapacity(n + 1, 4);
  const no = v.newGrowable(pcb, T_LIST, n + 1, listCells(cap), listCells(n + 1)); // may collect
  w = it.rt.mem.i32;
  const src = v.obj(m.arg(pcb, 1));
  w.copyWithin((no + 1) << 2, (src + 1) << 2, (src + 1 + n) << 2);
  copyCell(w, no + 1 + n, m.arg(pcb, 0));
  setList(w, m.arg(pcb, 1), no, n + 1);
  m.drop(pcb, 1);
  it.charge(n);
}

function needObject(it: Interpreter, op: string, c: number): void {
  const v = it.rt.values;
  if (v.tag(c) !== T_OBJECT) throw typeMismatch(op, "an object", [v.debug(c)]);
}

export function makeObject(it: Interpreter, pcb: number): void {
  const dst = it.m.push(pcb);
  it.rt.values.putEmptyObject(pcb, dst);
}

export function setField(it: Interpreter, pcb: number, atom: number): void {
  const m = it.m;
  m.need(pcb, 2, "SET_FIELD");
  needObject(it, "SET_FIELD", m.arg(pcb, 1));
  it.charge(it.rt.values.len(m.arg(pcb, 1)));
  it.rt.values.putObjectWith(pcb, pcb + R_TMP0, m.arg(pcb, 1), atom, m.arg(pcb, 0));
  replaceWithTmp(it, pcb, 2);
}

export function getField(it: Interpreter, pcb: number, atom: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "GET_FIELD");
  const obj = m.arg(pcb, 0);
  needObject(it, "GET_FIELD", obj);
  it.charge(v.len(obj)); // the fields are scanned
  const i = v.fieldIndex(obj, atom);
  if (i < 0) setNull(it.rt.mem.i32, obj);
  else copyCell(it.rt.mem.i32, obj, v.fieldCell(obj, i));
}

export function hasField(it: Interpreter, pcb: number, atom: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "HAS_FIELD");
  const obj = m.arg(pcb, 0);
  needObject(it, "HAS_FIELD", obj);
  it.charge(v.len(obj));
  setSmallInt(it.rt.mem.i32, it.rt.mem.f64, obj, v.fieldIndex(obj, atom) >= 0 ? 1 : 0);
}

export function deleteField(it: Interpreter, pcb: number, atom: number): void {
  const m = it.m;
  m.need(pcb, 1, "DELETE_FIELD");
  needObject(it, "DELETE_FIELD", m.arg(pcb, 0));
  it.charge(it.rt.values.len(m.arg(pcb, 0)));
  it.rt.values.putObjectWith(pcb, pcb + R_TMP0, m.arg(pcb, 0), atom, -1);
  replaceWithTmp(it, pcb, 1);
}

export function keys(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "KEYS");
  const obj = m.arg(pcb, 0);
  needObject(it, "KEYS", obj);
  const n = v.len(obj);
  v.putHost(pcb, pcb + R_TMP0, {
    kind: "list",
    items: new Array(n).fill({ kind: "null" }) as HostValue[],
  });
  const w = it.rt.mem.i32;
  const o = v.obj(pcb + R_TMP0), src = v.obj(m.arg(pcb, 0));
  for (let i = 0; i < n; i++) copyCell(w, o + 1 + i, src + 1 + 2 * i);
  it.charge(n);
  replaceWithTmp(it, pcb, 1);
}

// ── strings ───────────────────────────────────────────────────────────────────────────────

/** Strings shorter than this are allocated exactly (no spare capacity) by CONCAT. */
const GROW_STR_UNITS = 16;

export function concat(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "CONCAT");
  const a = m.arg(pcb, 1), b = m.arg(pcb, 0);
  if (!v.isStr(a) || !v.isStr(b)) {
    throw typeMismatch("CONCAT", "two strings", [v.debug(a), v.debug(b)]);
  }
  const la = v.strUnits(a), lb = v.strUnits(b);
  if (lb === 0 || la === 0) { // the other operand is the result (values are immutable)
    if (la === 0) copyCell(it.rt.mem.i32, a, b);
    m.drop(pcb, 1);
    return;
  }
  const points = joinedCodePoints(
    v.codePoints(a),
    lastUnit(v, a, la),
    v.codePoints(b),
    firstUnit(v, b),
  );
  let w = it.rt.mem.i32;
  if (v.tag(a) === T_STR) {
    const o = v.obj(a);
    if (w[(o << 2) + HDR_LEN] === la && v.spare(o) >= lb) {
      // a ends at its object's fill: add b's units in place; older cells keep their length.
      writeUnits(v, b, lb, ((o + 1) << 3) + la);
      w[(o << 2) + HDR_LEN] = la + lb;
      setStr(w, a, o, la + lb, points);
      m.drop(pcb, 1);
      it.charge(lb);
      return;
    }
  }
  const total = la + lb;
  const cap = total < GROW_STR_UNITS ? total : grownCapacity(total, total);
  const o = v.newGrowable(pcb, T_STR, total, strCells(cap), strCells(total)); // may collect
  w = it.rt.mem.i32;
  const base = (o + 1) << 3;
  writeUnits(v, m.arg(pcb, 1), la, base);
  writeUnits(v, m.arg(pcb, 0), lb, base + la);
  setStr(w, m.arg(pcb, 1), o, total, points);
  m.drop(pcb, 1);
  it.charge(total);
}

/** Write the `n` units of Str cell `c` at u16 index `at`. */
function writeUnits(v: Values, c: number, n: number, at: number): void {
  const u16 = v.mem.u16;
  if (v.tag(c) === T_STR) {
    const from = (v.obj(c) + 1) << 3;
    u16.copyWithin(at, from, from + n);
  } else {
    const s = v.str(c);
    for (let i = 0; i < n; i++) u16[at + i] = s.charCodeAt(i);
  }
}

function firstUnit(v: Values, c: number): number {
  return v.tag(c) === T_STR ? v.strUnit(c, 0) : v.str(c).charCodeAt(0);
}

function lastUnit(v: Values, c: number, n: number): number {
  return v.tag(c) === T_STR ? v.strUnit(c, n - 1) : v.str(c).charCodeAt(n - 1);
}

export function toStr(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "TO_STR");
  const a = m.arg(pcb, 0);
  if (v.isStr(a)) return;
  v.putStr(pcb, pcb + R_TMP0, v.display(a));
  replaceWithTmp(it, pcb, 1);
}

export function strLen(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "STR_LEN");
  const a = m.arg(pcb, 0);
  if (!v.isStr(a)) throw typeMismatch("STR_LEN", "a string", [v.debug(a)]);
  setSmallInt(it.rt.mem.i32, it.rt.mem.f64, a, v.codePoints(a));
}

// ── data formats ──────────────────────────────────────────────────────────────────────────

export function jsonParseOp(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "JSON_PARSE");
  const a = m.arg(pcb, 0);
  if (!v.isStr(a)) throw typeMismatch("JSON_PARSE", "a string", [v.debug(a)]);
  let value: HostValue;
  const text = v.str(a);
  it.charge(text.length);
  try {
    value = jsonParse(text);
  } catch (e) {
    throw new VmError(`JSON_PARSE: ${(e as Error).message}`);
  }
  v.putHost(pcb, pcb + R_TMP0, value);
  replaceWithTmp(it, pcb, 1);
}

export function jsonStringifyOp(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "JSON_STRINGIFY");
  let text: string;
  try {
    text = jsonStringify(v.toHost(m.arg(pcb, 0)));
  } catch (e) {
    throw new VmError(`JSON_STRINGIFY: ${(e as Error).message}`);
  }
  it.charge(text.length);
  v.putStr(pcb, pcb + R_TMP0, text);
  replaceWithTmp(it, pcb, 1);
}

export function csvParseOp(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "CSV_PARSE");
  const a = m.arg(pcb, 0);
  if (!v.isStr(a)) throw typeMismatch("CSV_PARSE", "a string", [v.debug(a)]);
  let rows: string[][];
  const text = v.str(a);
  it.charge(text.length);
  try {
    rows = csvParse(text);
  } catch (e) {
    throw new VmError(`CSV_PARSE: ${(e as Error).message}`);
  }
  v.putHost(pcb, pcb + R_TMP0, {
    kind: "list",
    items: rows.map((r) => ({ kind: "list", items: r.map((s) => ({ kind: "str", value: s })) })),
  });
  replaceWithTmp(it, pcb, 1);
}

export function csvWriteOp(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "CSV_WRITE");
  const a = m.arg(pcb, 0);
  if (v.tag(a) !== T_LIST) throw typeMismatch("CSV_WRITE", "a list of rows", [v.debug(a)]);
  const o = v.obj(a), n = v.len(a);
  const rows: string[][] = [];
  for (let i = 1; i <= n; i++) {
    const row = o + i;
    if (v.tag(row) !== T_LIST) {
      throw typeMismatch("CSV_WRITE", "a list of rows", [v.debug(row)]);
    }
    const ro = v.obj(row), rn = v.len(row);
    const cells: string[] = [];
    for (let j = 1; j <= rn; j++) cells.push(v.display(ro + j));
    rows.push(cells);
  }
  const text = csvWrite(rows);
  it.charge(text.length);
  v.putStr(pcb, pcb + R_TMP0, text);
  replaceWithTmp(it, pcb, 1);
}

export function hashOp(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "HASH");
  const a = m.arg(pcb, 0);
  const t = v.tag(a);
  let hex: string;
  if (t === T_STR || t === T_ATOM_STR) hex = hashStr(v.str(a));
  else if (t === T_BYTES) hex = hashBytes(v.bytes(a));
  else throw typeMismatch("HASH", "a string or bytes", [v.debug(a)]);
  it.charge(t === T_BYTES ? v.len(a) : v.strUnits(a));
  v.putStr(pcb, pcb + R_TMP0, hex);
  replaceWithTmp(it, pcb, 1);
}
