/**
 * Reads the operands of one instruction line according to the opcode table's operand specs,
 * producing file-local operand values (targets and imports still unresolved).
 *
 * Invariants:
 * - One Operand per OperandSpec of the opcode, in table order; an absent optional operand is
 *   `{ kind: "word", value: -1 }` (pid: 0).
 * - Every problem is reported through `report` (with the exact diagnostic text); the operands
 *   returned are still complete (placeholders for bad ones), so later passes can go on.
 * - `CATCH` accepts and ignores one name (`CATCH err`); everything else rejects extra operands.
 */
import { OPERAND_KINDS, type OperandSpec, type OpInfo } from "../isa/opcodes.ts";
import { quoted } from "./diagnostics.ts";
import type { LexedLine, Token } from "./lexer.ts";
import { isInstructionIndex, parseBool, parseF64, parseI64, parseUnsigned } from "./literals.ts";
import type { Parsed } from "./literals.ts";

/** A jump/function target as written: an instruction index within the file or a label. */
export type TargetRef = { index: number; token: Token } | { label: string; token: Token };

export type Operand =
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  /** str and name operands: an entry of Program.strings. */
  | { kind: "string"; value: string }
  /** bool, count, pid and absent optional operands: the word itself. */
  | { kind: "word"; value: number }
  | { kind: "target"; target: TargetRef }
  | { kind: "func"; target: TargetRef; params: string[] }
  /** IMPORT: index into the file's import list. */
  | { kind: "import"; importIndex: number };

export interface ImportRequest {
  path: string;
  token: Token;
}

export type Report = (start: number, end: number, message: string) => void;

/** Reads the operands of `op` from `lexed.tokens[1…]` (token 0 is the mnemonic). */
export function readOperands(
  op: OpInfo,
  lexed: LexedLine,
  lineText: string,
  imports: ImportRequest[],
  report: Report,
): Operand[] {
  const mnemonic = lexed.tokens[0];
  const tokens = lexed.tokens.slice(1);
  const operands: Operand[] = [];
  let next = 0;
  for (const spec of op.operands) {
    if (spec.kind === "str" && next < tokens.length && !tokens[next].quoted) {
      // Compatibility form: the raw rest of the line (`PUSH_STR hello world`).
      // Trailing blanks trimmed by hand: /[ \t]+$/ backtracks quadratically on a long run of
      // blanks that is followed by more text.
      let end = lexed.codeEnd;
      while (
        end > tokens[next].start && (lineText[end - 1] === " " || lineText[end - 1] === "\t")
      ) {
        end--;
      }
      const raw = lineText.slice(tokens[next].start, end);
      operands.push({ kind: "string", value: raw });
      next = tokens.length;
      continue;
    }
    if (next >= tokens.length) {
      if (spec.optional) {
        operands.push({ kind: "word", value: spec.kind === "pid" ? 0 : -1 });
      } else {
        const doc = OPERAND_KINDS[spec.kind].doc;
        report(
          mnemonic.start,
          mnemonic.end,
          `${op.name} needs an operand: ${spec.name} (${doc})`,
        );
        operands.push(placeholder(spec));
      }
      continue;
    }
    const token = tokens[next++];
    reportLexProblems(token, report);
    if (spec.kind === "func") {
      const params = tokens.slice(next).map((t) => {
        reportLexProblems(t, report);
        return t.value;
      });
      next = tokens.length;
      operands.push({ kind: "func", target: targetRef(token), params });
      continue;
    }
    operands.push(readOne(spec, token, imports, report));
  }
  const ignoredByCatch = op.name === "CATCH" ? 1 : 0;
  if (tokens.length - next > ignoredByCatch) {
    const extra = tokens[next + ignoredByCatch];
    report(
      extra.start,
      extra.end,
      `unexpected operand '${
        quoted(extra.text)
      }' (${op.name} takes ${op.operands.length} operand(s))`,
    );
  }
  return operands;
}

function reportLexProblems(token: Token, report: Report): void {
  for (const p of token.problems) report(p.start, p.end, p.message);
}

function targetRef(token: Token): TargetRef {
  if (!token.quoted && isInstructionIndex(token.text)) {
    return { index: Number(token.text), token };
  }
  return { label: token.value, token };
}

function placeholder(spec: OperandSpec): Operand {
  switch (spec.kind) {
    case "i64":
      return { kind: "int", value: 0n };
    case "f64":
      return { kind: "float", value: 0 };
    case "str":
    case "name":
      return { kind: "string", value: "" };
    case "label":
      return { kind: "target", target: { index: 0, token: emptyToken() } };
    case "func":
      return { kind: "func", target: { index: 0, token: emptyToken() }, params: [] };
    default: // bool, count, pid, module
      return { kind: "word", value: 0 };
  }
}

function emptyToken(): Token {
  return { text: "", value: "", quoted: false, start: 0, end: 0, problems: [] };
}

/** Reads one present operand of a kind other than `func`. */
function readOne(
  spec: OperandSpec,
  token: Token,
  imports: ImportRequest[],
  report: Report,
): Operand {
  // Numbers and booleans are never quoted; a quoted one is reported with its quotes.
  const literal = (parsed: Parsed<number>): Operand => {
    if (parsed.ok) return { kind: "word", value: parsed.value };
    report(token.start, token.end, parsed.message);
    return placeholder(spec);
  };
  switch (spec.kind) {
    case "i64": {
      const parsed = parseI64(token.text);
      if (parsed.ok) return { kind: "int", value: parsed.value };
      report(token.start, token.end, parsed.message);
      return placeholder(spec);
    }
    case "f64": {
      const parsed = parseF64(token.text);
      if (parsed.ok) return { kind: "float", value: parsed.value };
      report(token.start, token.end, parsed.message);
      return placeholder(spec);
    }
    case "str":
    case "name":
      return { kind: "string", value: token.value };
    case "bool":
      return literal(parseBool(token.text));
    case "count":
      return literal(parseUnsigned(token.text, "count"));
    case "pid":
      return literal(parseUnsigned(token.text, "PID"));
    case "label":
      return { kind: "target", target: targetRef(token) };
    case "module":
      imports.push({ path: token.value, token });
      return { kind: "import", importIndex: imports.length - 1 };
    case "func":
      throw new Error("unreachable: func operands are read by readOperands");
  }
}
