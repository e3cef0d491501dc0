/**
 * The compiler tier of one thread: decides what to compile, keeps the compiled units, and runs
 * them on behalf of the interpreter (`Interpreter.tier`, the hook in src/vm/interp.ts).
 *
 * - Compiled code is per program and shared by all processes: units are keyed by pc and hold
 *   no process state (everything lives in the PCB and the process's blocks). Each thread (the
 *   main thread, every SMP worker: separate V8 isolates) compiles its own units; nothing
 *   compiled crosses threads.
 * - Policy `on`: an interpreted branch (JMP, taken JZ, CALL, RET) that lands on a pc counts
 *   down `hot[pc]`; at zero the next `enter` compiles a unit rooted there. An entry whose
 *   activations do too little work before leaving for the interpreter again (a loop body cut
 *   short by a message operation every round) is handed back to the interpreter for good.
 *   Policy `eager`: every pc where the interpreter stops or lands is compiled the first time,
 *   and nothing is handed back (for tests).
 * - `enter` runs units while control stays in compiled code: a unit returns J_JUMP when pc
 *   leaves its entries (a RET to an uncompiled caller, a call outside), J_BLOCKED when a block
 *   prologue failed, or the slice result: R_CONTINUE (the interpreter runs the instruction at
 *   the PCB's pc) or R_PREEMPT.
 * - Exact preemption inside a block (the budget left does not cover it) runs in the unit's
 *   stepping companion (`stepperOf`), as does the next slice from that pc up to the unit's
 *   next leader (`steppers`): compiled code, not the interpreter's loop, at both ends.
 * - Invalidation (hot code loading appends code and purges old versions): `invalidate(from,
 *   to)` drops every unit that covers any pc in [from, to) and forgets their entries, so the
 *   next arrival recompiles from the image as it is then; `ensureCapacity` follows an image
 *   that grew. See docs/ARCHITECTURE.md, "The compiler tier".
 */
import { LimitError } from "../mem/limit_error.ts";
import type { Memory } from "../mem/memory.ts";
import {
  P_FP,
  P_FRAMES,
  P_FRAMES_CAP,
  P_FTOP,
  P_PC,
  P_PID,
  P_SP,
  P_STACK,
  P_STACK_CAP,
} from "../proc/pcb.ts";
import { smallIntOf, T_INT } from "../term/tags.ts";
import { drainWorkReductions } from "../term/work.ts";
import type { CompiledTier, Interpreter } from "../vm/interp.ts";
import { arithUnlessError } from "../vm/ops_arith.ts";
import { receiveDirect } from "../vm/ops_proc.ts";
import { INT64_FUNCTIONS } from "../vm/int64.ts";
import { STACK_HEADROOM } from "../vm/machine.ts";
import { R_CONTINUE, R_PREEMPT, R_WAIT } from "../vm/results.ts";
import type { JitMode } from "../vm/runtime.ts";
import {
  ENTRY_VARS_MAX,
  generateUnit,
  J_BAIL,
  J_BLOCKED,
  J_JUMP,
  type UnitSource,
} from "./codegen.ts";
import { type CodeView, demotable, flowOf, OP, stackEffect } from "./compiled_ops.ts";
import { discoverRegion, Flow, keepHotPart, type Region } from "./region.ts";
import { NATIVE_MAX_FRAME_CELLS, writeLeftFrame } from "./native.ts";
import { type BailInfo, spill } from "./vstack.ts";

/** Interpreted arrivals at a branch target before it is compiled (policy `on`). */
export const HOT_THRESHOLD = 64;
/** Cells of room a block is given at least when a native chain stopped for want of it. */
const MIN_CHAIN_ROOM = 16;
/** The most budget a unit is handed at once (it keeps its budget as an int32). */
export const UNIT_BUDGET_MAX = 2 ** 30;
/** `hot` value of a pc that is never worth compiling (never counts down to 0 in practice). */
const NEVER = 0x3fffffff;
/** Policy `on`: after this many activations through an entry that ended by leaving for the
 *  interpreter (an instruction it runs, a failed guard), the entry is judged… */
export const DEMOTE_WINDOW = 64;
/** …and handed back to the interpreter when they averaged fewer reductions than this plus one
 *  per variable looked up on entry: entering and leaving a unit costs about as much as
 *  interpreting that many instructions (measured: a loop body cut short by a SEND or RECEIVE
 *  each round runs slower compiled with 7 instructions and 3 variables, faster with 9 and 1). */
export const DEMOTE_MIN = 6;
/** What a bail costs beyond a plain exit, in instructions' worth (judging entries). */
const BAIL_COST = 16;
/** Bails at one pc after which its arithmetic is compiled wide (`noteBail`). */
export const BAIL_LIMIT = 64;
/** activations[pc] once an entry has been judged worth keeping, or handed back. */
const JUDGED = -(1 << 30);
const DEMOTED = JUDGED - 1;

/** A copy of `a` lengthened to `n` elements, the new ones set to `fill`. */
function lengthened<T extends Int32Array | Uint8Array | Float64Array>(
  a: T,
  n: number,
  fill = 0,
): T {
  const out = new (a.constructor as new (length: number) => T)(n);
  out.fill(fill, a.length);
  out.set(a);
  return out;
}

/** A compiled unit function (see codegen.ts). */
export type UnitFn = (jit: Jit, pcb: number, pc: number, budget: number) => number;

export interface Unit {
  root: number;
  fn: UnitFn;
  /** Bail descriptions (bail number n is bails[n - 1]). */
  bails: BailInfo[];
  /** Per entry pc, the variables looked up on entry there. */
  sets: Int32Array[];
  /** Covered pcs, ascending (what invalidation tests). */
  pcs: number[];
  /** pcs of the native functions it calls (native.ts); invalidation tests them too. */
  nativePcs: number[];
  /** Entry pcs. */
  leaders: number[];
  /** Generated JavaScript source length in characters (diagnostics). */
  sourceChars: number;
  /** Whether this is a stepping companion (`stepperOf`), not a unit proper. */
  stepping: boolean;
  /** Its stepping companion, once one was needed (units proper). */
  stepper: Unit | null;
}

export interface JitStats {
  /** Units compiled (including dropped ones). */
  units: number;
  /** Instructions compiled inline, summed over units. */
  compiledInstrs: number;
  /** Generated JavaScript, characters. */
  sourceChars: number;
  /** Time spent analysing and generating (V8 compiles later, lazily). */
  compileMs: number;
  /** Reductions charged by compiled code (the rest were the interpreter's). */
  compiledReductions: number;
  /** Entries given back to the interpreter (too little work per activation). */
  demoted: number;
  /** Arithmetic instructions compiled wide after their guard kept failing. */
  widePcs: number;
  /** Plain RECEIVEs a unit did by a direct call (`receive`), not through the slow path. */
  directReceives: number;
  /** Stepping companions compiled (`stepperOf`). */
  steppers: number;
  /** Native functions compiled into units (native.ts; a function in two units counts twice). */
  nativeFunctions: number;
}

export class Jit implements CompiledTier {
  readonly mem: Memory;
  hot: Int32Array;
  /** Per-instruction inline cache of LOAD/STORE frame entry indexes (validated on use). */
  ic: Int32Array;
  /** Budget left when a unit or `enter` returns. */
  budget = 0;
  /** The most budget a unit is handed at once (UNIT_BUDGET_MAX; tests lower it). */
  unitBudgetMax = UNIT_BUDGET_MAX;
  /**
   * Whether a slice must end at exactly the instruction it would end at interpreted
   * (`--exact-preemption`): the same interleaving of processes with the tier on as with
   * `--jit=off`, which the tests (tests/jit/) compare. Off by default: a slice then ends at
   * the first block the budget does not cover (never beyond the budget; a slice that has
   * made no progress yet runs its block through the interpreter), and the next one starts
   * in compiled code there — still deterministic on one scheduler, and the unit's stepping
   * companion, which exactness needs at both ends of nearly every slice, is neither compiled
   * nor run: counting took 196 against 177 ms, parfib 90 against 80 (docs/PERFORMANCE.md,
   * finding 19). An SMP worker's interleaving depends on timing anyway; without the steps it
   * never calls the interpreter's loop, and V8 does not spend 50–70 ms of a core optimising
   * that loop in every worker (finding 8).
   */
  exactPreemption = false;
  /** Set by a unit whose native chain left before an instruction the interpreter must run:
   *  that pc. Before an arithmetic instruction (an Int past 2^53) it is judged as a bail there
   *  (`noteBail`), so a product that keeps overflowing is compiled wide and its function no
   *  longer natively; before a CALL (blocks too small) the blocks grow (`roomForChain`). */
  nativeLeftAt = -1;
  /** Set by a unit that bailed: its bail number (1-based), and the spill slots it filled. */
  bail = 0;
  qs: Float64Array = new Float64Array(16);
  /** frameVars' result: frame entry index per variable of the entering unit. */
  kk: Int32Array = new Int32Array(ENTRY_VARS_MAX);
  private entries: Array<Unit | null>;
  /** Per pc inside a block of a unit (not one of its entries): that unit's stepping
   *  companion, which runs from there to the unit's next leader. */
  private steppers: Array<Unit | null>;
  /** Per entry pc: activations through it and the reductions they charged (policy on). */
  private activations: Int32Array;
  private activationReductions: Float64Array;
  /** pcs covered by some unit (policy eager compiles a new root only where this is 0). */
  private covered: Uint8Array;
  /** Per pc: guard failures (bails) there, and whether its arithmetic is now compiled wide. */
  private bailCounts: Int32Array;
  private widePcs: Uint8Array;
  private readonly units = new Set<Unit>();
  readonly stats: JitStats = {
    units: 0,
    compiledInstrs: 0,
    sourceChars: 0,
    compileMs: 0,
    compiledReductions: 0,
    demoted: 0,
    widePcs: 0,
    directReceives: 0,
    steppers: 0,
    nativeFunctions: 0,
  };

  constructor(readonly interp: Interpreter, readonly mode: Exclude<JitMode, "off">) {
    this.mem = interp.rt.mem;
    const n = interp.rt.image.nInstr;
    this.hot = new Int32Array(n).fill(mode === "eager" ? 0 : HOT_THRESHOLD);
    this.ic = new Int32Array(n);
    this.entries = new Array<Unit | null>(n).fill(null);
    this.steppers = new Array<Unit | null>(n).fill(null);
    this.activations = new Int32Array(n);
    this.activationReductions = new Float64Array(n);
    this.covered = new Uint8Array(n);
    this.bailCounts = new Int32Array(n);
    this.widePcs = new Uint8Array(n);
  }

  /** Run compiled code from the PCB's pc for as long as control stays in compiled code. */
  enter(pcb: number, budget: number): number {
    const p = pcb << 2;
    const budgetAtEntry = budget;
    let arrived = false; // false: the interpreter stopped here; true: a unit jumped here
    let forced: Unit | null = null; // a stepping companion to run next, whatever the pc
    for (;;) {
      const pc = this.mem.i32[p + P_PC];
      let unit = forced ??
        (pc >= 0 && pc < this.entries.length ? this.entries[pc] ?? this.steppers[pc] : null);
      forced = null;
      if (unit === null) {
        unit = this.maybeCompile(pc, arrived);
        if (unit === null) {
          this.budget = budget;
          return R_CONTINUE;
        }
      }
      this.hot[pc] = 0;
      const before = budget, slowBefore = this.interp.slowCharged;
      // A unit counts its budget in int32 (codegen.ts): a larger one is lent in part, and
      // the rest added back (the unit then stops at a block the part does not cover).
      const lent = budget > this.unitBudgetMax ? this.unitBudgetMax : budget;
      const rc = unit.fn(this, pcb, pc, lent);
      budget = this.budget + (budget - lent);
      this.budget = budget;
      if (this.nativeLeftAt >= 0) {
        const at = this.nativeLeftAt;
        this.nativeLeftAt = -1;
        if (this.interp.rt.image.code[at << 2] === OP.CALL) this.roomForChain(pcb);
        else this.noteBail(at);
      }
      // Judge entries by the compiled work done before leaving for the interpreter or to
      // wait for a message (not before a preemption, which small budgets make frequent
      // anyway). Instructions run through the interpreter's slow path from inside the unit do
      // not count: they cost the same compiled or not.
      const judged = !unit.stepping && this.activations[pc] >= 0 && this.mode === "on" &&
        (rc === R_CONTINUE || rc === J_BAIL || rc === R_WAIT);
      if (judged) {
        // A bail also costs writing the stack out and interpreting the rest of its block.
        const used = before - budget - (this.interp.slowCharged - slowBefore) -
          (rc === J_BAIL ? BAIL_COST : 0);
        // (Instructions run through the slow path from inside the unit once counted against
        // it, three instructions' worth each, when SEND was one of them: a ring node's loop
        // ran 8 % slower compiled. With SEND a direct call and the unit falling through after
        // RECEIVE, that loop is 12 % faster compiled, and nothing else changed measurably.)
        this.judge(pc, used, DEMOTE_MIN + (unit.sets[pc]?.length ?? 0));
      }
      if (rc === J_BAIL) {
        // A guard failed: write out the virtual stack, refund the instructions not run, and
        // let the interpreter execute the instruction at the saved pc.
        const info = unit.bails[this.bail - 1];
        const w = this.mem.i32;
        w[p + P_SP] = spill(w, this.mem.f64, this.qs, w[p + P_STACK], w[p + P_SP], info);
        if (info.relook >= 0) this.relook(pcb, info.pc, info.relook);
        else if (info.stop !== true) this.noteBail(info.pc);
        budget += info.refund;
        this.stats.compiledReductions += before - budget;
        this.budget = budget;
        return R_CONTINUE;
      }
      this.stats.compiledReductions += before - budget;
      if (rc === J_JUMP) {
        arrived = true;
        continue;
      }
      if (rc !== J_BLOCKED) return rc; // R_CONTINUE or R_PREEMPT
      if (budget < this.bail && !this.exactPreemption && budget < budgetAtEntry) {
        // The budget does not cover the block: end the slice here (only after some
        // progress, so a block longer than a whole budget is interpreted).
        this.budget = budget;
        return R_PREEMPT;
      }
      if (budget > 0 && budget < this.bail && !unit.stepping) {
        // Exact preemption: the rest of the budget, instruction by instruction, in compiled
        // code (the next slice starts there too: `steppers`).
        forced = this.stepperOf(unit);
        continue;
      }
      // A block prologue failed at the PCB's pc. Budget used up (it may be below 0 after the
      // work a slow instruction charged): preempt here. Otherwise the stack is too shallow
      // (the interpreter raises the error) or must grow (the interpreter grows it once an
      // instruction needs the room, at no charge), and the interpreter runs from there.
      this.budget = budget;
      return budget <= 0 ? R_PREEMPT : R_CONTINUE;
    }
  }

  /**
   * A native chain stopped before a CALL whose callee's frame or stack might not fit (native.ts
   * checks the most the callee can use, where the interpreter grows a block only once an
   * instruction needs the room). Left alone, every call at that depth would run in the
   * interpreter: parfib's leaves did so 261 times a run, with the stack 5 cells short. So the
   * blocks grow here, each to at least twice its use while its room is below that use (and
   * MIN_CHAIN_ROOM), as the interpreter would grow them once the recursion went deeper. It
   * costs no reduction (src/vm/interp.ts): where a block grows is not observable but in
   * PROCESS_INFO's memory. A chain left at its own depth bound (NATIVE_MAX_FRAME_CELLS) finds
   * the frames roomy and grows nothing; a block at the memory limit stays as it is, and the
   * interpreter raises the overflow if the program really goes deeper (a block the memory
   * cannot hold, likewise).
   */
  private roomForChain(pcb: number): void {
    const w = this.mem.i32, p = pcb << 2;
    const stackUsed = w[p + P_SP], frameUsed = w[p + P_FTOP];
    const stackWant = Math.max(stackUsed, MIN_CHAIN_ROOM);
    const frameWant = Math.max(frameUsed, MIN_CHAIN_ROOM);
    try {
      if (w[p + P_STACK_CAP] - STACK_HEADROOM - stackUsed < stackWant) {
        this.interp.m.ensureStack(pcb, stackWant);
      }
      const frameRoom = w[p + P_FRAMES_CAP] - frameUsed;
      if (frameRoom < NATIVE_MAX_FRAME_CELLS && frameRoom < frameWant) {
        this.interp.m.ensureFrames(pcb, frameWant);
      }
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
    }
  }

  /** Wide arithmetic for a unit (codegen.ts `wide`): instruction `op` on the stack cells `a`
   *  and `b`, the result in `a`; false, with nothing written, when it would raise. */
  wide(op: number, a: number, b: number): boolean {
    return arithUnlessError(this.interp.rt, op, a, b);
  }

  /** SEND for a unit (codegen.ts `send`): the value in cell `value` to the PID in cell `to`,
   *  or to PID -to when `to` < 0 (SEND's literal form). False, with nothing sent, when the
   *  interpreter must run it: the target is not a small Int (its error, or a 64-bit PID), or
   *  sending threw — which it does only before the message leaves (allocating its node, or
   *  converting the value for another node), so the interpreter's run of the same SEND
   *  raises the same error at its pc. */
  send(pcb: number, to: number, value: number): boolean {
    const w = this.mem.i32;
    let pid: number;
    if (to < 0) pid = -to;
    else if (w[to << 2] === T_INT) pid = smallIntOf(this.mem.f64[(to << 1) + 1]);
    else return false;
    try {
      this.interp.rt.procs.send(w[(pcb << 2) + P_PID], pid, value);
    } catch {
      drainWorkReductions(); // the interpreter runs the SEND again and charges its own work
      return false;
    }
    this.callWork = drainWorkReductions(); // copying the value into the node, as slowAt
    return true;
  }

  /** A plain RECEIVE for a unit (codegen.ts `fallback`): the oldest message onto stack cell
   *  `dst` when nothing else has to happen (ops_proc.ts `receiveDirect`); false, with
   *  nothing changed, when the interpreter's slow path must run the RECEIVE. */
  receive(pcb: number, dst: number): boolean {
    const work = receiveDirect(this.interp.rt, pcb, dst);
    if (work < 0) return false;
    this.stats.directReceives++;
    this.callWork = work;
    return true;
  }
  /** Reductions for the work of the last direct `send` or `receive` that succeeded (the unit
   *  charges them at once, as the interpreter charges an instruction's work). */
  callWork = 0;

  /** Called by a unit on entry: looks up its variables `set` (indexes into `atoms`, all below
   *  ENTRY_VARS_MAX) in the frame at `fp`; returns a mask with bit i set when variable i was
   *  found, its frame entry index then in kk[i]. `guesses` remembers where each was last found. */
  frameVars(
    w: Int32Array,
    fp: number,
    atoms: Int32Array,
    guesses: Int32Array,
    set: Int32Array,
  ): number {
    const kk = this.kk, n = w[(fp << 2) + 2];
    let found = 0;
    for (let j = 0; j < set.length; j++) {
      const i = set[j], atom = atoms[i];
      let k = guesses[i];
      if (k >= n || w[(fp + 1 + 2 * k) << 2] !== atom) {
        k = findVar(w, fp, n, atom);
        if (k < 0) continue;
        guesses[i] = k;
      }
      kk[i] = k;
      found |= 1 << i;
    }
    return found;
  }

  /** Policy on: account an activation through entry `pc` that charged `used` reductions; after
   *  DEMOTE_WINDOW of them, keep the entry or give it back to the interpreter. */
  private judge(pc: number, used: number, min: number): void {
    const n = ++this.activations[pc];
    this.activationReductions[pc] += used;
    if (n < DEMOTE_WINDOW) return;
    if (this.activationReductions[pc] >= min * n) {
      this.activations[pc] = JUDGED;
      return;
    }
    this.activations[pc] = DEMOTED;
    this.entries[pc] = null;
    this.hot[pc] = NEVER;
    this.stats.demoted++;
  }

  /** Refresh the inline cache of the LOAD at `pc` after a miss (the variable moved in this
   *  frame layout); a variable that does not exist is the interpreter's error to raise. */
  private relook(pcb: number, pc: number, atom: number): void {
    const w = this.mem.i32, p = pcb << 2;
    const fp = w[p + P_FRAMES] + w[p + P_FP];
    const k = findVar(w, fp, w[(fp << 2) + 2], atom);
    if (k >= 0) this.ic[pc] = k;
  }

  /** The unit to run at `pc` if policy says to compile one now, else null. */
  private maybeCompile(pc: number, arrived: boolean): Unit | null {
    if (pc < 0 || pc >= this.entries.length) return null;
    if (this.activations[pc] === DEMOTED) {
      // Handed back for good: a unit rooted here would not become its entry, only one more
      // unit (a stepping companion that runs through this pc resets its count).
      this.hot[pc] = NEVER;
      return null;
    }
    if (this.mode === "eager") {
      if (this.covered[pc]) {
        this.hot[pc] = NEVER; // inside a unit but not one of its entries
        return null;
      }
    } else {
      if (arrived) this.hot[pc]--;
      if (this.hot[pc] > 0) return null;
    }
    const unit = this.compile(pc);
    if (unit === null) {
      this.hot[pc] = NEVER;
      this.covered[pc] = 1;
      return null;
    }
    return this.entries[pc]; // null when pc's own block compiles nothing
  }

  /** Compile the unit rooted at `root`; null when it would compile nothing. */
  compile(root: number): Unit | null {
    const started = performance.now();
    const view = this.view();
    const flow = (pc: number) => flowOf(view, pc);
    let region = discoverRegion(view.code, view.nInstr, root, flow);
    // Policy on compiles what is hot; eager compiles everything (its tests' promise).
    if (this.mode === "on") region = keepHotPart(region, view.code, view.nInstr, flow);
    let compiledInstrs = 0;
    for (const pc of region.pcs) if (flow(pc) < Flow.Fallback) compiledInstrs++;
    if (compiledInstrs === 0) return null;
    const src = generateUnit(view, region);
    const unit = this.unitFrom(src, region, false);
    this.units.add(unit);
    const empty = new Set(src.emptyLeaders);
    for (const pc of region.leaders) {
      if (empty.has(pc)) {
        // Entering there would only leave again: the interpreter runs that instruction and
        // enters at the next leader.
        if (this.entries[pc] === null) this.hot[pc] = NEVER;
      } else if (this.entries[pc] === null && this.activations[pc] !== DEMOTED) {
        this.entries[pc] = unit;
        this.hot[pc] = 0;
      }
    }
    // The root always runs its own unit (it may have been an entry of a smaller one).
    if (!empty.has(root) && this.activations[root] !== DEMOTED) this.entries[root] = unit;
    for (const pc of region.pcs) this.covered[pc] = 1;
    this.stats.units++;
    this.stats.compiledInstrs += src.compiledInstrs;
    this.stats.nativeFunctions += src.nativeFunctions;
    this.stats.compileMs += performance.now() - started;
    return unit;
  }

  /** The unit (or stepping companion) for `src`, generated over `region`: its function from
   *  the thread's cache, and spill slots enough for it. */
  private unitFrom(src: UnitSource, region: Region, stepping: boolean): Unit {
    if (src.spillSlots > this.qs.length) this.qs = new Float64Array(src.spillSlots * 2);
    this.stats.sourceChars += src.body.length;
    return {
      root: region.root,
      fn: unitFunction(src.body, src.atoms, src.sets),
      bails: src.bails,
      sets: src.sets,
      pcs: region.pcs,
      nativePcs: src.nativePcs,
      leaders: region.leaders,
      sourceChars: src.body.length,
      stepping,
      stepper: null,
    };
  }

  /**
   * The stepping companion of `unit`, compiled on first need: the same region and code with
   * every instruction a block of its own (codegen.ts `generateUnit` with `exitAt`). Where the
   * budget left does not cover a block, exact preemption must stop inside it; the companion
   * runs those instructions, and the next slice from there up to the unit's next leader,
   * in compiled code instead of the interpreter's loop — which V8 then need not optimise
   * just for a few instructions at each end of every slice.
   */
  private stepperOf(unit: Unit): Unit {
    if (unit.stepper !== null) return unit.stepper;
    const started = performance.now();
    const region = { root: unit.root, pcs: unit.pcs, leaders: unit.leaders };
    const src = generateUnit(this.view(), region, new Set(unit.leaders));
    // (Every pc is one of its leaders: generateUnit with exitAt.)
    const stepper = this.unitFrom(src, { ...region, leaders: unit.pcs }, true);
    unit.stepper = stepper;
    const isLeader = new Set(unit.leaders), empty = new Set(src.emptyLeaders);
    for (const pc of unit.pcs) {
      if (isLeader.has(pc) || empty.has(pc) || this.activations[pc] === DEMOTED) continue;
      if (this.entries[pc] === null && this.steppers[pc] === null) {
        this.steppers[pc] = stepper;
        this.hot[pc] = 0;
      }
    }
    this.stats.steppers++;
    this.stats.compileMs += performance.now() - started;
    return stepper;
  }

  /**
   * Drop every unit covering any pc in [fromPc, toPc) — for code loading: run before the code
   * in that range changes or is purged. Units are rebuilt from the image on later arrivals.
   * Must not run while a unit of this thread is on the stack (code loading happens in an
   * instruction the interpreter executes, so none is).
   */
  invalidate(fromPc: number, toPc: number): number {
    let dropped = 0;
    for (const unit of [...this.units]) {
      const hit = (pc: number) => pc >= fromPc && pc < toPc;
      if (!unit.pcs.some(hit) && !unit.nativePcs.some(hit)) continue;
      this.units.delete(unit);
      dropped++;
      for (const pc of unit.leaders) {
        this.activations[pc] = 0;
        this.activationReductions[pc] = 0;
        if (this.entries[pc] === unit) {
          this.entries[pc] = null;
          this.hot[pc] = this.mode === "eager" ? 0 : HOT_THRESHOLD;
        }
      }
      for (const pc of unit.pcs) {
        this.covered[pc] = 0;
        if (unit.stepper !== null && this.steppers[pc] === unit.stepper) this.steppers[pc] = null;
        if (this.entries[pc] === null) this.hot[pc] = this.mode === "eager" ? 0 : HOT_THRESHOLD;
      }
    }
    // Units that survive keep their entries; pcs they cover stay covered.
    for (const unit of this.units) for (const pc of unit.pcs) this.covered[pc] = 1;
    this.ic.fill(0, Math.max(0, fromPc), Math.min(this.ic.length, toPc));
    return dropped;
  }

  /**
   * A guard failed at `pc`. An arithmetic instruction whose guard keeps failing there (big's
   * random generator multiplies past 2^53 every round) costs a bail — the stack written out,
   * the interpreter for the rest of the block, a new activation — each time; after BAIL_LIMIT
   * of them the units covering it are dropped and rebuilt later with that instruction
   * compiled wide: computed in memory for any Int or Float operands, 64-bit Ints without
   * BigInt (codegen.ts `wide`), bailing only where the instruction raises.
   */
  private noteBail(pc: number): void {
    if (++this.bailCounts[pc] !== BAIL_LIMIT) return;
    if (!demotable(this.interp.rt.image.code[pc << 2])) return;
    // The arithmetic that goes on with this result would bail next (a product past 2^53 is
    // still past it after an ADD): compile it wide in the same rebuild, so V8 compiles the
    // unit's function once more, not once per instruction of the chain.
    const pcs = [pc, ...arithmeticChain(this.view(), pc)];
    for (const at of pcs) this.widePcs[at] = 1;
    this.invalidate(pc, pcs[pcs.length - 1] + 1);
    this.stats.widePcs += pcs.length;
  }

  /** Compile every demotable arithmetic instruction wide from now on, as if each had bailed
   *  BAIL_LIMIT times (tests: the wide code against the interpreter for every operand). */
  compileAllWide(): void {
    const code = this.interp.rt.image.code;
    for (let pc = 0; pc < this.widePcs.length; pc++) {
      if (demotable(code[pc << 2])) this.widePcs[pc] = 1;
    }
    this.invalidate(0, this.widePcs.length);
  }

  /** Follow an image that grew (code appended by code loading). */
  ensureCapacity(nInstr: number): void {
    const old = this.entries.length;
    if (nInstr <= old) return;
    this.hot = lengthened(this.hot, nInstr, this.mode === "eager" ? 0 : HOT_THRESHOLD);
    this.ic = lengthened(this.ic, nInstr);
    this.covered = lengthened(this.covered, nInstr);
    this.activations = lengthened(this.activations, nInstr);
    this.activationReductions = lengthened(this.activationReductions, nInstr);
    this.bailCounts = lengthened(this.bailCounts, nInstr);
    this.widePcs = lengthened(this.widePcs, nInstr);
    for (let pc = old; pc < nInstr; pc++) {
      this.entries.push(null);
      this.steppers.push(null);
    }
  }

  /** Units currently compiled (tests, diagnostics). */
  get unitCount(): number {
    return this.units.size;
  }

  /** The unit an entry pc runs, or null. */
  unitFor(pc: number): Unit | null {
    return this.entries[pc] ?? null;
  }

  private view(): CodeView {
    const img = this.interp.rt.image;
    return {
      code: img.code,
      nInstr: img.nInstr,
      floats: img.floats,
      ints: img.ints,
      paramLists: img.paramLists,
      widePcs: this.widePcs,
    };
  }
}

/**
 * The demotable arithmetic after `pc` in its straight-line code that uses `pc`'s result
 * directly or through the results of the chain: pc's result is tracked as a stack depth
 * until an instruction pops it. A guess for the tier's policy (a pc wrongly included is only
 * compiled wide), so it stops at anything it cannot follow.
 */
export function arithmeticChain(view: CodeView, pc: number): number[] {
  const chain: number[] = [];
  let depth = 0; // of the tracked result, from the top of the stack
  for (let at = pc + 1; at < view.nInstr && at <= pc + CHAIN_MAX_INSTRS; at++) {
    if (flowOf(view, at) !== Flow.Straight) break;
    const [pops, pushes] = stackEffect(view, at);
    if (pops < 0 || pushes < 0) break;
    if (pops <= depth) {
      depth += pushes - pops;
      continue;
    }
    if (!demotable(view.code[at << 2]) || pushes !== 1) break;
    chain.push(at);
    depth = 0;
  }
  return chain;
}

/** How far past a wide pc `arithmeticChain` looks. */
const CHAIN_MAX_INSTRS = 16;

/**
 * The function for a unit's source. Functions are cached per thread by their source text: the
 * text determines the function completely (it closes over nothing process- or VM-specific), so
 * another VM in the same thread (tests, in-process benchmarks, the API) reuses the function
 * V8 has already optimised instead of warming up a new one.
 */
const unitFunctions = new Map<string, UnitFn>();
const UNIT_FUNCTIONS_MAX = 4096;

function unitFunction(body: string, atoms: Int32Array, sets: Int32Array[]): UnitFn {
  let fn = unitFunctions.get(body);
  if (fn === undefined) {
    const factory = new Function("env", body) as (env: unknown) => UnitFn;
    fn = factory({
      findVar,
      atoms,
      guesses: new Int32Array(atoms.length),
      sets,
      writeLeftFrame,
      ...INT64_FUNCTIONS,
    });
    if (unitFunctions.size >= UNIT_FUNCTIONS_MAX) unitFunctions.clear();
    unitFunctions.set(body, fn);
  }
  return fn;
}

/** Frame entry index of variable `atom` among the `n` entries of the frame at `fp`, or -1
 *  (the inline cache's slow path). */
function findVar(w: Int32Array, fp: number, n: number, atom: number): number {
  for (let k = 0; k < n; k++) if (w[(fp + 1 + 2 * k) << 2] === atom) return k;
  return -1;
}

/** The tier for `mode`, attached to the interpreter (null for "off"). */
export function attachTier(it: Interpreter, mode: JitMode): Jit | null {
  if (mode === "off") {
    it.tier = null;
    return null;
  }
  const jit = new Jit(it, mode);
  it.tier = jit;
  return jit;
}
