/**
 * The interpreter dispatches on literal opcode numbers for speed; this proves every literal
 * `case 0xNN: // NAME` in src/vm agrees with the opcode table, and that every opcode has a case.
 */
import assert from "node:assert/strict";
import { F, OP_BY_CODE, OPCODES } from "../../src/isa/opcodes.ts";

const VM_DIR = new URL("../../src/vm/", import.meta.url);

function caseLabels(): Array<{ file: string; code: number; name: string }> {
  const out: Array<{ file: string; code: number; name: string }> = [];
  for (const entry of Deno.readDirSync(VM_DIR)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = Deno.readTextFileSync(new URL(entry.name, VM_DIR));
    for (const m of text.matchAll(/case (0x[0-9a-f]+):(?: \{)? \/\/ ([A-Z_]+)/g)) {
      out.push({ file: entry.name, code: parseInt(m[1], 16), name: m[2] });
    }
  }
  return out;
}

Deno.test("every literal opcode case label names the opcode with that number", () => {
  const labels = caseLabels();
  assert.ok(labels.length > 100, `only ${labels.length} labelled cases found`);
  for (const { file, code, name } of labels) {
    assert.equal(OP_BY_CODE[code]?.name, name, `${file}: case 0x${code.toString(16)} // ${name}`);
  }
});

Deno.test("every opcode is dispatched by the interpreter or its slow path", () => {
  const handled = new Set(caseLabels().map((l) => l.code));
  for (const op of OPCODES) {
    if (op.flags & F.INTERNAL && op.name !== "END") continue;
    assert.ok(handled.has(op.code), `${op.name} has no case in src/vm`);
  }
});

Deno.test("no opcode is a placeholder: nothing raises `Unsupported operation`", async () => {
  const sources = [];
  for await (const e of Deno.readDir(new URL("../../src/vm/", import.meta.url))) {
    if (e.name.endsWith(".ts")) {
      sources.push(await Deno.readTextFile(new URL(`../../src/vm/${e.name}`, import.meta.url)));
    }
  }
  assert.ok(sources.length > 5);
  for (const text of sources) assert.ok(!text.includes("Unsupported operation"));
  assert.ok(!("UNSUPPORTED" in F), "the opcode table still has an UNSUPPORTED flag");
});
