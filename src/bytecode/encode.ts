/**
 * The .ttb encoder: Program → bytes, in the layout of docs/BYTECODE.md.
 *
 * Invariants: only valid Programs are encoded (an invalid one throws a plain Error naming the
 * problem, since the loader would reject the file anyway); the output is deterministic, so
 * equal Programs give identical bytes; the file string table is Program.strings followed by
 * the module paths and label names that are not already in it (the loader hands only the
 * first part back as Program.strings).
 */
import { INSTR_WORDS, OP_BY_CODE, OPERAND_KINDS, type OperandSpec } from "../isa/opcodes.ts";
import type { Program } from "../isa/program.ts";
import { ByteWriter } from "./byte_writer.ts";
import { crc32 } from "./crc32.ts";
import { REQUIRED_SECTIONS, SECTION, TTB_MAGIC, TTB_VERSION } from "./format.ts";
import { programProblem } from "./validate.ts";

const FILE_FLAGS = 0;

/** Encodes a valid Program as a .ttb file. */
export function encodeProgram(p: Program): Uint8Array {
  const problem = programProblem(p);
  if (problem !== undefined) throw new Error(`cannot encode program: ${problem}`);
  return encodeProgramUnchecked(p);
}

/**
 * Encodes without validating first: for tests that need well-formed files holding invalid
 * Programs (to exercise the loader's validation). Throws RangeError on values the container
 * cannot hold at all (negative indices, unknown opcodes).
 */
export function encodeProgramUnchecked(p: Program): Uint8Array {
  const fileStrings = new FileStrings(p.strings);
  const modulePathIndices = p.modules.map((m) => fileStrings.indexOf(m.path));
  const labelNameIndices = p.labels.map((l) => fileStrings.indexOf(l.name));

  const w = new ByteWriter();
  w.bytes(TTB_MAGIC);
  w.u16(TTB_VERSION);
  w.u16(FILE_FLAGS);
  w.u16(REQUIRED_SECTIONS.length);
  section(w, SECTION.STRINGS, () => writeStrings(w, fileStrings, p.strings.length));
  section(w, SECTION.INTS, () => {
    w.varUint(p.ints.length);
    for (const v of p.ints) w.i64(v);
  });
  section(w, SECTION.FLOATS, () => {
    w.varUint(p.floats.length);
    for (const v of p.floats) w.f64(v);
  });
  section(w, SECTION.PARAM_LISTS, () => {
    w.varUint(p.paramLists.length);
    for (const list of p.paramLists) {
      w.varUint(list.length);
      for (const s of list) w.varUint(s);
    }
  });
  section(w, SECTION.MODULES, () => {
    w.varUint(p.modules.length);
    p.modules.forEach((m, i) => {
      w.varUint(modulePathIndices[i]);
      w.varUint(m.startPc);
      w.varUint(m.endPc);
    });
  });
  section(w, SECTION.LABELS, () => {
    w.varUint(p.labels.length);
    p.labels.forEach((l, i) => {
      w.varUint(labelNameIndices[i]);
      w.varUint(l.module);
      w.varUint(l.pc);
    });
  });
  section(w, SECTION.CODE, () => writeCode(w, p));
  section(w, SECTION.LINES, () => writeLines(w, p));
  w.u32(crc32(w.written(0)));
  return w.toBytes();
}

/** Writes one section: id, a u32 length patched after the payload, the payload. */
function section(w: ByteWriter, id: number, writePayload: () => void): void {
  w.u8(id);
  const lengthAt = w.length;
  w.u32(0);
  const start = w.length;
  writePayload();
  w.patchU32(lengthAt, w.length - start);
}

/** Program.strings plus extra strings (paths, label names), deduplicated. */
class FileStrings {
  readonly all: string[];
  private readonly index = new Map<string, number>();

  constructor(programStrings: readonly string[]) {
    this.all = [...programStrings];
    this.all.forEach((s, i) => this.index.set(s, i));
  }

  indexOf(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.all.length;
      this.all.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

function writeStrings(w: ByteWriter, fileStrings: FileStrings, programCount: number): void {
  const utf8 = new TextEncoder();
  w.varUint(fileStrings.all.length);
  w.varUint(programCount);
  for (const s of fileStrings.all) {
    const bytes = utf8.encode(s);
    w.varUint(bytes.length);
    w.bytes(bytes);
  }
}

/** Per instruction: u8 opcode, then each operand in its kind's compact form. */
function writeCode(w: ByteWriter, p: Program): void {
  const n = p.code.length / INSTR_WORDS;
  w.varUint(n);
  for (let pc = 0; pc < n; pc++) {
    const base = pc * INSTR_WORDS;
    const op = OP_BY_CODE[p.code[base] & 0xff];
    if (!op) throw new RangeError(`instruction ${pc}: unknown opcode ${p.code[base]}`);
    w.u8(op.code);
    let word = 1;
    for (const spec of op.operands) {
      writeOperand(w, spec, p.code[base + word], p.code[base + word + 1]);
      word += OPERAND_KINDS[spec.kind].words;
    }
  }
}

/** Encodes the operand whose first word is `a` (and second `b` for two-word kinds). */
export function writeOperand(w: ByteWriter, spec: OperandSpec, a: number, b: number): void {
  switch (spec.kind) {
    case "i64":
      // inline i32 (b = 0) or pool index (b = 1), folded into one varint: zigzag(a) * 2 + b
      w.varUint((a < 0 ? -2 * a - 1 : 2 * a) * 2 + b);
      return;
    case "func":
      w.varUint(a);
      w.varUint(b);
      return;
    case "pid":
      w.varUint(a);
      return;
    default:
      // optional operands are -1 when absent: shift by one so that absent is the byte 0
      w.varUint(spec.optional ? a + 1 : a);
  }
}

/** Run-length coded module indices, then one zigzag line delta per instruction. */
function writeLines(w: ByteWriter, p: Program): void {
  const runs: Array<[number, number]> = [];
  for (const file of p.files) {
    const last = runs[runs.length - 1];
    if (last && last[0] === file) last[1]++;
    else runs.push([file, 1]);
  }
  w.varUint(runs.length);
  for (const [file, length] of runs) {
    w.varUint(file);
    w.varUint(length);
  }
  let previousLine = 0;
  for (const line of p.lines) {
    w.varInt(line - previousLine);
    previousLine = line;
  }
}
