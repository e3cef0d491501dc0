/**
 * Disassembly round trip against the real assembler (src/asm/mod.ts, `assembleSource`):
 * assemble → disassemble → assemble must give a byte-identical .ttb file. The assembler is
 * loaded dynamically so this file also runs (as ignored tests) before it exists.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { disassemble, encodeProgram } from "../../src/bytecode/mod.ts";
import type { Program } from "../../src/isa/program.ts";
import { everyOpcodeProgram, ProgramBuilder, sampleProgram } from "./program_builder.ts";

const ASSEMBLER_URL = new URL("../../src/asm/mod.ts", import.meta.url);
const hasAssembler = existsSync(fileURLToPath(ASSEMBLER_URL));

type Assemble = (source: string, path: string, opts?: unknown) => Program;

async function assembler(): Promise<Assemble> {
  const mod = await import(ASSEMBLER_URL.href);
  return mod.assembleSource as Assemble;
}

/** Disassembles `p`, re-assembles the text under module 0's path, compares the bytes. */
async function assertRoundTrips(p: Program): Promise<void> {
  const assemble = await assembler();
  const text = disassemble(p);
  const again = assemble(text, p.modules[0].path);
  assert.deepEqual(encodeProgram(again), encodeProgram(p), `re-assembled differently:\n${text}`);
}

const BUNDLE_SOURCE = [
  '.module "main.ttvm"',
  'IMPORT "lib/math.ttvm"',
  "PUSH_INT 0",
  "STORE i",
  "LABEL loop",
  "LOAD i",
  "PUSH_INT 3",
  "LT",
  "JZ done",
  "LOAD i",
  "PUSH_INT 1",
  "ADD",
  "STORE i",
  "JMP loop",
  "LABEL done",
  "PUSH_INT 9007199254740993",
  "PUSH_INT -9223372036854775808",
  "PUSH_FLOAT -0.0",
  "PUSH_FLOAT nan",
  "PUSH_FLOAT 1e300",
  "PUSH_FLOAT 2.0",
  'PUSH_STR "tab\\there \\"quoted\\" back\\\\slash ; kept ✓"',
  'CALL greet who "how much"',
  "MAKE_LAMBDA greet x",
  "TRY handler",
  'PUSH_STR "boom"',
  "THROW",
  "END_TRY",
  "LABEL handler",
  "CATCH",
  "SEND",
  "LINK 3",
  "START_SUPERVISOR one_for_one 5",
  "SUPERVISE_CHILD worker greet",
  "PUSH_BOOL true",
  "MAKE_LIST 2",
  "HALT",
  "LABEL greet",
  "LOAD who",
  "PRINT",
  "RET",
  '.module "lib/math.ttvm"',
  "MAKE_FUNCTION square n",
  "STORE square",
  "EXPORT square",
  "HALT",
  "LABEL square",
  "LOAD n",
  "LOAD n",
  "MUL",
  "RET",
  "",
].join("\n");

Deno.test({
  name: "assembled bundle → disassemble → assemble gives identical bytes",
  ignore: !hasAssembler,
  fn: async () => {
    const assemble = await assembler();
    await assertRoundTrips(assemble(BUNDLE_SOURCE, "main.ttvm"));
  },
});

Deno.test({
  name: "disassembly of a second-generation program is stable text",
  ignore: !hasAssembler,
  fn: async () => {
    const assemble = await assembler();
    const first = disassemble(assemble(BUNDLE_SOURCE, "main.ttvm"));
    assert.equal(disassemble(assemble(first, "main.ttvm")), first);
  },
});

Deno.test({
  name: "hand-built programs with every opcode round-trip through the assembler",
  ignore: !hasAssembler,
  fn: async () => {
    await assertRoundTrips(sampleProgram());
    await assertRoundTrips(everyOpcodeProgram());
  },
});

Deno.test({
  name: "odd label names, shared label positions and unlabeled targets round-trip",
  ignore: !hasAssembler,
  fn: async () => {
    const p = new ProgramBuilder()
      .module("odd.ttvm")
      .at(3).label("two words").label("12").label("x.y")
      .op("JMP", "two words").op("JZ", 4).op("TRY", "12")
      .at(7).op("MAKE_FUNCTION", { target: 1, params: ["p q", "r"] })
      .op("PUSH_STR", "").op("STORE", "").op("PUSH_FLOAT", 123456789012).op("PUSH_FLOAT", -Infinity)
      .label('"quoted" ; label')
      .end()
      .build();
    await assertRoundTrips(p);
  },
});
