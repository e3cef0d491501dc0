/**
 * Fuzz test of the .ttb loader: thousands of seeded, reproducible malformed inputs. Every case
 * must either decode to a Program that passes validation (and re-encodes to an equal Program)
 * or throw a LoadError that is not the loader's "unexpected failure" safety net — never any
 * other exception, never a hang. Decoded programs must also re-encode and disassemble.
 */
import { strict as assert } from "node:assert";
import { decodeProgram, disassemble, encodeProgram, LoadError } from "../../src/bytecode/mod.ts";
import { UNEXPECTED_FAILURE } from "../../src/bytecode/decode.ts";
import { ByteWriter } from "../../src/bytecode/byte_writer.ts";
import { SECTION, TTB_MAGIC } from "../../src/bytecode/format.ts";
import { programProblem } from "../../src/bytecode/validate.ts";
import { OP_BY_CODE, OPCODES } from "../../src/isa/opcodes.ts";
import { programsEqual } from "../../src/isa/program.ts";
import { everyOpcodeProgram, ProgramBuilder, sampleProgram } from "./program_builder.ts";
import { sectionSpans, withFixedCrc, withSectionPayload } from "./ttb_bytes.ts";

/** mulberry32: a tiny seeded PRNG; returns floats in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tally {
  decoded: number;
  rejected: number;
}

/** Decodes one case and checks the outcome is one of the two allowed ones. */
function check(bytes: Uint8Array, tally: Tally, label: string): void {
  let program;
  try {
    program = decodeProgram(bytes);
  } catch (e) {
    if (!(e instanceof LoadError)) {
      throw new Error(`${label}: threw ${e instanceof Error ? e.name : typeof e}: ${e}`);
    }
    if (e.message.includes(UNEXPECTED_FAILURE) || e.message.includes("\n")) {
      throw new Error(`${label}: ${e.message}`);
    }
    tally.rejected++;
    return;
  }
  const problem = programProblem(program);
  if (problem !== undefined) throw new Error(`${label}: decoded an invalid program: ${problem}`);
  if (!programsEqual(decodeProgram(encodeProgram(program)), program)) {
    throw new Error(`${label}: decoded program does not round-trip`);
  }
  if (!disassemble(program).startsWith("; ttvm disassembly")) {
    throw new Error(`${label}: disassembly failed`);
  }
  tally.decoded++;
}

function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 256) | 0;
  return out;
}

function flipBits(bytes: Uint8Array, rand: () => number, flips: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < flips; i++) {
    const bit = (rand() * out.length * 8) | 0;
    out[bit >> 3] ^= 1 << (bit & 7);
  }
  return out;
}

/** A random varint-ish operand value: mostly small, sometimes large or over-long. */
function writeRandomVarint(w: ByteWriter, rand: () => number): void {
  const r = rand();
  if (r < 0.7) w.varUint((rand() * 6) | 0);
  else if (r < 0.9) w.varUint(Math.floor(rand() * 2 ** 34));
  else for (let i = 0; i < 1 + ((rand() * 9) | 0); i++) w.u8(0x80 | ((rand() * 128) | 0));
}

/**
 * A file whose code section is a random instruction stream (mostly known opcodes with the
 * right number of operands, small operand values, END last most of the time), with a module
 * table and line table sized to it and the CRC fixed: most cases reach validation.
 */
function randomCodeFile(base: Uint8Array, rand: () => number): Uint8Array {
  const n = 1 + ((rand() * 12) | 0);
  const code = new ByteWriter();
  code.varUint(rand() < 0.95 ? n : (rand() * 40) | 0);
  for (let pc = 0; pc < n; pc++) {
    const known = OPCODES[(rand() * OPCODES.length) | 0];
    const opByte = pc === n - 1 && rand() < 0.8
      ? 0xfe
      : rand() < 0.9
      ? known.code
      : (rand() * 256) | 0;
    code.u8(opByte);
    const op = OP_BY_CODE[opByte];
    const operandCount = op && rand() < 0.95
      ? op.operands.reduce((k, o) => k + (o.kind === "func" ? 2 : 1), 0)
      : (rand() * 3) | 0;
    for (let i = 0; i < operandCount; i++) writeRandomVarint(code, rand);
  }
  const modules = new ByteWriter();
  modules.varUint(1);
  modules.varUint(0);
  modules.varUint(0);
  modules.varUint(rand() < 0.95 ? n - 1 : (rand() * 20) | 0);
  const lines = new ByteWriter();
  lines.varUint(1);
  lines.varUint(0);
  lines.varUint(n);
  for (let i = 0; i < n; i++) lines.varInt(rand() < 0.9 ? 1 : ((rand() * 5) | 0) - 2);
  let bytes = withSectionPayload(base, SECTION.CODE, code.toBytes());
  bytes = withSectionPayload(bytes, SECTION.MODULES, modules.toBytes());
  return withSectionPayload(bytes, SECTION.LINES, lines.toBytes());
}

/** Base for random code: pools with a few entries of each kind and no labels. */
function codeBase(): Uint8Array {
  return encodeProgram(
    new ProgramBuilder().module("fuzz.ttvm")
      .op("PUSH_STR", "a").op("LOAD", "b").op("PUSH_INT", 1n << 40n).op("PUSH_FLOAT", 1.5)
      .op("CALL", { target: 0, params: ["a"] }).op("PUSH_INT", 1n << 41n).op("PUSH_FLOAT", 2.5)
      .end().build(),
  );
}

Deno.test("loader fuzz: every malformed input decodes validly or throws LoadError", () => {
  const started = performance.now();
  const rand = prng(0x7717b);
  const tally: Tally = { decoded: 0, rejected: 0 };
  const valid = [encodeProgram(everyOpcodeProgram()), encodeProgram(sampleProgram())];

  // 1. random bytes: raw, behind the magic, and behind a valid header with a fixed CRC
  for (let i = 0; i < 9000; i++) {
    const body = randomBytes(rand, (rand() * 300) | 0);
    const kind = i % 3;
    if (kind === 0) check(body, tally, `random #${i}`);
    else {
      const bytes = new Uint8Array(10 + body.length);
      bytes.set(TTB_MAGIC);
      bytes.set(body, 10);
      if (kind === 2) bytes.set([1, 0, 0, 0, (rand() * 10) | 0, 0], 4);
      else bytes.set(body.subarray(0, 6), 4);
      check(kind === 2 ? withFixedCrc(bytes) : bytes, tally, `magic+random #${i}`);
    }
  }

  for (const [v, file] of valid.entries()) {
    // 2. every truncation, with the original tail CRC bytes and with a recomputed CRC
    for (let len = 0; len < file.length; len++) {
      check(file.subarray(0, len), tally, `file ${v} cut at ${len}`);
      check(withFixedCrc(file.subarray(0, len)), tally, `file ${v} cut at ${len} (crc fixed)`);
    }
    // 3. one random bit flipped in every byte, raw and with a recomputed CRC
    for (let at = 0; at < file.length; at++) {
      const flipped = file.slice();
      flipped[at] ^= 1 << ((rand() * 8) | 0);
      check(flipped, tally, `file ${v} flip at ${at}`);
      check(withFixedCrc(flipped), tally, `file ${v} flip at ${at} (crc fixed)`);
    }
    // 4. several bits flipped, CRC recomputed
    for (let i = 0; i < 4000; i++) {
      check(
        withFixedCrc(flipBits(file, rand, 2 + ((rand() * 7) | 0))),
        tally,
        `file ${v} multi-flip #${i}`,
      );
    }
    // 5. random section lengths, CRC recomputed
    const spans = sectionSpans(file);
    for (let i = 0; i < 2000; i++) {
      const span = spans[(rand() * spans.length) | 0];
      const bytes = file.slice();
      const view = new DataView(bytes.buffer);
      const oldLength = span.payloadEnd - span.payloadStart;
      const newLength = rand() < 0.5
        ? Math.max(0, oldLength + ((rand() * 21) | 0) - 10)
        : (rand() * 2 ** 32) >>> 0;
      view.setUint32(span.headerAt + 1, newLength, true);
      check(withFixedCrc(bytes), tally, `file ${v} section ${span.id} length ${newLength}`);
    }
  }

  // 6. random instruction streams (opcode bytes and operands) with the CRC recomputed
  const base = codeBase();
  for (let i = 0; i < 15000; i++) check(randomCodeFile(base, rand), tally, `random code #${i}`);

  const elapsedMs = performance.now() - started;
  assert.ok(tally.rejected > 10000, `only ${tally.rejected} rejections`);
  assert.ok(tally.decoded > 100, `only ${tally.decoded} random programs reached a valid decode`);
  assert.ok(elapsedMs < 20000, `fuzz run took ${elapsedMs} ms`);
});
