import { strict as assert } from "node:assert";
import { decodeProgram, encodeProgram, LoadError } from "../../src/bytecode/mod.ts";
import { encodeProgramUnchecked } from "../../src/bytecode/encode.ts";
import { SECTION } from "../../src/bytecode/format.ts";
import { INSTR_WORDS, OP_BY_NAME } from "../../src/isa/opcodes.ts";
import type { Program } from "../../src/isa/program.ts";
import { ProgramBuilder, sampleProgram } from "./program_builder.ts";
import { patchedByte, sectionSpan, withFixedCrc, withSectionPayload } from "./ttb_bytes.ts";

/** Asserts decoding fails with exactly this one-line LoadError message. */
function rejects(bytes: Uint8Array, message: string | RegExp): void {
  assert.throws(() => decodeProgram(bytes), (e: unknown) => {
    assert.ok(e instanceof LoadError, `not a LoadError: ${e}`);
    assert.ok(!e.message.includes("\n"), "message must be one line");
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

/** A tiny valid program: PUSH_INT 1, JMP 0, HALT, END. */
function tiny(): Program {
  return new ProgramBuilder().module("t.ttvm").op("PUSH_INT", 1).op("JMP", 0).op("HALT").end()
    .build();
}

function forged(edit: (p: Program) => void): Uint8Array {
  const p = tiny();
  edit(p);
  return encodeProgramUnchecked(p);
}

const word = (pc: number, w: number) => pc * INSTR_WORDS + w;

Deno.test("a file without the magic is rejected as not a .ttb file", () => {
  rejects(
    new TextEncoder().encode("PUSH_INT 1\nPRINT\n"),
    "bad .ttb file: not a .ttb file (missing the TTVM magic)",
  );
  rejects(new Uint8Array(0), /not a \.ttb file/);
});

Deno.test("an unsupported version is named, even before the checksum is checked", () => {
  const bytes = encodeProgram(tiny());
  bytes[4] = 7;
  rejects(bytes, "bad .ttb file: unsupported format version 7 (this ttvm reads version 1)");
});

Deno.test("a flipped byte anywhere after the header is a checksum mismatch", () => {
  const bytes = encodeProgram(tiny());
  bytes[bytes.length - 9] ^= 0x10;
  rejects(bytes, "bad .ttb file: checksum mismatch (file is corrupt)");
});

Deno.test("a file too short to hold header and checksum is reported as truncated", () => {
  const bytes = encodeProgram(tiny());
  rejects(bytes.subarray(0, 5), "bad .ttb file: truncated header at byte 5");
  rejects(bytes.subarray(0, 12), /^bad \.ttb file: file is truncated: 12 bytes/);
});

Deno.test("unknown header flags are rejected", () => {
  rejects(patchedByte(encodeProgram(tiny()), 6, 1), "bad .ttb file: unknown header flags 0x1");
});

Deno.test("unknown, duplicate and missing sections are rejected", () => {
  const bytes = encodeProgram(tiny());
  const labels = sectionSpan(bytes, SECTION.LABELS);
  rejects(
    patchedByte(bytes, labels.headerAt, 42),
    `bad .ttb file: unknown section id 42 at byte ${labels.headerAt}`,
  );
  rejects(
    patchedByte(bytes, labels.headerAt, SECTION.MODULES),
    `bad .ttb file: duplicate module table section at byte ${labels.headerAt}`,
  );
  const fewer = bytes.slice();
  fewer[8] = 7; // claim 7 sections: the line table becomes stray bytes
  rejects(withFixedCrc(fewer), /unexpected bytes after the last section/);
});

Deno.test("a section length running past the end of the file is rejected", () => {
  const bytes = encodeProgram(tiny());
  const code = sectionSpan(bytes, SECTION.CODE);
  rejects(
    patchedByte(bytes, code.headerAt + 4, 0x10),
    /^bad \.ttb file: code section at byte \d+ claims \d+ bytes but only \d+ remain$/,
  );
});

Deno.test("a forged huge count is bounded by the bytes left, not allocated", () => {
  const bytes = encodeProgram(tiny());
  // code payload: instruction count 0x7f7f7f7f7f (varint) instead of 4
  const huge = withSectionPayload(
    bytes,
    SECTION.CODE,
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f]),
  );
  rejects(
    huge,
    /^bad \.ttb file: code: instruction count \d+ at byte \d+ exceeds the 0 bytes left$/,
  );
});

Deno.test("an over-long varint is rejected", () => {
  const bytes = encodeProgram(tiny());
  const payload = new Uint8Array(12).fill(0x80);
  rejects(withSectionPayload(bytes, SECTION.INTS, payload), /over-long varint for int count/);
});

Deno.test("trailing bytes inside a section are rejected", () => {
  const bytes = encodeProgram(tiny());
  const floats = sectionSpan(bytes, SECTION.FLOATS);
  const payload = new Uint8Array([0, 0]); // zero floats, then a stray byte
  rejects(
    withSectionPayload(bytes, SECTION.FLOATS, payload),
    `bad .ttb file: 1 trailing bytes in float pool at byte ${floats.payloadStart + 1}`,
  );
});

Deno.test("invalid UTF-8 in the string table is rejected", () => {
  const payload = new Uint8Array([1, 1, 2, 0xc3, 0x28]); // one string, bytes C3 28
  const bytes = withSectionPayload(encodeProgram(tiny()), SECTION.STRINGS, payload);
  rejects(bytes, /^bad \.ttb file: string 0 at byte \d+ is not valid UTF-8$/);
});

Deno.test("a truncated string table names the byte where it ends", () => {
  const payload = new Uint8Array([1, 1, 5, 0x61]); // string 0 claims 5 bytes, has 1
  const bytes = withSectionPayload(encodeProgram(tiny()), SECTION.STRINGS, payload);
  rejects(
    bytes,
    /^bad \.ttb file: string table: length of string 0 5 at byte \d+ exceeds the 1 bytes left$/,
  );
});

Deno.test("an unknown opcode byte is rejected with its instruction index", () => {
  const bytes = encodeProgram(tiny());
  const code = sectionSpan(bytes, SECTION.CODE);
  // payload: count(4), PUSH_INT 0x01 + operand, JMP 0x30 + target, HALT 0xff, END 0xfe
  const haltAt = code.payloadStart + 5;
  assert.equal(bytes[haltAt], 0xff);
  rejects(
    patchedByte(bytes, haltAt, 0xee),
    `bad .ttb file: instruction 2: unknown opcode 0xee at byte ${haltAt}`,
  );
});

Deno.test("a jump target outside its module is rejected", () => {
  const bytes = forged((p) => p.code[word(1, 1)] = 900);
  rejects(bytes, "bad .ttb file: instruction 1 (JMP): jump target 900 is outside module 0 (0..3)");
});

Deno.test("a jump into another module is rejected", () => {
  const p = sampleProgram();
  const jmp = Array.from({ length: p.code.length / 4 }, (_, pc) => pc).find((pc) =>
    p.code[pc * 4] === OP_BY_NAME.get("JMP")!.code
  )!;
  p.code[word(jmp, 1)] = p.modules[1].startPc;
  rejects(
    encodeProgramUnchecked(p),
    new RegExp(
      `instruction ${jmp} \\(JMP\\): jump target ${p.modules[1].startPc} is outside module 0`,
    ),
  );
});

Deno.test("END must be exactly at each module end", () => {
  rejects(
    forged((p) => p.code[word(2, 0)] = 0xfe),
    "bad .ttb file: instruction 2 (END): END before the end of module 0 (at 3)",
  );
  rejects(
    forged((p) => p.code[word(3, 0)] = 0xff),
    "bad .ttb file: instruction 3 (HALT): module 0 must end with END",
  );
});

Deno.test("module ranges must be contiguous from pc 0 and cover all code", () => {
  rejects(forged((p) => p.modules[0].startPc = 1), /module 0 starts at pc 1, expected 0/);
  rejects(
    forged((p) => p.modules[0].endPc = 2),
    /modules cover pcs 0\.\.2 but the code has 4 instructions/,
  );
  rejects(forged((p) => p.modules = []), "bad .ttb file: program has no modules");
});

Deno.test("operands out of range are rejected", () => {
  rejects(
    forged((p) => p.code[word(0, 2)] = 1),
    "bad .ttb file: instruction 0 (PUSH_INT): value: int index 1 is outside an empty table",
  );
  const b = new ProgramBuilder().module("x.ttvm").op("PUSH_BOOL", true).op("LOAD", "v")
    .op("CALL", { target: 0, params: ["a"] }).op("IMPORT", 0).op("MAKE_LIST", 2).end().build();
  const edit = (f: (p: Program) => void) => {
    const p = structuredClone(b);
    f(p);
    return encodeProgramUnchecked(p);
  };
  rejects(
    edit((p) => p.code[word(0, 1)] = 2),
    "bad .ttb file: instruction 0 (PUSH_BOOL): value: bool 2 is not 0 or 1",
  );
  rejects(
    edit((p) => p.code[word(1, 1)] = 5),
    /instruction 1 \(LOAD\): var: string index 5 is outside 0\.\.1$/,
  );
  rejects(
    edit((p) => p.code[word(2, 2)] = 3),
    /instruction 2 \(CALL\): target: param list index 3 is outside 0\.\.0$/,
  );
  rejects(
    edit((p) => p.code[word(3, 1)] = 4),
    /instruction 3 \(IMPORT\): path: module index 4 is outside 0\.\.0$/,
  );
  rejects(
    edit((p) => p.paramLists[0] = [9]),
    /param list 0: name 0 has string index 9, outside 0\.\.1$/,
  );
});

Deno.test("an optional operand present after an absent one is rejected", () => {
  const p = new ProgramBuilder().module("s.ttvm").op("START_SUPERVISOR", undefined, 3).end()
    .build();
  rejects(
    encodeProgramUnchecked(p),
    "bad .ttb file: instruction 0 (START_SUPERVISOR): operand max_restarts is present after an absent optional operand",
  );
});

Deno.test("the line table must name the module each instruction is in", () => {
  const p = sampleProgram();
  p.files[p.modules[1].startPc] = 0;
  rejects(
    encodeProgramUnchecked(p),
    /line table names module 0 but the instruction is in module 1$/,
  );
});

Deno.test("labels must lie inside their module", () => {
  rejects(
    forged((p) => p.labels = [{ name: "x", pc: 9, module: 0 }]),
    "bad .ttb file: label 0 (x) at pc 9 is outside module 0 (0..3)",
  );
  rejects(
    forged((p) => p.labels = [{ name: "x", pc: 0, module: 3 }]),
    "bad .ttb file: label 0 (x) names module 3, outside 0..0",
  );
});

Deno.test("duplicate program strings are rejected", () => {
  rejects(forged((p) => p.strings = ["a", "a"]), 'bad .ttb file: string 1 "a" is a duplicate');
});

Deno.test("LoadError keeps its message to one line even if the problem text had newlines", () => {
  assert.equal(new LoadError("a\nb").message, "bad .ttb file: a b");
  assert.equal(new LoadError("x").name, "LoadError");
});
