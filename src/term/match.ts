/**
 * RECEIVE_MATCH patterns (LANGUAGE.md §3, §6): the Str "_" matches anything; an Object pattern
 * matches an Object message having every field of the pattern with a matching value (other
 * fields are ignored); a List pattern matches a List of the same length element by element; a
 * Tuple pattern matches a Tuple of the same size element by element; any other pattern matches
 * an equal value (EQ semantics, equal.ts).
 *
 * Invariants: pairs (pattern cell, message cell) still to match wait on an explicit stack, so
 * patterns and messages of any depth match without recursion on the host stack; the pairs
 * visited are recorded on the work meter.
 */
import { T_ATOM_STR, T_LIST, T_OBJECT, T_STR, T_TUPLE } from "./tags.ts";
import type { Values } from "./values.ts";
import { equalCells } from "./equal.ts";
import { addWork } from "./work.ts";

const UNDERSCORE = 0x5f;

/** Whether the message in cell `msg` matches the pattern in cell `pat`. */
export function matches(v: Values, pat: number, msg: number): boolean {
  const pairs: number[] = [];
  let p = pat, m = msg, visited = 0;
  for (;;) {
    visited++;
    if (!matchOne(v, p, m, pairs)) {
      addWork(visited);
      return false;
    }
    if (pairs.length === 0) break;
    m = pairs.pop()!;
    p = pairs.pop()!;
  }
  addWork(visited);
  return true;
}

/** Match at the top level; push pairs of nested cells that must also match. */
function matchOne(v: Values, pat: number, msg: number, pairs: number[]): boolean {
  const w = v.mem.i32;
  const pt = w[pat << 2];
  if (isWildcard(v, pat, pt)) return true;
  switch (pt) {
    case T_OBJECT: {
      if (w[msg << 2] !== T_OBJECT) return false;
      const po = v.obj(pat), n = v.len(pat);
      for (let i = 0; i < n; i++) {
        const j = v.fieldIndex(msg, w[((po + 1 + 2 * i) << 2) + 1]);
        if (j < 0) return false;
        pairs.push(po + 2 + 2 * i, v.fieldCell(msg, j));
      }
      return true;
    }
    case T_LIST:
    case T_TUPLE: {
      const n = v.len(pat);
      if (w[msg << 2] !== pt || v.len(msg) !== n) return false;
      const po = v.obj(pat), mo = v.obj(msg);
      for (let i = n; i >= 1; i--) pairs.push(po + i, mo + i);
      return true;
    }
  }
  return equalCells(v, pat, msg);
}

function isWildcard(v: Values, c: number, tag: number): boolean {
  if (tag === T_ATOM_STR) {
    const name = v.atoms.name(v.aux(c));
    return name.length === 1 && name.charCodeAt(0) === UNDERSCORE;
  }
  return tag === T_STR && v.strUnits(c) === 1 && v.strUnit(c, 0) === UNDERSCORE;
}
