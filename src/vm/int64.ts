/**
 * 64-bit Int arithmetic on cells without BigInt: ADD, SUB and MUL wrap to 64 bits, MOD
 * truncates (the remainder takes the dividend's sign), NEG wraps — exactly as the BigInt path
 * of ops_arith.ts computes them, which stays for what this module does not cover.
 *
 * An operand is an INT cell (f64 payload, |n| ≤ 2^53-1) or a BIGINT cell (i64 payload: word 2
 * the low 32 bits, word 3 the high 32 bits, two's complement, little-endian). Inside, a value is
 * a pair of halves: `hi` a signed 32-bit integer, `lo` an unsigned one (0 ≤ lo < 2^32), value
 * = hi·2^32 + lo. Results are normalised as setBigInt does: INT whenever the value fits,
 * BIGINT otherwise, aux word 0 (a computed Int is no PID).
 *
 * Why: big's random generator multiplies past 2^53 every round. With BigInt each such
 * instruction allocated three or four BigInts; here it is a dozen float operations.
 *
 * `intArith64` returns false, writing nothing, for what it leaves to the caller: an operand
 * that is not an Int, a zero divisor (the caller raises), DIV (its BigInt path is exact and
 * rare past 2^53), and MOD of a BIGINT by a divisor beyond 2^37 or by another BIGINT.
 */
import { MAX_SAFE, T_BIGINT, T_INT } from "../term/tags.ts";

const TWO32 = 4294967296;
/** Values whose high half lies in [-2^21, 2^21) are below 2^53 in magnitude: exact as f64. */
const HI_F64_LIMIT = 2097152;
/** MOD's long division multiplies a partial remainder (< divisor) by 2^16: exact while the
 *  divisor is at most 2^37. */
const MOD_DIVISOR_MAX = 137438953472;

/** Powers of two up to this divisor take MOD's bit-mask path (m - 1 is then an int32). */
const TWO32_DIVISOR_MAX = 2147483648;

/** High half of Int cell `c` (signed). */
function hiOf(w: Int32Array, f: Float64Array, c: number): number {
  return w[c << 2] === T_INT ? Math.floor(f[(c << 1) + 1] / TWO32) : w[(c << 2) + 3];
}

/** Low half of Int cell `c` (unsigned), given its high half `hi`. */
function loOf(w: Int32Array, f: Float64Array, c: number, hi: number): number {
  return w[c << 2] === T_INT ? f[(c << 1) + 1] - hi * TWO32 : w[(c << 2) + 2] >>> 0;
}

/** Write hi·2^32 + lo (hi a signed 32-bit integer, 0 ≤ lo < 2^32) into cell `c`. */
export function storeHalves(w: Int32Array, f: Float64Array, c: number, hi: number, lo: number) {
  const d = c << 2;
  if (hi >= -HI_F64_LIMIT && hi < HI_F64_LIMIT) {
    const n = hi * TWO32 + lo;
    if (n >= -MAX_SAFE && n <= MAX_SAFE) {
      w[d] = T_INT;
      w[d + 1] = 0;
      f[(c << 1) + 1] = n;
      return;
    }
  }
  w[d] = T_BIGINT;
  w[d + 1] = 0;
  w[d + 2] = lo | 0;
  w[d + 3] = hi;
}

/** Write INT `n` (a safe integer) into cell `c`; -0 becomes 0. */
function storeSmall(w: Int32Array, f: Float64Array, c: number, n: number): void {
  w[c << 2] = T_INT;
  w[(c << 2) + 1] = 0;
  f[(c << 1) + 1] = n + 0;
}

/** The wrapping 64-bit product of (aHi, aLo) and (bHi, bLo) into cell `c`, in 16-bit limbs
 *  so that every partial sum stays below 2^32 (exact, and valid for `>>>`). */
function mulHalves(
  w: Int32Array,
  f: Float64Array,
  c: number,
  aHi: number,
  aLo: number,
  bHi: number,
  bLo: number,
): void {
  const a0 = aLo & 0xffff, a1 = aLo >>> 16, a2 = aHi & 0xffff, a3 = aHi >>> 16;
  const b0 = bLo & 0xffff, b1 = bLo >>> 16, b2 = bHi & 0xffff, b3 = bHi >>> 16;
  let r0 = a0 * b0;
  let r1 = r0 >>> 16;
  r0 &= 0xffff;
  r1 += a1 * b0;
  let r2 = r1 >>> 16;
  r1 &= 0xffff;
  r1 += a0 * b1;
  r2 += r1 >>> 16;
  r1 &= 0xffff;
  r2 += a2 * b0;
  let r3 = r2 >>> 16;
  r2 &= 0xffff;
  r2 += a1 * b1;
  r3 += r2 >>> 16;
  r2 &= 0xffff;
  r2 += a0 * b2;
  r3 += r2 >>> 16;
  r2 &= 0xffff;
  // The top limb keeps only its low 16 bits: `&` reduces modulo 2^32 first, which 2^16 divides.
  r3 = (r3 + a3 * b0 + a2 * b1 + a1 * b2 + a0 * b3) & 0xffff;
  storeHalves(w, f, c, (r3 << 16) | r2, ((r1 << 16) | r0) >>> 0);
}

/**
 * ADD (0x10), SUB (0x11), MUL (0x13), MOD (0x15) or NEG (0x16, unary: a === b) on the Int
 * cells `a` (second from top) and `b` (top), the result written into `a`. Returns false,
 * writing nothing, for the cases the header lists. (Compiled code calls the one-instruction
 * functions below directly: small enough for V8 to inline their helpers.)
 */
export function intArith64(
  w: Int32Array,
  f: Float64Array,
  op: number,
  a: number,
  b: number,
): boolean {
  switch (op) {
    case 0x10:
      return add64(w, f, a, b);
    case 0x11:
      return sub64(w, f, a, b);
    case 0x13:
      return mul64(w, f, a, b);
    case 0x15:
      return mod64(w, f, a, b);
    case 0x16:
      return neg64(w, f, a);
  }
  return false;
}

/** The one-instruction functions below, by name: what a compiled unit receives to call for
 *  wide arithmetic (src/jit/tier.ts `unitFunction`, src/jit/codegen.ts `wide`). */
export const INT64_FUNCTIONS = { add64, sub64, mul64, mod64, neg64 };

function isInt(t: number): boolean {
  return t === T_INT || t === T_BIGINT;
}

/** ADD: `a` + `b` into `a`, wrapping; false when an operand is not an Int. */
export function add64(w: Int32Array, f: Float64Array, a: number, b: number): boolean {
  const ta = w[a << 2], tb = w[b << 2];
  if (ta === T_INT && tb === T_INT) {
    const r = f[(a << 1) + 1] + f[(b << 1) + 1];
    if (r >= -MAX_SAFE && r <= MAX_SAFE) return storeSmall(w, f, a, r), true;
  } else if (!isInt(ta) || !isInt(tb)) return false;
  const aHi = hiOf(w, f, a), aLo = loOf(w, f, a, aHi);
  const bHi = hiOf(w, f, b), bLo = loOf(w, f, b, bHi);
  let lo = aLo + bLo, hi = aHi + bHi;
  if (lo >= TWO32) lo -= TWO32, hi++;
  storeHalves(w, f, a, hi | 0, lo);
  return true;
}

/** SUB: `a` - `b` into `a`, wrapping; false when an operand is not an Int. */
export function sub64(w: Int32Array, f: Float64Array, a: number, b: number): boolean {
  const ta = w[a << 2], tb = w[b << 2];
  if (ta === T_INT && tb === T_INT) {
    const r = f[(a << 1) + 1] - f[(b << 1) + 1];
    if (r >= -MAX_SAFE && r <= MAX_SAFE) return storeSmall(w, f, a, r), true;
  } else if (!isInt(ta) || !isInt(tb)) return false;
  const aHi = hiOf(w, f, a), aLo = loOf(w, f, a, aHi);
  const bHi = hiOf(w, f, b), bLo = loOf(w, f, b, bHi);
  let lo = aLo - bLo, hi = aHi - bHi;
  if (lo < 0) lo += TWO32, hi--;
  storeHalves(w, f, a, hi | 0, lo);
  return true;
}

/** MUL: `a` × `b` into `a`, wrapping; false when an operand is not an Int. */
export function mul64(w: Int32Array, f: Float64Array, a: number, b: number): boolean {
  const ta = w[a << 2], tb = w[b << 2];
  if (ta === T_INT && tb === T_INT) {
    const r = f[(a << 1) + 1] * f[(b << 1) + 1];
    if (r >= -MAX_SAFE && r <= MAX_SAFE) return storeSmall(w, f, a, r), true;
  } else if (!isInt(ta) || !isInt(tb)) return false;
  const aHi = hiOf(w, f, a), bHi = hiOf(w, f, b);
  mulHalves(w, f, a, aHi, loOf(w, f, a, aHi), bHi, loOf(w, f, b, bHi));
  return true;
}

/** NEG: 0 - `a` into `a`, wrapping (-(-2^63) is -2^63); false when `a` is not an Int. */
export function neg64(w: Int32Array, f: Float64Array, a: number): boolean {
  const ta = w[a << 2];
  if (ta === T_INT) return storeSmall(w, f, a, -f[(a << 1) + 1]), true;
  if (ta !== T_BIGINT) return false;
  const hi = w[(a << 2) + 3], lo = w[(a << 2) + 2] >>> 0;
  if (lo === 0) storeHalves(w, f, a, -hi | 0, 0);
  else storeHalves(w, f, a, ~hi, TWO32 - lo);
  return true;
}

/** MOD: `a` % `b` into `a`, truncating; false when an operand is not an Int, for a zero
 *  divisor, and for the BigInt cases the header lists. */
export function mod64(w: Int32Array, f: Float64Array, a: number, b: number): boolean {
  const ta = w[a << 2], tb = w[b << 2];
  if (!isInt(ta) || !isInt(tb)) return false;
  if (tb === T_BIGINT) {
    // |b| > 2^53: a smaller dividend is its own remainder; two BIGINTs go to BigInt.
    if (ta !== T_INT) return false;
    storeSmall(w, f, a, f[(a << 1) + 1]);
    return true;
  }
  const y = f[(b << 1) + 1];
  if (y === 0) return false;
  if (ta === T_INT) return storeSmall(w, f, a, f[(a << 1) + 1] % y), true;
  const m = Math.abs(y);
  if (m > MOD_DIVISOR_MAX) return false;
  // Magnitude of the dividend as unsigned halves (|−2^63| = 2^63 fits: hi 2^31 unsigned).
  let hi = w[(a << 2) + 3], lo = w[(a << 2) + 2] >>> 0;
  const negative = hi < 0;
  if (negative) {
    if (lo === 0) hi = -hi;
    else hi = ~hi, lo = TWO32 - lo;
  }
  let r: number;
  if (m <= TWO32_DIVISOR_MAX && (m & (m - 1)) === 0) {
    r = (lo & (m - 1)) >>> 0; // a power of two up to 2^31: the low bits (no float modulo)
  } else {
    r = (hi >>> 0) % m;
    r = (r * 65536 + (lo >>> 16)) % m;
    r = (r * 65536 + (lo & 0xffff)) % m;
  }
  storeSmall(w, f, a, negative ? -r : r);
  return true;
}
