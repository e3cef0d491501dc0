/**
 * Assembler diagnostics: one located error each, formatted as `file:line:col: message`, the
 * source line, a caret line under the offending token and an optional hint.
 *
 * Invariants: `line` and `col` are 1-based (line 0 = "no location", e.g. an unreadable main
 * file; such a diagnostic formats as its message alone); `col` and `length` count Unicode code
 * points; an AsmError always carries at least one diagnostic and its message is all of them
 * formatted, in order, joined by "\n".
 */

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  sourceLine: string;
  /** caret width */
  length: number;
  hint?: string;
}

export class AsmError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    super(formatDiagnostics(diagnostics));
    this.name = "AsmError";
    this.diagnostics = diagnostics;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  if (d.line === 0) return d.message;
  const before = Array.from(d.sourceLine).slice(0, d.col - 1);
  // Keep tabs in the caret prefix so the caret lines up however the terminal expands them.
  const pad = before.map((c) => (c === "\t" ? "\t" : " ")).join("");
  const caret = "^" + "~".repeat(Math.max(0, d.length - 1));
  const out = [
    `${d.file}:${d.line}:${d.col}: ${d.message}`,
    `  ${d.sourceLine}`,
    `  ${pad}${caret}`,
  ];
  if (d.hint !== undefined) out.push(`  ${d.hint}`);
  return out.join("\n");
}

export interface FormatOptions {
  /** Put before a diagnostic without a location (the CLI's `Error: `). */
  errorPrefix?: string;
}

/** Several diagnostics, in order, joined by "\n". */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], opts: FormatOptions = {}) {
  const prefix = opts.errorPrefix ?? "";
  return diagnostics.map((d) => d.line === 0 ? prefix + d.message : formatDiagnostic(d)).join(
    "\n",
  );
}

function codePointCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A physical source line: 1-based number and text (no line terminator). */
export interface SourceLine {
  lineNo: number;
  text: string;
}

/**
 * Builds a diagnostic for the UTF-16 range [start, end) of `line`; the caret covers at least
 * one column.
 */
export function diagnosticAt(
  file: string,
  line: SourceLine,
  start: number,
  end: number,
  message: string,
  hint?: string,
): Diagnostic {
  const d: Diagnostic = {
    file,
    line: line.lineNo,
    col: codePointCount(line.text.slice(0, start)) + 1,
    message,
    sourceLine: line.text,
    length: Math.max(1, codePointCount(line.text.slice(start, end))),
  };
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** The diagnostic for a file that could not be read (no source location). */
export function fileDiagnostic(path: string, osErrorText: string): Diagnostic {
  return {
    file: path,
    line: 0,
    col: 0,
    message: `File operation failed on ${path}: ${osErrorText}`,
    sourceLine: "",
    length: 0,
  };
}

/** The OS error text of a failed read, in the original VM's words for a missing file. */
export function osErrorText(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "No such file or directory (os error 2)";
  const message = error instanceof Error ? error.message : String(error);
  // Deno appends the failing call and path (`…: readfile '/x'`); the OS text precedes it.
  return message.replace(/: \w+ '[^']*'$/, "");
}
