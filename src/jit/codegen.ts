/**
 * Code generation: one region of bytecode → the source text of one JavaScript function (a
 * compiled unit), which `tier.ts` turns into a function with `new Function`.
 *
 * Shape of a unit (`unit(jit, pcb, pc, budget) → code`):
 * ```
 *   load views and registers from the PCB (absolute sp, fp, ftop; block bounds)
 *   out: for (;;) switch (pc) {
 *     case <leader>: { prologue; block body; block end }   ← one case per block, pc order
 *     …
 *     default: leave with J_JUMP                           ← pc is not an entry of this unit
 *   }
 *   write pc, sp, fp, ftop back to the PCB (relative), jit.budget = budget, return code
 * ```
 * Every exit of the loop goes through that one epilogue, so the PCB is exact whenever compiled
 * code is not running: a unit is only ever left at a block start (a leader: re-entered through
 * its `case`) or just before an instruction the interpreter must run.
 *
 * Block prologue (the safepoint): the block's instruction count is charged to the budget in
 * one step, and its deepest pop and highest push are checked against the stack block. When
 * the budget does not cover the whole block, or the stack is too shallow (an underflow error)
 * or too small (it must grow), the unit leaves at the block start with J_BLOCKED: the tier
 * preempts (budget 0) or lets the interpreter run from there — the remaining budget
 * instruction by instruction (so preemption happens at exactly the instruction it would
 * without compiled code), or the block whose error it raises or whose stack it grows.
 *
 * Block body: a virtual operand stack. Values pushed inside a block stay in JavaScript locals
 * (an Int or Float payload and its tag, a Bool, a constant cell, or a reference to a frame
 * variable's cell) and are written to the process's stack only when the block ends, when the
 * interpreter must take over, or when a STORE would overwrite a variable still referenced.
 * Every guard that fails (a type the fast path does not handle, an Int overflow, a zero
 * divisor, an undefined variable, a full frame block, a handler to drop) first writes the
 * virtual stack as it was before the instruction, refunds the budget of the instructions not
 * run, and leaves with R_CONTINUE at that instruction: the interpreter executes it — and
 * raises exactly its errors, at exactly its pc, catchable by TRY. Compiled code never throws,
 * allocates, collects or yields itself.
 *
 * Invariant: only opcodes listed in COMPILED are compiled; every other opcode (including any
 * added to the table later) ends its block and is run by the interpreter.
 */
import { OP_BY_CODE, OP_BY_NAME } from "../isa/opcodes.ts";
import {
  FRAME_CALL,
  P_FP,
  P_FRAMES,
  P_FRAMES_CAP,
  P_FTOP,
  P_HTOP,
  P_PC,
  P_SP,
  P_STACK,
  P_STACK_CAP,
} from "../proc/pcb.ts";
import {
  MAX_SAFE,
  T_ATOM_STR,
  T_BIGINT,
  T_BOOL,
  T_FLOAT,
  T_FUNC,
  T_INT,
  T_NULL,
} from "../term/tags.ts";
import { R_CONTINUE } from "../vm/interp.ts";
import { STACK_HEADROOM } from "../vm/machine.ts";
import { Flow, type Region } from "./region.ts";

/** Unit result: pc left the unit's entries; the tier looks up the next unit. */
export const J_JUMP = 64;
/** Unit result: a block prologue failed (budget, stack depth or room) at the saved pc. */
export const J_BLOCKED = 65;

const F64_EPSILON = 2.220446049250313e-16;

/** What the generator needs to know about the program (a thread's view of the image). */
export interface CodeView {
  readonly code: Int32Array;
  readonly nInstr: number;
  readonly floats: Float64Array;
  readonly ints: BigInt64Array;
  readonly paramLists: readonly Int32Array[];
}

// ── the opcodes this tier compiles (by mnemonic; numbers come from the table) ──────────────

const STRAIGHT = [
  "PUSH_INT",
  "PUSH_STR",
  "TRUE",
  "FALSE",
  "NULL",
  "PUSH_FLOAT",
  "PUSH_BOOL",
  "DUP",
  "POP",
  "SWAP",
  "OVER",
  "ADD",
  "SUB",
  "MUL",
  "DIV",
  "MOD",
  "NEG",
  "ADD_F",
  "SUB_F",
  "MUL_F",
  "DIV_F",
  "EQ",
  "NE",
  "GT",
  "LT",
  "GE",
  "LE",
  "EQ_F",
  "NE_F",
  "GT_F",
  "LT_F",
  "GE_F",
  "LE_F",
  "NOT",
  "AND",
  "OR",
  "LOAD",
  "STORE",
  "MAKE_FUNCTION",
  "CATCH",
];
/** Run by the interpreter and never fall through. */
const ENDING = ["HALT", "END", "THROW", "EXIT", "EXIT_SELF"];

function code(name: string): number {
  const info = OP_BY_NAME.get(name);
  if (!info) throw new Error(`jit: opcode ${name} is not in the opcode table`);
  return info.code;
}

/** Flow class per opcode number for the opcodes this tier knows; others are Fallback. */
const FLOW_BY_CODE: Int8Array = (() => {
  const t = new Int8Array(256).fill(Flow.Fallback);
  for (const n of STRAIGHT) t[code(n)] = Flow.Straight;
  t[code("JMP")] = Flow.Jump;
  t[code("JZ")] = Flow.Branch;
  t[code("CALL")] = Flow.Call;
  t[code("RET")] = Flow.Return;
  for (const n of ENDING) t[code(n)] = Flow.FallbackEnd;
  return t;
})();

/** Mnemonics of the opcodes compiled inline (for docs and tests). */
export const COMPILED_OPCODES: readonly string[] = [...STRAIGHT, "JMP", "JZ", "CALL", "RET"];

const OP = {
  PUSH_INT: code("PUSH_INT"),
  PUSH_STR: code("PUSH_STR"),
  TRUE: code("TRUE"),
  FALSE: code("FALSE"),
  NULL: code("NULL"),
  PUSH_FLOAT: code("PUSH_FLOAT"),
  PUSH_BOOL: code("PUSH_BOOL"),
  DUP: code("DUP"),
  POP: code("POP"),
  SWAP: code("SWAP"),
  OVER: code("OVER"),
  ADD: code("ADD"),
  SUB: code("SUB"),
  MUL: code("MUL"),
  DIV: code("DIV"),
  MOD: code("MOD"),
  NEG: code("NEG"),
  ADD_F: code("ADD_F"),
  SUB_F: code("SUB_F"),
  MUL_F: code("MUL_F"),
  DIV_F: code("DIV_F"),
  EQ: code("EQ"),
  NE: code("NE"),
  GT: code("GT"),
  LT: code("LT"),
  GE: code("GE"),
  LE: code("LE"),
  EQ_F: code("EQ_F"),
  NE_F: code("NE_F"),
  GT_F: code("GT_F"),
  LT_F: code("LT_F"),
  GE_F: code("GE_F"),
  LE_F: code("LE_F"),
  NOT: code("NOT"),
  AND: code("AND"),
  OR: code("OR"),
  LOAD: code("LOAD"),
  STORE: code("STORE"),
  MAKE_FUNCTION: code("MAKE_FUNCTION"),
  CATCH: code("CATCH"),
  JMP: code("JMP"),
  JZ: code("JZ"),
  CALL: code("CALL"),
  RET: code("RET"),
};

/** How the region analysis and the generator treat the instruction at `pc`. */
export function flowOf(view: CodeView, pc: number): Flow {
  const ip = pc << 2;
  const op = view.code[ip];
  const flow = FLOW_BY_CODE[op & 255] as Flow;
  if (op < 0 || op > 255) return Flow.Fallback;
  // CALL with a repeated parameter name binds the last value: rare, left to the interpreter.
  if (flow === Flow.Call && hasDuplicates(view.paramLists[view.code[ip + 2]])) {
    return Flow.Fallback;
  }
  return flow;
}

function hasDuplicates(list: Int32Array | undefined): boolean {
  if (!list) return true;
  return new Set(list).size !== list.length;
}

/** Values popped and pushed by a compiled instruction (CALL: its parameter count). */
function stackEffect(view: CodeView, pc: number): [number, number] {
  const ip = pc << 2;
  const op = view.code[ip];
  if (op === OP.CALL) return [view.paramLists[view.code[ip + 2]].length, 0];
  const info = OP_BY_CODE[op]!;
  return [info.pops, info.pushes];
}

// ── the virtual stack ──────────────────────────────────────────────────────────────────────

/** A value known at compile time to live in locals: tag (a literal when known, else a local's
 *  name), f64 payload expression, aux word expression, extra constant words (index, value),
 *  and — for comparison results — a boolean expression that is true iff the value is truthy. */
interface Val {
  k: "val";
  t: number | string;
  v?: string;
  a?: string;
  extra?: Array<[number, number]>;
  truth?: string;
}
/** A value in a shared-memory cell: a frame variable's value cell (atom = its name) or a slot
 *  of the process's stack below the block's virtual part (atom = -1). */
interface CellRef {
  k: "cell";
  c: string;
  atom: number;
}
/** Already written to its own stack position. */
interface Done {
  k: "done";
}
type Entry = Val | CellRef | Done;

interface Snapshot {
  vs: Entry[];
  base: number;
  pc: number;
  refund: number;
}

/** A number as a JavaScript literal that is safe inside any expression (negatives are
 *  parenthesised, so `-${lit}` never becomes `--7`). */
function lit(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  if (Object.is(x, -0)) return "(-0)";
  return x < 0 ? `(${x})` : String(x);
}

function pos(offset: number): string {
  return offset === 0 ? "sp" : offset > 0 ? `sp + ${offset}` : `sp - ${-offset}`;
}

/** `tag === T` folded when the tag is known. */
function isTag(t: number | string, want: number): string {
  if (typeof t === "number") return t === want ? "true" : "false";
  return `${t} === ${want}`;
}

function and(a: string, b: string): string {
  if (a === "false" || b === "false") return "false";
  if (a === "true") return b;
  if (b === "true") return a;
  return `${a} && ${b}`;
}

// ── the unit generator ─────────────────────────────────────────────────────────────────────

export interface UnitSource {
  /** Function body for `new Function("env", body)`; it returns the unit function. */
  body: string;
  /** Number of instructions compiled inline (0 = not worth a unit). */
  compiledInstrs: number;
}

export function generateUnit(view: CodeView, region: Region): UnitSource {
  return new UnitGen(view, region).run();
}

class UnitGen {
  private readonly out: string[] = [];
  private temps = 0;
  private vs: Entry[] = [];
  private base = 0;
  /** Frame variables whose cell local is known valid in this block. */
  private vars = new Set<number>();
  /** Variables LOAD/STORE name somewhere in the unit (each gets a cached cell local). */
  private readonly tracked = new Set<number>();
  private snap: Snapshot = { vs: [], base: 0, pc: 0, refund: 0 };
  private readonly inRegion: Set<number>;
  private readonly isLeader: Set<number>;
  private compiled = 0;

  constructor(private readonly view: CodeView, private readonly region: Region) {
    this.inRegion = new Set(region.pcs);
    this.isLeader = new Set(region.leaders);
    for (const pc of region.pcs) {
      const op = view.code[pc << 2];
      if (op === OP.LOAD || op === OP.STORE) this.tracked.add(view.code[(pc << 2) + 1]);
    }
  }

  run(): UnitSource {
    const o = this.out;
    o.push(`"use strict";`);
    o.push(`const findVar = env.findVar;`);
    o.push(`return function unit_${this.region.root}(jit, pcb, pc, budget) {`);
    o.push(`const mem = jit.mem, w = mem.i32, f = mem.f64, ic = jit.ic;`);
    o.push(`const p = pcb << 2;`);
    o.push(`const stackBase = w[p + ${P_STACK}];`);
    o.push(`const stackEnd = stackBase + w[p + ${P_STACK_CAP}] - ${STACK_HEADROOM};`);
    o.push(`let sp = stackBase + w[p + ${P_SP}];`);
    o.push(`const frameBase = w[p + ${P_FRAMES}];`);
    o.push(`const frameEnd = frameBase + w[p + ${P_FRAMES_CAP}];`);
    o.push(`let fp = frameBase + w[p + ${P_FP}];`);
    o.push(`let ftop = frameBase + w[p + ${P_FTOP}];`);
    // Handlers change only in instructions the interpreter runs, never inside a unit.
    o.push(`const htop = w[p + ${P_HTOP}];`);
    o.push(`let rc = ${R_CONTINUE};`);
    // Variable cell cache: kc<atom> is the value cell of the variable in the current frame,
    // valid while kv<atom> === gen. gen changes whenever the current frame does (compiled CALL
    // and RET; everything else that touches frames runs outside the unit).
    o.push(`let gen = 1, serial = 1;`);
    for (const atom of this.tracked) o.push(`let kc${atom} = 0, kv${atom} = 0;`);
    o.push(`out: for (;;) {`);
    o.push(`switch (pc) {`);
    const leaders = this.region.leaders;
    for (let i = 0; i < leaders.length; i++) {
      this.block(leaders[i], i + 1 < leaders.length ? leaders[i + 1] : -1);
    }
    o.push(`default: rc = ${J_JUMP}; break out;`);
    o.push(`}`); // switch
    o.push(`}`); // for
    o.push(`w[p + ${P_PC}] = pc;`);
    o.push(`w[p + ${P_SP}] = sp - stackBase;`);
    o.push(`w[p + ${P_FP}] = fp - frameBase;`);
    o.push(`w[p + ${P_FTOP}] = ftop - frameBase;`);
    o.push(`jit.budget = budget;`);
    o.push(`return rc;`);
    o.push(`};`);
    return { body: o.join("\n"), compiledInstrs: this.compiled };
  }

  private emit(line: string): void {
    this.out.push(line);
  }

  private tmp(prefix: string): string {
    return `${prefix}${this.temps++}`;
  }

  // ── blocks ───────────────────────────────────────────────────────────────────────────────

  /** One block from `leader`; `nextCase` is the leader emitted after it (-1: none). */
  private block(leader: number, nextCase: number): void {
    const view = this.view;
    // Collect the block's compiled instructions and how it ends.
    const instrs: number[] = [];
    let fallbackAt = -1; // an instruction the interpreter runs
    let fallsTo = -1; // the block runs into another leader / leaves the region
    let terminated = false;
    for (let pc = leader;; pc++) {
      if (pc !== leader && (this.isLeader.has(pc) || !this.inRegion.has(pc))) {
        fallsTo = pc;
        break;
      }
      if (pc >= view.nInstr) {
        fallsTo = pc;
        break;
      }
      const flow = flowOf(view, pc);
      if (flow === Flow.Fallback || flow === Flow.FallbackEnd) {
        fallbackAt = pc;
        break;
      }
      instrs.push(pc);
      if (flow !== Flow.Straight) {
        terminated = true;
        break;
      }
    }
    // Stack effect of the block: deepest pop below and highest push above the entry sp.
    let h = 0, low = 0, high = 0;
    for (const pc of instrs) {
      const [pops, pushes] = stackEffect(view, pc);
      low = Math.min(low, h - pops);
      h += pushes - pops;
      high = Math.max(high, h);
    }
    const len = instrs.length;
    this.emit(`case ${leader}: {`);
    const conds: string[] = [];
    if (len > 0) conds.push(`budget < ${len}`);
    if (low < 0) conds.push(`sp - ${-low} < stackBase`);
    if (high > 0) conds.push(`sp + ${high} > stackEnd`);
    if (conds.length > 0) {
      this.emit(`if (${conds.join(" || ")}) { pc = ${leader}; rc = ${J_BLOCKED}; break out; }`);
    }
    if (len > 0) this.emit(`budget -= ${len};`);
    this.vs = [];
    this.base = 0;
    this.vars = new Set();
    for (let i = 0; i < len; i++) {
      const pc = instrs[i];
      this.snap = { vs: [...this.vs], base: this.base, pc, refund: len - i };
      this.instr(pc, nextCase);
      this.compiled++;
    }
    if (!terminated) {
      this.flush();
      if (fallbackAt >= 0) {
        this.emit(`pc = ${fallbackAt}; rc = ${R_CONTINUE}; break out;`);
      } else if (fallsTo !== nextCase) {
        this.emit(`pc = ${fallsTo}; continue out;`);
      } // else: fall through into the next case
    }
    this.emit(`}`);
  }

  /** Code that leaves at the current instruction for the interpreter (a failed guard). */
  private bail(): string {
    const s = this.snap;
    return `{ ${this.flushCode(s.vs, s.base)}budget += ${s.refund}; pc = ${s.pc}; ` +
      `rc = ${R_CONTINUE}; break out; }`;
  }

  /** Continue at `target` (a jump); `nextCase` lets a jump to the next case fall through. */
  private goto(target: number, nextCase: number): string {
    if (target === nextCase) return ""; // the next case follows
    return `pc = ${target}; continue out;`;
  }

  // ── virtual stack ────────────────────────────────────────────────────────────────────────

  private push(e: Entry): void {
    this.vs.push(e);
  }

  private pop(): Entry {
    const e = this.vs.pop();
    if (e !== undefined) {
      if (e.k !== "done") return e;
      const c = this.tmp("s");
      this.emit(`const ${c} = ${pos(this.base + this.vs.length)};`);
      return { k: "cell", c, atom: -1 };
    }
    this.base--;
    const c = this.tmp("s");
    this.emit(`const ${c} = ${pos(this.base)};`);
    return { k: "cell", c, atom: -1 };
  }

  /** Write the virtual stack to the process's stack and make sp exact. */
  private flush(): void {
    const code = this.flushCode(this.vs, this.base);
    if (code !== "") this.emit(code);
    this.vs = [];
    this.base = 0;
  }

  private flushCode(vs: Entry[], base: number): string {
    let s = "";
    vs.forEach((e, i) => (s += this.writeCode(e, pos(base + i))));
    const delta = base + vs.length;
    if (delta !== 0) s += `sp += ${delta}; `;
    return s;
  }

  /** Code writing entry `e` into the cell at expression `dst`. */
  private writeCode(e: Entry, dst: string): string {
    if (e.k === "done") return "";
    if (e.k === "cell") {
      return `{ const d = (${dst}) << 2, s = ${e.c} << 2; w[d] = w[s]; w[d + 1] = w[s + 1]; ` +
        `w[d + 2] = w[s + 2]; w[d + 3] = w[s + 3]; } `;
    }
    let s = `{ const d = ${dst}; w[d << 2] = ${e.t}; `;
    if (e.a !== undefined) s += `w[(d << 2) + 1] = ${e.a}; `;
    if (e.v !== undefined) s += `f[(d << 1) + 1] = ${e.v}; `;
    for (const [k, x] of e.extra ?? []) s += `w[(d << 2) + ${k}] = ${x}; `;
    return s + "} ";
  }

  /** Tag and f64 payload of an operand, as expressions over locals. */
  private numeric(e: Entry): { t: number | string; v: string } {
    if (e.k === "val") return { t: e.t, v: e.v ?? "0" };
    if (e.k === "done") throw new Error("jit: done entry as operand");
    const t = this.tmp("t"), x = this.tmp("x");
    this.emit(`const ${t} = w[${e.c} << 2], ${x} = f[(${e.c} << 1) + 1];`);
    return { t, v: x };
  }

  /** Tag and aux word of an operand (for Bool operations). */
  private boolish(e: Entry): { t: number | string; a: string; v: string } {
    if (e.k === "val") return { t: e.t, a: e.a ?? "0", v: e.v ?? "0" };
    if (e.k === "done") throw new Error("jit: done entry as operand");
    const t = this.tmp("t");
    this.emit(`const ${t} = w[${e.c} << 2];`);
    return { t, a: `w[(${e.c} << 2) + 1]`, v: `f[(${e.c} << 1) + 1]` };
  }

  /** The local holding the value cell of frame variable `atom` (`kc<atom>`), validating the
   *  cache first unless this block already did. LOAD bails when the variable does not exist;
   *  STORE appends it (or bails when the frame block is full). */
  private varCell(pc: number, atom: number, store: boolean): string {
    const c = `kc${atom}`;
    if (this.vars.has(atom)) return c;
    const k = this.tmp("k"), n = this.tmp("n");
    let miss: string;
    if (!store) {
      miss = `${k} = findVar(w, fp, ${n}, ${atom}); if (${k} < 0) ${this.bail()} ic[${pc}] = ${k};`;
    } else {
      miss = `${k} = findVar(w, fp, ${n}, ${atom}); if (${k} < 0) { ` +
        `if (ftop + 2 > frameEnd) ${this.bail()} ` +
        `w[ftop << 2] = ${atom}; ftop += 2; w[(fp << 2) + 2] = ${n} + 1; ${k} = ${n}; } ` +
        `ic[${pc}] = ${k};`;
    }
    this.emit(
      `if (kv${atom} !== gen) { let ${k} = ic[${pc}]; const ${n} = w[(fp << 2) + 2]; ` +
        `if (${k} >= ${n} || w[(fp + 1 + 2 * ${k}) << 2] !== ${atom}) { ${miss} } ` +
        `${c} = fp + 2 + 2 * ${k}; kv${atom} = gen; }`,
    );
    this.vars.add(atom);
    return c;
  }

  // ── instructions ─────────────────────────────────────────────────────────────────────────

  private instr(pc: number, nextCase: number): void {
    const view = this.view;
    const ip = pc << 2;
    const op = view.code[ip];
    const a = view.code[ip + 1];
    switch (op) {
      case OP.PUSH_INT: {
        if (view.code[ip + 2] === 0) {
          this.push({ k: "val", t: T_INT, v: lit(a) });
        } else {
          const n = view.ints[a];
          if (n >= -BigInt(MAX_SAFE) && n <= BigInt(MAX_SAFE)) {
            this.push({ k: "val", t: T_INT, v: lit(Number(n)) });
          } else {
            const lo = Number(BigInt.asIntN(32, n)), hi = Number(BigInt.asIntN(32, n >> 32n));
            this.push({ k: "val", t: T_BIGINT, extra: [[2, lo], [3, hi]] });
          }
        }
        return;
      }
      case OP.PUSH_STR:
        this.push({ k: "val", t: T_ATOM_STR, a: lit(a) });
        return;
      case OP.TRUE:
      case OP.FALSE:
        this.push({ k: "val", t: T_BOOL, a: op === OP.TRUE ? "1" : "0" });
        return;
      case OP.PUSH_BOOL:
        this.push({ k: "val", t: T_BOOL, a: lit(a) });
        return;
      case OP.NULL:
        this.push({ k: "val", t: T_NULL });
        return;
      case OP.PUSH_FLOAT:
        this.push({ k: "val", t: T_FLOAT, v: lit(view.floats[a]) });
        return;
      case OP.MAKE_FUNCTION:
        this.push({
          k: "val",
          t: T_FUNC,
          a: lit(a),
          extra: [[2, view.code[ip + 2]], [3, 0]],
        });
        return;
      case OP.CATCH:
        return;
      case OP.POP:
        this.pop();
        return;
      case OP.DUP:
      case OP.SWAP:
      case OP.OVER:
        this.shuffle(op);
        return;
      case OP.ADD:
      case OP.SUB:
      case OP.MUL:
        this.arith(op);
        return;
      case OP.DIV:
      case OP.MOD:
        this.divide(op);
        return;
      case OP.ADD_F:
      case OP.SUB_F:
      case OP.MUL_F:
      case OP.DIV_F:
        this.floatArith(op);
        return;
      case OP.NEG:
        this.negate();
        return;
      case OP.EQ:
      case OP.NE:
      case OP.GT:
      case OP.LT:
      case OP.GE:
      case OP.LE:
        this.compare(op);
        return;
      case OP.EQ_F:
      case OP.NE_F:
      case OP.GT_F:
      case OP.LT_F:
      case OP.GE_F:
      case OP.LE_F:
        this.floatCompare(op);
        return;
      case OP.NOT:
        this.not();
        return;
      case OP.AND:
      case OP.OR:
        this.andOr(op);
        return;
      case OP.LOAD:
        this.push({ k: "cell", c: this.varCell(pc, a, false), atom: a });
        return;
      case OP.STORE:
        this.store(pc, a);
        return;
      case OP.JMP:
        this.flush();
        this.emit(this.goto(a, nextCase));
        return;
      case OP.JZ:
        this.jz(pc, a, nextCase);
        return;
      case OP.CALL:
        this.call(pc, a, view.paramLists[view.code[ip + 2]]);
        return;
      case OP.RET:
        this.ret();
        return;
    }
    throw new Error(`jit: no code generator for ${OP_BY_CODE[op]?.name ?? op}`);
  }

  private shuffle(op: number): void {
    const depth = op === OP.DUP ? 1 : 2;
    const top = this.vs.slice(-depth);
    if (top.length === depth && top.every((e) => e.k !== "done")) {
      // All operands are virtual: permute at compile time.
      if (op === OP.DUP) this.push(top[0]);
      else if (op === OP.SWAP) this.vs.splice(-2, 2, top[1], top[0]);
      else this.push(top[0]);
      return;
    }
    // Operands in shared memory: write everything out and move cells as the interpreter does.
    this.flush();
    const copy = (d: string, s: string) =>
      `{ const d = (${d}) << 2, s = (${s}) << 2; w[d] = w[s]; w[d + 1] = w[s + 1]; ` +
      `w[d + 2] = w[s + 2]; w[d + 3] = w[s + 3]; }`;
    if (op === OP.DUP) this.emit(`${copy("sp", "sp - 1")} sp++;`);
    else if (op === OP.OVER) this.emit(`${copy("sp", "sp - 2")} sp++;`);
    else this.emit(`${copy("sp", "sp - 1")} ${copy("sp - 1", "sp - 2")} ${copy("sp - 2", "sp")}`);
  }

  /** ADD SUB MUL: Int (exact within ±2^53, else the interpreter's BigInt path) or Float. */
  private arith(op: number): void {
    const sym = op === OP.ADD ? "+" : op === OP.SUB ? "-" : "*";
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const ints = and(isTag(a.t, T_INT), isTag(b.t, T_INT));
    const floats = and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT));
    const r = this.tmp("r");
    const inRange = `${r} >= -${MAX_SAFE} && ${r} <= ${MAX_SAFE}`;
    // Ints never hold -0 (0 * -5 is Int 0); Floats keep it.
    const norm = op === OP.MUL ? ` ${r} += 0;` : "";
    if (ints === "true") {
      this.emit(`let ${r} = ${a.v} ${sym} ${b.v}; if (!(${inRange})) ${this.bail()}${norm}`);
      this.push({ k: "val", t: T_INT, v: r });
    } else if (floats === "true") {
      this.emit(`const ${r} = ${a.v} ${sym} ${b.v};`);
      this.push({ k: "val", t: T_FLOAT, v: r });
    } else if (ints === "false" && floats === "false") {
      this.emit(this.bail());
    } else if (floats === "false") {
      this.emit(`if (!(${ints})) ${this.bail()}`);
      this.emit(`let ${r} = ${a.v} ${sym} ${b.v}; if (!(${inRange})) ${this.bail()}${norm}`);
      this.push({ k: "val", t: T_INT, v: r });
    } else if (ints === "false") {
      this.emit(`if (!(${floats})) ${this.bail()}`);
      this.emit(`const ${r} = ${a.v} ${sym} ${b.v};`);
      this.push({ k: "val", t: T_FLOAT, v: r });
    } else {
      const t = this.tmp("t");
      this.emit(`let ${r} = ${a.v} ${sym} ${b.v}; let ${t} = ${T_FLOAT};`);
      this.emit(
        `if (${ints}) { if (!(${inRange})) ${this.bail()}${norm} ${t} = ${T_INT}; } ` +
          `else if (!(${floats})) ${this.bail()}`,
      );
      this.push({ k: "val", t, v: r });
    }
  }

  /** DIV (Int truncating, or Float) and MOD (Int): a zero divisor is the interpreter's error. */
  private divide(op: number): void {
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const ints = and(isTag(a.t, T_INT), isTag(b.t, T_INT));
    const floats = op === OP.DIV ? and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT)) : "false";
    const r = this.tmp("r"), t = this.tmp("t");
    const intExpr = op === OP.DIV ? `Math.trunc(${a.v} / ${b.v}) + 0` : `${a.v} % ${b.v} + 0`;
    this.emit(`if (${b.v} === 0) ${this.bail()}`);
    this.emit(`let ${r}, ${t};`);
    this.emit(
      `if (${ints}) { ${r} = ${intExpr}; ${t} = ${T_INT}; } ` +
        `else if (${floats}) { ${r} = ${a.v} / ${b.v}; ${t} = ${T_FLOAT}; } else ${this.bail()}`,
    );
    const known = ints === "true" ? T_INT : floats === "true" ? T_FLOAT : null;
    this.push({ k: "val", t: known ?? t, v: r });
  }

  private floatArith(op: number): void {
    const sym = op === OP.ADD_F ? "+" : op === OP.SUB_F ? "-" : op === OP.MUL_F ? "*" : "/";
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const floats = and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT));
    this.emit(`if (!(${floats})) ${this.bail()}`);
    if (op === OP.DIV_F) this.emit(`if (${b.v} === 0) ${this.bail()}`);
    const r = this.tmp("r");
    this.emit(`const ${r} = ${a.v} ${sym} ${b.v};`);
    this.push({ k: "val", t: T_FLOAT, v: r });
  }

  private negate(): void {
    const a = this.numeric(this.pop());
    const isInt = isTag(a.t, T_INT), isFloat = isTag(a.t, T_FLOAT);
    const r = this.tmp("r");
    if (isInt === "true") {
      this.emit(`const ${r} = 0 - ${a.v};`);
      this.push({ k: "val", t: T_INT, v: r });
    } else if (isFloat === "true") {
      this.emit(`const ${r} = -${a.v};`);
      this.push({ k: "val", t: T_FLOAT, v: r });
    } else {
      this.emit(`if (!(${isInt} || ${isFloat})) ${this.bail()}`);
      this.emit(`const ${r} = ${isInt} ? 0 - ${a.v} : -${a.v};`);
      this.push({ k: "val", t: a.t, v: r });
    }
  }

  /** EQ NE GT LT GE LE on two Ints (everything else: the interpreter). */
  private compare(op: number): void {
    const sym = op === OP.EQ
      ? "==="
      : op === OP.NE
      ? "!=="
      : op === OP.GT
      ? ">"
      : op === OP.LT
      ? "<"
      : op === OP.GE
      ? ">="
      : "<=";
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const ints = and(isTag(a.t, T_INT), isTag(b.t, T_INT));
    if (ints !== "true") this.emit(`if (!(${ints})) ${this.bail()}`);
    const truth = `${a.v} ${sym} ${b.v}`;
    this.push({ k: "val", t: T_INT, v: `(${truth} ? 1 : 0)`, truth });
  }

  private floatCompare(op: number): void {
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const floats = and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT));
    if (floats !== "true") this.emit(`if (!(${floats})) ${this.bail()}`);
    const truth = op === OP.EQ_F
      ? `Math.abs(${a.v} - ${b.v}) < ${F64_EPSILON}`
      : op === OP.NE_F
      ? `Math.abs(${a.v} - ${b.v}) >= ${F64_EPSILON}`
      : `${a.v} ${
        op === OP.GT_F ? ">" : op === OP.LT_F ? "<" : op === OP.GE_F ? ">=" : "<="
      } ${b.v}`;
    this.push({ k: "val", t: T_INT, v: `(${truth} ? 1 : 0)`, truth });
  }

  private not(): void {
    const e = this.boolish(this.pop());
    const r = this.tmp("r");
    const isBool = isTag(e.t, T_BOOL), isInt = isTag(e.t, T_INT);
    if (isBool === "true") this.emit(`const ${r} = ${e.a} ^ 1;`);
    else if (isInt === "true") this.emit(`const ${r} = ${e.v} === 0 ? 1 : 0;`);
    else {
      this.emit(`let ${r};`);
      this.emit(
        `if (${isBool}) ${r} = ${e.a} ^ 1; else if (${isInt}) ${r} = ${e.v} === 0 ? 1 : 0; ` +
          `else ${this.bail()}`,
      );
    }
    this.push({ k: "val", t: T_BOOL, a: r });
  }

  private andOr(op: number): void {
    const b = this.boolish(this.pop()), a = this.boolish(this.pop());
    const bools = and(isTag(a.t, T_BOOL), isTag(b.t, T_BOOL));
    if (bools !== "true") this.emit(`if (!(${bools})) ${this.bail()}`);
    const r = this.tmp("r");
    // Aux words of Bools are 0 or 1.
    this.emit(`const ${r} = (${a.a} !== 0) ${op === OP.AND ? "&&" : "||"} (${b.a} !== 0) ? 1 : 0;`);
    this.push({ k: "val", t: T_BOOL, a: r });
  }

  private store(pc: number, atom: number): void {
    const e = this.pop();
    const c = this.varCell(pc, atom, true);
    // Values still on the virtual stack that refer to this variable keep its old value.
    this.vs.forEach((x, i) => {
      if (x.k === "cell" && x.atom === atom) {
        this.emit(this.writeCode(x, pos(this.base + i)));
        this.vs[i] = { k: "done" };
      }
    });
    this.emit(this.writeCode(e, c));
  }

  private jz(pc: number, target: number, nextCase: number): void {
    const e = this.pop();
    let falsy: string;
    if (e.k === "val") {
      if (e.truth !== undefined) falsy = `!(${e.truth})`;
      else if (typeof e.t === "number") {
        falsy = e.t === T_INT
          ? `${e.v} === 0`
          : e.t === T_BOOL
          ? `${e.a} === 0`
          : e.t === T_NULL
          ? "true"
          : "false";
      } else {
        // A dynamic tag comes from arithmetic: Int or Float.
        falsy = `${e.t} === ${T_INT} && ${e.v} === 0`;
      }
    } else if (e.k === "cell") {
      const t = this.tmp("t");
      this.emit(`const ${t} = w[${e.c} << 2];`);
      falsy = `(${t} === ${T_INT} && f[(${e.c} << 1) + 1] === 0) || ` +
        `(${t} === ${T_BOOL} && w[(${e.c} << 2) + 1] === 0) || ${t} === ${T_NULL}`;
    } else throw new Error("jit: done entry as operand");
    const z = this.tmp("z");
    this.emit(`const ${z} = ${falsy};`);
    this.flush();
    this.emit(`if (${z}) { pc = ${target}; continue out; }`);
    this.emit(this.goto(pc + 1, nextCase));
  }

  private call(pc: number, target: number, params: Int32Array): void {
    const n = params.length;
    const args: Entry[] = [];
    for (let i = 0; i < n; i++) args.unshift(this.pop());
    this.emit(`if (ftop + ${1 + 2 * n} > frameEnd) ${this.bail()}`);
    this.emit(
      `{ const h = ftop << 2; w[h] = ${pc + 1}; w[h + 1] = fp - frameBase; w[h + 2] = ${n}; ` +
        `w[h + 3] = ${FRAME_CALL}; }`,
    );
    args.forEach((e, i) => {
      this.emit(`w[(ftop + ${1 + 2 * i}) << 2] = ${params[i]};`);
      this.emit(this.writeCode(e, `ftop + ${2 + 2 * i}`));
    });
    this.flush();
    // The callee's frame is new; its parameters' cells are known without a lookup.
    let known = "";
    params.forEach((atom, i) => {
      if (this.tracked.has(atom)) known += ` kc${atom} = fp + ${2 + 2 * i}; kv${atom} = gen;`;
    });
    this.emit(
      `fp = ftop; ftop += ${1 + 2 * n}; gen = ++serial;${known} pc = ${target}; continue out;`,
    );
  }

  private ret(): void {
    this.emit(`if (w[(fp << 2) + 3] !== ${FRAME_CALL} || htop !== 0) ${this.bail()}`);
    this.flush();
    this.emit(
      `pc = w[fp << 2]; ftop = fp; fp = frameBase + w[(fp << 2) + 1]; gen = ++serial; ` +
        `continue out;`,
    );
  }
}
