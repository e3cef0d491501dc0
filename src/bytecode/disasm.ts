/**
 * The disassembler: Program → `.ttvm` bundle text that the assembler turns back into the same
 * Program (module 0's path excepted: the assembler takes it from its argument, so it is also
 * given in a header comment).
 *
 * Invariants: one `.module` per module in index order; END is never printed (it is implicit at
 * the end of each module); `.line` precedes the first instruction of each module and every
 * instruction whose line differs from the previous one's; labels (quoted unless plain
 * identifiers) are printed at their pcs in Program.labels order; every instruction line ends
 * with a `; <pc>` comment. Round-trip also
 * needs the pools in first-use order (what the assembler produces): see docs/BYTECODE.md.
 */
import { INSTR_WORDS, OP_BY_CODE, OPERAND_KINDS, type OperandSpec } from "../isa/opcodes.ts";
import type { Program } from "../isa/program.ts";
import { formatFloat, formatName, quoteString } from "./literals.ts";

/** Instruction text is padded to this column before the pc comment. */
const COMMENT_COLUMN = 40;

/** The bundle text of `p` (a valid Program). */
export function disassemble(p: Program): string {
  const n = p.code.length / INSTR_WORDS;
  const out: string[] = [
    `; ttvm disassembly: ${p.modules.length} module(s), ${n} instructions`,
    `; module 0 path: ${quoteString(p.modules[0]?.path ?? "")}`,
  ];
  p.modules.forEach((m, moduleIndex) => {
    const labelsAt = labelsByPc(p, moduleIndex);
    const target = (pc: number) => {
      const names = labelsAt.get(pc);
      return names ? formatName(names[0]) : String(pc - m.startPc);
    };
    out.push("", `.module ${quoteString(m.path)}`);
    let previousLine: number | undefined;
    for (let pc = m.startPc; pc <= m.endPc; pc++) {
      for (const name of labelsAt.get(pc) ?? []) out.push(`LABEL ${formatName(name)}`);
      if (pc === m.endPc) break; // the END: implicit
      if (p.lines[pc] !== previousLine) {
        out.push(`.line ${p.lines[pc]}`);
        previousLine = p.lines[pc];
      }
      const text = instructionText(p, pc, target);
      out.push(`${text.padEnd(COMMENT_COLUMN - 1)} ; ${pc}`);
    }
  });
  return out.join("\n") + "\n";
}

function labelsByPc(p: Program, moduleIndex: number): Map<number, string[]> {
  const byPc = new Map<number, string[]>();
  for (const label of p.labels) {
    if (label.module !== moduleIndex) continue;
    const names = byPc.get(label.pc);
    if (names) names.push(label.name);
    else byPc.set(label.pc, [label.name]);
  }
  return byPc;
}

/** Mnemonic and operands of instruction `pc`; `target` prints a jump/function target. */
export function instructionText(
  p: Program,
  pc: number,
  target: (pc: number) => string,
): string {
  const base = pc * INSTR_WORDS;
  const op = OP_BY_CODE[p.code[base]];
  if (!op) return `; unknown opcode ${p.code[base]}`;
  const parts = [op.name];
  let word = 1;
  for (const spec of op.operands) {
    const a = p.code[base + word];
    const b = p.code[base + word + 1];
    word += OPERAND_KINDS[spec.kind].words;
    const text = operandText(p, spec, a, b, target);
    if (text !== undefined) parts.push(text);
  }
  return parts.join(" ");
}

/** One operand's source text, or undefined for an absent optional operand. */
function operandText(
  p: Program,
  spec: OperandSpec,
  a: number,
  b: number,
  target: (pc: number) => string,
): string | undefined {
  if (spec.optional && (spec.kind === "pid" ? a === 0 : a === -1)) return undefined;
  switch (spec.kind) {
    case "i64":
      return b === 0 ? String(a) : String(p.ints[a]);
    case "f64":
      return formatFloat(p.floats[a]);
    case "str":
      return quoteString(p.strings[a]);
    case "name":
      return formatName(p.strings[a]);
    case "bool":
      return a === 1 ? "true" : "false";
    case "label":
      return target(a);
    case "func":
      return [target(a), ...(p.paramLists[b] ?? []).map((s) => formatName(p.strings[s]))].join(
        " ",
      );
    case "count":
    case "pid":
      return String(a);
    case "module":
      return quoteString(p.modules[a]?.path ?? "");
  }
}
