/**
 * Literal parsers for operand tokens. Each returns the value or an error message (the exact
 * diagnostic text), never throws.
 *
 * Invariants: integers are exact (bigint) and limited to the signed 64-bit range; floats follow
 * Rust's f64 grammar (sign, digits, optional fraction, optional exponent, or inf / infinity /
 * nan in any case) and round like Rust (both are IEEE round-to-nearest).
 * Work is linear in the token's length (no backtracking regex, no BigInt of a huge text);
 * messages quote the token through `quoted` (bounded length).
 */

import { quoted } from "./diagnostics.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
/** Largest value of a count or PID word (an i32). */
export const MAX_WORD = 2 ** 31 - 1;

const INTEGER = /^[+-]?[0-9]+$/;
const UNSIGNED = /^[0-9]+$/;

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(message: string): Parsed<T> {
  return { ok: false, message };
}

/** Decimal digits after the sign and leading zeros (how big the number can be). */
function significantDigits(text: string): number {
  let i = text[0] === "+" || text[0] === "-" ? 1 : 0;
  while (i < text.length - 1 && text[i] === "0") i++;
  return text.length - i;
}

export function parseI64(text: string): Parsed<bigint> {
  if (!INTEGER.test(text)) return fail(`invalid integer: ${quoted(text)}`);
  // More than 19 digits is out of range; BigInt() of a huge text would only waste time.
  const value = significantDigits(text) > 19 ? I64_MAX + 1n : BigInt(text);
  if (value < I64_MIN || value > I64_MAX) {
    return fail(`integer literal out of 64-bit range: ${quoted(text)}`);
  }
  return ok(value);
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Rust's f64 grammar, scanned in one pass (a regex with nested quantifiers backtracks
 *  quadratically on a long run of digits). */
function isFloatText(text: string): boolean {
  let i = text[0] === "+" || text[0] === "-" ? 1 : 0;
  const word = text.length - i <= 8 ? text.slice(i).toLowerCase() : "";
  if (word === "inf" || word === "infinity" || word === "nan") return true;
  const startInt = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  let digits = i - startInt;
  if (text[i] === ".") {
    const startFrac = ++i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    digits += i - startFrac;
  }
  if (digits === 0) return false;
  if (text[i] === "e" || text[i] === "E") {
    i++;
    if (text[i] === "+" || text[i] === "-") i++;
    const startExp = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === startExp) return false;
  }
  return i === text.length;
}

export function parseF64(text: string): Parsed<number> {
  if (!isFloatText(text)) return fail(`invalid float: ${quoted(text)}`);
  const unsigned = text.replace(/^[+-]/, "").toLowerCase();
  const negative = text.startsWith("-");
  if (unsigned === "nan") return ok(NaN);
  if (unsigned === "inf" || unsigned === "infinity") return ok(negative ? -Infinity : Infinity);
  // Number() accepts every remaining form of the grammar ("5.", ".5", "+3", "1e3", "-0").
  return ok(Number(text));
}

export function parseBool(text: string): Parsed<number> {
  if (text === "true") return ok(1);
  if (text === "false") return ok(0);
  return fail(`invalid boolean: ${quoted(text)}`);
}

/** An unsigned decimal ≤ MAX_WORD; `what` names it in the error (`count`, `PID`, …). */
export function parseUnsigned(text: string, what: string): Parsed<number> {
  if (!UNSIGNED.test(text)) return fail(`invalid ${what}: ${quoted(text)}`);
  const value = significantDigits(text) > 10 ? MAX_WORD + 1 : Number(text);
  if (value > MAX_WORD) return fail(`${what} out of range (0..${MAX_WORD}): ${quoted(text)}`);
  return ok(value);
}

/** True when the token is an unsigned decimal (an instruction index rather than a label). */
export function isInstructionIndex(text: string): boolean {
  return UNSIGNED.test(text);
}
