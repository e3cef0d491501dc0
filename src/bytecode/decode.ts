/**
 * The .ttb loader: bytes → a validated Program (layout: docs/BYTECODE.md).
 *
 * Invariants: `decodeProgram` throws only LoadError, for any input; it never allocates more
 * than a small multiple of the input size (every count is bounded by the bytes left), never
 * loops longer than the input allows, and returns only Programs that pass validateProgram.
 * Checks run in the order a reader cares about: magic, version, checksum, then structure.
 */
import { INSTR_WORDS, OP_BY_CODE, type OperandSpec } from "../isa/opcodes.ts";
import type { LabelInfo, ModuleInfo, Program } from "../isa/program.ts";
import { ByteReader } from "./byte_reader.ts";
import { crc32 } from "./crc32.ts";
import {
  CRC_SIZE_BYTES,
  HEADER_SIZE_BYTES,
  MAX_I32,
  REQUIRED_SECTIONS,
  SECTION,
  SECTION_HEADER_SIZE_BYTES,
  SECTION_NAMES,
  TTB_MAGIC,
  TTB_VERSION,
} from "./format.ts";
import { LoadError } from "./load_error.ts";
import { validateProgram } from "./validate.ts";

/** Prefix of the message used when the loader itself fails unexpectedly (a loader bug). */
export const UNEXPECTED_FAILURE = "unexpected loader failure";

/** True when `bytes` starts with the .ttb magic. */
export function isTtbBytes(bytes: Uint8Array): boolean {
  return bytes.length >= TTB_MAGIC.length && TTB_MAGIC.every((b, i) => bytes[i] === b);
}

/** Decodes and validates a .ttb file; throws LoadError (only) when it is malformed. */
export function decodeProgram(bytes: Uint8Array): Program {
  try {
    return decodeUnchecked(bytes);
  } catch (e) {
    if (e instanceof LoadError) throw e;
    // A loader bug must still surface as a one-line LoadError, never as a crash.
    throw new LoadError(`${UNEXPECTED_FAILURE} (${e instanceof Error ? e.message : String(e)})`);
  }
}

function decodeUnchecked(bytes: Uint8Array): Program {
  checkEnvelope(bytes);
  const sections = readSectionDirectory(bytes);
  const reader = (id: number) => {
    const [start, end] = sections.get(id)!;
    return new ByteReader(bytes, start, end, SECTION_NAMES[id]);
  };
  const strings = readStrings(reader(SECTION.STRINGS));
  const ints = readInts(reader(SECTION.INTS));
  const floats = readFloats(reader(SECTION.FLOATS));
  const paramLists = readParamLists(reader(SECTION.PARAM_LISTS));
  const modules = readModules(reader(SECTION.MODULES), strings.all);
  const labels = readLabels(reader(SECTION.LABELS), strings.all);
  const code = readCode(reader(SECTION.CODE));
  const { lines, files } = readLines(reader(SECTION.LINES), code.length / INSTR_WORDS);
  const program: Program = {
    code,
    ints,
    floats,
    strings: strings.all.slice(0, strings.programCount),
    paramLists,
    lines,
    files,
    modules,
    labels,
  };
  validateProgram(program);
  return program;
}

/** Magic, version, minimum size and checksum, in that order. */
function checkEnvelope(bytes: Uint8Array): void {
  if (!isTtbBytes(bytes)) throw new LoadError("not a .ttb file (missing the TTVM magic)");
  if (bytes.length < 6) throw new LoadError(`truncated header at byte ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== TTB_VERSION) {
    throw new LoadError(
      `unsupported format version ${version} (this ttvm reads version ${TTB_VERSION})`,
    );
  }
  if (bytes.length < HEADER_SIZE_BYTES + CRC_SIZE_BYTES) {
    throw new LoadError(`file is truncated: ${bytes.length} bytes is too short for a .ttb file`);
  }
  const crcAt = bytes.length - CRC_SIZE_BYTES;
  if (view.getUint32(crcAt, true) !== crc32(bytes, 0, crcAt)) {
    throw new LoadError("checksum mismatch (file is corrupt)");
  }
  const flags = view.getUint16(6, true);
  if (flags !== 0) throw new LoadError(`unknown header flags 0x${flags.toString(16)}`);
}

/** Section id → [payload start, payload end), each required section exactly once. */
function readSectionDirectory(bytes: Uint8Array): Map<number, [number, number]> {
  const body = new ByteReader(bytes, 8, bytes.length - CRC_SIZE_BYTES, "section directory");
  const count = body.u16();
  const sections = new Map<number, [number, number]>();
  for (let i = 0; i < count; i++) {
    const at = body.pos;
    if (body.remainingBytes < SECTION_HEADER_SIZE_BYTES) {
      throw new LoadError(`truncated section header at byte ${at}`);
    }
    const id = body.u8();
    const lengthBytes = body.u32();
    const name = SECTION_NAMES[id];
    if (name === undefined) throw new LoadError(`unknown section id ${id} at byte ${at}`);
    if (sections.has(id)) throw new LoadError(`duplicate ${name} section at byte ${at}`);
    if (lengthBytes > body.remainingBytes) {
      throw new LoadError(
        `${name} section at byte ${at} claims ${lengthBytes} bytes but only ${body.remainingBytes} remain`,
      );
    }
    sections.set(id, [body.pos, body.pos + lengthBytes]);
    body.pos += lengthBytes;
  }
  if (!body.atEnd) {
    throw new LoadError(
      `${body.remainingBytes} unexpected bytes after the last section at byte ${body.pos}`,
    );
  }
  for (const id of REQUIRED_SECTIONS) {
    if (!sections.has(id)) throw new LoadError(`missing ${SECTION_NAMES[id]} section`);
  }
  return sections;
}

function finish(r: ByteReader): void {
  if (!r.atEnd) {
    throw new LoadError(`${r.remainingBytes} trailing bytes in ${r.what} at byte ${r.pos}`);
  }
}

function readStrings(r: ByteReader): { all: string[]; programCount: number } {
  const total = r.count("string count", 1);
  const programCount = r.varUint("program string count", total);
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const all: string[] = [];
  for (let i = 0; i < total; i++) {
    const lengthBytes = r.count(`length of string ${i}`, 1);
    const at = r.pos;
    try {
      all.push(utf8.decode(r.take(lengthBytes)));
    } catch {
      throw new LoadError(`string ${i} at byte ${at} is not valid UTF-8`);
    }
  }
  finish(r);
  return { all, programCount };
}

function readInts(r: ByteReader): bigint[] {
  const n = r.count("int count", 8);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(r.i64());
  finish(r);
  return out;
}

function readFloats(r: ByteReader): number[] {
  const n = r.count("float count", 8);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.f64());
  finish(r);
  return out;
}

function readParamLists(r: ByteReader): number[][] {
  const n = r.count("param list count", 1);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const len = r.count(`length of param list ${i}`, 1);
    const list: number[] = [];
    for (let j = 0; j < len; j++) list.push(r.varUint("param name index", MAX_I32));
    out.push(list);
  }
  finish(r);
  return out;
}

function stringAt(r: ByteReader, all: string[], field: string): string {
  const at = r.pos;
  const i = r.varUint(field, MAX_I32);
  if (i >= all.length) {
    throw new LoadError(`${r.what}: ${field} ${i} at byte ${at} is outside the string table`);
  }
  return all[i];
}

function readModules(r: ByteReader, all: string[]): ModuleInfo[] {
  const n = r.count("module count", 3);
  const out: ModuleInfo[] = [];
  for (let i = 0; i < n; i++) {
    const path = stringAt(r, all, "module path index");
    const startPc = r.varUint("module start pc", MAX_I32);
    const endPc = r.varUint("module end pc", MAX_I32);
    out.push({ path, startPc, endPc });
  }
  finish(r);
  return out;
}

function readLabels(r: ByteReader, all: string[]): LabelInfo[] {
  const n = r.count("label count", 3);
  const out: LabelInfo[] = [];
  for (let i = 0; i < n; i++) {
    const name = stringAt(r, all, "label name index");
    const module = r.varUint("label module", MAX_I32);
    const pc = r.varUint("label pc", MAX_I32);
    out.push({ name, pc, module });
  }
  finish(r);
  return out;
}

function readCode(r: ByteReader): Int32Array {
  const n = r.count("instruction count", 1);
  const code = new Int32Array(n * INSTR_WORDS);
  for (let pc = 0; pc < n; pc++) {
    const at = r.pos;
    const opByte = r.u8();
    const op = OP_BY_CODE[opByte];
    if (!op) {
      throw new LoadError(
        `instruction ${pc}: unknown opcode 0x${opByte.toString(16)} at byte ${at}`,
      );
    }
    code[pc * INSTR_WORDS] = op.code;
    let word = pc * INSTR_WORDS + 1;
    for (const spec of op.operands) word = readOperand(r, spec, code, word);
  }
  finish(r);
  return code;
}

/** Decodes one operand into code[word…]; returns the next free word index. */
function readOperand(r: ByteReader, spec: OperandSpec, code: Int32Array, word: number): number {
  const field = `operand ${spec.name}`;
  switch (spec.kind) {
    case "i64": {
      const v = r.varUint(field, 2 * 0xffffffff + 1);
      const zigzag = Math.floor(v / 2);
      code[word] = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      code[word + 1] = v % 2;
      return word + 2;
    }
    case "func":
      code[word] = r.varUint(field, MAX_I32);
      code[word + 1] = r.varUint(`${field} param list`, MAX_I32);
      return word + 2;
    case "pid":
      code[word] = r.varUint(field, MAX_I32);
      return word + 1;
    default:
      code[word] = spec.optional ? r.varUint(field, MAX_I32 + 1) - 1 : r.varUint(field, MAX_I32);
      return word + 1;
  }
}

function readLines(r: ByteReader, n: number): { lines: Int32Array; files: Int32Array } {
  const files = new Int32Array(n);
  const lines = new Int32Array(n);
  const runCount = r.count("module run count", 2);
  let pc = 0;
  for (let i = 0; i < runCount; i++) {
    const file = r.varUint("run module index", MAX_I32);
    const at = r.pos;
    const length = r.varUint("run length", MAX_I32);
    if (length === 0 || length > n - pc) {
      throw new LoadError(
        `line table: run length ${length} at byte ${at} does not fit the ${n} instructions`,
      );
    }
    files.fill(file, pc, pc + length);
    pc += length;
  }
  if (pc !== n) throw new LoadError(`line table covers ${pc} of ${n} instructions`);
  let line = 0;
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    line += r.varInt("line delta", MAX_I32);
    if (line < 0 || line > MAX_I32) {
      throw new LoadError(
        `line table: line ${line} of instruction ${i} at byte ${at} is out of range`,
      );
    }
    lines[i] = line;
  }
  finish(r);
  return { lines, files };
}
