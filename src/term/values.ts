/**
 * Reading, building, printing and comparing values that live in shared memory.
 *
 * Everything here works on cell indices (see tags.ts). Functions that allocate take the
 * process's PCB and a destination cell `dst` (an operand-stack or root cell — never a heap
 * cell, because a collection moves the heap) and re-read their inputs after allocating.
 * Walks over a value's structure (printing: print.ts, equality: equal.ts, host conversion:
 * host_conv.ts, copying: copy.ts) use explicit work stacks, never recursion by depth.
 */
import type { AtomTable } from "../mem/atoms.ts";
import { decodeUnits } from "../mem/atoms.ts";
import type { ProgramImage } from "../mem/image.ts";
import type { Memory } from "../mem/memory.ts";
import { equalCells } from "./equal.ts";
import { type Heap, HeapLimitError } from "./gc.ts";
import type { HostValue } from "./host.ts";
import { hostCellsOf, toHostValue, writeHostValue } from "./host_conv.ts";
import { debugCell, debugEntries, displayCell } from "./print.ts";
import {
  bytesCells,
  closureCells,
  copyCell,
  CPS_UNKNOWN,
  findKey,
  HDR_FORWARD,
  HDR_LEN,
  HDR_SIZE_CELLS,
  listCells,
  objectCells,
  setAtomStr,
  setFunc,
  setList,
  setPtr,
  setStr,
  strCells,
  T_ATOM_STR,
  T_BIGINT,
  T_BYTES,
  T_CLOSURE,
  T_INT,
  T_LIST,
  T_OBJECT,
  T_STR,
  T_TERM,
  T_TUPLE,
  termCells,
  tupleCells,
} from "./tags.ts";
import { countCodePoints, countCodePointsU16 } from "./text.ts";

export class Values {
  /** Code points of each atom's text, by atom id (a rebuildable per-thread cache). */
  private readonly atomCodePoints: number[] = [];

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
  /** Int cell as a JS number (exact below 2^53; a small Int needs no BigInt). */
  intNumber(c: number): number {
    return this.tag(c) === T_INT ? this.num(c) : Number(this.mem.i64[(c << 1) + 1]);
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
    const d = c << 2;
    if (w[d] === T_ATOM_STR) return this.atoms.name(w[d + 1]);
    return decodeUnits(this.mem.u16, (w[d + 1] + 1) << 3, w[d + 2]);
  }

  /** Length of a Str cell in UTF-16 units. */
  strUnits(c: number): number {
    const w = this.mem.i32;
    const d = c << 2;
    return w[d] === T_ATOM_STR ? this.atoms.name(w[d + 1]).length : w[d + 2];
  }

  /** UTF-16 unit `i` of a heap STR cell (i < its length). */
  strUnit(c: number, i: number): number {
    return this.mem.u16[((this.mem.i32[(c << 2) + 1] + 1) << 3) + i];
  }

  /** Length of a Str cell in code points: O(1) (kept in the cell, or cached per atom). */
  codePoints(c: number): number {
    const w = this.mem.i32;
    const d = c << 2;
    if (w[d] === T_ATOM_STR) {
      const atom = w[d + 1];
      let n = this.atomCodePoints[atom];
      if (n === undefined) {
        n = countCodePoints(this.atoms.name(atom));
        this.atomCodePoints[atom] = n;
      }
      return n;
    }
    if (w[d + 3] === CPS_UNKNOWN) { // made by setPtr: count once and keep it in the cell
      w[d + 3] = countCodePointsU16(this.mem.u16, (w[d + 1] + 1) << 3, w[d + 2]);
    }
    return w[d + 3];
  }

  /** Length of the value in a heap-pointer cell: a STR's units or a LIST's elements (the
   *  cell's own length), an object's fields, a tuple's elements, a Bytes' or Term's bytes. */
  len(c: number): number {
    const w = this.mem.i32;
    const d = c << 2;
    const t = w[d];
    return t === T_STR || t === T_LIST ? w[d + 2] : w[(w[d + 1] << 2) + HDR_LEN];
  }
  /** Heap object start of a pointer cell. */
  obj(c: number): number {
    return this.mem.i32[(c << 2) + 1];
  }
  /** Spare capacity of a growable STR (in units) or LIST (in elements) object beyond its fill. */
  spare(o: number): number {
    const w = this.mem.i32;
    const h = o << 2;
    const room = w[h + HDR_SIZE_CELLS] - 1;
    return (w[h] === T_STR ? room << 3 : room) - w[h + HDR_LEN];
  }

  // ── building (each may collect) ─────────────────────────────────────────────────────────

  /** Allocate a heap object (may collect) and write its header; returns the object cell. */
  newObject(pcb: number, type: number, len: number, cells: number): number {
    return this.newObjectWith((n) => this.heap.alloc(pcb, n), type, len, cells);
  }

  /** A growable object of `len` (its fill) with room for `cells` cells, or — when that much
   *  room would pass the process's heap limit — exactly `exactCells`, so that growth headroom
   *  never makes a value fail that fits. May collect. */
  newGrowable(pcb: number, type: number, len: number, cells: number, exactCells: number): number {
    if (cells === exactCells) return this.newObject(pcb, type, len, cells);
    try {
      return this.newObject(pcb, type, len, cells);
    } catch (e) {
      if (!(e instanceof HeapLimitError)) throw e;
      return this.newObject(pcb, type, len, exactCells);
    }
  }

  /** A Str holding `s` (exactly full; its cell carries its code-point count). */
  putStr(pcb: number, dst: number, s: string): void {
    const o = this.newObject(pcb, T_STR, s.length, strCells(s.length));
    const u16 = this.mem.u16;
    const base = (o + 1) << 3;
    for (let i = 0; i < s.length; i++) u16[base + i] = s.charCodeAt(i);
    setStr(this.mem.i32, dst, o, s.length, countCodePoints(s));
  }

  putBytes(pcb: number, dst: number, b: Uint8Array): void {
    const o = this.newObject(pcb, T_BYTES, b.length, bytesCells(b.length));
    this.mem.u8.set(b, (o + 1) << 4);
    setPtr(this.mem.i32, dst, T_BYTES, o);
  }

  /** The bytes of a Bytes or Term cell (a copy). */
  bytes(c: number): Uint8Array {
    const o = this.obj(c);
    return this.mem.u8.slice((o + 1) << 4, ((o + 1) << 4) + this.mem.i32[(o << 2) + HDR_LEN]);
  }

  /** A Term holding External Term Format bytes (made by the distribution layer). */
  putTerm(pcb: number, dst: number, b: Uint8Array): void {
    const o = this.newObject(pcb, T_TERM, b.length, termCells(b.length));
    this.mem.u8.set(b, (o + 1) << 4);
    setPtr(this.mem.i32, dst, T_TERM, o);
  }

  /** A list of `n` elements copied from consecutive cells [src, src+n) (stack cells), with
   *  room for `spare` more elements. */
  putListFromCells(pcb: number, dst: number, src: number, n: number, spare = 0): void {
    const o = this.newObject(pcb, T_LIST, n, listCells(n + spare));
    const w = this.mem.i32;
    w.copyWithin((o + 1) << 2, src << 2, (src + n) << 2);
    setList(w, dst, o, n);
  }

  /** A tuple of `n` elements copied from consecutive cells [src, src+n) (stack cells). */
  putTupleFromCells(pcb: number, dst: number, src: number, n: number): void {
    const o = this.newObject(pcb, T_TUPLE, n, tupleCells(n));
    const w = this.mem.i32;
    w.copyWithin((o + 1) << 2, src << 2, (src + n) << 2);
    setPtr(w, dst, T_TUPLE, o);
  }

  /** A list of JS strings. */
  putStrList(pcb: number, dst: number, items: string[]): void {
    this.putHost(pcb, dst, { kind: "list", items: items.map((s) => ({ kind: "str", value: s })) });
  }

  // ── host conversion (host_conv.ts) ──────────────────────────────────────────────────────

  toHost(c: number): HostValue {
    return toHostValue(this, c);
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
    return hostCellsOf(v);
  }

  /** Write `v` into cell `dst` (allocating on pcb's heap; may collect once, up front). */
  putHost(pcb: number, dst: number, v: HostValue): void {
    this.heap.reserve(pcb, this.hostCells(v));
    this.writeHostWith(dst, v, (cells) => this.heap.bump(pcb, cells));
  }

  newObjectWith(
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

  /** Write `v` into cell `dst`, allocating its objects with `alloc` (which must not collect):
   *  a process heap after `reserve`, or a message node. */
  writeHostWith(dst: number, v: HostValue, alloc: (cells: number) => number): void {
    writeHostValue(this, dst, v, alloc);
  }

  /** Build an Exception value in `dst`. */
  putException(pcb: number, dst: number, message: string, trace: string[]): void {
    this.putHost(pcb, dst, { kind: "exception", message, trace });
  }

  // ── printing (print.ts) ─────────────────────────────────────────────────────────────────

  /** PRINT form (reference §3.2; LANGUAGE.md §6). */
  display(c: number): string {
    return displayCell(this, c);
  }

  /** Debug form (reference §3.4), used in error messages. */
  debug(c: number): string {
    return debugCell(this, c);
  }

  /** `{"k": v, …}` over `n` key/value cell pairs starting at `first`. Object and closure key
   *  cells are ATOM_STR cells (atom in word 1); frame key cells hold the atom in word 0
   *  (`keyWord` 0), where negative keys are hidden bookkeeping entries. */
  debugMap(first: number, n: number, keyWord = 1): string {
    return debugEntries(this, first, n, keyWord);
  }

  // ── equality (LANGUAGE.md §1: different types are unequal; structural) ───────────────────

  equal(a: number, b: number): boolean {
    return equalCells(this, a, b);
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
