/**
 * Reading, building, printing and comparing values that live in shared memory.
 *
 * Everything here works on cell indices (see tags.ts). Functions that allocate take the
 * process's PCB and a destination cell `dst` (an operand-stack or root cell — never a heap
 * cell, because a collection moves the heap) and re-read their inputs after allocating.
 */
import type { AtomTable } from "../mem/atoms.ts";
import { decodeUnits } from "../mem/atoms.ts";
import type { ProgramImage } from "../mem/image.ts";
import type { Memory } from "../mem/memory.ts";
import { debugString, formatFloatDebug, formatFloatDisplay } from "./format.ts";
import type { Heap } from "./gc.ts";
import type { HostValue } from "./host.ts";
import {
  bytesCells,
  closureCells,
  copyCell,
  EXCEPTION_CELLS,
  HDR_FORWARD,
  HDR_LEN,
  HDR_SIZE_CELLS,
  listCells,
  objectCells,
  setAtomStr,
  setBigInt,
  setBool,
  setFloat,
  setFunc,
  setNull,
  setPtr,
  strCells,
  T_ATOM_STR,
  T_BIGINT,
  T_BOOL,
  T_BYTES,
  T_CLOSURE,
  T_EXCEPTION,
  T_FLOAT,
  T_FUNC,
  T_INT,
  T_LIST,
  T_NULL,
  T_OBJECT,
  T_STR,
} from "./tags.ts";

const F64_EPSILON = 2.220446049250313e-16;

export class Values {
  constructor(
    readonly mem: Memory,
    readonly atoms: AtomTable,
    readonly heap: Heap,
    readonly image: ProgramImage,
  ) {}

  tag(c: number): number {
    return this.mem.i32[c << 2];
  }
  aux(c: number): number {
    return this.mem.i32[(c << 2) + 1];
  }
  num(c: number): number {
    return this.mem.f64[(c << 1) + 1];
  }
  /** Int cell as bigint. */
  int(c: number): bigint {
    return this.tag(c) === T_INT ? BigInt(this.num(c)) : this.mem.i64[(c << 1) + 1];
  }
  isStr(c: number): boolean {
    const t = this.tag(c);
    return t === T_STR || t === T_ATOM_STR;
  }
  isInt(c: number): boolean {
    const t = this.tag(c);
    return t === T_INT || t === T_BIGINT;
  }

  /** The JS string of a Str cell. */
  str(c: number): string {
    const w = this.mem.i32;
    const t = w[c << 2];
    if (t === T_ATOM_STR) return this.atoms.name(w[(c << 2) + 1]);
    const obj = w[(c << 2) + 1];
    return decodeUnits(this.mem.u16, (obj + 1) << 3, w[(obj << 2) + HDR_LEN]);
  }

  /** Length of a heap object (list elements, object fields, string units, bytes). */
  len(c: number): number {
    const w = this.mem.i32;
    return w[(w[(c << 2) + 1] << 2) + HDR_LEN];
  }
  /** Heap object start of a pointer cell. */
  obj(c: number): number {
    return this.mem.i32[(c << 2) + 1];
  }

  // ── building (each may collect) ─────────────────────────────────────────────────────────

  /** Allocate a heap object (may collect) and write its header; returns the object cell. */
  private newObject(pcb: number, type: number, len: number, cells: number): number {
    return this.newObjectWith((n) => this.heap.alloc(pcb, n), type, len, cells);
  }

  putStr(pcb: number, dst: number, s: string): void {
    const o = this.newObject(pcb, T_STR, s.length, strCells(s.length));
    const u16 = this.mem.u16;
    const base = (o + 1) << 3;
    for (let i = 0; i < s.length; i++) u16[base + i] = s.charCodeAt(i);
    setPtr(this.mem.i32, dst, T_STR, o);
  }

  putBytes(pcb: number, dst: number, b: Uint8Array): void {
    const o = this.newObject(pcb, T_BYTES, b.length, bytesCells(b.length));
    this.mem.u8.set(b, (o + 1) << 4);
    setPtr(this.mem.i32, dst, T_BYTES, o);
  }

  bytes(c: number): Uint8Array {
    const o = this.obj(c);
    return this.mem.u8.slice((o + 1) << 4, ((o + 1) << 4) + this.mem.i32[(o << 2) + HDR_LEN]);
  }

  /** A list of `n` elements copied from consecutive cells [src, src+n) (stack cells). */
  putListFromCells(pcb: number, dst: number, src: number, n: number): void {
    const o = this.newObject(pcb, T_LIST, n, listCells(n));
    const w = this.mem.i32;
    w.copyWithin((o + 1) << 2, src << 2, (src + n) << 2);
    setPtr(w, dst, T_LIST, o);
  }

  /** A list of JS strings. */
  putStrList(pcb: number, dst: number, items: string[]): void {
    this.putHost(pcb, dst, { kind: "list", items: items.map((s) => ({ kind: "str", value: s })) });
  }

  // ── host conversion ─────────────────────────────────────────────────────────────────────

  toHost(c: number): HostValue {
    const w = this.mem.i32;
    const t = w[c << 2];
    switch (t) {
      case T_NULL:
        return { kind: "null" };
      case T_BOOL:
        return { kind: "bool", value: w[(c << 2) + 1] !== 0 };
      case T_INT:
      case T_BIGINT:
        return { kind: "int", value: this.int(c) };
      case T_FLOAT:
        return { kind: "float", value: this.num(c) };
      case T_ATOM_STR:
      case T_STR:
        return { kind: "str", value: this.str(c) };
      case T_FUNC:
        return { kind: "function", addr: this.funcAddr(c), params: this.funcParams(c) };
      case T_LIST: {
        const o = this.obj(c), n = w[(o << 2) + HDR_LEN];
        const items: HostValue[] = [];
        for (let i = 1; i <= n; i++) items.push(this.toHost(o + i));
        return { kind: "list", items };
      }
      case T_OBJECT:
        return { kind: "object", entries: this.entries(c) };
      case T_BYTES:
        return { kind: "bytes", value: this.bytes(c) };
      case T_CLOSURE: {
        const o = this.obj(c), n = w[(o << 2) + HDR_LEN];
        const captured: Array<[string, HostValue]> = [];
        for (let i = 0; i < n; i++) {
          captured.push([
            this.atoms.name(w[((o + 2 + 2 * i) << 2) + 1]),
            this.toHost(o + 3 + 2 * i),
          ]);
        }
        return {
          kind: "closure",
          addr: this.funcAddr(o + 1),
          params: this.funcParams(o + 1),
          captured,
        };
      }
      case T_EXCEPTION: {
        const o = this.obj(c);
        const trace = this.toHost(o + 2);
        return {
          kind: "exception",
          message: this.str(o + 1),
          trace: trace.kind === "list"
            ? trace.items.map((i) => i.kind === "str" ? i.value : "")
            : [],
        };
      }
    }
    throw new Error(`internal error: bad tag ${t} in cell ${c}`);
  }

  private entries(c: number): Array<[string, HostValue]> {
    const w = this.mem.i32;
    const o = this.obj(c), n = w[(o << 2) + HDR_LEN];
    const out: Array<[string, HostValue]> = [];
    for (let i = 0; i < n; i++) {
      out.push([this.atoms.name(w[((o + 1 + 2 * i) << 2) + 1]), this.toHost(o + 2 + 2 * i)]);
    }
    return out;
  }

  funcAddr(c: number): number {
    return this.image.localPc(this.mem.i32[(c << 2) + 1]);
  }
  funcParams(c: number): string[] {
    const list = this.image.paramLists[this.mem.i32[(c << 2) + 2]];
    return Array.from(list, (a) => this.atoms.name(a));
  }

  /** Cells needed to hold `v` on a heap. */
  hostCells(v: HostValue): number {
    switch (v.kind) {
      case "str":
        return strCells(v.value.length);
      case "bytes":
        return bytesCells(v.value.length);
      case "list":
        return listCells(v.items.length) + v.items.reduce((n, x) => n + this.hostCells(x), 0);
      case "object":
        return objectCells(v.entries.length) +
          v.entries.reduce((n, [, x]) => n + this.hostCells(x), 0);
      case "closure":
        return closureCells(v.captured.length) +
          v.captured.reduce((n, [, x]) => n + this.hostCells(x), 0);
      case "exception":
        return EXCEPTION_CELLS + strCells(v.message.length) + listCells(v.trace.length) +
          v.trace.reduce((n, s) => n + strCells(s.length), 0);
      default:
        return 0;
    }
  }

  /** Write `v` into cell `dst` (allocating on pcb's heap; may collect once, up front). */
  putHost(pcb: number, dst: number, v: HostValue): void {
    this.heap.reserve(pcb, this.hostCells(v));
    this.writeHost(pcb, dst, v);
  }

  private newObjectWith(
    alloc: (cells: number) => number,
    type: number,
    len: number,
    cells: number,
  ): number {
    const o = alloc(cells);
    const w = this.mem.i32;
    const h = o << 2;
    w[h] = type;
    w[h + HDR_LEN] = len;
    w[h + HDR_SIZE_CELLS] = cells;
    w[h + HDR_FORWARD] = 0;
    return o;
  }

  /** Write without collecting: space must have been reserved. */
  private writeHost(pcb: number, dst: number, v: HostValue): void {
    this.writeHostWith(dst, v, (cells) => this.heap.bump(pcb, cells));
  }

  /** Write `v` into cell `dst`, allocating its objects with `alloc` (which must not collect):
   *  a process heap after `reserve`, or a message node. */
  writeHostWith(dst: number, v: HostValue, alloc: (cells: number) => number): void {
    const mem = this.mem;
    switch (v.kind) {
      case "null":
        return setNull(mem.i32, dst);
      case "bool":
        return setBool(mem.i32, dst, v.value);
      case "int":
        return setBigInt(mem.i32, mem.f64, mem.i64, dst, BigInt.asIntN(64, v.value));
      case "float":
        return setFloat(mem.i32, mem.f64, dst, v.value);
      case "str": {
        const o = this.newObjectWith(alloc, T_STR, v.value.length, strCells(v.value.length));
        const base = (o + 1) << 3;
        for (let i = 0; i < v.value.length; i++) mem.u16[base + i] = v.value.charCodeAt(i);
        return setPtr(mem.i32, dst, T_STR, o);
      }
      case "bytes": {
        const o = this.newObjectWith(alloc, T_BYTES, v.value.length, bytesCells(v.value.length));
        mem.u8.set(v.value, (o + 1) << 4);
        return setPtr(mem.i32, dst, T_BYTES, o);
      }
      case "list": {
        const o = this.newObjectWith(alloc, T_LIST, v.items.length, listCells(v.items.length));
        v.items.forEach((x, i) => this.writeHostWith(o + 1 + i, x, alloc));
        return setPtr(mem.i32, dst, T_LIST, o);
      }
      case "object": {
        const n = v.entries.length;
        const o = this.newObjectWith(alloc, T_OBJECT, n, objectCells(n));
        v.entries.forEach(([k, x], i) => {
          setAtomStr(mem.i32, o + 1 + 2 * i, this.atoms.intern(k));
          this.writeHostWith(o + 2 + 2 * i, x, alloc);
        });
        return setPtr(mem.i32, dst, T_OBJECT, o);
      }
      case "function":
        throw new Error("internal error: functions cannot be built from host values");
      case "closure":
        throw new Error("internal error: closures cannot be built from host values");
      case "exception": {
        const o = this.newObjectWith(alloc, T_EXCEPTION, 0, EXCEPTION_CELLS);
        this.writeHostWith(o + 1, { kind: "str", value: v.message }, alloc);
        this.writeHostWith(o + 2, {
          kind: "list",
          items: v.trace.map((s) => ({ kind: "str", value: s })),
        }, alloc);
        return setPtr(mem.i32, dst, T_EXCEPTION, o);
      }
    }
  }

  /** Build an Exception value in `dst`. */
  putException(pcb: number, dst: number, message: string, trace: string[]): void {
    this.putHost(pcb, dst, { kind: "exception", message, trace });
  }

  // ── printing ────────────────────────────────────────────────────────────────────────────

  /** PRINT form (reference §3.2). */
  display(c: number): string {
    const w = this.mem.i32;
    switch (w[c << 2]) {
      case T_NULL:
        return "null";
      case T_BOOL:
        return w[(c << 2) + 1] !== 0 ? "true" : "false";
      case T_INT:
        return String(this.num(c));
      case T_BIGINT:
        return String(this.mem.i64[(c << 1) + 1]);
      case T_FLOAT:
        return formatFloatDisplay(this.num(c));
      case T_ATOM_STR:
      case T_STR:
        return this.str(c);
      case T_LIST: {
        const o = this.obj(c), n = w[(o << 2) + HDR_LEN];
        const parts: string[] = [];
        for (let i = 1; i <= n; i++) parts.push(this.display(o + i));
        return `[${parts.join(", ")}]`;
      }
      case T_OBJECT: {
        const o = this.obj(c), n = w[(o << 2) + HDR_LEN];
        const parts: string[] = [];
        for (let i = 0; i < n; i++) {
          parts.push(
            `${this.atoms.name(w[((o + 1 + 2 * i) << 2) + 1])}: ${this.display(o + 2 + 2 * i)}`,
          );
        }
        return `{${parts.join(", ")}}`;
      }
      case T_BYTES:
        return `Bytes(${this.len(c)})`;
      case T_FUNC:
        return `function@${this.funcAddr(c)} (${this.funcParams(c).join(", ")})`;
      case T_CLOSURE: {
        const o = this.obj(c);
        return `closure@${this.funcAddr(o + 1)} (${this.funcParams(o + 1).join(", ")}) [captured: ${
          w[(o << 2) + HDR_LEN]
        }]`;
      }
      case T_EXCEPTION: {
        const o = this.obj(c);
        let s = `Exception: ${this.str(o + 1)}`;
        const tr = o + 2, n = this.len(tr), to = this.obj(tr);
        if (n > 0) {
          s += "\nStack trace:";
          for (let i = 1; i <= n; i++) s += `\n  ${this.str(to + i)}`;
        }
        return s;
      }
    }
    return "?";
  }

  /** Debug form (reference §3.4), used in error messages. */
  debug(c: number): string {
    const w = this.mem.i32;
    switch (w[c << 2]) {
      case T_NULL:
        return "Null";
      case T_BOOL:
        return `Bool(${w[(c << 2) + 1] !== 0})`;
      case T_INT:
      case T_BIGINT:
        return `Int(${this.display(c)})`;
      case T_FLOAT:
        return `Float(${formatFloatDebug(this.num(c))})`;
      case T_ATOM_STR:
      case T_STR:
        return `Str(${debugString(this.str(c))})`;
      case T_LIST: {
        const o = this.obj(c), n = w[(o << 2) + HDR_LEN];
        const parts: string[] = [];
        for (let i = 1; i <= n; i++) parts.push(this.debug(o + i));
        return `List([${parts.join(", ")}])`;
      }
      case T_OBJECT:
        return `Object(${this.debugMap(this.obj(c) + 1, this.len(c))})`;
      case T_BYTES:
        return `Bytes([${Array.from(this.bytes(c)).join(", ")}])`;
      case T_FUNC:
        return `Function { addr: ${this.funcAddr(c)}, params: ${this.debugParams(c)} }`;
      case T_CLOSURE: {
        const o = this.obj(c);
        return `Closure { addr: ${this.funcAddr(o + 1)}, params: ${
          this.debugParams(o + 1)
        }, captured: ${this.debugMap(o + 2, w[(o << 2) + HDR_LEN])} }`;
      }
      case T_EXCEPTION: {
        const o = this.obj(c);
        const tr = o + 2, n = this.len(tr), to = this.obj(tr);
        const entries: string[] = [];
        for (let i = 1; i <= n; i++) entries.push(debugString(this.str(to + i)));
        return `Exception { message: ${debugString(this.str(o + 1))}, stack_trace: [${
          entries.join(", ")
        }] }`;
      }
    }
    return "?";
  }

  /** `{"k": v, …}` over `n` key/value cell pairs starting at `first`. Object and closure key
   *  cells are ATOM_STR cells (atom in word 1); frame key cells hold the atom in word 0
   *  (`keyWord` 0), where negative keys are hidden bookkeeping entries. */
  debugMap(first: number, n: number, keyWord = 1): string {
    const w = this.mem.i32;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = w[((first + 2 * i) << 2) + keyWord];
      if (key < 0) continue;
      parts.push(`${debugString(this.atoms.name(key))}: ${this.debug(first + 1 + 2 * i)}`);
    }
    return `{${parts.join(", ")}}`;
  }

  private debugParams(c: number): string {
    return `[${this.funcParams(c).map(debugString).join(", ")}]`;
  }

  // ── equality (LANGUAGE.md §1: different types are unequal; structural) ───────────────────

  equal(a: number, b: number): boolean {
    const w = this.mem.i32;
    const ta = w[a << 2], tb = w[b << 2];
    const sa = ta === T_STR || ta === T_ATOM_STR, sb = tb === T_STR || tb === T_ATOM_STR;
    if (sa || sb) {
      if (!(sa && sb)) return false;
      if (ta === T_ATOM_STR && tb === T_ATOM_STR) return w[(a << 2) + 1] === w[(b << 2) + 1];
      return this.str(a) === this.str(b);
    }
    if (ta !== tb) return false;
    switch (ta) {
      case T_NULL:
        return true;
      case T_BOOL:
        return w[(a << 2) + 1] === w[(b << 2) + 1];
      case T_INT:
        return this.num(a) === this.num(b);
      case T_BIGINT:
        return this.mem.i64[(a << 1) + 1] === this.mem.i64[(b << 1) + 1];
      case T_FLOAT:
        return Math.abs(this.num(a) - this.num(b)) < F64_EPSILON;
      case T_FUNC:
        return w[(a << 2) + 1] === w[(b << 2) + 1] && w[(a << 2) + 2] === w[(b << 2) + 2];
      case T_LIST: {
        const oa = this.obj(a), ob = this.obj(b);
        const n = w[(oa << 2) + HDR_LEN];
        if (n !== w[(ob << 2) + HDR_LEN]) return false;
        for (let i = 1; i <= n; i++) if (!this.equal(oa + i, ob + i)) return false;
        return true;
      }
      case T_OBJECT:
        return this.objectsEqual(this.obj(a), this.obj(b), 1);
      case T_BYTES: {
        const x = this.bytes(a), y = this.bytes(b);
        return x.length === y.length && x.every((v, i) => v === y[i]);
      }
      case T_CLOSURE: {
        const oa = this.obj(a), ob = this.obj(b);
        return this.equal(oa + 1, ob + 1) && this.objectsEqual(oa, ob, 2);
      }
      case T_EXCEPTION: {
        const oa = this.obj(a), ob = this.obj(b);
        return this.equal(oa + 1, ob + 1) && this.equal(oa + 2, ob + 2);
      }
    }
    return false;
  }

  /** Same keys with equal values, in any order. `first` = offset of the first key cell. */
  private objectsEqual(oa: number, ob: number, first: number): boolean {
    const w = this.mem.i32;
    const n = w[(oa << 2) + HDR_LEN];
    if (n !== w[(ob << 2) + HDR_LEN]) return false;
    for (let i = 0; i < n; i++) {
      const key = w[((oa + first + 2 * i) << 2) + 1];
      const j = findKey(w, ob + first, n, key);
      if (j < 0 || !this.equal(oa + first + 1 + 2 * i, ob + first + 1 + 2 * j)) return false;
    }
    return true;
  }

  // ── objects ─────────────────────────────────────────────────────────────────────────────

  /** Index of field `atom` in object cell c, or -1. */
  fieldIndex(c: number, atom: number): number {
    const w = this.mem.i32;
    const o = this.obj(c);
    return findKey(w, o + 1, w[(o << 2) + HDR_LEN], atom);
  }

  /** Value cell of field i of object cell c. */
  fieldCell(c: number, i: number): number {
    return this.obj(c) + 2 + 2 * i;
  }

  /** Copy an object (cell `src`) into `dst` with field `atom` set to the value in cell `val`
   *  (`val` < 0: field removed). `src`/`val` must be stack or root cells. */
  putObjectWith(pcb: number, dst: number, src: number, atom: number, val: number): void {
    const idx = this.fieldIndex(src, atom);
    const n0 = this.len(src);
    const n = val < 0 ? (idx < 0 ? n0 : n0 - 1) : (idx < 0 ? n0 + 1 : n0);
    const o = this.newObject(pcb, T_OBJECT, n, objectCells(n));
    const w = this.mem.i32;
    const so = this.obj(src); // re-read: the collection may have moved it
    let j = 0;
    for (let i = 0; i < n0; i++) {
      if (i === idx) {
        if (val < 0) continue;
        copyCell(w, o + 1 + 2 * j, so + 1 + 2 * i);
        copyCell(w, o + 2 + 2 * j, val);
      } else {
        copyCell(w, o + 1 + 2 * j, so + 1 + 2 * i);
        copyCell(w, o + 2 + 2 * j, so + 2 + 2 * i);
      }
      j++;
    }
    if (val >= 0 && idx < 0) {
      setAtomStr(w, o + 1 + 2 * j, atom);
      copyCell(w, o + 2 + 2 * j, val);
    }
    setPtr(w, dst, T_OBJECT, o);
  }

  /** An empty object in dst. */
  putEmptyObject(pcb: number, dst: number): void {
    const o = this.newObject(pcb, T_OBJECT, 0, objectCells(0));
    setPtr(this.mem.i32, dst, T_OBJECT, o);
  }

  /** A closure over function cell `fn` capturing the fields of object cell `captures`
   *  (a NULL cell = nothing captured). */
  putClosure(pcb: number, dst: number, pc: number, paramList: number, captures: number): void {
    const hasCaps = this.tag(captures) === T_OBJECT;
    const n = hasCaps ? this.len(captures) : 0;
    const o = this.newObject(pcb, T_CLOSURE, n, closureCells(n));
    const w = this.mem.i32;
    setFunc(w, o + 1, pc, paramList);
    if (n > 0) {
      const co = this.obj(captures);
      w.copyWithin((o + 2) << 2, (co + 1) << 2, (co + 1 + 2 * n) << 2);
    }
    setPtr(w, dst, T_CLOSURE, o);
  }
}

function findKey(w: Int32Array, firstKeyCell: number, n: number, atom: number): number {
  for (let i = 0; i < n; i++) if (w[((firstKeyCell + 2 * i) << 2) + 1] === atom) return i;
  return -1;
}
