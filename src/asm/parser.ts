/**
 * The module parser: the lines of one module (a file, or one `.module` section of a bundle)
 * → its instructions, labels and import requests, with file-local jump targets resolved.
 *
 * Invariants:
 * - Every line whose first token is not `LABEL` or a directive counts as one instruction, even
 *   when it has errors, so one mistake never shifts the addresses of later labels.
 * - Labels denote the index of the next instruction of this module (the module's END when
 *   nothing follows); targets are resolved within the module: an unsigned decimal is an index
 *   (0..instruction count) and wins over a label of the same name.
 * - `line` of an instruction is its physical line, or the value of the last `.line` directive.
 * - All problems become diagnostics; parsing never stops early.
 * - Work is linear in the source: label hints are looked for only for the first
 *   MAX_LABEL_SUGGESTIONS distinct unknown names (each costs a pass over all labels).
 */
import { F, OP_BY_NAME, type OpInfo } from "../isa/opcodes.ts";
import { diagnosticAt, DiagnosticList, quoted, type SourceLine } from "./diagnostics.ts";
import { lexLine, type Token } from "./lexer.ts";
import { parseUnsigned } from "./literals.ts";
import { type ImportRequest, type Operand, readOperands, type TargetRef } from "./operands.ts";
import { nearest } from "./suggest.ts";

export interface ParsedInstruction {
  op: OpInfo;
  /** The source line recorded in Program.lines. */
  line: number;
  /** Where the mnemonic is written (for diagnostics about the instruction after parsing). */
  source: SourceLine;
  start: number;
  end: number;
  operands: Operand[];
  /** Resolved file-local targets, by operand position (label / func operands only; an
   *  array, not a Map: one per instruction of a large file adds up). */
  localTargets: number[];
}

export interface ParsedLabel {
  name: string;
  localPc: number;
}

export interface ParsedModule {
  instructions: ParsedInstruction[];
  labels: ParsedLabel[];
  imports: ImportRequest[];
  /** The source line and token of each import request (for diagnostics by later passes). */
  importLines: SourceLine[];
  diagnostics: DiagnosticList;
}

/** Distinct unknown label names per module that get a "did you mean" hint. */
export const MAX_LABEL_SUGGESTIONS = 100;

/** Distinct unknown mnemonics whose hint is remembered within one module. */
const MAX_MNEMONIC_HINTS_CACHED = 10_000;

/** Mnemonics accepted in source, for "did you mean" hints. */
const SOURCE_MNEMONICS: readonly string[] = [
  "LABEL",
  ...[...OP_BY_NAME.entries()].filter(([, op]) => !(op.flags & F.INTERNAL)).map(([n]) => n),
];

const upper = (s: string) => s.toUpperCase();

interface PendingTarget {
  instruction: ParsedInstruction;
  operandIndex: number;
  target: TargetRef;
  line: SourceLine;
}

/** Parses one module. `file` is the name diagnostics use. */
export function parseModule(lines: readonly SourceLine[], file: string): ParsedModule {
  const out: ParsedModule = {
    instructions: [],
    labels: [],
    imports: [],
    importLines: [],
    diagnostics: new DiagnosticList(),
  };
  const labelLines = new Map<string, number>();
  const labelPcs = new Map<string, number>();
  const pending: PendingTarget[] = [];
  let lineOverride: number | undefined;
  const mnemonicHints = new Map<string, string | undefined>();

  for (const line of lines) {
    const report = (start: number, end: number, message: string, hint?: string) =>
      out.diagnostics.push(diagnosticAt(file, line, start, end, message, hint));
    const lexed = lexLine(line.text);
    const [first, ...rest] = lexed.tokens;
    if (first === undefined) continue;

    if (!first.quoted && first.text.startsWith(".")) {
      lineOverride = readDirective(first, rest, lineOverride, report);
      continue;
    }

    if (!first.quoted && first.text === "LABEL") {
      const name = rest[0];
      if (name === undefined) {
        report(first.start, first.end, "LABEL needs a name");
        continue;
      }
      for (const p of name.problems) report(p.start, p.end, p.message);
      if (rest.length > 1) {
        report(
          rest[1].start,
          rest[1].end,
          `unexpected operand '${quoted(rest[1].text)}' (LABEL takes 1 operand(s))`,
        );
      }
      const earlier = labelLines.get(name.value);
      if (earlier !== undefined) {
        report(
          name.start,
          name.end,
          `label '${quoted(name.value)}' is already defined at line ${earlier}`,
        );
        continue;
      }
      labelLines.set(name.value, line.lineNo);
      labelPcs.set(name.value, out.instructions.length);
      out.labels.push({ name: name.value, localPc: out.instructions.length });
      continue;
    }

    const op = lookUpMnemonic(first, report, mnemonicHints);
    const instruction: ParsedInstruction = {
      op: op ?? (OP_BY_NAME.get("HALT") as OpInfo),
      line: lineOverride ?? line.lineNo,
      source: line,
      start: first.start,
      end: first.end,
      operands: [],
      localTargets: [],
    };
    out.instructions.push(instruction);
    if (op === undefined) continue;

    const importsBefore = out.imports.length;
    instruction.operands = readOperands(op, lexed, line.text, out.imports, report);
    for (let i = importsBefore; i < out.imports.length; i++) out.importLines.push(line);
    instruction.operands.forEach((operand, operandIndex) => {
      // A placeholder for a missing target has an empty token: nothing to resolve.
      if ((operand.kind === "target" || operand.kind === "func") && operand.target.token.end > 0) {
        pending.push({ instruction, operandIndex, target: operand.target, line });
      }
    });
  }

  // Each suggestion compares a name with every label: keep the number of them bounded, so
  // many unknown names against many labels stay linear (the CLI shows 20 diagnostics anyway).
  const suggestions = new Map<string, string | undefined>();
  const suggestLabel = (name: string): string | undefined => {
    if (!suggestions.has(name)) {
      if (suggestions.size >= MAX_LABEL_SUGGESTIONS) return undefined;
      suggestions.set(name, nearest(name, labelPcs.keys()));
    }
    return suggestions.get(name);
  };
  const count = out.instructions.length;
  for (const { instruction, operandIndex, target, line } of pending) {
    const { token } = target;
    let localPc: number | undefined;
    if ("index" in target) {
      if (target.index > count) {
        out.diagnostics.push(diagnosticAt(
          file,
          line,
          token.start,
          token.end,
          `jump target ${quoted(token.text)} is outside this file (0..${count})`,
        ));
      } else {
        localPc = target.index;
      }
    } else {
      localPc = labelPcs.get(target.label);
      if (localPc === undefined) {
        const guess = suggestLabel(target.label);
        out.diagnostics.push(diagnosticAt(
          file,
          line,
          token.start,
          token.end,
          `unknown label '${quoted(target.label)}'`,
          guess === undefined ? undefined : `did you mean '${quoted(guess)}'?`,
        ));
      }
    }
    instruction.localTargets[operandIndex] = localPc ?? 0;
  }
  return out;
}

/** The opcode named by a mnemonic token, or undefined after reporting why not. */
function lookUpMnemonic(
  token: Token,
  report: (start: number, end: number, message: string, hint?: string) => void,
  hints: Map<string, string | undefined>,
): OpInfo | undefined {
  const op = token.quoted ? undefined : OP_BY_NAME.get(token.text);
  if (op !== undefined && !(op.flags & F.INTERNAL)) return op;
  if (op !== undefined) {
    report(
      token.start,
      token.end,
      `'${quoted(token.text)}' is internal to the assembler and cannot be written in source`,
      "did you mean 'HALT'?",
    );
    return undefined;
  }
  // A file of garbage repeats its unknown words: each is compared with the mnemonics once.
  let guess = hints.get(token.text);
  if (guess === undefined && !hints.has(token.text)) {
    guess = nearest(token.text, SOURCE_MNEMONICS, upper);
    if (hints.size < MAX_MNEMONIC_HINTS_CACHED) hints.set(token.text, guess);
  }
  report(
    token.start,
    token.end,
    `unknown instruction '${quoted(token.text)}'`,
    guess === undefined ? undefined : `did you mean '${guess}'?`,
  );
  return undefined;
}

/**
 * Handles a directive line inside a module: `.line N`; returns the new line override.
 * (`.module` lines never reach here: the bundle splitter consumes them.)
 */
function readDirective(
  first: Token,
  rest: Token[],
  lineOverride: number | undefined,
  report: (start: number, end: number, message: string) => void,
): number | undefined {
  if (first.text !== ".line") {
    report(first.start, first.end, `unknown directive '${quoted(first.text)}'`);
    return lineOverride;
  }
  const arg = rest[0];
  if (arg === undefined) {
    report(first.start, first.end, ".line needs an operand: a line number");
    return lineOverride;
  }
  if (rest.length > 1) {
    report(
      rest[1].start,
      rest[1].end,
      `unexpected operand '${quoted(rest[1].text)}' (.line takes 1 operand(s))`,
    );
  }
  const parsed = parseUnsigned(arg.text, "line number");
  if (!parsed.ok) {
    report(arg.start, arg.end, parsed.message);
    return lineOverride;
  }
  return parsed.value;
}
