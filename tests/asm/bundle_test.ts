/** Bundles (`.module` sections), `.line`, and the round trip with the disassembler. */
import { strict as assert } from "node:assert";
import { assembleSource } from "../../src/asm/mod.ts";
import { disassemble } from "../../src/bytecode/disasm.ts";
import { programsEqual } from "../../src/isa/program.ts";
import { diagnosticsOf, memFs, opcode, summaries, words } from "./helpers.ts";

const BUNDLE = [
  "; a bundle",
  '.module "app/main.ttvm"',
  ".line 10",
  'IMPORT "lib/util.ttvm"',
  "PRINT",
  ".line 12",
  "HALT",
  "",
  '.module "lib/util.ttvm"',
  "LABEL start",
  "JMP start",
].join("\n");

Deno.test("a bundle's IMPORT resolves to its own section without touching the disk", () => {
  const fs = memFs({});
  const p = assembleSource(BUNDLE, "given.ttvm", fs);
  assert.deepEqual(fs.reads, []);
  // The bundle names its modules: module 0 keeps the first section's path, not the file's.
  assert.deepEqual(p.modules, [
    { path: "app/main.ttvm", startPc: 0, endPc: 3 },
    { path: "lib/util.ttvm", startPc: 4, endPc: 5 },
  ]);
  assert.deepEqual(words(p, 0), [opcode("IMPORT"), 1, 0, 0]);
  assert.deepEqual(words(p, 4), [opcode("JMP"), 4, 0, 0]);
  assert.deepEqual(p.labels, [{ name: "start", pc: 4, module: 1 }]);
});

Deno.test(".line values are recorded; without them a section uses the bundle's physical lines", () => {
  const p = assembleSource(BUNDLE, "given.ttvm", memFs({}));
  assert.deepEqual(Array.from(p.lines), [10, 10, 12, 0, 11, 0]);
  assert.deepEqual(Array.from(p.files), [0, 0, 0, 0, 1, 1]);
});

Deno.test("a bundle IMPORT with no matching section falls back to the disk", () => {
  const fs = memFs({ "/work/other.ttvm": "PRINT" });
  const p = assembleSource('.module "m.ttvm"\nIMPORT other.ttvm', "m.ttvm", fs);
  assert.deepEqual(p.modules.map((m) => m.path), ["m.ttvm", "other.ttvm"]);
});

Deno.test("sections that nothing imports are still assembled, after the imported ones", () => {
  const source = '.module "m"\nIMPORT b\n.module "a"\nPRINT\n.module "b"\nHALT';
  const p = assembleSource(source, "m", memFs({}));
  assert.deepEqual(p.modules.map((m) => m.path), ["m", "b", "a"]);
});

Deno.test("bundle errors point at the bundle's physical lines", () => {
  const source = 'PRINT\n.module "m"\nBOGUS\nIMPORT x\n.module "x"\nIMPORT m\n.module "x"';
  // Main's diagnostics (bundle structure included) first, by line; then module x's.
  assert.deepEqual(summaries(diagnosticsOf(() => assembleSource(source, "b.ttvm", memFs({})))), [
    "b.ttvm:1:1: instruction before the first .module directive",
    "b.ttvm:3:1: unknown instruction 'BOGUS'",
    "b.ttvm:7:9: module 'x' is already defined at line 5",
    "b.ttvm:6:8: Circular dependency detected: m",
  ]);
});

Deno.test("disassembling and re-assembling a linked program gives the same program", () => {
  const fs = memFs({
    "/work/lib/util.ttvm":
      'IMPORT "../std/fmt.ttvm"\nMAKE_FUNCTION show v\nSTORE show\nEXPORT show\n' +
      "HALT\nLABEL show\nLOAD v\nPRINT\nRET\nLABEL tail",
    "/std/fmt.ttvm": 'PUSH_STR "fmt;\\t\\"x\\""\nPUSH_FLOAT -0.0\nPUSH_FLOAT nan\nHALT',
  });
  const main = [
    "IMPORT lib/util.ttvm",
    "PUSH_INT 9223372036854775807",
    "PUSH_INT -5",
    "PUSH_FLOAT 1e300",
    "TRY 7",
    "CALL f a b",
    "START_SUPERVISOR one_for_all 4",
    "SUPERVISE_CHILD w f",
    "SEND 4",
    "LINK",
    "LABEL f",
    "RECEIVE_AFTER f",
    'STORE "odd name"',
    "HALT",
  ].join("\n");
  const p = assembleSource(main, "main.ttvm", fs);
  const text = disassemble(p);
  const again = assembleSource(text, "main.ttvm", memFs({}));
  assert.ok(programsEqual(again, p), text);
});
