/**
 * Region discovery for the compiler tier: which instructions one compiled unit covers, and
 * where its blocks start.
 *
 * A unit is rooted at an entry pc (a hot branch target, a called function, a process entry)
 * and covers the code reachable from it: fall-through, JMP/JZ targets, the label operands of
 * any instruction (TRY handlers, RECEIVE_AFTER timeouts, opcodes added later), the return
 * point after each CALL and — while the unit stays small — the CALL targets themselves, so
 * that a function and the helpers it calls (or itself, recursively) run inside one JavaScript
 * function. Exploration stops at MAX_UNIT_INSTRS instructions; control that reaches an
 * instruction outside the region leaves the unit.
 *
 * Leaders (block starts, and the pcs at which compiled code can be entered or resumed) are the
 * root, every branch target, every return point, the instruction after every instruction
 * the unit does not compile (after the interpreter executed it, compiled code resumes there)
 * and every instruction that may suspend the process (RECEIVE, SLEEP, a waiting port call:
 * F.MAY_YIELD). A process woken there resumes at that pc; as a leader it re-enters compiled
 * code at once, instead of being interpreted up to the next leader on every wake-up.
 *
 * Invariant: the analysis reads only the program image, so the result is the same on every
 * thread; it never assumes anything about an opcode it does not know (unknown opcodes fall
 * through and may branch to their label operands).
 */
import { F, OP_BY_CODE, operandWordOffsets } from "../isa/opcodes.ts";

/** The most instructions one unit covers (bounds compile time and V8's function size). */
export const MAX_UNIT_INSTRS = 600;

/** How the analysis treats an instruction. */
export const Flow = {
  /** Compiled, falls through. */
  Straight: 0,
  /** JMP: compiled, never falls through. */
  Jump: 1,
  /** JZ: compiled, two successors. */
  Branch: 2,
  /** CALL: compiled, continues at the target; the next instruction is a return point. */
  Call: 3,
  /** RET: compiled, continues at the return address. */
  Return: 4,
  /** Run by the interpreter; may fall through and branch to its label operands. */
  Fallback: 5,
  /** Run by the interpreter; never falls through (HALT, END, THROW, EXIT, EXIT_SELF). */
  FallbackEnd: 6,
} as const;
export type Flow = typeof Flow[keyof typeof Flow];

export interface Region {
  root: number;
  /** Covered instructions, ascending. */
  pcs: number[];
  /** Block starts (a subset of pcs), ascending. */
  leaders: number[];
}

/** Label operand word offsets per opcode number (computed once from the opcode table). */
const LABEL_WORDS: ReadonlyArray<readonly number[]> = OP_BY_CODE.map((info) => {
  if (!info) return [];
  const offsets = operandWordOffsets(info);
  return info.operands.flatMap((o, i) => o.kind === "label" ? [offsets[i]] : []);
});

/** Per opcode number: the instruction may suspend the process (a resume point). */
const MAY_SUSPEND: ReadonlyArray<boolean> = OP_BY_CODE.map((info) =>
  info !== undefined && (info.flags & F.MAY_YIELD) !== 0
);

/**
 * Region of the unit rooted at `root`. `flowOf` classifies an instruction (it knows which
 * opcodes the code generator compiles); `code` is the image's instruction words.
 */
export function discoverRegion(
  code: Int32Array,
  nInstr: number,
  root: number,
  flowOf: (pc: number) => Flow,
): Region {
  const inRegion = new Uint8Array(nInstr);
  const leaders = new Set<number>([root]);
  const paths: number[] = [root];
  const calls: number[] = [];
  let size = 0;
  const startPath = (pc: number, list: number[]) => {
    if (pc < 0 || pc >= nInstr) return;
    leaders.add(pc);
    list.push(pc);
  };
  for (;;) {
    // Breadth-first: when the size limit cuts the region, what stays in is what is nearest
    // to the root (a handler or branch target next to its TRY or JZ, not code far away).
    let start = paths.shift();
    if (start === undefined) {
      // Own code first; called functions only while there is room.
      start = calls.shift();
      if (start === undefined || size >= MAX_UNIT_INSTRS) break;
    }
    for (let pc = start; pc < nInstr && size < MAX_UNIT_INSTRS; pc++) {
      if (inRegion[pc]) {
        leaders.add(pc); // a merge point
        break;
      }
      inRegion[pc] = 1;
      size++;
      const flow = flowOf(pc);
      const ip = pc << 2;
      if (flow === Flow.Jump) {
        startPath(code[ip + 1], paths);
        break;
      }
      if (flow === Flow.Branch) {
        startPath(code[ip + 1], paths);
        leaders.add(pc + 1);
        continue;
      }
      if (flow === Flow.Call) {
        startPath(code[ip + 1], calls);
        leaders.add(pc + 1);
        continue;
      }
      if (flow === Flow.Return) break;
      if (flow === Flow.Fallback || flow === Flow.FallbackEnd) {
        if (MAY_SUSPEND[code[ip]]) leaders.add(pc);
        for (const off of LABEL_WORDS[code[ip]] ?? []) startPath(code[ip + off], paths);
        if (flow === Flow.FallbackEnd) break;
        leaders.add(pc + 1);
      }
    }
  }
  const pcs: number[] = [];
  for (let pc = 0; pc < nInstr; pc++) if (inRegion[pc]) pcs.push(pc);
  return {
    root,
    pcs,
    leaders: [...leaders].filter((pc) => pc < nInstr && inRegion[pc]).sort((a, b) => a - b),
  };
}

/**
 * The part of `region` that stays hot once control reaches its root, for the tier's `on`
 * policy: the code from which control can come back to the root, reach a RET (a function's
 * epilogue) or leave the region for code not analysed — and which the root reaches through
 * such code. What remains is code that only runs on the way out (a loop's exit ending in
 * HALT or THROW, a report printed once): compiled, it would make the unit's function larger
 * for V8 to optimise, and its first run, with no type feedback there, would deoptimise it.
 * Control that gets there leaves the unit (a pc outside the region), and the interpreter runs
 * it. The region is returned unchanged when its root does not qualify (no loop, no RET).
 */
export function keepHotPart(
  region: Region,
  code: Int32Array,
  nInstr: number,
  flowOf: (pc: number) => Flow,
): Region {
  const inRegion = new Set(region.pcs);
  const preds = new Map<number, number[]>();
  const succsOf = new Map<number, number[]>();
  const live = new Set<number>();
  const seeds: number[] = [];
  for (const pc of region.pcs) {
    const flow = flowOf(pc);
    const succs = successors(code, nInstr, pc, flow);
    succsOf.set(pc, succs);
    let seed = flow === Flow.Return;
    for (const s of succs) {
      if (s === region.root || !inRegion.has(s)) seed = true;
      if (inRegion.has(s)) {
        const list = preds.get(s);
        if (list === undefined) preds.set(s, [pc]);
        else list.push(pc);
      }
    }
    if (seed) seeds.push(pc);
  }
  // Backwards from the seeds: everything that can get back to the root, a RET or out.
  for (const pc of seeds) live.add(pc);
  for (let i = 0; i < seeds.length; i++) {
    for (const p of preds.get(seeds[i]) ?? []) {
      if (!live.has(p)) {
        live.add(p);
        seeds.push(p);
      }
    }
  }
  if (!live.has(region.root)) return region;
  // Forwards from the root through live code only.
  const kept = new Set<number>([region.root]);
  const todo = [region.root];
  while (todo.length > 0) {
    for (const s of succsOf.get(todo.pop()!) ?? []) {
      if (live.has(s) && !kept.has(s)) {
        kept.add(s);
        todo.push(s);
      }
    }
  }
  if (kept.size === region.pcs.length) return region;
  return {
    root: region.root,
    pcs: region.pcs.filter((pc) => kept.has(pc)),
    leaders: region.leaders.filter((pc) => kept.has(pc)),
  };
}

/** Where control can go after the instruction at `pc` (a CALL: its target and its return
 *  point; RET and the ending instructions: nowhere known). */
function successors(code: Int32Array, nInstr: number, pc: number, flow: Flow): number[] {
  const ip = pc << 2;
  const out: number[] = [];
  const add = (to: number) => {
    if (to >= 0 && to < nInstr) out.push(to);
  };
  switch (flow) {
    case Flow.Jump:
      add(code[ip + 1]);
      break;
    case Flow.Branch:
    case Flow.Call:
      add(code[ip + 1]);
      add(pc + 1);
      break;
    case Flow.Return:
      break;
    case Flow.Fallback:
    case Flow.FallbackEnd:
      for (const off of LABEL_WORDS[code[ip]] ?? []) add(code[ip + off]);
      if (flow === Flow.Fallback) add(pc + 1);
      break;
    default:
      add(pc + 1);
  }
  return out;
}
