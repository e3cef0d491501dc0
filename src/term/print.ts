/**
 * Printing values in shared memory: the display form (PRINT, TO_STR, JOIN, CSV cells; reference
 * §3.2) and the debug form (error messages, DUMP_SCOPE; reference §3.4), including the forms of
 * the LANGUAGE.md §6 values: an Atom prints as its name (debug `Atom(ok)`), a Tuple as
 * `{1, ok, text}` (debug `Tuple([Int(1), Atom(ok), Str("text")])`), a Connection as
 * `Connection(tcp#3)` and a Term as `describeTerm(bytes)` in both forms.
 *
 * Invariants: a to-do stack of pieces — literal text, or a cell still to print — replaces
 * recursion, so a list nested a million deep prints like a flat one; the output length is
 * recorded on the work meter (the instruction that prints is charged for it).
 */
import { debugString, formatFloatDebug, formatFloatDisplay } from "./format.ts";
import { connText } from "./format.ts";
import { describeTerm } from "./describe_term.ts";
import {
  CONN_KINDS,
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

/** A piece still to print: a cell index (≥ 0) or literal text. */
type Piece = number | string;

export function displayCell(v: Values, c: number): string {
  const leaf = displayLeaf(v, c);
  if (leaf !== null) {
    addWork(leaf.length);
    return leaf;
  }
  return run(v, [c], false);
}

export function debugCell(v: Values, c: number): string {
  const leaf = debugLeaf(v, c);
  if (leaf !== null) {
    addWork(leaf.length);
    return leaf;
  }
  return run(v, [c], true);
}

/** `{"k": v, …}` over `n` key/value cell pairs from `first` (see Values.debugMap). */
export function debugEntries(v: Values, first: number, n: number, keyWord: number): string {
  const todo: Piece[] = [];
  pushEntries(v, todo, "{", first, n, keyWord, true, "}");
  return run(v, todo, true);
}

function run(v: Values, todo: Piece[], debug: boolean): string {
  const out: string[] = [];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (typeof x === "string") {
      out.push(x);
      continue;
    }
    const leaf = debug ? debugLeaf(v, x) : displayLeaf(v, x);
    if (leaf !== null) out.push(leaf);
    else pushComposite(v, todo, x, debug);
  }
  const text = out.join("");
  addWork(text.length);
  return text;
}

/** Push the pieces of a list, tuple, object or (debug) closure cell, in reverse. */
function pushComposite(v: Values, todo: Piece[], c: number, debug: boolean): void {
  const w = v.mem.i32;
  const o = v.obj(c);
  switch (w[c << 2]) {
    case T_LIST:
      return pushElements(todo, debug ? "List([" : "[", o + 1, v.len(c), debug ? "])" : "]");
    case T_TUPLE:
      return pushElements(todo, debug ? "Tuple([" : "{", o + 1, v.len(c), debug ? "])" : "}");
    case T_OBJECT:
      return pushEntries(
        v,
        todo,
        debug ? "Object({" : "{",
        o + 1,
        w[(o << 2) + HDR_LEN],
        1,
        debug,
        debug ? "})" : "}",
      );
    case T_CLOSURE: // debug only: display prints a closure as a leaf
      return pushEntries(
        v,
        todo,
        `Closure { addr: ${v.funcAddr(o + 1)}, params: ${debugParams(v, o + 1)}, captured: {`,
        o + 2,
        w[(o << 2) + HDR_LEN],
        1,
        true,
        "} }",
      );
  }
  throw new Error(`internal error: cannot print tag ${w[c << 2]}`);
}

function pushElements(todo: Piece[], open: string, first: number, n: number, close: string) {
  todo.push(close);
  for (let i = n - 1; i >= 0; i--) {
    todo.push(first + i);
    if (i > 0) todo.push(", ");
  }
  todo.push(open);
}

function pushEntries(
  v: Values,
  todo: Piece[],
  open: string,
  first: number,
  n: number,
  keyWord: number,
  debug: boolean,
  close: string,
): void {
  const w = v.mem.i32;
  todo.push(close);
  let later = false; // an entry after this one was pushed (needs a separator before it)
  for (let i = n - 1; i >= 0; i--) {
    const key = w[((first + 2 * i) << 2) + keyWord];
    if (key < 0) continue; // hidden frame bookkeeping
    if (later) todo.push(", ");
    const name = v.atoms.name(key);
    todo.push(first + 1 + 2 * i, debug ? `${debugString(name)}: ` : `${name}: `);
    later = true;
  }
  todo.push(open);
}

/** Display text of a cell that holds no nested values, or null for a list/tuple/object. */
function displayLeaf(v: Values, c: number): string | null {
  const w = v.mem.i32;
  const d = c << 2;
  switch (w[d]) {
    case T_NULL:
      return "null";
    case T_BOOL:
      return w[d + 1] !== 0 ? "true" : "false";
    case T_INT:
      return String(v.num(c));
    case T_BIGINT:
      return String(v.mem.i64[(c << 1) + 1]);
    case T_FLOAT:
      return formatFloatDisplay(v.num(c));
    case T_ATOM_STR:
    case T_STR:
      return v.str(c);
    case T_ATOM:
      return v.atoms.name(w[d + 1]);
    case T_CONN:
      return connText(CONN_KINDS[w[d + 2]] ?? "?", w[d + 1]);
    case T_TERM:
      return describeTerm(v.bytes(c));
    case T_BYTES:
      return `Bytes(${v.len(c)})`;
    case T_FUNC:
      return `function@${v.funcAddr(c)} (${v.funcParams(c).join(", ")})`;
    case T_CLOSURE: {
      const o = v.obj(c);
      return `closure@${v.funcAddr(o + 1)} (${v.funcParams(o + 1).join(", ")}) [captured: ${
        w[(o << 2) + HDR_LEN]
      }]`;
    }
    case T_EXCEPTION: {
      const o = v.obj(c);
      let s = `Exception: ${v.str(o + 1)}`;
      const tr = o + 2, n = v.len(tr), to = v.obj(tr);
      if (n > 0) {
        s += "\nStack trace:";
        for (let i = 1; i <= n; i++) s += `\n  ${v.str(to + i)}`;
      }
      return s;
    }
    case T_LIST:
    case T_TUPLE:
    case T_OBJECT:
      return null;
  }
  return "?";
}

/** Debug text of a cell that holds no nested values, or null for a composite. */
function debugLeaf(v: Values, c: number): string | null {
  const w = v.mem.i32;
  const d = c << 2;
  switch (w[d]) {
    case T_NULL:
      return "Null";
    case T_BOOL:
      return `Bool(${w[d + 1] !== 0})`;
    case T_INT:
    case T_BIGINT:
      return `Int(${displayLeaf(v, c)})`;
    case T_FLOAT:
      return `Float(${formatFloatDebug(v.num(c))})`;
    case T_ATOM_STR:
    case T_STR:
      return `Str(${debugString(v.str(c))})`;
    case T_ATOM:
      return `Atom(${v.atoms.name(w[d + 1])})`;
    case T_CONN:
    case T_TERM:
      return displayLeaf(v, c);
    case T_BYTES:
      return `Bytes([${Array.from(v.bytes(c)).join(", ")}])`;
    case T_FUNC:
      return `Function { addr: ${v.funcAddr(c)}, params: ${debugParams(v, c)} }`;
    case T_EXCEPTION: {
      const o = v.obj(c);
      const tr = o + 2, n = v.len(tr), to = v.obj(tr);
      const entries: string[] = [];
      for (let i = 1; i <= n; i++) entries.push(debugString(v.str(to + i)));
      return `Exception { message: ${debugString(v.str(o + 1))}, stack_trace: [${
        entries.join(", ")
      }] }`;
    }
    case T_LIST:
    case T_TUPLE:
    case T_OBJECT:
    case T_CLOSURE:
      return null;
  }
  return "?";
}

function debugParams(v: Values, fnCell: number): string {
  return `[${v.funcParams(fnCell).map(debugString).join(", ")}]`;
}
