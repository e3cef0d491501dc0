/**
 * Code generation: one region of bytecode → the source text of one JavaScript function (a
 * compiled unit), which `tier.ts` turns into a function with `new Function`.
 *
 * Shape of a unit (`unit(jit, pcb, pc, budget) → code`):
 * ```
 *   load views and registers from the PCB (absolute sp, fp, ftop; block bounds; handler top)
 *   out: for (;;) switch (pc) {
 *     case <leader>: { prologue; block body; block end }   ← one case per block, pc order
 *     …
 *     default: leave with J_JUMP                           ← pc is not an entry of this unit
 *   }
 *   write pc, sp, fp, ftop back to the PCB (relative), budget, bail id and spill slots to jit
 * ```
 * Every exit of the loop goes through that one epilogue, so the PCB is exact whenever compiled
 * code is not running: a unit is only ever left at a block start (a leader: re-entered through
 * its `case`), just before an instruction the interpreter must run, or just after one it ran
 * for the unit (below).
 *
 * Block prologue (the safepoint): the block's instruction count is charged to the budget in
 * one step, and its deepest pop and highest push are checked against the stack block (a block
 * that pushes nothing still checks that it starts with room: the interpreter grows the stack
 * before any instruction it starts past the room, and charges for it). When the budget does
 * not cover the whole block, or the stack is too shallow (an underflow error) or too small
 * (it must grow), the unit leaves at the block start with J_BLOCKED and the block's length:
 * the tier preempts (budget 0, or short of the block where preemption need not be exact),
 * runs the remaining budget instruction by instruction in the unit's stepping companion
 * (`generateUnit` with `exitAt`: so preemption happens at exactly the instruction it would
 * without compiled code), or lets the interpreter run the block whose error it raises or
 * whose stack it grows.
 *
 * Block body: a virtual operand stack (vstack.ts). Every guard that fails (a type the fast
 * path does not handle, an Int overflow, a zero divisor, an undefined variable, a full frame
 * block, a frame that is not a CALL frame or handlers to drop at RET) *bails*: it leaves with
 * J_BAIL and the bail's number, having only copied the locals the virtual stack needs into
 * spill slots. The tier writes that stack out from the bail's description, refunds the budget
 * of the instructions not run and lets the interpreter execute the instruction — which raises
 * exactly its errors, at exactly its pc, catchable by TRY. A bail site does no arithmetic and
 * no memory access, so its first execution cannot deoptimise the unit for lack of type
 * feedback. Compiled code never throws, allocates, collects or yields itself.
 *
 * Block end at an instruction not compiled (`fallback`): the unit writes its registers back
 * and calls the interpreter's slow path for it (`Interpreter.slowAt`), which may allocate,
 * collect, raise (and catch), wait or end the process exactly as when interpreted; the unit
 * then reloads every register and block bound, forgets its variable cache (a new
 * generation) and goes on at the PCB's pc, or leaves with the slow path's result.
 *
 * Invariant: only the opcodes of compiled_ops.ts are compiled; any other ends its block and is
 * run by the interpreter (from inside the unit, or after leaving it: `runsInline`).
 */
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
  HDR_LEN,
  MAX_SAFE,
  T_ATOM_STR,
  T_BIGINT,
  T_BOOL,
  T_FLOAT,
  T_FUNC,
  T_INT,
  T_LIST,
  T_NULL,
  T_TUPLE,
} from "../term/tags.ts";
import { INT64_FUNCTIONS } from "../vm/int64.ts";
import { R_CONTINUE } from "../vm/results.ts";
import { STACK_HEADROOM } from "../vm/machine.ts";
import {
  type CodeView,
  flowOf,
  keepsVariables,
  OP,
  OP_RECEIVE,
  runsInline,
  stackEffect,
} from "./compiled_ops.ts";
import { LEFT_AT_BLOCK, NATIVE_MAX_FRAME_CELLS, type NativeFn, NativeSet } from "./native.ts";
import { Flow, type Region } from "./region.ts";
import {
  and,
  type BailInfo,
  bump,
  charge,
  type Entry,
  ex,
  isTag,
  type Operand,
  payload,
  pos,
  type SpillEntry,
  type SpillOperand,
  word,
  writeCode,
} from "./vstack.ts";

/** Unit result: pc left the unit's entries; the tier looks up the next unit. */
export const J_JUMP = 64;
/** Unit result: a block prologue failed (budget, stack depth or room) at the saved pc;
 *  `jit.bail` holds the block's length in instructions (the budget it needed). */
export const J_BLOCKED = 65;
/** Unit result: a guard failed; `jit.bail` names the BailInfo (1-based). */
export const J_BAIL = 66;

const F64_EPSILON = 2.220446049250313e-16;

/** The function of src/vm/int64.ts a unit calls for wide arithmetic on Ints (it gets them
 *  through `env`: tier.ts `unitFunction`); DIV has none. */
const WIDE_INT_FUNCTIONS = new Map<number, keyof typeof INT64_FUNCTIONS>([
  [OP.ADD, "add64"],
  [OP.SUB, "sub64"],
  [OP.MUL, "mul64"],
  [OP.MOD, "mod64"],
  [OP.NEG, "neg64"],
]);
/** A unit's line taking those functions out of `env`. */
const INT64_PRELUDE = `const ${
  Object.keys(INT64_FUNCTIONS).map((name) => `${name} = env.${name}`).join(", ")
};`;
/** Variables a unit can look up on entry (a bit each in a 32-bit mask); the rest of a larger
 *  unit's variables are validated where they are first used. */
export const ENTRY_VARS_MAX = 31;

export interface UnitSource {
  /** Function body for `new Function("env", body)`; it returns the unit function. */
  body: string;
  /** Number of instructions compiled inline. */
  compiledInstrs: number;
  /** Bail descriptions; bail number n is bails[n - 1]. */
  bails: BailInfo[];
  /** Spill slots the unit writes to jit.qs. */
  spillSlots: number;
  /** The variables LOAD/STORE name (env.atoms; env.guesses holds as many frame indexes). */
  atoms: Int32Array;
  /** Per leader, the variables (indexes into atoms) to look up on entry there (env.sets). */
  sets: Int32Array[];
  /** Instructions of the native functions the unit calls (native.ts): invalidating any of
   *  them drops the unit too. */
  nativePcs: number[];
  /** How many native functions the unit holds. */
  nativeFunctions: number;
  /** Leaders whose block compiles nothing (it starts with an instruction the interpreter
   *  runs after leaving the unit): entering the unit there would only leave it again. */
  emptyLeaders: number[];
}

/** Statement (re)loading the registers, block bounds and handler top from the PCB (unit entry,
 *  and after every slow-path call: blocks may have moved, the buffer grown, handlers changed). */
const LOAD_REGISTERS = `w = mem.i32; f = mem.f64; stackBase = w[p + ${P_STACK}]; ` +
  `stackEnd = stackBase + w[p + ${P_STACK_CAP}] - ${STACK_HEADROOM} | 0; ` +
  `sp = stackBase + w[p + ${P_SP}] | 0; frameBase = w[p + ${P_FRAMES}]; ` +
  `frameEnd = frameBase + w[p + ${P_FRAMES_CAP}] | 0; fp = frameBase + w[p + ${P_FP}] | 0; ` +
  `ftop = frameBase + w[p + ${P_FTOP}] | 0; htop = w[p + ${P_HTOP}];`;

/**
 * The unit for `region`. With `exitAt` (the leaders of a unit over the same region) it is that
 * unit's *stepping companion* instead (see tier.ts `stepperOf`): every instruction is a block
 * of its own, charged and preempted on alone, and control that arrives at a pc of `exitAt`
 * after at least one instruction leaves with J_JUMP, so the tier goes on in the unit proper.
 */
export function generateUnit(
  view: CodeView,
  region: Region,
  exitAt: ReadonlySet<number> | null = null,
): UnitSource {
  const own = exitAt === null ? region : { ...region, leaders: region.pcs };
  return new UnitGen(view, own, exitAt).run();
}

interface Snapshot {
  vs: Entry[];
  base: number;
  pc: number;
  refund: number;
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
  private readonly trackedList: number[];
  private snap: Snapshot = { vs: [], base: 0, pc: 0, refund: 0 };
  private readonly inRegion: Set<number>;
  private readonly isLeader: Set<number>;
  private readonly bails: BailInfo[] = [];
  private readonly emptyLeaders: number[] = [];
  private spillSlots = 0;
  private compiled = 0;
  /** Native functions its CALLs may use (none in a stepping companion). */
  private readonly natives: NativeSet;

  constructor(
    private readonly view: CodeView,
    private readonly region: Region,
    /** A stepping companion's exits (generateUnit), or null. */
    private readonly exitAt: ReadonlySet<number> | null,
  ) {
    this.inRegion = new Set(region.pcs);
    this.isLeader = new Set(region.leaders);
    for (const pc of region.pcs) {
      const op = view.code[pc << 2];
      if (op === OP.LOAD || op === OP.STORE) this.tracked.add(view.code[(pc << 2) + 1]);
    }
    this.trackedList = [...this.tracked];
    this.natives = new NativeSet(view);
  }

  run(): UnitSource {
    const body: string[] = [];
    const leaders = this.region.leaders;
    for (let i = 0; i < leaders.length; i++) {
      this.block(leaders[i], i + 1 < leaders.length ? leaders[i + 1] : -1);
    }
    const q = Array.from({ length: this.spillSlots }, (_, i) => i);
    body.push(
      `"use strict";`,
      `const findVar = env.findVar, atoms = env.atoms, guesses = env.guesses, sets = env.sets;`,
      INT64_PRELUDE,
      this.natives.source(),
      `return function ${this.exitAt === null ? "unit" : "step"}_${this.region.root}` +
        `(jit, pcb, pc, budget) {`,
      // Both arrive as int32 (the tier lends at most UNIT_BUDGET_MAX); saying so lets V8
      // keep them untagged in the loop instead of checking each update for overflow.
      `pc = pc | 0; budget = budget | 0;`,
      `const mem = jit.mem, ic = jit.ic, qs = jit.qs, interp = jit.interp;`,
      `const p = pcb << 2;`,
      // Registers and block bounds; reloaded after an instruction run by the interpreter's
      // slow path inside the unit (it may move blocks, grow the buffer or change handlers).
      `let w, f, stackBase, stackEnd, sp, frameBase, frameEnd, fp, ftop, htop;`,
      LOAD_REGISTERS,
      `let rc = ${R_CONTINUE}, bail = 0;`,
      ...q.map((i) => `let q${i} = 0;`),
      // Variable cache: kc<atom> is the variable's value cell in the current frame, kt<atom>
      // and kx<atom> its tag and payload (as f64), all valid while kv<atom> === gen. gen
      // changes whenever the current frame does (compiled CALL and RET; everything else that
      // touches frames runs outside the unit); every compiled STORE writes memory and the
      // cache. On entry the tier finds every variable of the unit in the entry frame (warm,
      // shared code), the ones the code entered at pc can use before the frame changes, so
      // the blocks' own validation only runs after a compiled CALL or RET.
      `let gen = 1;`,
      ...this.trackedList.map((a) => `let kc${a} = 0, kv${a} = 0, kt${a} = 0, kx${a} = 0;`),
      ...(this.trackedList.length === 0 ? [] : [
        `{ const set = sets[pc];`,
        `const m = set.length === 0 ? 0 : jit.frameVars(w, fp, atoms, guesses, set), kk = jit.kk;`,
        ...this.trackedList.slice(0, ENTRY_VARS_MAX).map((a, i) =>
          `if ((m & ${1 << i}) !== 0) { kc${a} = fp + 2 + 2 * kk[${i}] | 0; ` +
          `${this.reloadView(a)} kv${a} = gen; }`
        ),
        `}`,
      ]),
      `out: for (;;) {`,
      `switch (pc) {`,
      ...this.out,
      `default: rc = ${J_JUMP}; break out;`,
      `}`,
      `}`,
      `w[p + ${P_PC}] = pc;`,
      `w[p + ${P_SP}] = sp - stackBase;`,
      `w[p + ${P_FP}] = fp - frameBase;`,
      `w[p + ${P_FTOP}] = ftop - frameBase;`,
      `jit.budget = budget;`,
      `jit.bail = bail;`,
      ...q.map((i) => `qs[${i}] = q${i};`),
      `return rc;`,
      `};`,
    );
    return {
      body: body.join("\n"),
      compiledInstrs: this.compiled,
      bails: this.bails,
      spillSlots: this.spillSlots,
      atoms: Int32Array.from(this.trackedList),
      sets: this.trackedList.length === 0 ? [] : this.entrySets(),
      emptyLeaders: this.emptyLeaders,
      nativePcs: this.natives.used().flatMap((fn) => fn.pcs),
      nativeFunctions: this.natives.used().length,
    };
  }

  private emit(...lines: string[]): void {
    for (const line of lines) if (line !== "") this.out.push(line);
  }

  private tmp(prefix: string): string {
    return `${prefix}${this.temps++}`;
  }

  // ── blocks ───────────────────────────────────────────────────────────────────────────────

  /** One block from `leader`; `nextCase` is the leader emitted after it (-1: none). */
  private block(leader: number, nextCase: number): void {
    const view = this.view;
    const { instrs, fallbackAt, fallsTo, terminated } = this.scan(leader);
    // Deepest pop below and highest push above the entry sp, over the block's boundaries.
    let h = 0, low = 0, high = 0;
    for (const pc of instrs) {
      const [pops, pushes] = stackEffect(view, pc);
      low = Math.min(low, h - pops);
      h += pushes - pops;
      high = Math.max(high, h);
    }
    const len = instrs.length;
    // A block of just an instruction the unit runs through the slow path is still worth
    // entering: a process woken at its RECEIVE goes on in compiled code from there.
    const runsHere = fallbackAt >= 0 && runsInline(view.code[fallbackAt << 2]);
    if (len === 0 && !runsHere) this.emptyLeaders.push(leader);
    this.emit(`case ${leader}: {`);
    const conds: string[] = [];
    if (len > 0) conds.push(`budget < ${len}`);
    if (low < 0) conds.push(`(sp - ${-low} | 0) < stackBase`);
    // The interpreter grows the stack before any instruction it starts with sp past
    // stackEnd: so the block's first instruction needs that room too (high 0), whatever the
    // block pushes.
    if (len > 0) conds.push(high > 0 ? `(sp + ${high} | 0) > stackEnd` : `sp > stackEnd`);
    if (conds.length > 0) {
      // Which test failed is the tier's to sort out: a compare here, run only at a slice's
      // end, would reach V8's optimised code without type feedback and deoptimise the unit.
      const failed = conds.join(" || ");
      this.emit(`if (${failed}) { pc = ${leader}; bail = ${len}; rc = ${J_BLOCKED}; break out; }`);
    }
    if (len > 0) this.emit(bump("budget", -len));
    this.vs = [];
    this.base = 0;
    this.vars = new Set();
    for (let i = 0; i < len; i++) {
      this.snap = { vs: [...this.vs], base: this.base, pc: instrs[i], refund: len - i };
      this.instr(instrs[i], nextCase);
      this.compiled++;
    }
    if (!terminated) {
      this.flush();
      if (fallbackAt >= 0) this.fallback(fallbackAt, nextCase);
      else this.emit(this.goto(fallsTo, nextCase));
    }
    this.emit(`}`);
  }

  /**
   * The block ends at `pc`, an instruction the interpreter runs. Most are run from here,
   * through the interpreter's slow path (`Interpreter.slowAt`), and the unit goes on at the
   * pc they leave (the next instruction, a branch target, a handler): a loop cut by a SEND or
   * RECEIVE then stays in compiled code instead of leaving and re-entering every round. The
   * instruction is charged and preempted on exactly as the interpreter would; a result other
   * than R_CONTINUE (waiting, exit, crash) ends the activation with the PCB as the slow path
   * left it. The rest leave the unit for the interpreter (see `runsInline`).
   */
  private fallback(pc: number, nextCase: number): void {
    if (!runsInline(this.view.code[pc << 2])) {
      this.emit(`pc = ${pc}; rc = ${R_CONTINUE}; break out;`);
      return;
    }
    this.emit(
      `if (budget < 1 || sp > stackEnd) { pc = ${pc}; rc = ${R_CONTINUE}; break out; } ` +
        bump("budget", -1),
    );
    // A plain RECEIVE takes a message already in the mailbox by a direct call, with no
    // registers written back or reloaded (Jit.receive): it charges the copy's work and
    // refreshes the views (adopting a port handle may grow the buffer). Anything else — no
    // message, a pending signal, a collection to make room — is the slow path's below.
    const receives = this.view.code[pc << 2] === OP_RECEIVE;
    if (receives) {
      this.emit(
        `if (sp < stackEnd && jit.receive(pcb, sp)) { ${bump("sp", 1)} ` +
          `${charge("jit.callWork")} w = mem.i32; f = mem.f64;${
            nextCase === pc + 1 && this.exitAt === null ? "" : ` ${this.jump(pc + 1)}`
          } } else {`,
      );
    }
    this.emit(
      `w[p + ${P_PC}] = ${pc + 1}; w[p + ${P_SP}] = sp - stackBase; ` +
        `w[p + ${P_FP}] = fp - frameBase; w[p + ${P_FTOP}] = ftop - frameBase;`,
    );
    // The variable cache survives an instruction that keeps variables, unless its error
    // handling moved to another frame (or the frame block moved: fp is absolute).
    const keeps = keepsVariables(this.view.code[pc << 2]);
    if (keeps) this.emit(`const fp${pc} = fp;`);
    this.emit(`rc = interp.slowAt(pcb, ${pc}); ${charge("interp.slowWork")}`);
    this.emit(
      `${LOAD_REGISTERS} pc = w[p + ${P_PC}]; ${
        keeps ? `if (fp !== fp${pc}) ${bump("gen", 1)}` : bump("gen", 1)
      }`,
    );
    this.emit(`if (rc !== ${R_CONTINUE}) break out;`);
    // Mostly it goes on with the next instruction: the case emitted next, falling through.
    // (A stepping companion leaves: the next instruction is one of the unit's leaders.)
    if (this.exitAt !== null) this.emit(`rc = ${J_JUMP}; break out;`);
    else this.emit(nextCase === pc + 1 ? `if (pc !== ${nextCase}) continue out;` : `continue out;`);
    if (receives) this.emit(`}`);
  }

  /** The compiled instructions of the block at `leader` and how it ends: at an instruction
   *  the interpreter runs (`fallbackAt`), by running into another leader or out of the region
   *  (`fallsTo`), or by its last instruction's jump, branch, call or return (`terminated`). */
  private scan(leader: number) {
    const view = this.view;
    const instrs: number[] = [];
    let fallbackAt = -1, fallsTo = -1, terminated = false;
    for (let pc = leader;; pc++) {
      if (
        pc >= view.nInstr || (pc !== leader && (this.isLeader.has(pc) || !this.inRegion.has(pc)))
      ) {
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
    return { instrs, fallbackAt, fallsTo, terminated };
  }

  /**
   * Per leader, the variables (indexes into trackedList) that code entered there can use
   * before the current frame changes: those of the blocks reachable by fall-through, JZ and
   * JMP, up to a CALL, a RET or an instruction the interpreter runs (which all end the frame's
   * generation or the activation). The unit looks exactly those up on entry; blocks reached
   * after a compiled CALL or RET validate their own.
   */
  private entrySets(): Int32Array[] {
    const view = this.view;
    const index = new Map(this.trackedList.map((a, i) => [a, i]));
    const local = new Map<number, { vars: number[]; next: number[] }>();
    for (const leader of this.region.leaders) {
      const b = this.scan(leader);
      const vars: number[] = [];
      for (const pc of b.instrs) {
        const op = view.code[pc << 2];
        if (op === OP.LOAD || op === OP.STORE) vars.push(index.get(view.code[(pc << 2) + 1])!);
      }
      const next: number[] = [];
      const last = b.instrs[b.instrs.length - 1];
      if (b.terminated) {
        const op = view.code[last << 2];
        if (op === OP.JMP) next.push(view.code[(last << 2) + 1]);
        if (op === OP.JZ) next.push(view.code[(last << 2) + 1], last + 1);
      } else if (b.fallbackAt < 0) next.push(b.fallsTo);
      local.set(leader, { vars, next: next.filter((pc) => this.isLeader.has(pc)) });
    }
    const sets: Int32Array[] = [];
    for (const leader of this.region.leaders) {
      const seen = new Set<number>([leader]), vars = new Set<number>();
      const work = [leader];
      while (work.length > 0) {
        const b = local.get(work.pop()!)!;
        for (const v of b.vars) vars.add(v);
        for (const n of b.next) if (!seen.has(n)) seen.add(n), work.push(n);
      }
      const listed = [...vars].filter((i) => i < ENTRY_VARS_MAX).sort((x, y) => x - y);
      sets[leader] = Int32Array.from(listed);
    }
    return sets;
  }

  /** Leave for the interpreter at the current instruction (a failed guard): only moves of
   *  locals into spill slots and constants; the tier does the rest (see BailInfo). */
  private bail(relook = -1, stop = false): string {
    const s = this.snap;
    const moves: string[] = [];
    let slot = 0;
    const operand = (x: Operand): SpillOperand => {
      if (typeof x === "number") return { c: x };
      moves.push(`q${slot} = ${x};`);
      return { q: slot++ };
    };
    const entries: SpillEntry[] = s.vs.map((e): SpillEntry => {
      if (e.k === "done") return e;
      if (e.k === "cell") return { k: "cell", src: operand(e.c) };
      return {
        k: "val",
        t: operand(e.t),
        a: e.a === undefined ? undefined : operand(e.a),
        v: e.v === undefined ? undefined : operand(e.v),
        extra: e.extra,
      };
    });
    this.spillSlots = Math.max(this.spillSlots, slot);
    this.bails.push({ pc: s.pc, refund: s.refund, base: s.base, entries, relook, stop });
    return `{ ${moves.join(" ")} pc = ${s.pc}; bail = ${this.bails.length}; rc = ${J_BAIL}; ` +
      `break out; }`;
  }

  /** Continue at `target`; a jump to the next case falls through. */
  private goto(target: number, nextCase: number): string {
    return target === nextCase && !this.exitAt?.has(target) ? "" : this.jump(target);
  }

  /** Go on at the constant pc `target`: the next iteration of the switch, or — in a stepping
   *  companion, at one of the unit's leaders — leave for the unit proper. */
  private jump(target: number): string {
    return this.exitAt?.has(target)
      ? `pc = ${target}; rc = ${J_JUMP}; break out;`
      : `pc = ${target}; continue out;`;
  }

  /** Go on at the pc just set (a return address): a stepping companion leaves for the tier. */
  private jumpDynamic(): string {
    return this.exitAt === null ? "continue out;" : `rc = ${J_JUMP}; break out;`;
  }

  // ── virtual stack ────────────────────────────────────────────────────────────────────────

  private push(e: Entry): void {
    this.vs.push(e);
  }

  private pop(): Entry {
    const e = this.vs.pop();
    if (e !== undefined && e.k !== "done") return e;
    if (e === undefined) this.base--;
    const c = this.tmp("s");
    this.emit(`const ${c} = ${pos(e === undefined ? this.base : this.base + this.vs.length)};`);
    return { k: "cell", c, atom: -1 };
  }

  /** Write the virtual stack to the process's stack and make sp exact. */
  private flush(): void {
    let s = "";
    this.vs.forEach((e, i) => (s += writeCode(e, pos(this.base + i))));
    const delta = this.base + this.vs.length;
    if (delta !== 0) s += bump("sp", delta);
    this.emit(s);
    this.vs = [];
    this.base = 0;
  }

  /** Before an instruction done by a call on stack cells (`wide`, `send`): write the virtual
   *  stack out, so that its bail has nothing virtual left to write (the stack is exact). */
  private flushForCall(): void {
    this.flush();
    this.snap = { vs: [], base: 0, pc: this.snap.pc, refund: this.snap.refund };
  }

  /** Tag and f64 payload of an operand as operands (locals or literals). A variable's are
   *  copied from its cache into fresh constants: a later STORE must not change them. */
  private numeric(e: Entry): { t: Operand; v: Operand } {
    if (e.k === "val") return { t: e.t, v: e.v ?? 0 };
    if (e.k === "done") throw new Error("jit: done entry as operand");
    const t = this.tmp("t"), x = this.tmp("x");
    if (e.view) this.emit(`const ${t} = ${e.view.t}, ${x} = ${e.view.v};`);
    else this.emit(`const ${t} = w[${e.c} << 2], ${x} = f[${payload(e.c)}];`);
    return { t, v: x };
  }

  /** Tag, aux word and payload of an operand (for Bool operations). */
  private boolish(e: Entry): { t: Operand; a: Operand; v: Operand } {
    if (e.k === "val") return { t: e.t, a: e.a ?? 0, v: e.v ?? 0 };
    if (e.k === "done") throw new Error("jit: done entry as operand");
    const { t, v } = this.numeric(e);
    const a = this.tmp("a");
    this.emit(`const ${a} = w[${word(e.c, 1)}];`);
    return { t, a, v };
  }

  /** Statements refreshing variable `atom`'s cached tag and payload from its cell. */
  private reloadView(atom: number): string {
    return `kt${atom} = w[kc${atom} << 2]; kx${atom} = f[${payload(`kc${atom}`)}];`;
  }

  /** The local holding the value cell of frame variable `atom` (`kc<atom>`), validating the
   *  cache first unless this block already did. A LOAD whose inline cache misses bails (the
   *  tier refreshes the cache; the interpreter raises Undefined variable if there is none), so
   *  its rare path holds no call; a STORE searches the frame and appends the variable when it
   *  is new (or bails when the frame block is full). */
  private varCell(pc: number, atom: number, store: boolean): string {
    const c = `kc${atom}`;
    if (this.vars.has(atom)) return c;
    const k = this.tmp("k"), n = this.tmp("n");
    const miss = !store
      ? this.bail(atom)
      : `${k} = findVar(w, fp, ${n}, ${atom}) | 0; if (${k} < 0) { ` +
        `if ((ftop + 2 | 0) > frameEnd) ${this.bail()} ` +
        `w[ftop << 2] = ${atom}; ${bump("ftop", 2)} w[${
          word("fp", 2)
        }] = ${n} + 1; ${k} = ${n}; } ` +
        `ic[${pc}] = ${k};`;
    this.emit(
      `if (kv${atom} !== gen) { let ${k} = ic[${pc}]; const ${n} = w[${word("fp", 2)}]; ` +
        `if (${k} >= ${n} || w[(fp + 1 + 2 * ${k}) << 2] !== ${atom}) { ${miss} } ` +
        `${c} = fp + 2 + 2 * ${k} | 0; ${this.reloadView(atom)} kv${atom} = gen; }`,
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
        if (view.code[ip + 2] === 0) return this.push({ k: "val", t: T_INT, v: a });
        const n = view.ints[a];
        if (n >= -BigInt(MAX_SAFE) && n <= BigInt(MAX_SAFE)) {
          return this.push({ k: "val", t: T_INT, v: Number(n) });
        }
        const lo = Number(BigInt.asIntN(32, n)), hi = Number(BigInt.asIntN(32, n >> 32n));
        return this.push({ k: "val", t: T_BIGINT, extra: [[2, lo], [3, hi]] });
      }
      case OP.PUSH_STR:
        return this.push({ k: "val", t: T_ATOM_STR, a });
      case OP.TRUE:
      case OP.FALSE:
        return this.push({ k: "val", t: T_BOOL, a: op === OP.TRUE ? 1 : 0 });
      case OP.PUSH_BOOL:
        return this.push({ k: "val", t: T_BOOL, a });
      case OP.NULL:
        return this.push({ k: "val", t: T_NULL });
      case OP.PUSH_FLOAT:
        return this.push({ k: "val", t: T_FLOAT, v: view.floats[a] });
      case OP.MAKE_FUNCTION:
        return this.push({ k: "val", t: T_FUNC, a, extra: [[2, view.code[ip + 2]], [3, 0]] });
      case OP.CATCH:
        return;
      case OP.POP:
        this.pop();
        return;
      case OP.DUP:
      case OP.SWAP:
      case OP.OVER:
        return this.shuffle(op);
      case OP.ADD:
      case OP.SUB:
      case OP.MUL:
      case OP.DIV:
      case OP.MOD:
      case OP.NEG:
        if (view.widePcs !== undefined && view.widePcs[pc] === 1) return this.wide(op);
        if (op === OP.NEG) return this.negate();
        return op === OP.DIV || op === OP.MOD ? this.divide(op) : this.arith(op);
      case OP.ADD_F:
      case OP.SUB_F:
      case OP.MUL_F:
      case OP.DIV_F:
        return this.floatArith(op);
      case OP.EQ:
      case OP.NE:
      case OP.GT:
      case OP.LT:
      case OP.GE:
      case OP.LE:
        return this.compare(op);
      case OP.EQ_F:
      case OP.NE_F:
      case OP.GT_F:
      case OP.LT_F:
      case OP.GE_F:
      case OP.LE_F:
        return this.floatCompare(op);
      case OP.NOT:
        return this.not();
      case OP.AND:
      case OP.OR:
        return this.andOr(op);
      case OP.INDEX:
        return this.index();
      case OP.SEND:
        return this.send(a);
      case OP.LOAD:
        return this.push({
          k: "cell",
          c: this.varCell(pc, a, false),
          atom: a,
          view: { t: `kt${a}`, v: `kx${a}` },
        });
      case OP.STORE:
        return this.store(pc, a);
      case OP.JMP:
        this.flush();
        return this.emit(this.goto(a, nextCase));
      case OP.JZ:
        return this.jz(pc, a, nextCase);
      case OP.CALL:
        return this.call(pc, a, view.paramLists[view.code[ip + 2]]);
      case OP.RET:
        return this.ret();
    }
    throw new Error(`jit: no code generator for opcode ${op}`);
  }

  private shuffle(op: number): void {
    const depth = op === OP.DUP ? 1 : 2;
    const top = this.vs.slice(-depth);
    if (top.length === depth && top.every((e) => e.k !== "done")) {
      // All operands are virtual: permute at compile time.
      if (op === OP.SWAP) this.vs.splice(-2, 2, top[1], top[0]);
      else this.push(top[0]);
      return;
    }
    // Operands in shared memory: write everything out and move cells as the interpreter does.
    this.flush();
    const copy = (d: string, s: string) =>
      `{ const d = (${d}) << 2, s = (${s}) << 2; w[d] = w[s]; w[d | 1] = w[s | 1]; ` +
      `w[d | 2] = w[s | 2]; w[d | 3] = w[s | 3]; }`;
    if (op === OP.DUP) this.emit(`${copy("sp", "sp - 1")} ${bump("sp", 1)}`);
    else if (op === OP.OVER) this.emit(`${copy("sp", "sp - 2")} ${bump("sp", 1)}`);
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
    const compute = `let ${r} = ${ex(a.v)} ${sym} ${ex(b.v)};`;
    if (ints === "true") {
      this.emit(`${compute} if (!(${inRange})) ${this.bail()}${norm}`);
      this.push({ k: "val", t: T_INT, v: r });
    } else if (floats === "true") {
      this.emit(compute);
      this.push({ k: "val", t: T_FLOAT, v: r });
    } else if (ints === "false" && floats === "false") {
      this.emit(this.bail());
    } else if (floats === "false") {
      this.emit(`if (!(${ints})) ${this.bail()}`);
      this.emit(`${compute} if (!(${inRange})) ${this.bail()}${norm}`);
      this.push({ k: "val", t: T_INT, v: r });
    } else if (ints === "false") {
      this.emit(`if (!(${floats})) ${this.bail()}`);
      this.emit(compute);
      this.push({ k: "val", t: T_FLOAT, v: r });
    } else {
      const t = this.tmp("t");
      this.emit(`${compute} let ${t} = ${T_FLOAT};`);
      this.emit(
        `if (${ints}) { if (!(${inRange})) ${this.bail()}${norm} ${t} = ${T_INT}; } ` +
          `else if (!(${floats})) ${this.bail()}`,
      );
      this.push({ k: "val", t, v: r });
    }
  }

  /**
   * Wide arithmetic, for a pc whose Int guard kept failing (tier.ts `noteBail`): the operands
   * are written to the stack and `jit.wide` computes the result into the lower one as the
   * interpreter does — Ints past 2^53 without BigInt (src/vm/int64.ts), Floats, mixed — and
   * the block goes on with it in memory. Only an instruction that raises bails (with nothing
   * virtual left to write out: the stack is exact), and the interpreter raises at its pc.
   * Nothing in it allocates, so the views and cached variables stay valid.
   */
  private wide(op: number): void {
    this.flushForCall();
    const unary = op === OP.NEG;
    const a = unary ? "sp - 1" : "sp - 2";
    // Ints first through the one-instruction function of src/vm/int64.ts (inlined by V8),
    // anything else through `jit.wide`.
    const ints = WIDE_INT_FUNCTIONS.get(op);
    const fast = ints === undefined ? "" : `${ints}(w, f, ${a}${unary ? "" : ", sp - 1"}) || `;
    this.emit(
      `if (!(${fast}jit.wide(${op}, ${a}, sp - 1))) ${this.bail()}` +
        (unary ? "" : ` ${bump("sp", -1)}`),
    );
  }

  /**
   * SEND, by a direct call (`Jit.send`) instead of the interpreter's slow path: the operands
   * are written to the stack, the message is sent, and the block goes on — no registers
   * written back or reloaded, only the views (the message's node may have grown the buffer).
   * A target that is not a small Int, or a send that throws (no memory for the node, or a
   * value another node cannot take: before the message left), bails, and the interpreter
   * runs the SEND and raises its error.
   */
  private send(literal: number): void {
    this.flushForCall();
    const to = literal > 0 ? -literal : "sp - 2";
    this.emit(
      `if (!jit.send(pcb, ${to}, sp - 1)) ${this.bail()} ${bump("sp", literal > 0 ? -1 : -2)} ` +
        `w = mem.i32; f = mem.f64;`,
    );
    this.chargeCallWork();
  }

  /**
   * After a direct call in the middle of a block (SEND), charge the work it did, as the
   * interpreter charges an instruction's work right after it. The block's prologue charged all
   * of its instructions up front; if the work leaves the budget below zero, the interpreter
   * would preempt somewhere in the rest of the block, so the unit stops before the next
   * instruction (a `stop` bail: nothing to write out — the call flushed the stack — and the
   * instructions not run refunded) and the interpreter runs on to exactly that point.
   */
  private chargeCallWork(): void {
    const s = this.snap;
    this.snap = { vs: [], base: 0, pc: s.pc + 1, refund: s.refund - 1 };
    const stop = this.bail(-1, true);
    this.snap = s;
    this.emit(
      `if (jit.callWork !== 0) { ${charge("jit.callWork")} if (budget < 0) ${stop} }`,
    );
  }

  /**
   * INDEX of a List or Tuple by an Int in range: the element's heap cell becomes the virtual
   * entry (no copy until it is used or written out; nothing in a block can move or change it —
   * only a collection moves heap objects, and elements below a list's length are never
   * written again). Anything else — another type, a 64-bit or out-of-range index — bails, and
   * the interpreter raises or computes it.
   */
  private index(): void {
    const i = this.numeric(this.pop()), list = this.pop();
    if (list.k !== "cell") return this.emit(this.bail());
    const c = list.c, t = this.tmp("t"), n = this.tmp("n"), el = this.tmp("e");
    const iv = ex(i.v), intIndex = isTag(i.t, T_INT);
    this.emit(
      `const ${t} = w[${c} << 2]; const ${n} = ${t} === ${T_LIST} ? w[${word(c, 2)}] : ` +
        `${t} === ${T_TUPLE} ? w[${word(`w[${word(c, 1)}]`, HDR_LEN)}] : -1;`,
    );
    this.emit(
      `if (!(${and(intIndex, `${iv} >= 0 && ${iv} < ${n}`)})) ${this.bail()}`,
    );
    this.emit(`const ${el} = w[${word(c, 1)}] + 1 + ${iv};`);
    this.push({ k: "cell", c: el, atom: -1 });
  }

  /** DIV (Int truncating, or Float) and MOD (Int): a zero divisor is the interpreter's error. */
  private divide(op: number): void {
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const ints = and(isTag(a.t, T_INT), isTag(b.t, T_INT));
    const floats = op === OP.DIV ? and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT)) : "false";
    const r = this.tmp("r"), t = this.tmp("t");
    const x = ex(a.v), y = ex(b.v);
    const intExpr = op === OP.DIV ? `Math.trunc(${x} / ${y}) + 0` : `${x} % ${y} + 0`;
    this.emit(`if (${y} === 0) ${this.bail()}`);
    this.emit(
      `let ${r}, ${t}; if (${ints}) { ${r} = ${intExpr}; ${t} = ${T_INT}; } ` +
        `else if (${floats}) { ${r} = ${x} / ${y}; ${t} = ${T_FLOAT}; } else ${this.bail()}`,
    );
    const known = ints === "true" ? T_INT : floats === "true" ? T_FLOAT : null;
    this.push({ k: "val", t: known ?? t, v: r });
  }

  private floatArith(op: number): void {
    const sym = op === OP.ADD_F ? "+" : op === OP.SUB_F ? "-" : op === OP.MUL_F ? "*" : "/";
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const floats = and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT));
    this.emit(`if (!(${floats})) ${this.bail()}`);
    if (op === OP.DIV_F) this.emit(`if (${ex(b.v)} === 0) ${this.bail()}`);
    const r = this.tmp("r");
    this.emit(`const ${r} = ${ex(a.v)} ${sym} ${ex(b.v)};`);
    this.push({ k: "val", t: T_FLOAT, v: r });
  }

  private negate(): void {
    const a = this.numeric(this.pop());
    const isInt = isTag(a.t, T_INT), isFloat = isTag(a.t, T_FLOAT);
    const r = this.tmp("r"), x = ex(a.v);
    if (isInt === "true") {
      this.emit(`const ${r} = 0 - ${x};`); // Ints never hold -0
      this.push({ k: "val", t: T_INT, v: r });
    } else if (isFloat === "true") {
      this.emit(`const ${r} = -${x};`);
      this.push({ k: "val", t: T_FLOAT, v: r });
    } else {
      this.emit(`if (!(${isInt} || ${isFloat})) ${this.bail()}`);
      this.emit(`const ${r} = ${isInt} ? 0 - ${x} : -${x};`);
      this.push({ k: "val", t: a.t, v: r });
    }
  }

  /** EQ NE GT LT GE LE on two Ints; EQ NE also on two atom strings (interned: equal iff the
   *  same atom), as a message loop compares a tag or an exit reason (everything else: the
   *  interpreter). */
  private compare(op: number): void {
    if (op === OP.EQ || op === OP.NE) return this.equality(op === OP.NE);
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
    this.pushTruth(`${ex(a.v)} ${sym} ${ex(b.v)}`);
  }

  private equality(negate: boolean): void {
    const b = this.boolish(this.pop()), a = this.boolish(this.pop());
    const sym = negate ? "!==" : "===";
    const ints = and(isTag(a.t, T_INT), isTag(b.t, T_INT));
    const atoms = and(isTag(a.t, T_ATOM_STR), isTag(b.t, T_ATOM_STR));
    if (ints === "true") return this.pushTruth(`${ex(a.v)} ${sym} ${ex(b.v)}`);
    if (atoms === "true") return this.pushTruth(`${ex(a.a)} ${sym} ${ex(b.a)}`);
    const q = this.tmp("q");
    this.emit(
      `let ${q}; if (${ints}) ${q} = ${ex(a.v)} ${sym} ${ex(b.v)}; ` +
        `else if (${atoms}) ${q} = ${ex(a.a)} ${sym} ${ex(b.a)}; else ${this.bail()}`,
    );
    this.pushTruth(q);
  }

  private floatCompare(op: number): void {
    const b = this.numeric(this.pop()), a = this.numeric(this.pop());
    const floats = and(isTag(a.t, T_FLOAT), isTag(b.t, T_FLOAT));
    if (floats !== "true") this.emit(`if (!(${floats})) ${this.bail()}`);
    const x = ex(a.v), y = ex(b.v);
    const sym = op === OP.GT_F ? ">" : op === OP.LT_F ? "<" : op === OP.GE_F ? ">=" : "<=";
    this.pushTruth(
      op === OP.EQ_F
        ? `Math.abs(${x} - ${y}) < ${F64_EPSILON}`
        : op === OP.NE_F
        ? `Math.abs(${x} - ${y}) >= ${F64_EPSILON}`
        : `${x} ${sym} ${y}`,
    );
  }

  /** Push Int 1/0 for a comparison, keeping the condition so that JZ branches on it. */
  private pushTruth(truth: string): void {
    const r = this.tmp("r");
    this.emit(`const ${r} = ${truth} ? 1 : 0;`);
    this.push({ k: "val", t: T_INT, v: r, truth });
  }

  private not(): void {
    const e = this.boolish(this.pop());
    const r = this.tmp("r");
    const isBool = isTag(e.t, T_BOOL), isInt = isTag(e.t, T_INT);
    if (isBool === "true") this.emit(`const ${r} = ${ex(e.a)} ^ 1;`);
    else if (isInt === "true") this.emit(`const ${r} = ${ex(e.v)} === 0 ? 1 : 0;`);
    else {
      this.emit(
        `let ${r}; if (${isBool}) ${r} = ${ex(e.a)} ^ 1; ` +
          `else if (${isInt}) ${r} = ${ex(e.v)} === 0 ? 1 : 0; else ${this.bail()}`,
      );
    }
    this.push({ k: "val", t: T_BOOL, a: r });
  }

  private andOr(op: number): void {
    const b = this.boolish(this.pop()), a = this.boolish(this.pop());
    const bools = and(isTag(a.t, T_BOOL), isTag(b.t, T_BOOL));
    if (bools !== "true") this.emit(`if (!(${bools})) ${this.bail()}`);
    const r = this.tmp("r");
    const sym = op === OP.AND ? "&&" : "||";
    this.emit(`const ${r} = (${ex(a.a)} !== 0) ${sym} (${ex(b.a)} !== 0) ? 1 : 0;`);
    this.push({ k: "val", t: T_BOOL, a: r });
  }

  private store(pc: number, atom: number): void {
    const e = this.pop();
    const c = this.varCell(pc, atom, true);
    // Values still on the virtual stack that refer to this variable keep its old value.
    this.vs.forEach((x, i) => {
      if (x.k === "cell" && x.atom === atom) {
        this.emit(writeCode(x, pos(this.base + i)));
        this.vs[i] = { k: "done" };
      }
    });
    this.emit(writeCode(e, c));
    // Keep the variable's cached tag and payload equal to its cell.
    if (e.k === "val") this.emit(`kt${atom} = ${ex(e.t)}; kx${atom} = ${ex(e.v ?? 0)};`);
    else if (e.k === "cell" && e.view && e.atom !== atom) {
      this.emit(`kt${atom} = ${e.view.t}; kx${atom} = ${e.view.v};`);
    } else if (e.k === "cell" && e.atom !== atom) this.emit(this.reloadView(atom));
  }

  private jz(pc: number, target: number, nextCase: number): void {
    const e = this.pop();
    let falsy: string;
    if (e.k === "val") {
      if (e.truth !== undefined) falsy = `!(${e.truth})`;
      else if (typeof e.t === "number") {
        falsy = e.t === T_INT
          ? `${ex(e.v ?? 0)} === 0`
          : e.t === T_BOOL
          ? `${ex(e.a ?? 0)} === 0`
          : e.t === T_NULL
          ? "true"
          : "false";
      } else falsy = `${e.t} === ${T_INT} && ${ex(e.v ?? 0)} === 0`; // arithmetic: Int or Float
    } else if (e.k === "cell") {
      const { t, v } = this.numeric(e);
      falsy = `(${t} === ${T_INT} && ${v} === 0) || ` +
        `(${t} === ${T_BOOL} && w[${word(e.c, 1)}] === 0) || ${t} === ${T_NULL}`;
    } else throw new Error("jit: done entry as operand");
    const z = this.tmp("z");
    this.emit(`const ${z} = ${falsy};`);
    this.flush();
    this.emit(`if (${z}) { ${this.jump(target)} }`);
    this.emit(this.goto(pc + 1, nextCase));
  }

  private call(pc: number, target: number, params: Int32Array): void {
    const n = params.length;
    const args: Entry[] = [];
    for (let i = 0; i < n; i++) args.unshift(this.pop());
    const native = this.exitAt === null ? this.natives.get(target, params) : null;
    if (native !== null) this.nativeCall(pc, native, args);
    this.emit(`if ((ftop + ${1 + 2 * n} | 0) > frameEnd) ${this.bail()}`);
    this.emit(
      `{ const h = ftop << 2; w[h] = ${pc + 1}; w[h | 1] = fp - frameBase; w[h | 2] = ${n}; ` +
        `w[h | 3] = ${FRAME_CALL}; }`,
    );
    args.forEach((e, i) => {
      this.emit(`w[(ftop + ${1 + 2 * i}) << 2] = ${params[i]};`);
      this.emit(writeCode(e, `ftop + ${2 + 2 * i}`));
    });
    this.flush();
    // The callee's frame is new; its parameters' cells and values are known without a
    // lookup (read back from the new frame where the argument was a cell: two variables may
    // swap places, so their caches must not feed each other).
    let known = "";
    params.forEach((atom, i) => {
      if (!this.tracked.has(atom)) return;
      known += ` kc${atom} = fp + ${2 + 2 * i} | 0; kv${atom} = gen;`;
      const e = args[i];
      known += e.k === "val"
        ? ` kt${atom} = ${ex(e.t)}; kx${atom} = ${ex(e.v ?? 0)};`
        : ` ${this.reloadView(atom)}`;
    });
    this.emit(
      `fp = ftop; ${bump("ftop", 1 + 2 * n)} ${bump("gen", 1)}${known} ${this.jump(target)}`,
    );
  }

  /**
   * A CALL of a function compiled natively (native.ts): when no handler is pushed, every
   * argument is a plain Int and the callee's frame and stack fit, the call is a JavaScript
   * call that returns the result (pushed; the unit goes on at the return point). A chain that
   * had to leave has written its frames and stacks above this frame; the unit writes the
   * callee's return link and leaves with the chain's registers and result. Otherwise the
   * code that follows (the compiled CALL) runs.
   */
  private nativeCall(pc: number, fn: NativeFn, args: Entry[]): void {
    const conds = [`htop === 0`];
    const values = args.map((e) => {
      const { t, v } = this.numeric(e);
      if (t !== T_INT) conds.push(`${ex(t)} === ${T_INT}`);
      // An Int made as a PID carries a mark native code would not keep.
      if (e.k === "cell") conds.push(`w[${word(e.c, 1)}] === 0`);
      else if (e.k === "val" && e.a !== undefined) conds.push(`${ex(e.a)} === 0`);
      return ex(v);
    });
    const at = this.base + this.vs.length;
    conds.push(
      `(ftop + ${Math.min(fn.maxFrameCells, NATIVE_MAX_FRAME_CELLS)} | 0) <= frameEnd`,
      `(sp + ${at + fn.maxDepth} | 0) <= stackEnd`,
    );
    this.emit(`if (${conds.join(" && ")}) {`);
    const saved = { vs: [...this.vs], base: this.base };
    this.flush();
    this.vs = saved.vs;
    this.base = saved.base;
    // An argument read from the Float64Array is a double, and V8 would run the whole chain
    // in doubles, boxing each argument of each call (8×fib(27) in plain JavaScript: 22 ms
    // from a double, 12 from a small integer). So an integral value in int32 range goes in
    // as one (a literal is one already; src/term/tags.ts `smallIntOf`, inline).
    const smiArgs = values.map((v, i) => {
      if (/^-?\d{1,9}$/.test(v)) return v;
      this.emit(`const na${i} = ${v};`);
      return `(na${i} | 0) === na${i} ? na${i} | 0 : na${i}`;
    });
    this.emit(
      `nW = w; nF = f; nFB = frameBase; nSE = stackEnd; ` +
        `nFE = frameEnd - ftop > ${NATIVE_MAX_FRAME_CELLS} ? ftop + ${NATIVE_MAX_FRAME_CELLS} | 0 : frameEnd;`,
      `const r = ${fn.name}(${[...smiArgs, "ftop", "sp", "budget"].join(", ")});`,
      `if (left >= 0) { budget = left; ${writeCode({ k: "val", t: T_INT, v: "r" }, "sp")}` +
        `${bump("sp", 1)} ${this.jump(pc + 1)} }`,
      `{ const h = ftop << 2; w[h] = ${pc + 1}; w[h | 1] = fp - frameBase; }`,
      `budget = nB; pc = nPc; sp = nSp; fp = nFp; ftop = nFtop; ` +
        `if (left === -${LEFT_AT_BLOCK}) { rc = ${J_BLOCKED}; bail = nLen; } ` +
        `else { rc = ${R_CONTINUE}; jit.nativeLeftAt = nPc; } break out;`,
      `}`,
    );
  }

  private ret(): void {
    this.emit(`if (w[${word("fp", 3)}] !== ${FRAME_CALL} || htop !== 0) ${this.bail()}`);
    this.flush();
    this.emit(
      `pc = w[fp << 2]; ftop = fp; fp = frameBase + w[${word("fp", 1)}] | 0; ` +
        `${bump("gen", 1)} ${this.jumpDynamic()}`,
    );
  }
}
