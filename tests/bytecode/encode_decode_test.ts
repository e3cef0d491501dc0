import { strict as assert } from "node:assert";
import {
  decodeProgram,
  encodeProgram,
  isTtbBytes,
  LoadError,
  TTB_MAGIC,
  TTB_VERSION,
} from "../../src/bytecode/mod.ts";
import { INSTR_WORDS, OPCODES, OPERAND_KINDS } from "../../src/isa/opcodes.ts";
import { type Program, programsEqual } from "../../src/isa/program.ts";
import { everyOpcodeProgram, ProgramBuilder, sampleProgram } from "./program_builder.ts";

function roundTrip(p: Program): Program {
  return decodeProgram(encodeProgram(p));
}

Deno.test("every opcode of the table is encoded and decoded back identically", () => {
  const p = everyOpcodeProgram();
  const used = new Set<number>();
  for (let i = 0; i < p.code.length; i += INSTR_WORDS) used.add(p.code[i]);
  for (const op of OPCODES) assert.ok(used.has(op.code), `${op.name} missing from the sample`);
  assert.ok(programsEqual(roundTrip(p), p));
});

Deno.test("every operand kind appears in the every-opcode sample", () => {
  const kinds = new Set(OPCODES.flatMap((op) => op.operands.map((o) => o.kind)));
  assert.deepEqual([...kinds].sort(), Object.keys(OPERAND_KINDS).sort());
});

Deno.test("multi-module program with long ints, NaN, -0 and unicode strings round-trips", () => {
  const p = sampleProgram();
  const back = roundTrip(p);
  assert.ok(programsEqual(back, p));
  assert.deepEqual(back.ints, [9007199254740993n, -(2n ** 63n)]);
  assert.ok(Number.isNaN(back.floats[0]));
  assert.ok(Object.is(back.floats[1], -0));
  assert.ok(back.strings.some((s) => s.includes("😀")));
  assert.equal(back.modules.length, 2);
  assert.equal(back.modules[1].path, "lib/util.ttvm");
});

Deno.test("label names and module paths are not added to Program.strings", () => {
  const p = sampleProgram();
  const back = roundTrip(p);
  assert.deepEqual(back.strings, p.strings);
  assert.ok(!back.strings.includes("loop"));
  assert.ok(!back.strings.includes("lib/util.ttvm"));
  assert.deepEqual(back.labels, p.labels);
});

Deno.test("a minimal program (module 0 with only its END) round-trips", () => {
  const p = new ProgramBuilder().module("empty.ttvm").end().build();
  assert.ok(programsEqual(roundTrip(p), p));
});

Deno.test("i64 inline values at the i32 edges and pool values just beyond them round-trip", () => {
  const b = new ProgramBuilder().module("ints.ttvm");
  for (const v of [0n, -1n, 2147483647n, -2147483648n, 2147483648n, -2147483649n, 2n ** 63n - 1n]) {
    b.op("PUSH_INT", v);
  }
  const p = b.end().build();
  const back = roundTrip(p);
  assert.ok(programsEqual(back, p));
  assert.deepEqual(back.ints, [2147483648n, -2147483649n, 2n ** 63n - 1n]);
});

Deno.test("encoding is deterministic and re-encoding a decoded file gives the same bytes", () => {
  const bytes = encodeProgram(sampleProgram());
  assert.deepEqual(encodeProgram(sampleProgram()), bytes);
  assert.deepEqual(encodeProgram(decodeProgram(bytes)), bytes);
});

Deno.test("the file starts with the magic, version 1 and no flags", () => {
  const bytes = encodeProgram(sampleProgram());
  assert.deepEqual(bytes.subarray(0, 4), TTB_MAGIC);
  assert.equal(new TextDecoder().decode(TTB_MAGIC), "TTVM");
  assert.equal(TTB_VERSION, 1);
  assert.equal(bytes[4] | (bytes[5] << 8), 1);
  assert.equal(bytes[6] | (bytes[7] << 8), 0);
  assert.equal(bytes[8] | (bytes[9] << 8), 8, "eight sections");
});

Deno.test("code is compact: a zero-operand instruction costs one byte", () => {
  const small = new ProgramBuilder().module("a.ttvm").end().build();
  const b = new ProgramBuilder().module("a.ttvm");
  for (let i = 0; i < 100; i++) b.op("ADD");
  const big = b.end().build();
  // 100 instructions: 1 opcode byte + 1 line-delta byte each, plus one more byte for the count
  assert.ok(encodeProgram(big).length - encodeProgram(small).length <= 201);
});

Deno.test("isTtbBytes checks only the magic", () => {
  assert.ok(isTtbBytes(encodeProgram(sampleProgram())));
  assert.ok(isTtbBytes(new Uint8Array([0x54, 0x54, 0x56, 0x4d])));
  assert.ok(!isTtbBytes(new TextEncoder().encode("PUSH_INT 1\n")));
  assert.ok(!isTtbBytes(new Uint8Array([0x54, 0x54])));
});

Deno.test("the encoder refuses an invalid Program with a plain Error naming the problem", () => {
  const p = sampleProgram();
  p.code[INSTR_WORDS * 1] = 0xfe; // END in the middle of module 0
  assert.throws(() => encodeProgram(p), (e: Error) => {
    assert.ok(!(e instanceof LoadError));
    assert.match(e.message, /^cannot encode program: instruction 1 \(END\): END before the end/);
    return true;
  });
});

Deno.test("decoding works on a view into a larger buffer", () => {
  const bytes = encodeProgram(sampleProgram());
  const padded = new Uint8Array(bytes.length + 10);
  padded.set(bytes, 7);
  const p = decodeProgram(padded.subarray(7, 7 + bytes.length));
  assert.ok(programsEqual(p, sampleProgram()));
});
