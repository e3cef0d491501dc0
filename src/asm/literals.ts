/**
 * Literal parsers for operand tokens. Each returns the value or an error message (the exact
 * diagnostic text), never throws.
 *
 * Invariants: integers are exact (bigint) and limited to the signed 64-bit range; floats follow
 * Rust's f64 grammar (sign, digits, optional fraction, optional exponent, or inf / infinity /
 * nan in any case) and round like Rust (both are IEEE round-to-nearest).
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
/** Largest value of a count or PID word (an i32). */
export const MAX_WORD = 2 ** 31 - 1;

const INTEGER = /^[+-]?[0-9]+$/;
const UNSIGNED = /^[0-9]+$/;
const FLOAT = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$/i;

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(message: string): Parsed<T> {
  return { ok: false, message };
}

export function parseI64(text: string): Parsed<bigint> {
  if (!INTEGER.test(text)) return fail(`invalid integer: ${text}`);
  const value = BigInt(text);
  if (value < I64_MIN || value > I64_MAX) {
    return fail(`integer literal out of 64-bit range: ${text}`);
  }
  return ok(value);
}

export function parseF64(text: string): Parsed<number> {
  if (!FLOAT.test(text)) return fail(`invalid float: ${text}`);
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
  return fail(`invalid boolean: ${text}`);
}

/** An unsigned decimal ≤ MAX_WORD; `what` names it in the error (`count`, `PID`, …). */
export function parseUnsigned(text: string, what: string): Parsed<number> {
  if (!UNSIGNED.test(text)) return fail(`invalid ${what}: ${text}`);
  const value = BigInt(text);
  if (value > BigInt(MAX_WORD)) return fail(`${what} out of range (0..${MAX_WORD}): ${text}`);
  return ok(Number(value));
}

/** True when the token is an unsigned decimal (an instruction index rather than a label). */
export function isInstructionIndex(text: string): boolean {
  return UNSIGNED.test(text);
}
