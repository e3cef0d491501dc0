/**
 * The code generator's model of the operand stack inside a block, and the description of the
 * stack a bail leaves behind (which the tier writes out, so that bail sites stay free of
 * operations).
 *
 * Inside a block, values pushed by compiled instructions are *virtual*: they live in
 * JavaScript locals (or are constants) and reach the process's stack only when the block
 * ends or the interpreter takes over. Virtual entries sit above the real stack: entry i is at
 * stack position `sp + base + i`, where `base ≤ 0` counts the real values already popped by
 * the block. Invariants: a virtual entry never refers to a stack slot (values popped from the
 * real stack are consumed at once or the block writes everything out first), so writing the
 * entries in order can never overwrite a value another entry still needs.
 */

import { T_INT } from "../term/tags.ts";

/** A JavaScript operand: a number literal, or the name of a local. Never an expression. */
export type Operand = number | string;

/** A value held in locals: tag, f64 payload, aux word, extra constant words (index, value),
 *  and — for comparison results — a boolean expression over locals, true iff truthy. */
export interface Val {
  k: "val";
  t: Operand;
  v?: Operand;
  a?: Operand;
  extra?: Array<[number, number]>;
  truth?: string;
}
/** A value in a shared-memory cell, named by a local holding the cell index: a frame
 *  variable's value cell (atom = its name) or a real stack slot being consumed (atom = -1).
 *  A variable's cell also has a view: locals holding its tag and its payload read as f64
 *  (meaningful for Int and Float), kept equal to memory by every compiled STORE. */
export interface CellRef {
  k: "cell";
  c: string;
  atom: number;
  view?: { t: string; v: string };
}
/** Already written to its own stack position. */
export interface Done {
  k: "done";
}
export type Entry = Val | CellRef | Done;

/** An operand of a bail's stack description: a constant, or spill slot `q` (`jit.qs[q]`). */
export type SpillOperand = { c: number } | { q: number };

export type SpillEntry =
  | {
    k: "val";
    t: SpillOperand;
    a?: SpillOperand;
    v?: SpillOperand;
    extra?: Array<[number, number]>;
  }
  | { k: "cell"; src: SpillOperand }
  | { k: "done" };

/** What a bail leaves for the tier: the instruction the interpreter runs next, the budget of
 *  the block's instructions not run, and the virtual stack to write out (entry i at stack
 *  position sp + base + i, sp being the one the unit saved). */
export interface BailInfo {
  pc: number;
  refund: number;
  base: number;
  entries: SpillEntry[];
  /** A LOAD whose inline cache missed: the variable, so that the tier can refresh the cache
   *  (-1 otherwise). */
  relook: number;
  /** A stop, not a failed guard: the work a direct call charged left too little budget for
   *  the rest of the block (codegen.ts `chargeCallWork`); not counted against the pc. */
  stop?: boolean;
}

/** A number as a JavaScript literal that is safe inside any expression (negatives are
 *  parenthesised, so `-${lit}` never becomes `--7`). */
export function lit(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  if (Object.is(x, -0)) return "(-0)";
  return x < 0 ? `(${x})` : String(x);
}

/** An operand as JavaScript source. */
export function ex(x: Operand): string {
  return typeof x === "number" ? lit(x) : x;
}

/** Stack position `sp + offset` as JavaScript source. */
export function pos(offset: number): string {
  return offset === 0 ? "sp" : offset > 0 ? `sp + ${offset}` : `sp - ${-offset}`;
}

// Index expressions and register updates of a unit stay int32 for V8. A cell is 4 words (2
// f64s) and every cell's word index is below 2^31 (src/mem/memory.ts), so word k of a cell is
// `(c << 2) | k` and its payload `(c << 1) | 1` — exact, where `(c << 2) + k` compiles to an
// add with an overflow check and a branch on every access. A register (sp, fp, ftop, a
// variable's cell, the generation, the budget) is updated as `x + n | 0` for the same reason.

/** Word `k` (0–3) of the cell at expression `cell`, as an index into `w`. */
export function word(cell: string, k: number): string {
  const c = grouped(cell);
  return k === 0 ? `${c} << 2` : `(${c} << 2) | ${k}`;
}

/** The f64 payload of the cell at expression `cell`, as an index into `f`. */
export function payload(cell: string): string {
  return `(${grouped(cell)} << 1) | 1`;
}

/** An expression safe as a shift's left operand: a name as it is, anything else bracketed. */
function grouped(expr: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(expr) ? expr : `(${expr})`;
}

/** `reg = reg + n | 0` as JavaScript source (n may be negative). */
export function bump(reg: string, n: number): string {
  return n < 0 ? `${reg} = ${reg} - ${-n} | 0;` : `${reg} = ${reg} + ${n} | 0;`;
}

/** The budget charged `reductions` (a local or property holding a count) as JavaScript
 *  source: the work an instruction run by a call did. */
export function charge(reductions: string): string {
  return `budget = budget - ${reductions} | 0;`;
}

/** `tag === T` as JavaScript source, folded when the tag is known. */
export function isTag(t: Operand, want: number): string {
  if (typeof t === "number") return t === want ? "true" : "false";
  return `${t} === ${want}`;
}

/** `a && b` with constant folding of "true"/"false". */
export function and(a: string, b: string): string {
  if (a === "false" || b === "false") return "false";
  if (a === "true") return b;
  if (b === "true") return a;
  return `${a} && ${b}`;
}

/** JavaScript statements writing entry `e` into the cell at expression `dst`. */
export function writeCode(e: Entry, dst: string): string {
  if (e.k === "done") return "";
  if (e.k === "cell") {
    const copy = `{ const d = (${dst}) << 2, s = ${e.c} << 2; w[d] = w[s]; ` +
      `w[d | 1] = w[s | 1]; w[d | 2] = w[s | 2]; w[d | 3] = w[s | 3]; }`;
    if (e.view === undefined) return copy + " ";
    // An Int is its tag, aux word (PID_MARK for an Int made as a PID, else 0) and payload.
    return `if (${e.view.t} === ${T_INT}) { const d = ${dst}; w[d << 2] = ${T_INT}; ` +
      `w[${word("d", 1)}] = w[${word(e.c, 1)}]; f[${payload("d")}] = ${e.view.v}; } else ${copy} `;
  }
  // The aux word is always written: a cell that held a PID must not lend its mark to an Int
  // (or anything else) written over it.
  let s = `{ const d = ${dst}; w[d << 2] = ${ex(e.t)}; w[${word("d", 1)}] = ${
    e.a !== undefined ? ex(e.a) : 0
  }; `;
  if (e.v !== undefined) s += `f[${payload("d")}] = ${ex(e.v)}; `;
  for (const [k, x] of e.extra ?? []) s += `w[${word("d", k)}] = ${x}; `;
  return s + "} ";
}

/** Write a bail's virtual stack into the process's stack (`spRel` is the saved sp; `stack`
 *  the stack block's first cell); returns the new relative sp. */
export function spill(
  w: Int32Array,
  f: Float64Array,
  qs: Float64Array,
  stack: number,
  spRel: number,
  info: BailInfo,
): number {
  const value = (o: SpillOperand) => ("c" in o ? o.c : qs[o.q]);
  const entries = info.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const d = stack + spRel + info.base + i;
    if (e.k === "done") continue;
    if (e.k === "cell") {
      const s = value(e.src) << 2, t = d << 2;
      w[t] = w[s];
      w[t + 1] = w[s + 1];
      w[t + 2] = w[s + 2];
      w[t + 3] = w[s + 3];
      continue;
    }
    w[d << 2] = value(e.t);
    w[(d << 2) + 1] = e.a !== undefined ? value(e.a) : 0;
    if (e.v !== undefined) f[(d << 1) + 1] = value(e.v);
    for (const [k, x] of e.extra ?? []) w[(d << 2) + k] = x;
  }
  return spRel + info.base + entries.length;
}
