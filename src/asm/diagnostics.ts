/**
 * Assembler diagnostics: one located error each, formatted as `file:line:col: message`, the
 * source line, a caret line under the offending token and an optional hint.
 *
 * Invariants: `line` and `col` are 1-based (line 0 = "no location", e.g. an unreadable main
 * file; such a diagnostic formats as its message alone; col 0 = a line known without its
 * source text, formatted as `file:line: message`); `col` and `length` count Unicode code
 * points; an AsmError always carries at least one diagnostic and its message is the first
 * MAX_SHOWN_DIAGNOSTICS of them formatted, in order, joined by "\n", then `… and N more`.
 *
 * Bounded output, linear work (a 10 MB token or a 10 MB line must not make megabytes of
 * diagnostics or quadratic time):
 * - source text quoted inside a message goes through `quoted` (at most MAX_QUOTED_CHARS code
 *   points, control characters escaped);
 * - the echoed source line is a window of at most MAX_EXCERPT_COLUMNS code points around the
 *   caret, with `…` where it was cut, control characters other than tab shown as `�`;
 * - columns are computed from a per-line prefix table built once per line (only for lines with
 *   surrogate pairs; otherwise a UTF-16 index is the column), never by rescanning the line.
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
  /** UTF-16 index of the caret's start in sourceLine, when known (saves a scan). */
  startIndex?: number;
  /** A warning does not stop assembly; formatted as `file:line:col: warning: message`. */
  severity?: "warning";
}

/** How many diagnostics a formatted report shows before `… and N more`. */
export const MAX_SHOWN_DIAGNOSTICS = 20;
/** Widest excerpt of a source line shown under a diagnostic, in code points. */
export const MAX_EXCERPT_COLUMNS = 100;
/** Longest piece of source text quoted inside a message, in code points. */
export const MAX_QUOTED_CHARS = 40;
/** The same for a path written in source (IMPORT, .module): paths are legitimately long. */
export const MAX_QUOTED_PATH = 256;

/** Diagnostics kept per module (the first by position); the others are only counted. */
export const MAX_KEPT_DIAGNOSTICS = 1000;

export class AsmError extends Error {
  /** The diagnostics, in order (per module at most MAX_KEPT_DIAGNOSTICS, the first by line). */
  readonly diagnostics: Diagnostic[];
  /** How many more were found but not kept. */
  readonly omitted: number;

  constructor(diagnostics: Diagnostic[], omitted = 0) {
    super(formatDiagnostics(diagnostics, { omitted }));
    this.name = "AsmError";
    this.diagnostics = diagnostics;
    this.omitted = omitted;
  }
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col;
}

/**
 * The diagnostics of one module: keeps the MAX_KEPT_DIAGNOSTICS first by (line, col) — ties
 * in the order they were found — and counts the rest, so a file of a million bad lines costs
 * neither a million kept objects nor more than O(n log k) time (sort and cut every k pushes).
 */
export class DiagnosticList {
  private items: Diagnostic[] = [];
  /** Found, but beyond the kept ones. */
  omitted = 0;

  push(d: Diagnostic): void {
    this.items.push(d);
    if (this.items.length >= 2 * MAX_KEPT_DIAGNOSTICS) this.cut();
  }

  /** Adds another list's diagnostics (and its count of omitted ones). */
  absorb(other: DiagnosticList): void {
    for (const d of other.items) this.push(d);
    this.omitted += other.omitted;
  }

  /** Found in all, kept or not. */
  get count(): number {
    return this.items.length + this.omitted;
  }

  /** The kept diagnostics, sorted by line then column (stable). */
  sorted(): Diagnostic[] {
    this.cut();
    return this.items.slice();
  }

  private cut(): void {
    this.items.sort(byPosition);
    if (this.items.length > MAX_KEPT_DIAGNOSTICS) {
      this.omitted += this.items.length - MAX_KEPT_DIAGNOSTICS;
      this.items.length = MAX_KEPT_DIAGNOSTICS;
    }
  }
}

export interface FormatOptions {
  /** Put before a diagnostic without a location (the CLI's `Error: `). */
  errorPrefix?: string;
  /** Show at most this many (default MAX_SHOWN_DIAGNOSTICS), then `… and N more`. */
  max?: number;
  /** Diagnostics found but not in the list (added to the count of the rest). */
  omitted?: number;
}

/** Several diagnostics, in order, joined by "\n"; at most `max` of them, then a count. */
export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  opts: FormatOptions = {},
): string {
  const prefix = opts.errorPrefix ?? "";
  const max = opts.max ?? MAX_SHOWN_DIAGNOSTICS;
  const shown = diagnostics.slice(0, max).map((d) =>
    d.line === 0 ? prefix + d.message : formatDiagnostic(d)
  );
  const more = Math.max(0, diagnostics.length - max) + (opts.omitted ?? 0);
  if (more > 0) shown.push(`… and ${more} more`);
  return shown.join("\n");
}

export function formatDiagnostic(d: Diagnostic): string {
  if (d.line === 0) return d.message;
  const message = d.severity === "warning" ? `warning: ${d.message}` : d.message;
  // A location without source text (a program loaded from .ttb): file and line only.
  if (d.col === 0) return `${d.file}:${d.line}: ${message}`;
  const { text, caretStart, caretLength } = excerpt(d);
  const before = Array.from(text.slice(0, caretStart));
  // Keep tabs in the caret prefix so the caret lines up however the terminal expands them.
  const pad = before.map((c) => (c === "\t" ? "\t" : " ")).join("");
  const caret = "^" + "~".repeat(Math.max(0, caretLength - 1));
  const out = [
    `${d.file}:${d.line}:${d.col}: ${message}`,
    `  ${text}`,
    `  ${pad}${caret}`,
  ];
  if (d.hint !== undefined) out.push(`  ${d.hint}`);
  return out.join("\n");
}

const ELLIPSIS = "…";
/** Code points kept before the caret when a long line is cut. */
const CONTEXT_BEFORE = 30;

/**
 * The part of the source line shown under a diagnostic: the whole line when it is short,
 * otherwise a window around the caret. `caretStart` is a UTF-16 index into `text`.
 */
function excerpt(d: Diagnostic): { text: string; caretStart: number; caretLength: number } {
  const line = d.sourceLine;
  const start = d.startIndex ?? utf16IndexOfColumn(line, d.col);
  if (line.length <= MAX_EXCERPT_COLUMNS) {
    return { text: printable(line), caretStart: start, caretLength: d.length };
  }
  // Step CONTEXT_BEFORE code points back from the caret and MAX_EXCERPT_COLUMNS forward.
  let from = start;
  for (let k = 0; k < CONTEXT_BEFORE && from > 0; k++) {
    from -= isLowAfterHigh(line, from - 1) ? 2 : 1;
  }
  let to = from;
  let columns = 0;
  while (to < line.length && columns < MAX_EXCERPT_COLUMNS) {
    to += isHighBeforeLow(line, to) ? 2 : 1;
    columns++;
  }
  const head = from > 0 ? ELLIPSIS : "";
  const tail = to < line.length ? ELLIPSIS : "";
  const caretStart = head.length + (start - from);
  const shownAfterCaret = columns - codePointCount(line.slice(from, start));
  return {
    text: head + printable(line.slice(from, to)) + tail,
    caretStart,
    caretLength: Math.max(1, Math.min(d.length, shownAfterCaret)),
  };
}

function isHighBeforeLow(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return false;
  const n = s.charCodeAt(i + 1);
  return n >= 0xdc00 && n <= 0xdfff;
}

function isLowAfterHigh(s: string, i: number): boolean {
  return i > 0 && isHighBeforeLow(s, i - 1);
}

/** UTF-16 index of a 1-based code point column (a scan; only for diagnostics made by hand). */
function utf16IndexOfColumn(line: string, col: number): number {
  let index = 0;
  for (let k = 1; k < col && index < line.length; k++) {
    index += isHighBeforeLow(line, index) ? 2 : 1;
  }
  return index;
}

// Control characters (other than tab) would act on the terminal instead of being shown.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** A source excerpt safe to print: control characters other than tab become U+FFFD. */
function printable(text: string): string {
  return text.replace(CONTROL, "\uFFFD");
}

/**
 * Source text for quoting inside a message: at most `maxChars` code points (then `…`),
 * control characters escaped (`\n`, `\x1b`). Reads only the start of a long text.
 */
export function quoted(text: string, maxChars = MAX_QUOTED_CHARS): string {
  let out = "";
  let count = 0;
  for (const c of text) {
    if (count === maxChars) return out + ELLIPSIS;
    const code = c.codePointAt(0) as number;
    if (code < 0x20 || code === 0x7f) {
      out += c === "\n"
        ? "\\n"
        : c === "\t"
        ? "\\t"
        : c === "\r"
        ? "\\r"
        : `\\x${code.toString(16).padStart(2, "0")}`;
    } else {
      out += c;
    }
    count++;
  }
  return out;
}

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (!isLowAfterHigh(s, i)) n++;
  return n;
}

/** A physical source line: 1-based number and text (no line terminator). */
export interface SourceLine {
  lineNo: number;
  text: string;
}

/**
 * The column table of the line that had the last diagnostic: code points before each UTF-16
 * index, or null when the line has no surrogates (then an index is a column). One entry is
 * enough: a line's diagnostics are made one after another.
 */
let tableLine: WeakRef<SourceLine> | null = null; // weak: a long line is not kept alive
let table: Int32Array | null = null;

/** Code points before UTF-16 index `index` of the line; O(1) after one pass over the line. */
function codePointsBefore(line: SourceLine, index: number): number {
  if (line !== tableLine?.deref()) {
    tableLine = new WeakRef(line);
    table = /[\uD800-\uDFFF]/.test(line.text) ? buildColumnTable(line.text) : null;
  }
  return table === null ? index : table[Math.min(index, line.text.length)];
}

function buildColumnTable(text: string): Int32Array {
  const table = new Int32Array(text.length + 1);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    table[i] = n;
    if (!isLowAfterHigh(text, i)) n++;
  }
  table[text.length] = n;
  return table;
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
  const col = codePointsBefore(line, start);
  const d: Diagnostic = {
    file,
    line: line.lineNo,
    col: col + 1,
    message,
    sourceLine: line.text,
    length: Math.max(1, codePointsBefore(line, end) - col),
    startIndex: start,
  };
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** A diagnostic about a whole file (no source location). */
export function wholeFileDiagnostic(path: string, message: string): Diagnostic {
  return { file: path, line: 0, col: 0, message, sourceLine: "", length: 0 };
}

/** The diagnostic for a file that could not be read (no source location). */
export function fileDiagnostic(path: string, osErrorText: string): Diagnostic {
  return wholeFileDiagnostic(path, `File operation failed on ${path}: ${osErrorText}`);
}

/** The OS error text of a failed read, in the original VM's words for a missing file. */
export function osErrorText(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "No such file or directory (os error 2)";
  const message = error instanceof Error ? error.message : String(error);
  // Deno appends the failing call and path (`…: readfile '/x'`); the OS text precedes it.
  return message.replace(/: \w+ '[^']*'$/, "");
}
