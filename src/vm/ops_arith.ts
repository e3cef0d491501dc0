/**
 * Slow paths of arithmetic, comparison and boolean instructions: 64-bit integers outside the
 * ±2^53 fast range (exact, wrapping), mixed Int/Float, the Float-only `_F` family, and every
 * type error with the reference's message text. Operands are the cells `a` (second from top)
 * and `b` (top); the result is written into `a` (the caller drops `b`). Nothing here
 * allocates, so cells stay valid.
 */
import { OP_BY_CODE } from "../isa/opcodes.ts";
import {
  I64_MIN,
  setBigInt,
  setBool,
  setFloat,
  setSmallInt,
  T_BIGINT,
  T_BOOL,
  T_FLOAT,
  T_INT,
  wrapI64,
} from "../term/tags.ts";
import { DIVISION_BY_ZERO, typeMismatch, VmError } from "./errors.ts";
import { intArith64 } from "./int64.ts";
import type { Runtime } from "./runtime.ts";

const F64_EPSILON = 2.220446049250313e-16;

function isInt(t: number): boolean {
  return t === T_INT || t === T_BIGINT;
}

/** The type error of instruction `op` for the operand cells `cells`. */
function operandError(rt: Runtime, op: number, expected: string, cells: number[]): Error {
  return typeMismatch(OP_BY_CODE[op]!.name, expected, cells.map((c) => rt.values.debug(c)));
}

/** ADD SUB MUL DIV MOD NEG ADD_F SUB_F MUL_F DIV_F NOT AND OR. */
export function arithSlow(rt: Runtime, op: number, a: number, b: number): void {
  const v = rt.values, mem = rt.mem;
  const w = mem.i32, f = mem.f64;
  const ta = w[a << 2], tb = w[b << 2];
  // Ints past 2^53 without BigInt where int64.ts covers the case.
  if (intArith64(w, f, op, a, b)) return;
  switch (op) {
    case 0x10: // ADD
    case 0x11: // SUB
    case 0x13: // MUL
    case 0x14: { // DIV
      if (isInt(ta) && isInt(tb)) {
        const x = v.int(a), y = v.int(b);
        let r: bigint;
        if (op === 0x10) r = x + y;
        else if (op === 0x11) r = x - y;
        else if (op === 0x13) r = x * y;
        else {
          if (y === 0n) throw new VmError(DIVISION_BY_ZERO);
          r = x === I64_MIN && y === -1n ? I64_MIN : x / y;
        }
        setBigInt(w, f, mem.i64, a, wrapI64(r));
        return;
      }
      if ((isInt(ta) || ta === T_FLOAT) && (isInt(tb) || tb === T_FLOAT)) {
        const x = ta === T_FLOAT ? v.num(a) : v.intNumber(a);
        const y = tb === T_FLOAT ? v.num(b) : v.intNumber(b);
        let r: number;
        if (op === 0x10) r = x + y;
        else if (op === 0x11) r = x - y;
        else if (op === 0x13) r = x * y;
        else {
          if (y === 0) throw new VmError(DIVISION_BY_ZERO);
          r = x / y;
        }
        setFloat(w, f, a, r);
        return;
      }
      throw operandError(rt, op, "two numbers (int or float)", [a, b]);
    }
    case 0x15: { // MOD
      if (!(isInt(ta) && isInt(tb))) throw operandError(rt, op, "two integers", [a, b]);
      const x = v.int(a), y = v.int(b);
      if (y === 0n) throw new VmError(DIVISION_BY_ZERO);
      setBigInt(w, f, mem.i64, a, y === -1n ? 0n : x % y);
      return;
    }
    case 0x16: { // NEG (unary: a === b)
      if (isInt(ta)) setBigInt(w, f, mem.i64, a, wrapI64(-v.int(a)));
      else if (ta === T_FLOAT) setFloat(w, f, a, -v.num(a));
      else throw operandError(rt, op, "a number (int or float)", [a]);
      return;
    }
    case 0x17: // ADD_F
    case 0x18: // SUB_F
    case 0x19: // MUL_F
    case 0x1a: { // DIV_F
      if (!(ta === T_FLOAT && tb === T_FLOAT)) throw operandError(rt, op, "two floats", [a, b]);
      const x = v.num(a), y = v.num(b);
      let r: number;
      if (op === 0x17) r = x + y;
      else if (op === 0x18) r = x - y;
      else if (op === 0x19) r = x * y;
      else {
        if (y === 0) throw new VmError("DIV_F expects non-zero divisor but got zero");
        r = x / y;
      }
      setFloat(w, f, a, r);
      return;
    }
    case 0x06: { // NOT (unary)
      if (ta === T_BOOL) setBool(w, a, w[(a << 2) + 1] === 0);
      else if (isInt(ta)) setBool(w, a, v.int(a) === 0n);
      else throw operandError(rt, op, "Bool or Int", [a]);
      return;
    }
    case 0x07: // AND
    case 0x08: { // OR
      if (!(ta === T_BOOL && tb === T_BOOL)) throw operandError(rt, op, "two Booleans", [a, b]);
      const x = w[(a << 2) + 1] !== 0, y = w[(b << 2) + 1] !== 0;
      setBool(w, a, op === 0x07 ? x && y : x || y);
      return;
    }
  }
  throw new Error(`internal error: arithSlow(${OP_BY_CODE[op]!.name})`);
}

/**
 * For compiled code's wide arithmetic (src/jit/codegen.ts): ADD SUB MUL DIV MOD NEG on the
 * cells `a` and `b` as `arithSlow` computes them, the result in `a` — unless the instruction
 * would raise (a type error, a zero divisor): then it returns false and writes nothing, and the
 * caller leaves the instruction to the interpreter, which raises at its pc.
 */
export function arithUnlessError(rt: Runtime, op: number, a: number, b: number): boolean {
  const w = rt.mem.i32, f = rt.mem.f64;
  const ta = w[a << 2], tb = w[b << 2];
  const numbers = (isInt(ta) || ta === T_FLOAT) && (isInt(tb) || tb === T_FLOAT);
  const zero = (tb === T_INT || tb === T_FLOAT) && f[(b << 1) + 1] === 0;
  switch (op) {
    case 0x10: // ADD
    case 0x11: // SUB
    case 0x13: // MUL
    case 0x16: // NEG (unary: a === b)
      if (!numbers) return false;
      break;
    case 0x14: // DIV
      if (!numbers || zero) return false;
      break;
    case 0x15: // MOD
      if (!isInt(ta) || !isInt(tb) || zero) return false;
      break;
    default:
      return false;
  }
  arithSlow(rt, op, a, b);
  return true;
}

/** EQ NE GT LT GE LE and the `_F` comparisons; pushes Int 1 / Int 0. */
export function compareSlow(rt: Runtime, op: number, a: number, b: number): void {
  const v = rt.values, mem = rt.mem;
  const w = mem.i32, f = mem.f64;
  const name = OP_BY_CODE[op]!.name;
  const ta = w[a << 2], tb = w[b << 2];
  let r: boolean;
  switch (op) {
    case 0x20: // EQ
      r = v.equal(a, b);
      break;
    case 0x23: // NE
      r = !v.equal(a, b);
      break;
    case 0x21: // GT
    case 0x22: // LT
    case 0x24: // GE
    case 0x25: { // LE
      if (!(isInt(ta) && isInt(tb))) {
        throw typeMismatch(name, "two integers", [v.debug(a), v.debug(b)]);
      }
      const x = v.int(a), y = v.int(b);
      r = op === 0x21 ? x > y : op === 0x22 ? x < y : op === 0x24 ? x >= y : x <= y;
      break;
    }
    default: { // EQ_F NE_F GT_F LT_F GE_F LE_F
      if (!(ta === T_FLOAT && tb === T_FLOAT)) {
        throw typeMismatch(name, "two floats", [v.debug(a), v.debug(b)]);
      }
      const x = v.num(a), y = v.num(b);
      switch (op) {
        case 0x26: // EQ_F
          r = Math.abs(x - y) < F64_EPSILON;
          break;
        case 0x29: // NE_F
          r = Math.abs(x - y) >= F64_EPSILON;
          break;
        case 0x27: // GT_F
          r = x > y;
          break;
        case 0x28: // LT_F
          r = x < y;
          break;
        case 0x2a: // GE_F
          r = x >= y;
          break;
        case 0x2b: // LE_F
          r = x <= y;
          break;
        default:
          throw new Error(`internal error: compareSlow(${name})`);
      }
    }
  }
  setSmallInt(w, f, a, r ? 1 : 0);
}
