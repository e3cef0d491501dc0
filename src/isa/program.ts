/**
 * Program: the linked, in-memory form of a .ttvm program and every module it imports. The
 * assembler produces it, the .ttb encoder writes it, the loader reads it back, the disassembler
 * prints it and the VM copies it into shared memory.
 *
 * Invariants:
 * - `code` holds INSTR_WORDS (4) i32 words per instruction: [op, a, b, c]; operand layout per
 *   kind is defined in opcodes.ts (OPERAND_KINDS). Unused words are 0.
 * - Each module occupies the contiguous pc range [startPc, endPc]; the instruction at endPc is
 *   END (the implicit end of that file). Module 0 is the main program and starts at pc 0.
 * - All jump targets of a module's instructions lie within that module's range.
 * - `strings` is deduplicated; string index = atom id at run time.
 * - `lines[pc]` is the 1-based source line of instruction pc in module `files[pc]` (0 = none).
 */

export interface ModuleInfo {
  /** The path as written in the importing IMPORT (main: the path given on the command line). */
  path: string;
  /** First and last (the END) instruction of this module. */
  startPc: number;
  endPc: number;
}

export interface LabelInfo {
  name: string;
  pc: number;
  module: number;
}

export interface Program {
  code: Int32Array;
  /** PUSH_INT literals that do not fit in i32. */
  ints: bigint[];
  floats: number[];
  strings: string[];
  /** Parameter name lists for CALL / MAKE_FUNCTION / MAKE_LAMBDA: string indices. */
  paramLists: number[][];
  lines: Int32Array;
  files: Int32Array;
  modules: ModuleInfo[];
  labels: LabelInfo[];
}

/** Number of instructions of a program. */
export function instructionCount(p: Program): number {
  return p.code.length >> 2;
}

/** True when two programs are identical in every table (used by round-trip tests). */
export function programsEqual(a: Program, b: Program): boolean {
  const eqArr = (x: ArrayLike<unknown>, y: ArrayLike<unknown>) =>
    x.length === y.length && Array.prototype.every.call(x, (v, i) => Object.is(v, y[i]));
  return eqArr(a.code, b.code) && eqArr(a.ints, b.ints) &&
    eqArr(a.floats, b.floats) && eqArr(a.strings, b.strings) &&
    a.paramLists.length === b.paramLists.length &&
    a.paramLists.every((l, i) => eqArr(l, b.paramLists[i])) &&
    eqArr(a.lines, b.lines) && eqArr(a.files, b.files) &&
    JSON.stringify(a.modules) === JSON.stringify(b.modules) &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels);
}
