import { strict as assert } from "node:assert";
import { generateOpcodesDoc } from "../../tools/gen_opcodes_doc.ts";
import { OPCODES } from "../../src/isa/opcodes.ts";

const committed = () => Deno.readTextFileSync(new URL("../../docs/OPCODES.md", import.meta.url));

Deno.test("docs/OPCODES.md equals the text generated from the opcode table", () => {
  assert.equal(
    committed(),
    generateOpcodesDoc(),
    "docs/OPCODES.md is stale: run `deno task gen:docs`",
  );
});

Deno.test("the opcode reference lists every opcode with its .ttb number", () => {
  const doc = generateOpcodesDoc();
  for (const op of OPCODES) {
    const hex = op.code.toString(16).toUpperCase().padStart(2, "0");
    assert.ok(doc.includes(`| \`${op.name}\` | 0x${hex} |`), `${op.name} missing`);
  }
});
