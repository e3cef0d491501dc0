/**
 * Native calls: a function whose body is only Int arithmetic, comparisons, variables, branches,
 * calls of such functions and RET is compiled a second time, as a JavaScript function that a
 * compiled CALL invokes with a JavaScript call. Its variables and operand stack live in
 * JavaScript locals; nothing is written to the process's frame or stack blocks while it runs,
 * which is where an interpreted or unit-compiled call spends most of its time (frame headers,
 * variable cells, return addresses: docs/PERFORMANCE.md, finding 15).
 *
 * Shape (`nat_<entry>_<n>(v<param>…, fp, sb, b) → Int`; `fp` and `sb` the frame cell and
 * stack base the activation *would* have, the cells it writes if it must leave; `b` the
 * budget, handed back in `left`):
 * ```
 *   per block, in pc order:  if (b < len) → leave at the block start
 *                            b -= len; body in locals; JZ/JMP jump forward (break to a label),
 *                            CALL calls (leaving too when the callee left), RET returns
 * ```
 * Invariants:
 * - Blocks are charged exactly as a unit charges them, at the same pcs, and a block the
 *   budget does not cover is left at its start: the tier then preempts there (or steps to
 *   the exact instruction), so the interleaving is the interpreter's.
 * - *Leaving* (a budget short of a block, an Int result past 2^53, a callee's frame or stack
 *   that would not fit): the innermost activation writes its frame (entry count, kind and
 *   variables) and its operand stack at `fp` and `sb`, sets the registers (`nPc`, `nSp`,
 *   `nFp`, `nFtop`), its budget (`nB`: the rest of the block refunded where it left before
 *   an instruction) and how it left (`left` = -LEFT_AT_BLOCK or -LEFT_BEFORE); every caller
 *   on the way out writes its callee's return pc and caller link, then its own frame and
 *   stack below. The process's blocks are then exactly what the interpreter would hold at
 *   that pc.
 * - Eligibility is static (`NativeSet.get`): every path agrees on the stack depth, its types
 *   (Int or Bool) and the variables' order at every pc; every value is an Int or a Bool; a
 *   RET leaves exactly one Int; no pc is compiled wide. A compiled CALL goes native only with
 *   no handler pushed (htop 0) and Int arguments without a PID mark, so nothing native ever
 *   drops handlers, allocates, collects or yields, and every value it makes is a plain Int.
 */
import { FRAME_CALL } from "../proc/pcb.ts";
import { MAX_SAFE, T_BOOL, T_INT } from "../term/tags.ts";
import { type CodeView, flowOf, OP } from "./compiled_ops.ts";
import { Flow } from "./region.ts";

/** A chain left at a block start because the budget does not cover the block (`left` =
 *  -LEFT_AT_BLOCK, the block's length in `nLen`): the unit leaves with J_BLOCKED, as its own
 *  block prologue would there, and the tier steps to the exact instruction or preempts. */
export const LEFT_AT_BLOCK = 1;
/** A chain left before an instruction the interpreter must run (`left` = -LEFT_BEFORE): the
 *  unit leaves with R_CONTINUE. */
export const LEFT_BEFORE = 2;
/** Bounds on what is compiled natively (keeps spill code and V8's function size small). */
export const NATIVE_MAX_INSTRS = 200;
export const NATIVE_MAX_DEPTH = 16;
export const NATIVE_MAX_VARS = 16;
/** Frame cells one chain may use: every level takes at least one, so this bounds how deep
 *  a chain recurses on the host's stack (a JavaScript frame each; V8's stack is about 1 MB).
 *  A deeper recursion leaves at the limit and goes on from the next chain. */
export const NATIVE_MAX_FRAME_CELLS = 1024;

/** Static type of an operand stack slot. */
const INT = 0, BOOL = 1;
type Ty = typeof INT | typeof BOOL;

interface State {
  /** Types of the operand stack above the function's base, bottom first. */
  stack: Ty[];
  /** Variables of the frame, in frame order (atoms). */
  vars: number[];
}

/** One natively compiled function: entered at `entry` with parameters `params`. */
export interface NativeFn {
  name: string;
  entry: number;
  params: Int32Array;
  /** Instructions it covers, ascending (what invalidation tests). */
  pcs: number[];
  leaders: number[];
  /** State before each covered instruction. */
  before: Map<number, State>;
  /** Cells its frame can take at most, and stack slots at most. */
  maxFrameCells: number;
  maxDepth: number;
  /** Functions it calls (keys into the set). */
  callees: string[];
}

function keyOf(entry: number, params: Int32Array): string {
  return `${entry}:${params.join(",")}`;
}

function sameState(a: State, b: State): boolean {
  return a.stack.length === b.stack.length && a.stack.every((t, i) => t === b.stack[i]) &&
    a.vars.length === b.vars.length && a.vars.every((v, i) => v === b.vars[i]);
}

/** The native functions of one unit: analysed on demand, emitted together (`source`). */
export class NativeSet {
  private readonly fns = new Map<string, NativeFn | null>();
  /** Leave sites of the functions emitted so far (`nSites` in the unit). */
  readonly sites: LeaveSite[] = [];

  constructor(readonly view: CodeView) {}

  /** The native function for a CALL of `entry` binding `params`, or null when it (or any
   *  function it calls) cannot be compiled natively. */
  get(entry: number, params: Int32Array): NativeFn | null {
    const key = keyOf(entry, params);
    if (this.fns.has(key)) return this.fns.get(key)!;
    // Analyse everything reachable by calls first (optimistic in cycles), then drop, until
    // nothing changes, every function calling one that was dropped.
    const found = new Map<string, NativeFn | null>();
    const todo: Array<[number, Int32Array]> = [[entry, params]];
    while (todo.length > 0) {
      const [e, ps] = todo.pop()!;
      const k = keyOf(e, ps);
      if (found.has(k) || this.fns.has(k)) continue;
      const fn = analyse(this.view, e, ps, `nat_${e}_${this.fns.size + found.size}`, todo);
      found.set(k, fn);
    }
    const known = (k: string) => found.has(k) ? found.get(k) : this.fns.get(k);
    for (let changed = true; changed;) {
      changed = false;
      for (const [k, fn] of found) {
        if (fn !== null && fn.callees.some((c) => known(c) === null)) {
          found.set(k, null);
          changed = true;
        }
      }
    }
    for (const [k, fn] of found) this.fns.set(k, fn);
    return this.fns.get(key)!;
  }

  /** Every native function used so far. */
  used(): NativeFn[] {
    return [...this.fns.values()].filter((f): f is NativeFn => f !== null);
  }

  /** The shared state, the leave tail and the functions, as statements of a unit's outer
   *  body (`env.writeLeftFrame` is `writeLeftFrame`). */
  source(): string {
    const fns = this.used();
    if (fns.length === 0) return "";
    const bodies = fns.map((fn) => emitFunction(this, fn));
    const qSize = Math.max(1, ...fns.map((fn) => qLayout(fn).size));
    return [
      // The views, frame block and limits while a chain runs; the budget left after a call
      // (negative: the chain left, -LEFT_AT_BLOCK or -LEFT_BEFORE), and where a chain that
      // left stopped: its budget and registers.
      `let nW = null, nF = null, nFB = 0, nFE = 0, nSE = 0;`,
      `let left = 0, nB = 0, nPc = 0, nSp = 0, nFp = 0, nFtop = 0, nLen = 0;`,
      `const nQ = new Float64Array(${qSize}), writeLeftFrame = env.writeLeftFrame;`,
      `const nSites = ${JSON.stringify(this.sites)};`,
      `function nLeave(d, fp, sb, b) {`,
      `writeLeftFrame(d, nQ, nW, nF, fp, sb, nFB);`,
      `if (d.how !== ${UNWOUND}) { nPc = d.pc; nSp = sb + d.depth | 0; nFp = fp; ` +
      `nFtop = fp + d.cells | 0; nB = b + d.refund | 0; nLen = d.blockLen; left = -d.how; }`,
      `return 0;`,
      `}`,
      ...bodies,
    ].join("\n");
  }

  fn(key: string): NativeFn {
    return this.fns.get(key)!;
  }
}

/** Analyse the function at `entry` called with `params`; callees are queued on `todo`. */
function analyse(
  view: CodeView,
  entry: number,
  params: Int32Array,
  name: string,
  todo: Array<[number, Int32Array]>,
): NativeFn | null {
  if (new Set(params).size !== params.length || params.length > NATIVE_MAX_VARS) return null;
  const code = view.code;
  const before = new Map<number, State>();
  const leaders = new Set<number>([entry]);
  const callees = new Set<string>();
  let maxVars = params.length, maxDepth = 0;
  const work: number[] = [entry];
  before.set(entry, { stack: [], vars: [...params] });
  const reach = (pc: number, s: State): boolean => {
    const seen = before.get(pc);
    if (seen === undefined) {
      if (before.size >= NATIVE_MAX_INSTRS) return false;
      before.set(pc, s);
      work.push(pc);
      return true;
    }
    return sameState(seen, s);
  };
  while (work.length > 0) {
    const pc = work.pop()!;
    if (pc < 0 || pc >= view.nInstr) return null;
    if (view.widePcs !== undefined && view.widePcs[pc] === 1) return null;
    const s = before.get(pc)!;
    const stack = [...s.stack], vars = [...s.vars];
    const ip = pc << 2, op = code[ip], a = code[ip + 1];
    const pop = (want: Ty | -1): boolean => {
      const t = stack.pop();
      return t !== undefined && (want === -1 || t === want);
    };
    let next: number[] = [pc + 1];
    switch (op) {
      case OP.PUSH_INT:
        if (code[ip + 2] !== 0) {
          const n = view.ints[a];
          if (n < -BigInt(MAX_SAFE) || n > BigInt(MAX_SAFE)) return null;
        }
        stack.push(INT);
        break;
      case OP.TRUE:
      case OP.FALSE:
        stack.push(BOOL);
        break;
      case OP.DUP: {
        const t = stack[stack.length - 1];
        if (t === undefined) return null;
        stack.push(t);
        break;
      }
      case OP.POP:
        if (!pop(-1)) return null;
        break;
      case OP.SWAP: {
        if (stack.length < 2) return null;
        const t = stack[stack.length - 1];
        stack[stack.length - 1] = stack[stack.length - 2];
        stack[stack.length - 2] = t;
        break;
      }
      case OP.ADD:
      case OP.SUB:
      case OP.MUL:
      case OP.EQ:
      case OP.NE:
      case OP.LT:
      case OP.LE:
      case OP.GT:
      case OP.GE:
        // Int × Int: arithmetic gives an Int, a comparison a Bool.
        if (!pop(INT) || !pop(INT)) return null;
        stack.push(COMPARE.has(op) ? BOOL : INT);
        break;
      case OP.LOAD:
        if (!vars.includes(a)) return null;
        stack.push(INT);
        break;
      case OP.STORE:
        if (!pop(INT)) return null;
        if (!vars.includes(a)) vars.push(a);
        maxVars = Math.max(maxVars, vars.length);
        if (maxVars > NATIVE_MAX_VARS) return null;
        break;
      case OP.JZ:
        if (!pop(-1)) return null;
        next = [pc + 1, a];
        leaders.add(pc + 1).add(a);
        break;
      case OP.JMP:
        next = [a];
        leaders.add(a);
        break;
      case OP.CALL: {
        if (flowOf(view, pc) !== Flow.Call) return null; // repeated parameter names
        const ps = view.paramLists[code[ip + 2]];
        for (let i = 0; i < ps.length; i++) if (!pop(INT)) return null;
        callees.add(keyOf(a, ps));
        todo.push([a, ps]);
        stack.push(INT);
        leaders.add(pc + 1);
        break;
      }
      case OP.RET:
        if (stack.length !== 1 || stack[0] !== INT) return null;
        next = [];
        break;
      default:
        return null;
    }
    maxDepth = Math.max(maxDepth, stack.length);
    if (maxDepth > NATIVE_MAX_DEPTH) return null;
    for (const n of next) if (!reach(n, { stack, vars })) return null;
  }
  const pcs = [...before.keys()].sort((x, y) => x - y);
  return {
    name,
    entry,
    params,
    pcs,
    leaders: [...leaders].filter((pc) => before.has(pc)).sort((x, y) => x - y),
    before,
    maxFrameCells: 1 + 2 * maxVars,
    maxDepth,
    callees: [...callees],
  };
}

/** A chain unwinding: a caller whose callee left writes the callee's return link, then its
 *  own frame and stack (nothing else: the innermost set the registers). */
const UNWOUND = 3;

/**
 * Where a native function can leave, as data: the leave sites of every function in a unit
 * share one tail (`nLeave`) and this writer, which run on every leave and so are always warm.
 * A site itself only sets a local and breaks out (no arithmetic, no call, no memory access),
 * so its first run in optimised code cannot deoptimise the function for lack of feedback.
 */
export interface LeaveSite {
  /** LEFT_AT_BLOCK, LEFT_BEFORE or UNWOUND. */
  how: number;
  /** Where the process goes on (the innermost), and the budget given back. */
  pc: number;
  refund: number;
  /** LEFT_AT_BLOCK: the length of the block the budget did not cover (0 otherwise). */
  blockLen: number;
  /** Operand stack depth, and frame cells, at the site. */
  depth: number;
  cells: number;
  /** The frame's variables in order, and where the tail put each value in nQ. */
  atoms: number[];
  varQ: number[];
  /** Per operand stack slot: where its value is in nQ, and whether it is a Bool. */
  stackQ: number[];
  stackBool: number[];
  /** UNWOUND: the callee's frame offset from fp, and its return pc. */
  calleeAt: number;
  retPc: number;
}

/** Write the frame and stack of an activation leaving at `site` (values in `q`). */
export function writeLeftFrame(
  site: LeaveSite,
  q: Float64Array,
  w: Int32Array,
  f: Float64Array,
  fp: number,
  sb: number,
  frameBase: number,
): void {
  const h = fp << 2;
  w[h | 2] = site.atoms.length;
  w[h | 3] = FRAME_CALL;
  for (let k = 0; k < site.atoms.length; k++) {
    w[(fp + 1 + 2 * k) << 2] = site.atoms[k];
    const c = fp + 2 + 2 * k;
    w[c << 2] = T_INT;
    w[(c << 2) | 1] = 0;
    f[(c << 1) | 1] = q[site.varQ[k]];
  }
  for (let i = 0; i < site.stackQ.length; i++) {
    const c = sb + i, v = q[site.stackQ[i]];
    if (site.stackBool[i] === 1) {
      w[c << 2] = T_BOOL;
      w[(c << 2) | 1] = v;
    } else {
      w[c << 2] = T_INT;
      w[(c << 2) | 1] = 0;
      f[(c << 1) | 1] = v;
    }
  }
  if (site.how === UNWOUND) {
    const ch = (fp + site.calleeAt) << 2;
    w[ch] = site.retPc;
    w[ch | 1] = fp - frameBase;
  }
}

/** Slots of nQ a function's tail fills: its variables, then its operand stack slots. */
function qLayout(fn: NativeFn): Map<string, number> {
  const names = new Map<string, number>();
  for (const atom of allVars(fn)) names.set(`v${atom}`, names.size);
  for (let i = 0; i < fn.maxDepth; i++) names.set(`s${i}`, names.size);
  return names;
}

function allVars(fn: NativeFn): number[] {
  const vars = new Set<number>(fn.params);
  for (const st of fn.before.values()) for (const v of st.vars) vars.add(v);
  return [...vars];
}

/**
 * The JavaScript function for `fn`. Blocks whose jumps all go forward are emitted in pc order
 * inside nested labelled blocks (a jump is a `break` to the label closing just before its
 * target), which V8 compiles as straight code; a function with a loop is a `switch` on pc
 * in a loop instead.
 */
function emitFunction(set: NativeSet, fn: NativeFn): string {
  const code = set.view.code;
  const q = qLayout(fn);
  /** A leave site: set `site` and break to the tail. */
  const leaveAt = (
    st: State,
    how: number,
    pc: number,
    refund: number,
    { calleeAt = 0, retPc = 0, blockLen = 0 }: Partial<
      Pick<LeaveSite, "calleeAt" | "retPc" | "blockLen">
    > = {},
  ): string => {
    set.sites.push({
      how,
      pc,
      refund,
      blockLen,
      depth: st.stack.length,
      cells: 1 + 2 * st.vars.length,
      atoms: st.vars,
      varQ: st.vars.map((a) => q.get(`v${a}`)!),
      stackQ: st.stack.map((_, i) => q.get(`s${i}`)!),
      stackBool: st.stack.map((t) => t === BOOL ? 1 : 0),
      calleeAt,
      retPc,
    });
    return `{ site = ${set.sites.length - 1}; break leave; }`;
  };
  const isLeader = new Set(fn.leaders);
  const covered = new Set(fn.pcs);
  const others = allVars(fn).filter((atom) => !fn.params.includes(atom));
  const blocks = fn.leaders.map((leader) => {
    const instrs: number[] = [];
    for (let pc = leader; covered.has(pc) && (pc === leader || !isLeader.has(pc)); pc++) {
      instrs.push(pc);
      const op = code[pc << 2];
      if (op === OP.JZ || op === OP.JMP || op === OP.CALL || op === OP.RET) break;
    }
    return { leader, instrs };
  });
  const forward = fn.pcs.every((pc) => {
    const op = code[pc << 2];
    return (op !== OP.JZ && op !== OP.JMP) || code[(pc << 2) + 1] > pc;
  });
  const jump = (target: number) => forward ? `break b${target};` : `pc = ${target}; continue;`;
  const out: string[] = [];
  out.push(
    `function ${fn.name}(${[...[...fn.params].map((a) => `v${a}`), "fp", "sb", "b"].join(", ")}) {`,
    ...(fn.maxDepth > 0
      ? [`let ${Array.from({ length: fn.maxDepth }, (_, i) => `s${i} = 0`).join(", ")};`]
      : []),
    ...(others.length > 0 ? [`let ${others.map((a) => `v${a} = 0`).join(", ")};`] : []),
    `let site = 0;`,
    `leave: {`,
  );
  if (forward) {
    for (let i = blocks.length - 1; i >= 1; i--) out.push(`b${blocks[i].leader}: {`);
  } else out.push(`let pc = ${fn.entry};`, `for (;;) {`, `switch (pc) {`);
  blocks.forEach(({ leader, instrs }, bi) => {
    const nextLeader = bi + 1 < blocks.length ? blocks[bi + 1].leader : -1;
    const len = instrs.length;
    if (forward) {
      if (bi > 0) out.push(`}`);
    } else out.push(`case ${leader}: {`);
    out.push(
      `if (b < ${len}) ${
        leaveAt(fn.before.get(leader)!, LEFT_AT_BLOCK, leader, 0, { blockLen: len })
      }`,
      `b = b - ${len} | 0;`,
    );
    let ended = false;
    instrs.forEach((pc, i) => {
      const st = fn.before.get(pc)!;
      const d = st.stack.length;
      const ip = pc << 2, op = code[ip], a = code[ip + 1];
      const refund = len - i;
      switch (op) {
        case OP.PUSH_INT:
          out.push(`s${d} = ${code[ip + 2] === 0 ? a : Number(set.view.ints[a])};`);
          break;
        case OP.TRUE:
          out.push(`s${d} = 1;`);
          break;
        case OP.FALSE:
          out.push(`s${d} = 0;`);
          break;
        case OP.DUP:
          out.push(`s${d} = s${d - 1};`);
          break;
        case OP.POP:
          break;
        case OP.SWAP:
          out.push(`{ const t = s${d - 1}; s${d - 1} = s${d - 2}; s${d - 2} = t; }`);
          break;
        case OP.ADD:
        case OP.SUB:
        case OP.MUL: {
          const sym = op === OP.ADD ? "+" : op === OP.SUB ? "-" : "*";
          // Ints never hold -0 (0 * -5 is Int 0).
          out.push(
            `{ const r = s${d - 2} ${sym} s${d - 1}${op === OP.MUL ? " + 0" : ""}; ` +
              `if (!(r >= -${MAX_SAFE} && r <= ${MAX_SAFE})) ${
                leaveAt(st, LEFT_BEFORE, pc, refund)
              } s${d - 2} = r; }`,
          );
          break;
        }
        case OP.EQ:
        case OP.NE:
        case OP.LT:
        case OP.LE:
        case OP.GT:
        case OP.GE:
          out.push(`s${d - 2} = s${d - 2} ${COMPARE.get(op)} s${d - 1} ? 1 : 0;`);
          break;
        case OP.LOAD:
          out.push(`s${d} = v${a};`);
          break;
        case OP.STORE:
          out.push(`v${a} = s${d - 1};`);
          break;
        case OP.JZ:
          out.push(`if (s${d - 1} === 0) ${jump(a)}`);
          if (!forward && nextLeader !== pc + 1) out.push(jump(pc + 1));
          ended = true;
          break;
        case OP.JMP:
          out.push(jump(a));
          ended = true;
          break;
        case OP.CALL: {
          const ps = set.view.paramLists[code[ip + 2]];
          const callee = set.fn(keyOf(a, ps));
          const n = ps.length, at = d - n;
          const frameCells = 1 + 2 * st.vars.length;
          const after: State = { stack: st.stack.slice(0, at), vars: st.vars };
          const args = Array.from({ length: n }, (_, k) => `s${at + k}`);
          out.push(
            // The callee's frame and stack must fit where it would write them on leaving;
            // otherwise the interpreter runs this CALL (and grows the blocks when it must).
            `if ((fp + ${frameCells + callee.maxFrameCells} | 0) > nFE || ` +
              `(sb + ${at + callee.maxDepth} | 0) > nSE) ${leaveAt(st, LEFT_BEFORE, pc, refund)}`,
            `{ const r = ${callee.name}(${
              [...args, `fp + ${frameCells} | 0`, `sb + ${at} | 0`, "b"].join(", ")
            });`,
            `b = left;`,
            `if (b < 0) ${leaveAt(after, UNWOUND, pc, 0, { calleeAt: frameCells, retPc: pc + 1 })}`,
            `s${at} = r; }`,
          );
          if (!forward && nextLeader !== pc + 1) out.push(jump(pc + 1));
          ended = true;
          break;
        }
        case OP.RET:
          out.push(`left = b; return s${d - 1};`);
          ended = true;
          break;
        default:
          throw new Error(`jit: opcode ${op} in a native function`);
      }
    });
    if (!ended && !forward) {
      const fallsTo = instrs[len - 1] + 1;
      if (fallsTo !== nextLeader) out.push(jump(fallsTo));
    }
    if (!forward) out.push(`}`);
  });
  if (!forward) {
    out.push(`default: throw new Error("jit: native function entered at " + pc);`, `}`, `}`);
  }
  // The tail every leave site breaks to (every path through the blocks returns or leaves).
  out.push(
    `}`,
    [...q].map(([name, i]) => `nQ[${i}] = ${name};`).join(" "),
    `return nLeave(nSites[site], fp, sb, b);`,
    `}`,
  );
  return out.join("\n");
}

const COMPARE = new Map<number, string>([
  [OP.EQ, "==="],
  [OP.NE, "!=="],
  [OP.LT, "<"],
  [OP.LE, "<="],
  [OP.GT, ">"],
  [OP.GE, ">="],
]);
