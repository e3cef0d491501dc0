/**
 * Program validation: every invariant of src/isa/program.ts that the VM relies on, checked in
 * one place. The loader runs it on every decoded file and the encoder on every Program it
 * writes, so a .ttb file that loads is always safe to run.
 *
 * Invariants: `programProblem` never throws on any Program-shaped value and returns the FIRST
 * problem as one line (instruction problems are phrased "instruction <pc> (<OP>): …").
 */
import {
  INSTR_WORDS,
  OP_BY_CODE,
  OPERAND_KINDS,
  type OperandSpec,
  type OpInfo,
} from "../isa/opcodes.ts";
import type { Program } from "../isa/program.ts";
import { MAX_I32 } from "./format.ts";
import { LoadError } from "./load_error.ts";

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first reason `p` breaks a Program invariant, or undefined when it is valid. */
export function programProblem(p: Program): string | undefined {
  return tablesProblem(p) ?? modulesProblem(p) ?? labelsProblem(p) ?? codeProblem(p);
}

/** Throws LoadError with the first problem of `p`. */
export function validateProgram(p: Program): void {
  const problem = programProblem(p);
  if (problem !== undefined) throw new LoadError(problem);
}

function isWellFormedText(s: unknown): s is string {
  return typeof s === "string" && !LONE_SURROGATE.test(s);
}

function isIndex(v: number, length: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < length;
}

function tablesProblem(p: Program): string | undefined {
  if (p.code.length % INSTR_WORDS !== 0) {
    return `code has ${p.code.length} words, not a multiple of ${INSTR_WORDS}`;
  }
  const n = p.code.length / INSTR_WORDS;
  if (n === 0) return "program has no instructions (module 0 needs at least its END)";
  if (p.lines.length !== n) return `line table has ${p.lines.length} entries for ${n} instructions`;
  if (p.files.length !== n) return `file table has ${p.files.length} entries for ${n} instructions`;
  const seen = new Set<string>();
  for (let i = 0; i < p.strings.length; i++) {
    const s = p.strings[i];
    if (!isWellFormedText(s)) return `string ${i} is not well-formed Unicode text`;
    if (seen.has(s)) return `string ${i} ${JSON.stringify(s)} is a duplicate`;
    seen.add(s);
  }
  for (let i = 0; i < p.ints.length; i++) {
    const v = p.ints[i];
    if (typeof v !== "bigint" || v < I64_MIN || v > I64_MAX) {
      return `int ${i} is not a 64-bit integer`;
    }
  }
  for (let i = 0; i < p.floats.length; i++) {
    if (typeof p.floats[i] !== "number") return `float ${i} is not a number`;
  }
  for (let i = 0; i < p.paramLists.length; i++) {
    const list = p.paramLists[i];
    for (let j = 0; j < list.length; j++) {
      if (!isIndex(list[j], p.strings.length)) {
        return `param list ${i}: name ${j} has string index ${list[j]}, outside 0..${
          p.strings.length - 1
        }`;
      }
    }
  }
  return undefined;
}

function modulesProblem(p: Program): string | undefined {
  const n = p.code.length / INSTR_WORDS;
  if (p.modules.length === 0) return "program has no modules";
  let expectedStart = 0;
  for (let m = 0; m < p.modules.length; m++) {
    const { path, startPc, endPc } = p.modules[m];
    if (!isWellFormedText(path)) return `module ${m} path is not well-formed Unicode text`;
    if (startPc !== expectedStart) {
      return `module ${m} starts at pc ${startPc}, expected ${expectedStart} (modules must be contiguous from pc 0)`;
    }
    if (!Number.isInteger(endPc) || endPc < startPc || endPc >= n) {
      return `module ${m} ends at pc ${endPc}, outside ${startPc}..${n - 1}`;
    }
    expectedStart = endPc + 1;
  }
  if (expectedStart !== n) {
    return `modules cover pcs 0..${expectedStart - 1} but the code has ${n} instructions`;
  }
  return undefined;
}

function labelsProblem(p: Program): string | undefined {
  for (let i = 0; i < p.labels.length; i++) {
    const { name, pc, module } = p.labels[i];
    if (!isWellFormedText(name)) return `label ${i} name is not well-formed Unicode text`;
    if (!isIndex(module, p.modules.length)) {
      return `label ${i} (${name}) names module ${module}, outside 0..${p.modules.length - 1}`;
    }
    const m = p.modules[module];
    if (!Number.isInteger(pc) || pc < m.startPc || pc > m.endPc) {
      return `label ${i} (${name}) at pc ${pc} is outside module ${module} (${m.startPc}..${m.endPc})`;
    }
  }
  return undefined;
}

function codeProblem(p: Program): string | undefined {
  let module = 0;
  for (let pc = 0; pc < p.code.length / INSTR_WORDS; pc++) {
    if (pc > p.modules[module].endPc) module++;
    const op = OP_BY_CODE[p.code[pc * INSTR_WORDS] & 0xff];
    if (!op || op.code !== p.code[pc * INSTR_WORDS]) {
      return `instruction ${pc}: unknown opcode ${p.code[pc * INSTR_WORDS]}`;
    }
    const problem = instructionProblem(p, pc, op, module);
    if (problem !== undefined) return `instruction ${pc} (${op.name}): ${problem}`;
    if (p.files[pc] !== module) {
      return `instruction ${pc} (${op.name}): line table names module ${
        p.files[pc]
      } but the instruction is in module ${module}`;
    }
    if (p.lines[pc] < 0) return `instruction ${pc} (${op.name}): negative line ${p.lines[pc]}`;
  }
  return undefined;
}

function instructionProblem(
  p: Program,
  pc: number,
  op: OpInfo,
  module: number,
): string | undefined {
  const m = p.modules[module];
  const isEnd = op.name === "END";
  if (isEnd && pc !== m.endPc) return `END before the end of module ${module} (at ${m.endPc})`;
  if (!isEnd && pc === m.endPc) return `module ${module} must end with END`;
  const base = pc * INSTR_WORDS;
  let word = 1;
  let sawAbsent = false;
  for (const spec of op.operands) {
    const a = p.code[base + word];
    const b = p.code[base + word + 1];
    const absent = isAbsent(spec, a);
    if (absent) {
      sawAbsent = true;
    } else {
      if (sawAbsent) return `operand ${spec.name} is present after an absent optional operand`;
      const problem = operandProblem(p, spec, a, b, module);
      if (problem !== undefined) return problem;
    }
    word += OPERAND_KINDS[spec.kind].words;
  }
  for (; word < INSTR_WORDS; word++) {
    if (p.code[base + word] !== 0) return `unused word ${word} is ${p.code[base + word]}, not 0`;
  }
  return undefined;
}

/** Absent optional operands are -1, except a PID, whose "absent" is 0 (pop it). */
function isAbsent(spec: OperandSpec, a: number): boolean {
  if (!spec.optional) return false;
  return spec.kind === "pid" ? a === 0 : a === -1;
}

function operandProblem(
  p: Program,
  spec: OperandSpec,
  a: number,
  b: number,
  module: number,
): string | undefined {
  const what = spec.name;
  const m = p.modules[module];
  const range = (len: number) =>
    len === 0 ? "is outside an empty table" : `is outside 0..${len - 1}`;
  switch (spec.kind) {
    case "i64":
      if (b === 0) return undefined;
      if (b !== 1) return `${what}: bad int form ${b} (0 = inline, 1 = pool)`;
      return isIndex(a, p.ints.length)
        ? undefined
        : `${what}: int index ${a} ${range(p.ints.length)}`;
    case "f64":
      return isIndex(a, p.floats.length)
        ? undefined
        : `${what}: float index ${a} ${range(p.floats.length)}`;
    case "str":
    case "name":
      return isIndex(a, p.strings.length)
        ? undefined
        : `${what}: string index ${a} ${range(p.strings.length)}`;
    case "bool":
      return a === 0 || a === 1 ? undefined : `${what}: bool ${a} is not 0 or 1`;
    case "label":
    case "func":
      if (a < m.startPc || a > m.endPc) {
        return `${
          spec.kind === "label" ? "jump" : "function"
        } target ${a} is outside module ${module} (${m.startPc}..${m.endPc})`;
      }
      if (spec.kind === "func" && !isIndex(b, p.paramLists.length)) {
        return `${what}: param list index ${b} ${range(p.paramLists.length)}`;
      }
      return undefined;
    case "count":
      return a >= 0 && a <= MAX_I32 ? undefined : `${what}: count ${a} is negative`;
    case "module":
      return isIndex(a, p.modules.length)
        ? undefined
        : `${what}: module index ${a} ${range(p.modules.length)}`;
    case "pid":
      return a >= 0 ? undefined : `${what}: pid ${a} is negative`;
  }
}
