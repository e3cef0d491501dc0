/**
 * The stack-depth checker: an abstract interpretation of operand-stack depths over the control
 * flow graph of a linked Program, driven by the opcode table's `pops`/`pushes` (and, for the
 * rows marked -1, by the operand: MAKE_LIST n, CALL with n params, a PID operand that is 0…).
 * It finds instructions that will certainly underflow the stack and places where paths meet
 * with different depths (a loop that leaves a value behind each turn, a branch that pushes on
 * one side only).
 *
 * The machine: one operand stack per process, shared by all frames (CALL pops the parameters;
 * the callee leaves its results on the stack and RET keeps them; IMPORT restores the depth).
 *
 * Regions. Code is analysed from entry points, each with the depth a stack has there:
 * - pc 0 (the program's start) and a label spawned by name (`PUSH_STR "l"` then SPAWN*, or a
 *   SUPERVISE_CHILD label): a fresh process, depth exactly 0;
 * - a CALL target: the hull of its call sites' depths minus the parameters;
 * - a MAKE_FUNCTION / MAKE_LAMBDA target and an imported module's first instruction: unknown
 *   (called through a value, or imported at any depth).
 * Inside a region, depths are intervals relative to the entry; the absolute depth is the
 * entry's depth plus that. A function's effect (depth at its RETs relative to its entry) is
 * what a CALL of it adds after the parameters are gone. Regions, entry depths and effects are
 * solved together by a worklist (a region is re-run when its entry depth or a callee's effect
 * grows); intervals that keep growing are widened to infinity, so the work is bounded.
 *
 * Findings (sound for what they claim, silent when unsure):
 * - underflow: the largest depth the instruction can see is below what it pops. Only where the
 *   entry depth is bounded (a CALL through a Function value, SPAWN of a value, … make the depth
 *   unknown and end such findings downstream).
 * - inconsistent depth: two exact, different depths meet at one instruction, reported once.
 * Code that no entry reaches (a label spawned through a computed name) is not analysed.
 */
import {
  INSTR_WORDS,
  OP_BY_CODE,
  OP_BY_NAME,
  operandWordOffsets,
  type OpInfo,
} from "../isa/opcodes.ts";
import type { Program } from "../isa/program.ts";

export interface StackFinding {
  pc: number;
  kind: "underflow" | "join";
  message: string;
}

/** A depth interval; lo ≤ hi, either may be infinite. */
interface Range {
  lo: number;
  hi: number;
}

/** What is known about the value on top of the stack (for SPAWN / CALL_FUNCTION). */
type Top =
  | { kind: "label"; pc: number }
  | { kind: "fn"; target: number; params: number }
  | null;

interface State {
  lo: number;
  hi: number;
  top: Top;
  /** Times this state grew (widening after WIDEN_AFTER). */
  grows: number;
  /** The first exact depth that arrived here and the instruction it came from. */
  firstExact: number | null;
  firstFrom: number;
}

/** How often an interval may grow before it is widened to infinity. */
const WIDEN_AFTER = 3;
const UNKNOWN_BASE: Range = { lo: 0, hi: Infinity };
const FRESH: Range = { lo: 0, hi: 0 };

const op = (name: string) => (OP_BY_NAME.get(name) as OpInfo).code;
const C = {
  PUSH_STR: op("PUSH_STR"),
  JMP: op("JMP"),
  JZ: op("JZ"),
  CALL: op("CALL"),
  RET: op("RET"),
  MAKE_FUNCTION: op("MAKE_FUNCTION"),
  MAKE_LAMBDA: op("MAKE_LAMBDA"),
  CALL_FUNCTION: op("CALL_FUNCTION"),
  TRY: op("TRY"),
  THROW: op("THROW"),
  HALT: op("HALT"),
  END: op("END"),
  EXIT: op("EXIT"),
  EXIT_SELF: op("EXIT_SELF"),
  IMPORT: op("IMPORT"),
  MAKE_LIST: op("MAKE_LIST"),
  MAKE_TUPLE: op("MAKE_TUPLE"),
  SPAWN: op("SPAWN"),
  SPAWN_LINK: op("SPAWN_LINK"),
  SPAWN_MONITOR: op("SPAWN_MONITOR"),
  SPAWN_AT: op("SPAWN_AT"),
  SEND: op("SEND"),
  LINK: op("LINK"),
  UNLINK: op("UNLINK"),
  MONITOR: op("MONITOR"),
  RECEIVE_AFTER: op("RECEIVE_AFTER"),
  RECEIVE_MATCH_AFTER: op("RECEIVE_MATCH_AFTER"),
  SUPERVISE_CHILD: op("SUPERVISE_CHILD"),
};

/**
 * The stack rule of every opcode whose table row says -1 (depends on an operand or on the run):
 * values popped besides the PID / parameters, values pushed. The tests check that every -1 row
 * has a rule here.
 */
export const OPERAND_DEPENDENT: ReadonlyMap<number, string> = new Map([
  [C.MAKE_LIST, "pops its count operand, pushes the list"],
  [C.MAKE_TUPLE, "pops its count operand, pushes the tuple"],
  [C.CALL, "pops its parameter count; pushes the callee's effect"],
  [C.CALL_FUNCTION, "pops the function and its parameters; pushes the callee's effect"],
  [C.SPAWN, "pops the callable and a Function's parameters; pushes the pid"],
  [C.SPAWN_LINK, "as SPAWN"],
  [C.SPAWN_MONITOR, "as SPAWN, pushes pid and ref"],
  [C.SPAWN_AT, "as SPAWN, and the node under the callable"],
  [C.SEND, "pops the message, and the pid when its operand is absent or 0"],
  [C.LINK, "pops the pid when its operand is absent or 0"],
  [C.UNLINK, "as LINK"],
  [C.MONITOR, "as LINK, pushes the ref"],
]);

/** Word offsets of each opcode's operands, by opcode number. */
const WORD_OFFSETS: ReadonlyArray<number[] | undefined> = OP_BY_CODE.map((info) =>
  info === undefined ? undefined : operandWordOffsets(info)
);

function sameTopValue(a: Top, b: Top): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === "label") return b.kind === "label" && a.pc === b.pc;
  return b.kind === "fn" && a.target === b.target && a.params === b.params;
}

/** Instructions after which control never reaches the next one. */
const NO_FALLTHROUGH = new Set([C.JMP, C.RET, C.HALT, C.END, C.EXIT, C.EXIT_SELF, C.THROW]);

/** One instruction's effect on a depth: values it needs, pops (range) and pushes (range). */
interface Effect {
  need: number;
  popMin: number;
  popMax: number;
  pushMin: number;
  pushMax: number;
}

export function checkStack(program: Program): StackFinding[] {
  return new Checker(program).run();
}

class Checker {
  private readonly code: Int32Array;
  private readonly count: number;
  private readonly labelPcByName = new Map<string, number>();
  /** Module range of each pc: the last pc (its END) of the pc's module. */
  private readonly moduleEnd: Int32Array;
  private readonly bases = new Map<number, { range: Range; grows: number }>();
  private readonly effects = new Map<number, { range: Range; grows: number }>();
  private readonly findings = new Map<number, StackFinding>();

  constructor(private readonly program: Program) {
    this.code = program.code;
    this.count = program.code.length / INSTR_WORDS;
    // As the runtime resolves a spawned label name: main-file labels win, then earlier modules.
    for (const l of [...program.labels].sort((a, b) => a.module - b.module)) {
      if (!this.labelPcByName.has(l.name)) this.labelPcByName.set(l.name, l.pc);
    }
    this.moduleEnd = new Int32Array(this.count);
    for (const m of program.modules) this.moduleEnd.fill(m.endPc, m.startPc, m.endPc + 1);
  }

  /**
   * Four passes, each region analysed a bounded number of times:
   * 1. entries, found statically, with the depths known there (fresh process, unknown);
   * 2. the call graph (a region's CALLs, continuing after each as if the callee returned
   *    anything), cut into strongly connected components;
   * 3. effects, callees before callers (recursion: iterate within the component);
   * 4. entry depths, propagated from callers to callees through the call sites;
   * then one recording pass per region with everything known.
   */
  run(): StackFinding[] {
    const seeds = this.entrySeeds();
    const entries = [...seeds.keys()].sort((a, b) => a - b);
    const callees = new Map<number, number[]>();
    for (const e of entries) callees.set(e, this.analyse(e, "graph").callees);
    const callers = new Map<number, number[]>();
    for (const [e, targets] of callees) {
      for (const t of targets) {
        const list = callers.get(t);
        if (list === undefined) callers.set(t, [e]);
        else list.push(e);
      }
    }
    const sites = new Map<number, Array<[number, Range]>>();
    for (const component of stronglyConnected(entries, callees)) {
      const members = new Set(component);
      const queue = [...component];
      const queued = new Set(component);
      for (let head = 0; head < queue.length; head++) {
        const e = queue[head];
        queued.delete(e);
        const result = this.analyse(e, "effects");
        sites.set(e, result.sites);
        if (result.effect === null || !this.mergeInto(this.effects, e, result.effect)) continue;
        // Callers in this component see the new effect on their next run (callers in later
        // components have not run yet).
        for (const caller of callers.get(e) ?? []) {
          if (members.has(caller) && !queued.has(caller)) {
            queued.add(caller);
            queue.push(caller);
          }
        }
      }
    }
    // Entry depths: a seed, widened by every call site's depth (caller's entry + relative).
    const queue: number[] = [];
    const queued = new Set<number>();
    for (const [e, range] of seeds) {
      if (range !== null) {
        this.mergeInto(this.bases, e, range);
        queue.push(e);
        queued.add(e);
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const caller = queue[head];
      queued.delete(caller);
      const base = this.bases.get(caller)?.range as Range;
      for (const [target, rel] of sites.get(caller) ?? []) {
        const depth = { lo: Math.max(0, base.lo + rel.lo), hi: base.hi + rel.hi };
        if (depth.lo > depth.hi) continue;
        if (this.mergeInto(this.bases, target, depth) && !queued.has(target)) {
          queued.add(target);
          queue.push(target);
        }
      }
    }
    for (const e of entries) if (this.bases.has(e)) this.analyse(e, "record");
    return [...this.findings.values()].sort((a, b) => a.pc - b.pc);
  }

  /** Every entry point, with the depth it is known to start at (null: only its callers say). */
  private entrySeeds(): Map<number, Range | null> {
    const seeds = new Map<number, Range | null>();
    const seed = (pc: number, range: Range | null) => {
      if (pc < 0 || pc >= this.count) return;
      const old = seeds.get(pc);
      if (old === undefined || old === null) seeds.set(pc, range);
      else if (range !== null) {
        seeds.set(pc, { lo: Math.min(old.lo, range.lo), hi: Math.max(old.hi, range.hi) });
      }
    };
    if (this.count > 0) seed(0, FRESH);
    for (const m of this.program.modules.slice(1)) seed(m.startPc, UNKNOWN_BASE);
    for (let pc = 0; pc < this.count; pc++) {
      const opcode = this.code[pc * INSTR_WORDS];
      const nextOp = pc + 1 < this.count ? this.code[(pc + 1) * INSTR_WORDS] : -1;
      const spawnsNext = nextOp === C.SPAWN || nextOp === C.SPAWN_LINK ||
        nextOp === C.SPAWN_MONITOR;
      if (opcode === C.MAKE_FUNCTION || opcode === C.MAKE_LAMBDA) {
        seed(this.word(pc, 0), UNKNOWN_BASE);
      } else if (opcode === C.CALL) {
        seed(this.word(pc, 0), null);
      } else if (opcode === C.PUSH_STR && spawnsNext) {
        // `PUSH_STR "label"` then SPAWN: a process starting there with an empty stack.
        const target = this.labelPcByName.get(this.program.strings[this.word(pc, 0)]);
        if (target !== undefined) seed(target, FRESH);
      } else if (opcode === C.SUPERVISE_CHILD) {
        const label = this.word(pc, 1) >= 0 ? this.word(pc, 1) : this.word(pc, 0);
        const target = this.labelPcByName.get(this.program.strings[label]);
        if (target !== undefined) seed(target, FRESH);
      }
    }
    return seeds;
  }

  /** Hull of `range` into map[key] (widening after repeated growth); true when it grew. */
  private mergeInto(
    map: Map<number, { range: Range; grows: number }>,
    key: number,
    range: Range,
  ): boolean {
    const old = map.get(key);
    if (old === undefined) {
      map.set(key, { range: { ...range }, grows: 0 });
      return true;
    }
    const lo = Math.min(old.range.lo, range.lo), hi = Math.max(old.range.hi, range.hi);
    if (lo === old.range.lo && hi === old.range.hi) return false;
    old.grows++;
    const widen = old.grows > WIDEN_AFTER;
    old.range = {
      lo: lo < old.range.lo && widen ? -Infinity : lo,
      hi: hi > old.range.hi && widen ? Infinity : hi,
    };
    return true;
  }

  /** Operand k's first word of instruction pc. */
  private word(pc: number, operand: number): number {
    const offsets = WORD_OFFSETS[this.code[pc * INSTR_WORDS]] as number[];
    return this.code[pc * INSTR_WORDS + offsets[operand]];
  }

  /** Number of parameters of a `func` operand (its parameter list is the second word). */
  private params(pc: number, operand: number): number {
    const offsets = WORD_OFFSETS[this.code[pc * INSTR_WORDS]] as number[];
    return this.program.paramLists[this.code[pc * INSTR_WORDS + offsets[operand] + 1]].length;
  }

  /**
   * Runs one region from `entry`. Modes: "graph" collects the callees (a call whose callee
   * has no known effect continues with any depth); "effects" collects the effect and the call
   * sites (a callee without a known effect never returns); "record" also knows the entry's
   * depth, cuts paths at certain underflows and records findings.
   */
  private analyse(entry: number, mode: "graph" | "effects" | "record"): {
    effect: Range | null;
    callees: number[];
    sites: Array<[number, Range]>;
  } {
    const base = mode === "record" ? (this.bases.get(entry)?.range ?? UNKNOWN_BASE) : UNKNOWN_BASE;
    const states = new Map<number, State>();
    const work: number[] = [];
    const inWork = new Set<number>();
    let effect: Range | null = null;
    const callees = new Set<number>();
    const sites: Array<[number, Range]> = [];
    const record = mode === "record";

    const flow = (from: number, to: number, lo: number, hi: number, top: Top) => {
      if (to < 0 || to >= this.count || lo > hi) return;
      const exact = lo === hi ? lo : null;
      const s = states.get(to);
      if (s === undefined) {
        states.set(to, { lo, hi, top, grows: 0, firstExact: exact, firstFrom: from });
      } else {
        if (record && exact !== null && s.firstExact !== null && exact !== s.firstExact) {
          this.reportJoin(to, base, entry, s.firstExact, s.firstFrom, exact, from);
        }
        const nlo = Math.min(s.lo, lo), nhi = Math.max(s.hi, hi);
        const sameTop = sameTopValue(s.top, top);
        if (nlo === s.lo && nhi === s.hi && (sameTop || s.top === null)) return;
        s.grows++;
        const widen = s.grows > WIDEN_AFTER;
        s.lo = nlo < s.lo && widen ? -Infinity : nlo;
        s.hi = nhi > s.hi && widen ? Infinity : nhi;
        if (!sameTop) s.top = null;
      }
      if (!inWork.has(to)) {
        inWork.add(to);
        work.push(to);
      }
    };
    /** Continue after a call of `target` (relative depth [lo, hi] once the arguments are gone). */
    const afterCall = (pc: number, next: number, target: number, lo: number, hi: number) => {
      callees.add(target);
      if (mode === "effects") sites.push([target, { lo, hi }]);
      const callee = this.effects.get(target)?.range;
      if (next < 0) return;
      if (callee !== undefined) flow(pc, next, lo + callee.lo, hi + callee.hi, null);
      else if (mode === "graph") flow(pc, next, -Infinity, Infinity, null);
    };

    flow(-1, entry, 0, 0, null);
    while (work.length > 0) {
      const pc = work.pop() as number;
      inWork.delete(pc);
      const s = states.get(pc) as State;
      const opcode = this.code[pc * INSTR_WORDS];
      const info = OP_BY_CODE[opcode];
      if (info === undefined) continue; // not an instruction (a malformed program)
      const e = this.effectOf(pc, opcode, info, s.top);
      // Only executions with enough values get past the instruction: with the entry depth
      // at most base.hi, the relative depth must be at least need - base.hi.
      const maxAbs = base.hi + s.hi;
      if (record && maxAbs < e.need) {
        this.reportUnderflow(pc, info, e.need, maxAbs);
        continue; // certainly throws here: nothing flows on
      }
      const lo = record ? Math.max(s.lo, e.need - base.hi) : s.lo;
      const outLo = lo - e.popMax + e.pushMin, outHi = s.hi - e.popMin + e.pushMax;
      const next = pc + 1 <= this.moduleEnd[pc] ? pc + 1 : -1;
      switch (opcode) {
        case C.JMP:
          flow(pc, this.word(pc, 0), outLo, outHi, s.top);
          continue;
        case C.JZ:
          flow(pc, this.word(pc, 0), outLo, outHi, null);
          break;
        case C.TRY:
          // The handler runs with the depth of the TRY plus the exception.
          flow(pc, this.word(pc, 0), s.lo + 1, s.hi + 1, null);
          break;
        case C.RECEIVE_AFTER:
        case C.RECEIVE_MATCH_AFTER:
          // On timeout the operands are gone and nothing is pushed.
          flow(pc, this.word(pc, 0), outLo - 1, outHi - 1, null);
          break;
        case C.RET:
          effect = effect === null
            ? { lo: s.lo, hi: s.hi }
            : { lo: Math.min(effect.lo, s.lo), hi: Math.max(effect.hi, s.hi) };
          continue;
        case C.CALL:
          afterCall(pc, next, this.word(pc, 0), outLo, outHi);
          continue;
        case C.CALL_FUNCTION:
          if (s.top?.kind === "fn") {
            afterCall(pc, next, s.top.target, outLo, outHi);
            continue;
          }
          break;
      }
      if (next >= 0 && !NO_FALLTHROUGH.has(opcode)) {
        flow(pc, next, outLo, outHi, this.topAfter(pc, opcode));
      }
    }
    return { effect, callees: [...callees], sites };
  }

  /** What an instruction pushes that SPAWN / CALL_FUNCTION can use. */
  private topAfter(pc: number, opcode: number): Top {
    if (opcode === C.PUSH_STR) {
      const target = this.labelPcByName.get(this.program.strings[this.word(pc, 0)]);
      return target === undefined ? null : { kind: "label", pc: target };
    }
    if (opcode === C.MAKE_FUNCTION || opcode === C.MAKE_LAMBDA) {
      return { kind: "fn", target: this.word(pc, 0), params: this.params(pc, 0) };
    }
    return null;
  }

  private effectOf(pc: number, opcode: number, info: OpInfo, top: Top): Effect {
    const fixed = (pops: number, pushes: number): Effect => ({
      need: pops,
      popMin: pops,
      popMax: pops,
      pushMin: pushes,
      pushMax: pushes,
    });
    switch (opcode) {
      case C.MAKE_LIST:
      case C.MAKE_TUPLE:
        return fixed(this.word(pc, 0), 1);
      case C.CALL:
        return fixed(this.params(pc, 0), 0);
      case C.CALL_FUNCTION:
        // A known Function: it and its parameters; otherwise at least the callee, and the
        // depth afterwards is unknown.
        if (top?.kind === "fn") return fixed(1 + top.params, 0);
        return { need: 1, popMin: 1, popMax: Infinity, pushMin: 0, pushMax: Infinity };
      case C.SPAWN:
      case C.SPAWN_LINK:
      case C.SPAWN_MONITOR: {
        const pushes = opcode === C.SPAWN_MONITOR ? 2 : 1;
        if (top?.kind === "label") return fixed(1, pushes);
        if (top?.kind === "fn") return fixed(1 + top.params, pushes);
        return { need: 1, popMin: 1, popMax: Infinity, pushMin: pushes, pushMax: pushes };
      }
      case C.SPAWN_AT:
        // The callable on top, the node under it, then a Function's parameters.
        if (top?.kind === "label") return fixed(2, 1);
        if (top?.kind === "fn") return fixed(2 + top.params, 1);
        return { need: 2, popMin: 2, popMax: Infinity, pushMin: 1, pushMax: 1 };
      case C.SEND:
        return fixed(1 + (this.word(pc, 0) === 0 ? 1 : 0), 0);
      case C.LINK:
      case C.UNLINK:
        return fixed(this.word(pc, 0) === 0 ? 1 : 0, 0);
      case C.MONITOR:
        return fixed(this.word(pc, 0) === 0 ? 1 : 0, 1);
    }
    if (info.pops < 0 || info.pushes < 0) {
      // A -1 row without a rule above: say nothing about it (the tests keep this unreached).
      return { need: 0, popMin: 0, popMax: Infinity, pushMin: 0, pushMax: Infinity };
    }
    return fixed(info.pops, info.pushes);
  }

  private lineOf(pc: number): number {
    return this.program.lines[pc] ?? 0;
  }

  private reportUnderflow(pc: number, info: OpInfo, need: number, maxDepth: number): void {
    if (this.findings.has(pc)) return;
    const most = Math.max(0, maxDepth);
    this.findings.set(pc, {
      pc,
      kind: "underflow",
      message: `stack underflow: ${info.name} needs ${need} value${need === 1 ? "" : "s"} but ` +
        `the stack holds at most ${most} here`,
    });
  }

  private reportJoin(
    pc: number,
    base: Range,
    entry: number,
    first: number,
    firstFrom: number,
    second: number,
    secondFrom: number,
  ): void {
    if (this.findings.has(pc)) return;
    const known = base.lo === base.hi;
    const depth = (rel: number) =>
      known ? String(base.lo + rel) : `n${rel < 0 ? "-" : "+"}${Math.abs(rel)}`;
    const from = (p: number) => p < 0 ? "the entry" : `line ${this.lineOf(p)}`;
    const note = known ? "" : ` (n: the depth on entry at line ${this.lineOf(entry)})`;
    this.findings.set(pc, {
      pc,
      kind: "join",
      message: `stack depth differs where paths meet: ${depth(first)} coming from ` +
        `${from(firstFrom)}, ${depth(second)} coming from ${from(secondFrom)}${note}`,
    });
  }
}

/**
 * Strongly connected components of the call graph, callees before callers (Tarjan's
 * algorithm with an explicit stack: a call chain as long as the program must not recurse).
 */
function stronglyConnected(nodes: number[], edges: Map<number, number[]>): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const frames: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const targets = edges.get(frame.node) ?? [];
      if (frame.next < targets.length) {
        const t = targets[frame.next++];
        if (!edges.has(t)) continue; // not an entry (cannot happen: every target is seeded)
        if (!index.has(t)) {
          index.set(t, counter);
          low.set(t, counter++);
          stack.push(t);
          onStack.add(t);
          frames.push({ node: t, next: 0 });
        } else if (onStack.has(t)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(t)!));
        }
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: number[] = [];
        let n: number;
        do {
          n = stack.pop() as number;
          onStack.delete(n);
          component.push(n);
        } while (n !== frame.node);
        out.push(component);
      }
    }
  }
  return out;
}
