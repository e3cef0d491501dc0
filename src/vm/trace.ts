/**
 * Instruction text for --trace and diagnostics: `MNEMONIC operands` decoded from the shared
 * program image through the opcode table (so it can never disagree with the encoding).
 */
import { OP_BY_CODE, operandWordOffsets } from "../isa/opcodes.ts";
import type { Runtime } from "./runtime.ts";

export function instructionText(rt: Runtime, pc: number): string {
  const img = rt.image;
  const ip = pc << 2;
  const op = OP_BY_CODE[img.code[ip]];
  if (!op) return `?${img.code[ip]}`;
  const offsets = operandWordOffsets(op);
  const parts = [op.name];
  op.operands.forEach((o, i) => {
    const a = img.code[ip + offsets[i]], b = img.code[ip + offsets[i] + 1];
    if (o.optional && a === -1) return;
    switch (o.kind) {
      case "i64":
        parts.push(b === 0 ? String(a) : String(img.ints[a]));
        break;
      case "f64":
        parts.push(String(img.floats[a]));
        break;
      case "str":
        parts.push(JSON.stringify(rt.atoms.name(a)));
        break;
      case "name":
        parts.push(rt.atoms.name(a));
        break;
      case "bool":
        parts.push(a ? "true" : "false");
        break;
      case "label":
        parts.push(`@${img.localPc(a)}`);
        break;
      case "func":
        parts.push(`@${img.localPc(a)}`, ...Array.from(img.paramLists[b], (s) => rt.atoms.name(s)));
        break;
      case "module":
        parts.push(JSON.stringify(img.modules[a]?.path ?? "?"));
        break;
      default:
        if (a !== 0 || !o.optional) parts.push(String(a));
    }
  });
  return parts.join(" ");
}
