/**
 * EQ on values in shared memory (LANGUAGE.md §1, §6; the same rules as hostEquals in host.ts):
 * values of different types are unequal (an Atom never equals a Str; Str literals and heap
 * strings are the same type); Floats within f64 epsilon; lists and tuples element-wise; objects
 * by keys and values in any order; Bytes and Terms byte-wise; Atoms by atom id; Connections by
 * handle id; Functions by address and parameter list; Closures also by their captures;
 * Exceptions by message and trace.
 *
 * Invariants: pairs still to compare wait on an explicit stack (no recursion by depth); the
 * number of pairs and string units compared is recorded on the work meter.
 */
import {
  findKey,
  HDR_LEN,
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
} from "./tags.ts";
import type { Values } from "./values.ts";
import { addWork } from "./work.ts";

const F64_EPSILON = 2.220446049250313e-16;

export function equalCells(v: Values, a: number, b: number): boolean {
  const pairs: number[] = [];
  let x = a, y = b, visited = 0;
  for (;;) {
    visited++;
    if (!shallowEqual(v, x, y, pairs)) {
      addWork(visited);
      return false;
    }
    if (pairs.length === 0) break;
    y = pairs.pop()!;
    x = pairs.pop()!;
  }
  addWork(visited);
  return true;
}

/** Compare a and b at the top level; push pairs of nested cells that must also be equal. */
function shallowEqual(v: Values, a: number, b: number, pairs: number[]): boolean {
  const w = v.mem.i32;
  const ta = w[a << 2], tb = w[b << 2];
  const sa = ta === T_STR || ta === T_ATOM_STR, sb = tb === T_STR || tb === T_ATOM_STR;
  if (sa || sb) return sa && sb && strEqual(v, a, b);
  if (ta !== tb) return false;
  switch (ta) {
    case T_NULL:
      return true;
    case T_BOOL:
    case T_ATOM:
    case T_CONN:
      return w[(a << 2) + 1] === w[(b << 2) + 1];
    case T_INT:
      return v.num(a) === v.num(b);
    case T_BIGINT:
      return v.mem.i64[(a << 1) + 1] === v.mem.i64[(b << 1) + 1];
    case T_FLOAT:
      return Math.abs(v.num(a) - v.num(b)) < F64_EPSILON;
    case T_FUNC:
      return w[(a << 2) + 1] === w[(b << 2) + 1] && w[(a << 2) + 2] === w[(b << 2) + 2];
    case T_LIST:
    case T_TUPLE: {
      const n = v.len(a);
      if (n !== v.len(b)) return false;
      // No shortcut for a shared object: a NaN element is unequal even to itself.
      const oa = v.obj(a), ob = v.obj(b);
      for (let i = n; i >= 1; i--) pairs.push(oa + i, ob + i);
      return true;
    }
    case T_OBJECT:
      return entriesEqual(v, v.obj(a), v.obj(b), 1, pairs);
    case T_BYTES:
    case T_TERM: {
      const x = v.bytes(a), y = v.bytes(b);
      if (x.length !== y.length) return false;
      addWork(x.length);
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      return true;
    }
    case T_CLOSURE: {
      const oa = v.obj(a), ob = v.obj(b);
      const fa = (oa + 1) << 2, fb = (ob + 1) << 2;
      return w[fa + 1] === w[fb + 1] && w[fa + 2] === w[fb + 2] &&
        entriesEqual(v, oa, ob, 2, pairs);
    }
    case T_EXCEPTION: {
      const oa = v.obj(a), ob = v.obj(b);
      pairs.push(oa + 1, ob + 1, oa + 2, ob + 2);
      return true;
    }
  }
  return false;
}

function strEqual(v: Values, a: number, b: number): boolean {
  const w = v.mem.i32;
  if (w[a << 2] === T_ATOM_STR && w[b << 2] === T_ATOM_STR) {
    return w[(a << 2) + 1] === w[(b << 2) + 1];
  }
  const n = v.strUnits(a);
  if (n !== v.strUnits(b)) return false;
  addWork(n);
  if (w[a << 2] === T_STR && w[b << 2] === T_STR) {
    if (w[(a << 2) + 1] === w[(b << 2) + 1]) return true; // same object, same length
    const u16 = v.mem.u16;
    const pa = (w[(a << 2) + 1] + 1) << 3, pb = (w[(b << 2) + 1] + 1) << 3;
    for (let i = 0; i < n; i++) if (u16[pa + i] !== u16[pb + i]) return false;
    return true;
  }
  return v.str(a) === v.str(b);
}

/** Same keys with equal values, in any order. `first` = offset of the first key cell. */
function entriesEqual(v: Values, oa: number, ob: number, first: number, pairs: number[]) {
  const w = v.mem.i32;
  const n = w[(oa << 2) + HDR_LEN];
  if (n !== w[(ob << 2) + HDR_LEN]) return false;
  for (let i = 0; i < n; i++) {
    const key = w[((oa + first + 2 * i) << 2) + 1];
    const j = findKey(w, ob + first, n, key);
    if (j < 0) return false;
    pairs.push(oa + first + 1 + 2 * i, ob + first + 1 + 2 * j);
  }
  return true;
}
