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
