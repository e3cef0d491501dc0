/**
 * Values in shared memory ⇄ HostValue (host.ts): reading a value into its JavaScript model,
 * sizing a HostValue in heap cells, and writing one into memory.
 *
 * Invariants: every walk keeps its pending work on an explicit stack, so values of any nesting
 * depth convert without recursion on the host stack; writing never collects (the caller
 * reserved `hostCellsOf(v)` cells, or writes into a message node of that size); a STR written
 * here is exactly full and its cell carries its code-point count; the number of nodes read or
 * cells written is recorded on the work meter.
 */
import type { HostValue } from "./host.ts";
import {
  bytesCells,
  closureCells,
  CONN_KINDS,
  connKindIndex,
  EXCEPTION_CELLS,
  HDR_LEN,
  listCells,
  objectCells,
  PID_MARK,
  setAtom,
  setAtomStr,
  setBigInt,
  setBool,
  setConn,
  setFloat,
  setFunc,
  setList,
  setNull,
  setPid,
  setPtr,
  setStr,
  strCells,
  T_ATOM,
  T_ATOM_STR,
  T_BIGINT,
  T_BOOL,
  T_BYTES,
  T_CLOSURE,
  T_CONN,
  T_EXCEPTION,
  T_FLOAT,
  T_FUNC,
  T_INT,
  T_LIST,
  T_NULL,
  T_OBJECT,
  T_STR,
  T_TERM,
  T_TUPLE,
  termCells,
  tupleCells,
} from "./tags.ts";
import type { Values } from "./values.ts";
import { countCodePoints } from "./text.ts";
import { addWork } from "./work.ts";

const NULL_VALUE: HostValue = { kind: "null" };

/** The HostValue of the value in cell `c`. */
export function toHostValue(v: Values, c: number): HostValue {
  const root: HostValue[] = [NULL_VALUE];
  // Pending conversions: cell → slot `index` of array `target` (an items array, or an entry
  // pair whose slot 1 is the value).
  const cells: number[] = [c];
  const targets: unknown[][] = [root];
  const indices: number[] = [0];
  let nodes = 0;
  while (cells.length > 0) {
    const cell = cells.pop()!, target = targets.pop()!, index = indices.pop()!;
    nodes++;
    target[index] = hostNode(v, cell, (child, into, at) => {
      cells.push(child);
      targets.push(into);
      indices.push(at);
    });
  }
  addWork(nodes);
  return root[0];
}

/** The HostValue of one cell; nested values are left as placeholders and handed to `later`
 *  with the array slot they belong in. */
function hostNode(
  v: Values,
  c: number,
  later: (cell: number, into: unknown[], at: number) => void,
): HostValue {
  const w = v.mem.i32;
  const d = c << 2;
  switch (w[d]) {
    case T_NULL:
      return NULL_VALUE;
    case T_BOOL:
      return { kind: "bool", value: w[d + 1] !== 0 };
    case T_INT:
      return w[d + 1] === PID_MARK
        ? { kind: "int", value: v.int(c), pid: true }
        : { kind: "int", value: v.int(c) };
    case T_BIGINT:
      return { kind: "int", value: v.int(c) };
    case T_FLOAT:
      return { kind: "float", value: v.num(c) };
    case T_ATOM_STR:
    case T_STR:
      return { kind: "str", value: v.str(c) };
    case T_ATOM:
      return { kind: "atom", name: v.atoms.name(w[d + 1]) };
    case T_CONN:
      return { kind: "conn", connKind: CONN_KINDS[w[d + 2]], id: w[d + 1] };
    case T_TERM:
      return { kind: "term", bytes: v.bytes(c) };
    case T_BYTES:
      return { kind: "bytes", value: v.bytes(c) };
    case T_FUNC:
      return {
        kind: "function",
        addr: v.funcAddr(c),
        params: v.funcParams(c),
        code: { pc: w[d + 1], paramList: w[d + 2] },
      };
    case T_LIST:
    case T_TUPLE: {
      const o = v.obj(c), n = v.len(c);
      const items: HostValue[] = new Array(n);
      for (let i = 0; i < n; i++) later(o + 1 + i, items, i);
      return w[d] === T_LIST ? { kind: "list", items } : { kind: "tuple", items };
    }
    case T_OBJECT:
      return { kind: "object", entries: hostEntries(v, v.obj(c) + 1, v.len(c), later) };
    case T_CLOSURE: {
      const o = v.obj(c);
      return {
        kind: "closure",
        addr: v.funcAddr(o + 1),
        params: v.funcParams(o + 1),
        captured: hostEntries(v, o + 2, w[(o << 2) + HDR_LEN], later),
        code: { pc: w[((o + 1) << 2) + 1], paramList: w[((o + 1) << 2) + 2] },
      };
    }
    case T_EXCEPTION: {
      const o = v.obj(c);
      const tr = o + 2, to = v.obj(tr), n = v.len(tr);
      const trace: string[] = [];
      for (let i = 1; i <= n; i++) trace.push(v.isStr(to + i) ? v.str(to + i) : "");
      return { kind: "exception", message: v.str(o + 1), trace };
    }
  }
  throw new Error(`internal error: bad tag ${w[d]} in cell ${c}`);
}

function hostEntries(
  v: Values,
  firstKey: number,
  n: number,
  later: (cell: number, into: unknown[], at: number) => void,
): Array<[string, HostValue]> {
  const w = v.mem.i32;
  const entries: Array<[string, HostValue]> = new Array(n);
  for (let i = 0; i < n; i++) {
    const pair: [string, HostValue] = [v.atoms.name(w[((firstKey + 2 * i) << 2) + 1]), NULL_VALUE];
    entries[i] = pair;
    later(firstKey + 1 + 2 * i, pair, 1);
  }
  return entries;
}

/** Heap cells needed to hold `value`. */
export function hostCellsOf(value: HostValue): number {
  let total = 0;
  const stack: HostValue[] = [value];
  while (stack.length > 0) {
    const x = stack.pop()!;
    switch (x.kind) {
      case "str":
        total += strCells(x.value.length);
        break;
      case "bytes":
        total += bytesCells(x.value.length);
        break;
      case "term":
        total += termCells(x.bytes.length);
        break;
      case "list":
        total += listCells(x.items.length);
        for (const item of x.items) stack.push(item);
        break;
      case "tuple":
        total += tupleCells(x.items.length);
        for (const item of x.items) stack.push(item);
        break;
      case "object":
        total += objectCells(x.entries.length);
        for (const [, item] of x.entries) stack.push(item);
        break;
      case "closure":
        total += closureCells(x.captured.length);
        for (const [, item] of x.captured) stack.push(item);
        break;
      case "exception":
        total += EXCEPTION_CELLS + strCells(x.message.length) + listCells(x.trace.length);
        for (const s of x.trace) total += strCells(s.length);
        break;
    }
  }
  return total;
}

/** Write `value` into cell `dst`, allocating its objects with `alloc` (which must not
 *  collect). */
export function writeHostValue(
  v: Values,
  dst: number,
  value: HostValue,
  alloc: (cells: number) => number,
): void {
  const values: HostValue[] = [value];
  const dsts: number[] = [dst];
  let written = 0;
  while (values.length > 0) {
    const x = values.pop()!, to = dsts.pop()!;
    written++;
    const mem = v.mem;
    switch (x.kind) {
      case "null":
        setNull(mem.i32, to);
        break;
      case "bool":
        setBool(mem.i32, to, x.value);
        break;
      case "int":
        if (x.pid) setPid(mem.i32, mem.f64, to, Number(x.value));
        else setBigInt(mem.i32, mem.f64, mem.i64, to, BigInt.asIntN(64, x.value));
        break;
      case "float":
        setFloat(mem.i32, mem.f64, to, x.value);
        break;
      case "str": {
        const s = x.value;
        const o = v.newObjectWith(alloc, T_STR, s.length, strCells(s.length));
        const base = (o + 1) << 3;
        for (let i = 0; i < s.length; i++) mem.u16[base + i] = s.charCodeAt(i);
        setStr(mem.i32, to, o, s.length, countCodePoints(s));
        written += s.length >> 3;
        break;
      }
      case "bytes":
      case "term": {
        const b = x.kind === "bytes" ? x.value : x.bytes;
        const type = x.kind === "bytes" ? T_BYTES : T_TERM;
        const o = v.newObjectWith(alloc, type, b.length, bytesCells(b.length));
        mem.u8.set(b, (o + 1) << 4);
        setPtr(mem.i32, to, type, o);
        written += b.length >> 4;
        break;
      }
      case "atom":
        setAtom(mem.i32, to, v.atoms.intern(x.name));
        break;
      case "conn": {
        const kind = connKindIndex(x.connKind);
        if (kind < 0) throw new RangeError(`unknown connection kind ${x.connKind}`);
        setConn(mem.i32, to, kind, x.id);
        break;
      }
      case "list":
      case "tuple": {
        const n = x.items.length;
        const isList = x.kind === "list";
        const o = v.newObjectWith(alloc, isList ? T_LIST : T_TUPLE, n, tupleCells(n));
        for (let i = n - 1; i >= 0; i--) {
          setNull(mem.i32, o + 1 + i);
          values.push(x.items[i]);
          dsts.push(o + 1 + i);
        }
        if (isList) setList(mem.i32, to, o, n);
        else setPtr(mem.i32, to, T_TUPLE, o);
        break;
      }
      case "object": {
        const n = x.entries.length;
        const o = v.newObjectWith(alloc, T_OBJECT, n, objectCells(n));
        for (let i = 0; i < n; i++) {
          const [k, item] = x.entries[i];
          setAtomStr(mem.i32, o + 1 + 2 * i, v.atoms.intern(k));
          setNull(mem.i32, o + 2 + 2 * i);
          values.push(item);
          dsts.push(o + 2 + 2 * i);
        }
        setPtr(mem.i32, to, T_OBJECT, o);
        break;
      }
      case "function":
        if (!x.code) throw new Error("internal error: a function needs its code to be built");
        setFunc(mem.i32, to, x.code.pc, x.code.paramList);
        break;
      case "closure": {
        // CLOSURE: h+1 = FUNC cell, then (name, value) cell pairs (src/term/tags.ts).
        if (!x.code) throw new Error("internal error: a closure needs its code to be built");
        const n = x.captured.length;
        const o = v.newObjectWith(alloc, T_CLOSURE, n, closureCells(n));
        setFunc(mem.i32, o + 1, x.code.pc, x.code.paramList);
        for (let i = 0; i < n; i++) {
          const [k, item] = x.captured[i];
          setAtomStr(mem.i32, o + 2 + 2 * i, v.atoms.intern(k));
          setNull(mem.i32, o + 3 + 2 * i);
          values.push(item);
          dsts.push(o + 3 + 2 * i);
        }
        setPtr(mem.i32, to, T_CLOSURE, o);
        break;
      }
      case "exception": {
        const o = v.newObjectWith(alloc, T_EXCEPTION, 0, EXCEPTION_CELLS);
        setNull(mem.i32, o + 1);
        setNull(mem.i32, o + 2);
        values.push({ kind: "str", value: x.message });
        dsts.push(o + 1);
        values.push({ kind: "list", items: x.trace.map((s) => ({ kind: "str", value: s })) });
        dsts.push(o + 2);
        setPtr(mem.i32, to, T_EXCEPTION, o);
        break;
      }
    }
  }
  addWork(written);
}
