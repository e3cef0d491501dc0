/**
 * Value representation. Every value is one 16-byte CELL:
 *
 * ```
 *  i32 word:  +0 tag   +1 aux                     +2 .. +3 payload (8 bytes)
 *  NULL       0        0                          -
 *  BOOL       1        0 | 1                      -
 *  INT        2        0                          f64: an integer with |n| ≤ 2^53-1
 *  BIGINT     3        0                          i64: an integer outside that range
 *  FLOAT      4        0                          f64
 *  ATOM_STR   6        atom id                    -          (string literal: no heap)
 *  FUNC       7        pc                         +2: param list index
 *  STR        8        heap cell of the object    -
 *  LIST       9        heap cell                  -
 *  OBJECT    10        heap cell                  -
 *  BYTES     11        heap cell                  -
 *  CLOSURE   12        heap cell                  -
 *  EXCEPTION 13        heap cell                  -
 * ```
 * Invariants: an Int is INT whenever it fits in ±(2^53-1), BIGINT otherwise (so equal ints have
 * equal representations); tags ≥ FIRST_PTR_TAG hold a heap pointer in aux and nothing else
 * does. Cells are copied as four i32 words (never through f64, which could alter NaN bits of an
 * i64 payload).
 *
 * Heap objects (in a process heap, cell-aligned). Header cell h:
 *   +0 type (= the value tag)  +1 length  +2 size in cells incl. header  +3 GC forwarding (0)
 *   STR:       length UTF-16 units, packed 8 per cell from cell h+1 (u16 index (h+1)*8 + i)
 *   LIST:      length elements, one cell each: h+1 … h+length
 *   OBJECT:    length fields: key cell h+1+2i (ATOM_STR), value cell h+2+2i; insertion order
 *   BYTES:     length bytes, packed 16 per cell from cell h+1 (u8 index (h+1)*16 + i)
 *   CLOSURE:   length captured vars; h+1 = FUNC cell; then key/value cell pairs from h+2
 *   EXCEPTION: length 0; h+1 = message (string cell); h+2 = trace (LIST cell)
 */

export const T_NULL = 0;
export const T_BOOL = 1;
export const T_INT = 2;
export const T_BIGINT = 3;
export const T_FLOAT = 4;
export const T_ATOM_STR = 6;
export const T_FUNC = 7;
export const T_STR = 8;
export const T_LIST = 9;
export const T_OBJECT = 10;
export const T_BYTES = 11;
export const T_CLOSURE = 12;
export const T_EXCEPTION = 13;
export const FIRST_PTR_TAG = 8;
export const LAST_TAG = 13;

/** Header word offsets (within the header cell's 4 words). */
export const HDR_TYPE = 0;
export const HDR_LEN = 1;
export const HDR_SIZE_CELLS = 2;
export const HDR_FORWARD = 3;

export const MAX_SAFE = 9007199254740991;
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;

/** Heap size in cells of each object kind. */
export function strCells(units: number): number {
  return 1 + ((units + 7) >> 3);
}
export function bytesCells(n: number): number {
  return 1 + ((n + 15) >> 4);
}
export function listCells(n: number): number {
  return 1 + n;
}
export function objectCells(n: number): number {
  return 1 + 2 * n;
}
export function closureCells(n: number): number {
  return 2 + 2 * n;
}
export const EXCEPTION_CELLS = 3;

export function isPtrTag(tag: number): boolean {
  return tag >= FIRST_PTR_TAG;
}

/** Copy cell `src` to cell `dst` (four words). */
export function copyCell(w: Int32Array, dst: number, src: number): void {
  const d = dst << 2, s = src << 2;
  w[d] = w[s];
  w[d + 1] = w[s + 1];
  w[d + 2] = w[s + 2];
  w[d + 3] = w[s + 3];
}

export function setNull(w: Int32Array, c: number): void {
  const d = c << 2;
  w[d] = T_NULL;
  w[d + 1] = 0;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

export function setBool(w: Int32Array, c: number, b: boolean): void {
  const d = c << 2;
  w[d] = T_BOOL;
  w[d + 1] = b ? 1 : 0;
}

/** Store a JS-number integer (must be a safe integer). */
export function setSmallInt(w: Int32Array, f: Float64Array, c: number, n: number): void {
  w[c << 2] = T_INT;
  f[(c << 1) + 1] = n;
}

/** Store any i64 (a bigint already wrapped to 64 bits). */
export function setBigInt(
  w: Int32Array,
  f: Float64Array,
  i64: BigInt64Array,
  c: number,
  n: bigint,
): void {
  if (n >= -9007199254740991n && n <= 9007199254740991n) {
    w[c << 2] = T_INT;
    f[(c << 1) + 1] = Number(n);
  } else {
    w[c << 2] = T_BIGINT;
    i64[(c << 1) + 1] = n;
  }
}

export function setFloat(w: Int32Array, f: Float64Array, c: number, x: number): void {
  w[c << 2] = T_FLOAT;
  f[(c << 1) + 1] = x;
}

export function setPtr(w: Int32Array, c: number, tag: number, ptr: number): void {
  const d = c << 2;
  w[d] = tag;
  w[d + 1] = ptr;
}

export function setAtomStr(w: Int32Array, c: number, atom: number): void {
  const d = c << 2;
  w[d] = T_ATOM_STR;
  w[d + 1] = atom;
}

export function setFunc(w: Int32Array, c: number, pc: number, paramList: number): void {
  const d = c << 2;
  w[d] = T_FUNC;
  w[d + 1] = pc;
  w[d + 2] = paramList;
  w[d + 3] = 0;
}

/** Read an Int cell (INT or BIGINT) as a bigint. */
export function readBigInt(w: Int32Array, f: Float64Array, i64: BigInt64Array, c: number): bigint {
  return w[c << 2] === T_INT ? BigInt(f[(c << 1) + 1]) : i64[(c << 1) + 1];
}

/** Wrap an arbitrary bigint to a signed 64-bit value. */
export function wrapI64(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}
