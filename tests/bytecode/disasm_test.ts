import { strict as assert } from "node:assert";
import { disassemble } from "../../src/bytecode/mod.ts";
import { ProgramBuilder } from "./program_builder.ts";

Deno.test("disassembly prints modules, lines, labels, targets and operands as bundle text", () => {
  const p = new ProgramBuilder()
    .module("main.ttvm")
    .at(1).op("IMPORT", 1)
    .at(3).label("top").op("PUSH_INT", 5000000000n).op("PUSH_FLOAT", 2).op("JZ", "top")
    .op("CALL", { target: 2, params: ["a", "b c"] })
    .at(4).op("SEND").op("LINK", 4).op("START_SUPERVISOR", "one_for_one")
    .label("last")
    .end()
    .module("lib.ttvm")
    .at(2).op("PUSH_STR", 'say "hi"\n').op("STORE", "my var").op("PUSH_BOOL", false)
    .end()
    .build();
  assert.equal(
    disassemble(p),
    [
      "; ttvm disassembly: 2 module(s), 13 instructions",
      '; module 0 path: "main.ttvm"',
      "",
      '.module "main.ttvm"',
      ".line 1",
      'IMPORT "lib.ttvm"                       ; 0',
      "LABEL top",
      ".line 3",
      "PUSH_INT 5000000000                     ; 1",
      "PUSH_FLOAT 2.0                          ; 2",
      "JZ top                                  ; 3",
      'CALL 2 a "b c"                          ; 4',
      ".line 4",
      "SEND                                    ; 5",
      "LINK 4                                  ; 6",
      "START_SUPERVISOR one_for_one            ; 7",
      "LABEL last",
      "",
      '.module "lib.ttvm"',
      ".line 2",
      'PUSH_STR "say \\"hi\\"\\n"                 ; 9',
      'STORE "my var"                          ; 10',
      "PUSH_BOOL false                         ; 11",
      "",
    ].join("\n"),
  );
});

Deno.test("jump targets without a label print relative to the module start", () => {
  const p = new ProgramBuilder()
    .module("m.ttvm").op("HALT").end()
    .module("n.ttvm").op("HALT").op("JMP", 0).op("MAKE_LAMBDA", { target: 2, params: [] }).end()
    .build();
  const text = disassemble(p);
  assert.match(text, /^JMP 0 +; 3$/m);
  assert.match(text, /^MAKE_LAMBDA 2 +; 4$/m);
});

Deno.test("label names that are not identifiers are quoted in LABEL lines and targets", () => {
  const p = new ProgramBuilder().module("m.ttvm").op("HALT").label("odd name").op("JMP", "odd name")
    .end().build();
  const text = disassemble(p);
  assert.match(text, /^LABEL "odd name"$/m);
  assert.match(text, /^JMP "odd name" +; 1$/m);
});

Deno.test("END is never printed and labels at the module end come after the last instruction", () => {
  const p = new ProgramBuilder().module("m.ttvm").op("NULL").label("end").end().build();
  const lines = disassemble(p).trimEnd().split("\n");
  assert.equal(lines.at(-1), "LABEL end");
  assert.ok(!lines.some((l) => l.startsWith("END")));
});
