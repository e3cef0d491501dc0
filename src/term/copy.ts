/**
 * Deep copy of values between memory regions: a process heap → a message node, a message node →
 * a process heap, a parent's stack → a new child's heap. A message is a deep copy (LANGUAGE.md
 * §2): sharing inside the source is not preserved, so the size is exactly `valueCells`.
 *
 * Invariants: the source is not modified; the destination space is obtained from `alloc`,
 * which must not trigger a collection (callers reserve `valueCells(src)` first). Scalars, atoms,
 * atom strings, Functions and Connections are copied as cells (they hold no heap pointers). A
 * STR or LIST is copied as the value sees it — its own length, without the spare capacity of a
 * growable object (tags.ts) — so the copy's object is exactly full. Both walks use an explicit
 * work stack: values of any nesting depth are copied without recursion on the host stack.
 * Copying records its cells on the work meter (work.ts), so the instruction that copies is
 * charged for it.
 */
import {
  bytesCells,
  closureCells,
  copyCell,
  EXCEPTION_CELLS,
  HDR_FORWARD,
  HDR_LEN,
  HDR_SIZE_CELLS,
  isPtrTag,
  listCells,
  objectCells,
  strCells,
  T_BYTES,
  T_CLOSURE,
  T_CONN,
  T_EXCEPTION,
  T_LIST,
  T_OBJECT,
  T_STR,
  T_TERM,
  T_TUPLE,
  termCells,
  tupleCells,
} from "./tags.ts";
import { addWork } from "./work.ts";

/** The work stack both walks share, one per thread, so that a walk allocates nothing (a JS
 *  array would: V8 trims an emptied array's store, and the next push allocates one again).
 *  Neither walk re-enters itself or the other: copyValue's `alloc` only bumps a pointer. */
let work = new Int32Array(64);

/** Entries `work` keeps after a walk: a deep value's walk (a 1,000,000-deep list needs as
 *  many entries) does not leave its megabytes behind. */
const WORK_KEPT = 1 << 16;

/** After a walk: drop a grown work stack. */
function trimWork(): void {
  if (work.length > WORK_KEPT) work = new Int32Array(64);
}

/** Push `x` at `work[top]` (doubling `work` when full); returns the new top. */
function pushWork(top: number, x: number): number {
  if (top === work.length) {
    const bigger = new Int32Array(top * 2);
    bigger.set(work);
    work = bigger;
  }
  work[top] = x;
  return top + 1;
}

/** Heap cells needed by a deep copy of the value in cell `c`. */
export function valueCells(w: Int32Array, c: number): number {
  if (!isPtrTag(w[c << 2])) return 0;
  let total = 0;
  let top = pushWork(0, c);
  while (top > 0) {
    const x = work[--top];
    const d = x << 2;
    const o = w[d + 1];
    const len = w[(o << 2) + HDR_LEN];
    switch (w[d]) {
      case T_STR:
        total += strCells(w[d + 2]);
        break;
      case T_BYTES:
        total += bytesCells(len);
        break;
      case T_TERM:
        total += termCells(len);
        break;
      case T_LIST: {
        const n = w[d + 2];
        total += listCells(n);
        for (let i = 1; i <= n; i++) if (isPtrTag(w[(o + i) << 2])) top = pushWork(top, o + i);
        break;
      }
      case T_TUPLE:
        total += tupleCells(len);
        for (let i = 1; i <= len; i++) if (isPtrTag(w[(o + i) << 2])) top = pushWork(top, o + i);
        break;
      case T_OBJECT:
        total += objectCells(len);
        for (let i = 0; i < len; i++) {
          if (isPtrTag(w[(o + 2 + 2 * i) << 2])) top = pushWork(top, o + 2 + 2 * i);
        }
        break;
      case T_CLOSURE:
        total += closureCells(len);
        for (let i = 0; i < len; i++) {
          if (isPtrTag(w[(o + 3 + 2 * i) << 2])) top = pushWork(top, o + 3 + 2 * i);
        }
        break;
      case T_EXCEPTION: // message (a Str, possibly an atom string) and trace
        total += EXCEPTION_CELLS;
        for (let i = 1; i <= 2; i++) if (isPtrTag(w[(o + i) << 2])) top = pushWork(top, o + i);
        break;
      default:
        throw new Error(`internal error: valueCells of tag ${w[d]}`);
    }
  }
  trimWork();
  return total;
}

/** True when a Connection value was copied since the last `takeCopiedConn` (the ports layer
 *  then looks for HTTP requests that changed hands: their holder answers them). */
let copiedConn = false;

export function takeCopiedConn(): boolean {
  const was = copiedConn;
  copiedConn = false;
  return was;
}

/** Call `fn(kind, id)` for every Connection inside the value in cell `c`. */
export function forEachConn(
  w: Int32Array,
  c: number,
  fn: (kind: number, id: number) => void,
): void {
  const stack: number[] = [c];
  while (stack.length > 0) {
    const x = stack.pop()!;
    const t = w[x << 2];
    if (t === T_CONN) {
      fn(w[(x << 2) + 2], w[(x << 2) + 1]);
      continue;
    }
    if (!isPtrTag(t)) continue;
    const o = w[(x << 2) + 1];
    switch (t) {
      case T_LIST:
        for (let i = 1; i <= w[(x << 2) + 2]; i++) stack.push(o + i);
        break;
      case T_TUPLE:
        for (let i = 1; i <= w[(o << 2) + HDR_LEN]; i++) stack.push(o + i);
        break;
      case T_OBJECT:
        for (let i = 0; i < w[(o << 2) + HDR_LEN]; i++) stack.push(o + 2 + 2 * i);
        break;
      case T_CLOSURE:
        for (let i = 0; i < w[(o << 2) + HDR_LEN]; i++) stack.push(o + 3 + 2 * i);
        break;
    }
  }
}

/** Copy the value in cell `src` into cell `dst`, allocating objects with `alloc(cells)`. */
export function copyValue(
  w: Int32Array,
  src: number,
  dst: number,
  alloc: (cells: number) => number,
): void {
  copyCell(w, dst, src);
  if (!isPtrTag(w[src << 2])) {
    if (w[src << 2] === T_CONN) copiedConn = true;
    return;
  }
  let copied = 0;
  // Pairs (source cell, destination cell); the destination cell already holds the source
  // cell's words and gets the new object pointer.
  let top = pushWork(pushWork(0, src), dst);
  while (top > 0) {
    const to = work[--top], from = work[--top];
    const d = from << 2;
    const tag = w[d];
    const o = w[d + 1];
    let len: number, size: number;
    if (tag === T_STR) {
      len = w[d + 2];
      size = strCells(len);
    } else if (tag === T_LIST) {
      len = w[d + 2];
      size = listCells(len);
    } else {
      len = w[(o << 2) + HDR_LEN];
      size = w[(o << 2) + HDR_SIZE_CELLS];
    }
    const n = alloc(size);
    // The object's own cells (the visible prefix of a growable one), then its header.
    w.copyWithin(n << 2, o << 2, (o + size) << 2);
    w[(n << 2) + HDR_LEN] = len;
    w[(n << 2) + HDR_SIZE_CELLS] = size;
    w[(n << 2) + HDR_FORWARD] = 0;
    w[(to << 2) + 1] = n;
    copied += tag === T_STR || tag === T_BYTES || tag === T_TERM ? len : size;
    switch (tag) {
      case T_LIST:
      case T_TUPLE:
        for (let i = 1; i <= len; i++) {
          const t = w[(o + i) << 2];
          if (isPtrTag(t)) top = pushWork(pushWork(top, o + i), n + i);
          else if (t === T_CONN) copiedConn = true;
        }
        break;
      case T_OBJECT:
        for (let i = 2; i < 2 + 2 * len; i += 2) {
          const t = w[(o + i) << 2];
          if (isPtrTag(t)) top = pushWork(pushWork(top, o + i), n + i);
          else if (t === T_CONN) copiedConn = true;
        }
        break;
      case T_CLOSURE:
        for (let i = 3; i < 3 + 2 * len; i += 2) {
          const t = w[(o + i) << 2];
          if (isPtrTag(t)) top = pushWork(pushWork(top, o + i), n + i);
          else if (t === T_CONN) copiedConn = true;
        }
        break;
      case T_EXCEPTION: // message (a Str, possibly an atom string) and trace
        for (let i = 1; i <= 2; i++) {
          if (isPtrTag(w[(o + i) << 2])) top = pushWork(pushWork(top, o + i), n + i);
        }
        break;
    }
  }
  trimWork();
  addWork(copied);
}

/** A bump allocator over the cell range [start, end). */
export function bumpAllocator(start: number, end: number): (cells: number) => number {
  let next = start;
  return (cells: number) => {
    const at = next;
    next += cells;
    if (next > end) throw new Error("internal error: copy overran its reservation");
    return at;
  };
}
