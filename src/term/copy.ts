/**
 * Deep copy of values between memory regions: a process heap → a message node, a message node →
 * a process heap, a parent's stack → a new child's heap. A message is a deep copy (LANGUAGE.md
 * §2): sharing inside the source is not preserved, so the size is exactly `valueCells`.
 *
 * Invariants: the source is not modified; the destination space is obtained from `alloc`,
 * which must not trigger a collection (callers reserve `valueCells(src)` first). Atom strings,
 * Functions and scalars are copied as cells (they hold no heap pointers).
 */
import {
  bytesCells,
  closureCells,
  copyCell,
  EXCEPTION_CELLS,
  FIRST_PTR_TAG,
  HDR_FORWARD,
  HDR_LEN,
  HDR_SIZE_CELLS,
  listCells,
  objectCells,
  strCells,
  T_BYTES,
  T_CLOSURE,
  T_EXCEPTION,
  T_LIST,
  T_OBJECT,
  T_STR,
} from "./tags.ts";

/** Heap cells needed by a deep copy of the value in cell `c`. */
export function valueCells(w: Int32Array, c: number): number {
  const tag = w[c << 2];
  if (tag < FIRST_PTR_TAG) return 0;
  const o = w[(c << 2) + 1];
  const len = w[(o << 2) + HDR_LEN];
  switch (tag) {
    case T_STR:
      return strCells(len);
    case T_BYTES:
      return bytesCells(len);
    case T_LIST: {
      let n = listCells(len);
      for (let i = 1; i <= len; i++) n += valueCells(w, o + i);
      return n;
    }
    case T_OBJECT: {
      let n = objectCells(len);
      for (let i = 0; i < len; i++) n += valueCells(w, o + 2 + 2 * i);
      return n;
    }
    case T_CLOSURE: {
      let n = closureCells(len);
      for (let i = 0; i < len; i++) n += valueCells(w, o + 3 + 2 * i);
      return n;
    }
    case T_EXCEPTION:
      return EXCEPTION_CELLS + valueCells(w, o + 1) + valueCells(w, o + 2);
  }
  throw new Error(`internal error: valueCells of tag ${tag}`);
}

/** Copy the value in cell `src` into cell `dst`, allocating objects with `alloc(cells)`. */
export function copyValue(
  w: Int32Array,
  src: number,
  dst: number,
  alloc: (cells: number) => number,
): void {
  copyCell(w, dst, src);
  const tag = w[src << 2];
  if (tag < FIRST_PTR_TAG) return;
  const o = w[(src << 2) + 1];
  const size = w[(o << 2) + HDR_SIZE_CELLS];
  const len = w[(o << 2) + HDR_LEN];
  const n = alloc(size);
  // Copy the object's own cells, then deep-copy the values it holds in place.
  w.copyWithin(n << 2, o << 2, (o + size) << 2);
  w[(n << 2) + HDR_FORWARD] = 0;
  w[(dst << 2) + 1] = n;
  switch (tag) {
    case T_LIST:
      for (let i = 1; i <= len; i++) copyValue(w, o + i, n + i, alloc);
      break;
    case T_OBJECT:
      for (let i = 0; i < len; i++) copyValue(w, o + 2 + 2 * i, n + 2 + 2 * i, alloc);
      break;
    case T_CLOSURE:
      for (let i = 0; i < len; i++) copyValue(w, o + 3 + 2 * i, n + 3 + 2 * i, alloc);
      break;
    case T_EXCEPTION:
      copyValue(w, o + 1, n + 1, alloc);
      copyValue(w, o + 2, n + 2, alloc);
      break;
  }
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
