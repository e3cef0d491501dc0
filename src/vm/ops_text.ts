/**
 * Text instructions (LANGUAGE.md §6): SUBSTR, STR_FIND, SPLIT, JOIN, TRIM, UPPER, LOWER, TO_INT,
 * TO_FLOAT, STR_TO_BYTES, BYTES_TO_STR. Positions and lengths are in code points; storage is
 * UTF-16 (src/term/text.ts). Stack discipline as in machine.ts.
 *
 * Choices where the contract is silent:
 * - SUBSTR clamps: a negative start or length counts as 0, a range past the end stops at the
 *   end. A substring that starts at 0 shares the string's object (a shorter cell, tags.ts), so
 *   taking a prefix costs O(1).
 * - TO_INT accepts exactly `[+-]?[0-9]+` (no spaces: TRIM first); a value outside the signed
 *   64-bit range is `Invalid integer: <s>`, never wrapped — the text does not denote a ttvm Int.
 * - TO_FLOAT accepts Rust's `f64::from_str` grammar: optional sign, digits with an optional
 *   fraction (`1`, `1.`, `.5`) and exponent, or `inf`/`infinity`/`nan` in any case; a finite
 *   text too large for a double is ±inf, as in Rust.
 * - TRIM removes the Unicode White_Space characters; UPPER/LOWER are the locale-independent
 *   Unicode default case mappings. An operation that changes nothing returns its operand.
 * - BYTES_TO_STR keeps a leading byte-order mark (it is a character of the text).
 */
import { R_TMP0 } from "../proc/pcb.ts";
import {
  I64_MAX,
  I64_MIN,
  setBigInt,
  setFloat,
  setSmallInt,
  setStr,
  strCells,
} from "../term/tags.ts";
import { T_BYTES, T_LIST, T_STR } from "../term/tags.ts";
import { countCodePoints, unitIndexOfCodePoint } from "../term/text.ts";
import { typeMismatch, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { replaceWithTmp } from "./ops_data.ts";

/** The Str on the stack `k` from the top, or a type mismatch naming `expected`. */
function strArg(it: Interpreter, pcb: number, k: number, op: string, expected: string): number {
  const v = it.rt.values;
  it.m.need(pcb, k + 1, op);
  const c = it.m.arg(pcb, k);
  if (!v.isStr(c)) throw typeMismatch(op, expected, [v.debug(c)]);
  return c;
}

/** Replace the top `nArgs` operands by a new Str. */
function resultStr(it: Interpreter, pcb: number, nArgs: number, s: string): void {
  it.charge(s.length);
  it.rt.values.putStr(pcb, pcb + R_TMP0, s);
  replaceWithTmp(it, pcb, nArgs);
}

/** An Int operand clamped to [0, max]. */
function clampedInt(it: Interpreter, c: number, max: number): number {
  const n = it.rt.values.int(c);
  return n <= 0n ? 0 : n >= BigInt(max) ? max : Number(n);
}

// ── SUBSTR, STR_FIND ──────────────────────────────────────────────────────────────────────

export function substr(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 3, "SUBSTR");
  const s = m.arg(pcb, 2), start = m.arg(pcb, 1), count = m.arg(pcb, 0);
  if (!v.isStr(s) || !v.isInt(start) || !v.isInt(count)) {
    throw typeMismatch("SUBSTR", "a string and two integers (start, length)", [
      v.debug(s),
      v.debug(start),
      v.debug(count),
    ]);
  }
  const points = v.codePoints(s);
  const from = clampedInt(it, start, points);
  const to = from + clampedInt(it, count, points - from);
  const units = v.strUnits(s);
  let u0 = from, u1 = to;
  if (points !== units) { // surrogate pairs: find the unit positions
    const text = v.str(s);
    u0 = unitIndexOfCodePoint(text, from);
    u1 = u0 + unitIndexOfCodePoint(text.slice(u0), to - from);
  }
  if (v.tag(s) !== T_STR) {
    resultStr(it, pcb, 3, v.str(s).slice(u0, u1));
    return;
  }
  const w = it.rt.mem.i32;
  if (u0 === 0) { // a prefix shares the object: the cell just sees fewer units
    setStr(w, s, v.obj(s), u1, to - from);
    m.drop(pcb, 2);
    return;
  }
  const n = u1 - u0;
  const o = v.newObject(pcb, T_STR, n, strCells(n)); // may collect: re-read s below
  const src = ((v.obj(m.arg(pcb, 2)) + 1) << 3) + u0;
  it.rt.mem.u16.copyWithin((o + 1) << 3, src, src + n);
  setStr(it.rt.mem.i32, pcb + R_TMP0, o, n, to - from);
  it.charge(n);
  replaceWithTmp(it, pcb, 3);
}

export function strFind(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "STR_FIND");
  const s = m.arg(pcb, 1), needle = m.arg(pcb, 0);
  if (!v.isStr(s) || !v.isStr(needle)) {
    throw typeMismatch("STR_FIND", "two strings (text, needle)", [v.debug(s), v.debug(needle)]);
  }
  const text = v.str(s);
  it.charge(text.length);
  const at = text.indexOf(v.str(needle));
  const index = at <= 0 || v.codePoints(s) === text.length
    ? at
    : countCodePoints(text.slice(0, at));
  setSmallInt(it.rt.mem.i32, it.rt.mem.f64, s, index);
  m.drop(pcb, 1);
}

// ── SPLIT, JOIN ───────────────────────────────────────────────────────────────────────────

export function split(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "SPLIT");
  const s = m.arg(pcb, 1), sep = m.arg(pcb, 0);
  if (!v.isStr(s) || !v.isStr(sep)) {
    throw typeMismatch("SPLIT", "two strings (text, separator)", [v.debug(s), v.debug(sep)]);
  }
  const text = v.str(s), separator = v.str(sep);
  const parts = separator === "" ? Array.from(text) : text.split(separator);
  it.charge(text.length + parts.length);
  v.putStrList(pcb, pcb + R_TMP0, parts);
  replaceWithTmp(it, pcb, 2);
}

export function join(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "JOIN");
  const list = m.arg(pcb, 1), sep = m.arg(pcb, 0);
  if (v.tag(list) !== T_LIST || !v.isStr(sep)) {
    throw typeMismatch("JOIN", "a list and a string separator", [v.debug(list), v.debug(sep)]);
  }
  const o = v.obj(list), n = v.len(list);
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = v.display(o + 1 + i);
  resultStr(it, pcb, 2, parts.join(v.str(sep)));
}

// ── TRIM, UPPER, LOWER ────────────────────────────────────────────────────────────────────

const EDGE_WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

export function trim(it: Interpreter, pcb: number): void {
  mapStr(it, pcb, "TRIM", (s) => s.replace(EDGE_WHITE_SPACE, ""));
}

export function upper(it: Interpreter, pcb: number): void {
  mapStr(it, pcb, "UPPER", (s) => s.toUpperCase());
}

export function lower(it: Interpreter, pcb: number): void {
  mapStr(it, pcb, "LOWER", (s) => s.toLowerCase());
}

function mapStr(it: Interpreter, pcb: number, op: string, f: (s: string) => string): void {
  const text = it.rt.values.str(strArg(it, pcb, 0, op, "a string"));
  it.charge(text.length);
  const result = f(text);
  if (result !== text) resultStr(it, pcb, 1, result);
}

// ── TO_INT, TO_FLOAT ──────────────────────────────────────────────────────────────────────

const DECIMAL_INT = /^[+-]?[0-9]+$/;
const RUST_FLOAT = /^[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)$/i;

export function toInt(it: Interpreter, pcb: number): void {
  const c = strArg(it, pcb, 0, "TO_INT", "a string");
  const mem = it.rt.mem;
  const text = it.rt.values.str(c);
  it.charge(text.length);
  if (!DECIMAL_INT.test(text)) throw new VmError(`Invalid integer: ${text}`);
  const n = BigInt(text);
  if (n < I64_MIN || n > I64_MAX) throw new VmError(`Invalid integer: ${text}`);
  setBigInt(mem.i32, mem.f64, mem.i64, c, n);
}

export function toFloat(it: Interpreter, pcb: number): void {
  const c = strArg(it, pcb, 0, "TO_FLOAT", "a string");
  const text = it.rt.values.str(c);
  it.charge(text.length);
  if (!RUST_FLOAT.test(text)) throw new VmError(`Invalid float: ${text}`);
  setFloat(it.rt.mem.i32, it.rt.mem.f64, c, parseRustFloat(text));
}

function parseRustFloat(text: string): number {
  const negative = text.startsWith("-");
  const body = text.replace(/^[+-]/, "").toLowerCase();
  if (body === "nan") return NaN;
  if (body === "inf" || body === "infinity") return negative ? -Infinity : Infinity;
  return Number(text); // the grammar above is a subset of JavaScript's numeric literals
}

// ── STR_TO_BYTES, BYTES_TO_STR ────────────────────────────────────────────────────────────

const ENCODER = new TextEncoder();
const STRICT_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function strToBytes(it: Interpreter, pcb: number): void {
  const v = it.rt.values;
  const bytes = ENCODER.encode(v.str(strArg(it, pcb, 0, "STR_TO_BYTES", "a string")));
  it.charge(bytes.length);
  v.putBytes(pcb, pcb + R_TMP0, bytes);
  replaceWithTmp(it, pcb, 1);
}

export function bytesToStr(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "BYTES_TO_STR");
  const c = m.arg(pcb, 0);
  if (v.tag(c) !== T_BYTES) throw typeMismatch("BYTES_TO_STR", "bytes", [v.debug(c)]);
  resultStr(it, pcb, 1, decodeUtf8(v.bytes(c)));
}

/** Strict UTF-8 decoding; invalid input is the catchable error `Invalid UTF-8`. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return STRICT_DECODER.decode(bytes);
  } catch {
    throw new VmError("Invalid UTF-8");
  }
}
