/**
 * Operand literal printing for the disassembler: strings, names and floats written so that
 * the assembler reads back exactly the same value.
 *
 * Invariants: quoteString output contains no raw newline, CR, tab, `"` or `\` (those are
 * escaped), so a literal never breaks a line; formatFloat always yields a float literal (never
 * an integer-looking token) that parses back to the identical f64, including -0, ±inf and nan.
 */

/** Names matching this are printed bare; everything else is quoted. */
export const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

const ESCAPES: Readonly<Record<string, string>> = {
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  '"': '\\"',
  "\\": "\\\\",
};

/** `"…"` with `\n \t \r \" \\` escapes. */
export function quoteString(s: string): string {
  return `"${s.replace(/[\n\t\r"\\]/g, (c) => ESCAPES[c])}"`;
}

/** A name bare when it is a plain identifier, else quoted. */
export function formatName(s: string): string {
  return BARE_NAME.test(s) ? s : quoteString(s);
}

/** Shortest round-trip text that is still a float literal: `1.0`, `-0.0`, `1e300`, `inf`, `nan`. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0";
  const text = String(x).replace("e+", "e");
  return /[.e]/.test(text) ? text : `${text}.0`;
}
