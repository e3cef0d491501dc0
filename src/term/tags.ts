/**
 * Value representation. Every value is one 16-byte CELL:
 *
 * ```
 *  i32 word:  +0 tag   +1 aux                  +2                    +3
 *  NULL        0       0                       -                     -
 *  BOOL        1       0 | 1                   -                     -
 *  INT         2       0 | PID_MARK            f64 (words 2..3): an integer with |n| ≤ 2^53-1
 *  BIGINT      3       0                       i64 (words 2..3): an integer outside that range
 *  FLOAT       4       0                       f64 (words 2..3)
 *  ATOM        5       atom id                 -                     -      (Atom: no heap)
 *  ATOM_STR    6       atom id                 -                     -      (Str literal: no heap)
 *  FUNC        7       pc                      param list index      0
 *  STR         8       heap object             length (UTF-16 units) code points (-1: not counted)
 *  LIST        9       heap object             length (elements)     0
 *  OBJECT     10       heap object             0                     0
 *  BYTES      11       heap object             0                     0
 *  CLOSURE    12       heap object             0                     0
 *  EXCEPTION  13       heap object             0                     0
 *  TUPLE      14       heap object             0                     0
 *  TERM       15       heap object             0                     0
 *  CONN       16       handle id (> 0)         kind (CONN_KINDS)     0      (Connection: no heap)
 * ```
 * Invariants: an Int is INT whenever it fits in ±(2^53-1), BIGINT otherwise (so equal ints have
 * equal representations); exactly the tags 8..15 (isPtrTag) hold a heap pointer in aux. Cells are
 * copied as four i32 words (never through f64, which could alter NaN bits of an i64 payload).
 *
 * PIDs are Ints (LANGUAGE.md §2). An Int that the runtime made as a PID (SELF, SPAWN*, WHEREIS,
 * the `from`/`pid` of EXIT and DOWN messages, a pid from another node) carries PID_MARK in its aux
 * word, so that distribution can send it as an Erlang pid (LANGUAGE.md §8). The mark is invisible
 * to programs (EQ, arithmetic, printing and TYPE_OF read only the number) and is kept only by
 * copying the cell: every code path that *writes* an INT — setSmallInt, setBigInt, PUSH_INT and
 * the in-place arithmetic and comparisons of the interpreter — writes aux 0, so a number computed
 * from a PID is a plain Int.
 *
 * Heap objects (in a process heap, cell-aligned). Header cell h:
 *   +0 type (= the value tag)  +1 length  +2 size in cells incl. header  +3 GC forwarding (0)
 *   STR:       fill UTF-16 units, packed 8 per cell from cell h+1 (u16 index (h+1)*8 + i)
 *   LIST:      fill elements, one cell each: h+1 … h+fill
 *   OBJECT:    length fields: key cell h+1+2i (ATOM_STR), value cell h+2+2i; insertion order
 *   BYTES:     length bytes, packed 16 per cell from cell h+1 (u8 index (h+1)*16 + i)
 *   CLOSURE:   length captured vars; h+1 = FUNC cell; then key/value cell pairs from h+2
 *   EXCEPTION: length 0; h+1 = message (string cell); h+2 = trace (LIST cell)
 *   TUPLE:     length elements, one cell each: h+1 … h+length
 *   TERM:      length bytes of External Term Format, packed like BYTES
 *
 * Growable STR and LIST (amortised O(1) CONCAT / APPEND, Go-slice style): such an object may be
 * larger than its fill (spare capacity: (size-1)*8 units, or size-1 elements), and each value
 * cell carries its own length (word 2), which never exceeds the object's fill. A value sees
 * only its first `length` units/elements, which are never written again; CONCAT/APPEND onto a
 * value whose length equals the object's fill may write the next units/elements in place and
 * return a new cell with the longer length (every older cell still sees its own prefix); any
 * other CONCAT/APPEND copies. The STR cell also carries the code-point count of its prefix, so
 * STR_LEN is O(1); -1 means "not counted yet" (setPtr makes such cells) and is counted on
 * demand.
 */

export const T_NULL = 0;
export const T_BOOL = 1;
export const T_INT = 2;
export const T_BIGINT = 3;
export const T_FLOAT = 4;
export const T_ATOM = 5;
export const T_ATOM_STR = 6;
export const T_FUNC = 7;
export const T_STR = 8;
export const T_LIST = 9;
export const T_OBJECT = 10;
export const T_BYTES = 11;
export const T_CLOSURE = 12;
export const T_EXCEPTION = 13;
export const T_TUPLE = 14;
export const T_TERM = 15;
export const T_CONN = 16;
/** The highest tag in use (the heap verifier rejects anything above). */
export const LAST_TAG = 16;

/** Connection kinds: word 2 of a CONN cell indexes this list. */
export const CONN_KINDS = [
  "tcp",
  "tcp_listener",
  "udp",
  "http_listener",
  "http_request",
  "future",
  "db",
  "stream",
] as const;
export type ConnKind = typeof CONN_KINDS[number];

/** Word 3 of a STR cell when its code points have not been counted. */
export const CPS_UNKNOWN = -1;

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
export function tupleCells(n: number): number {
  return 1 + n;
}
export function termCells(n: number): number {
  return 1 + ((n + 15) >> 4);
}

/** Whether a cell of this tag holds a heap pointer in word 1: exactly the tags 8..15. */
export function isPtrTag(tag: number): boolean {
  return (tag >>> 3) === 1;
}

/** Whether a cell of this tag is a whole value by itself — no heap objects, no port handle —
 *  so that a message of it is its one cell, copied without a walk (most messages). */
export function isSelfContainedTag(tag: number): boolean {
  return !isPtrTag(tag) && tag !== T_CONN;
}

/** Length of the value in heap-pointer cell `c`: a STR's or LIST's own length (word 2 of the
 *  cell, see "Growable STR and LIST"), any other object's header length. */
export function ptrLen(w: Int32Array, c: number): number {
  const d = c << 2;
  const t = w[d];
  return t === T_STR || t === T_LIST ? w[d + 2] : w[(w[d + 1] << 2) + HDR_LEN];
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

/** Aux word of an INT cell that holds a PID (see the header). Above every cell index (the
 *  buffer is at most 2^29 cells), so a stale pointer can never read as the mark. */
export const PID_MARK = 0x5049_4400;

/** Store a JS-number integer (must be a safe integer). */
export function setSmallInt(w: Int32Array, f: Float64Array, c: number, n: number): void {
  w[c << 2] = T_INT;
  w[(c << 2) + 1] = 0;
  f[(c << 1) + 1] = n;
}

/**
 * An Int's value as V8's small integer when it is one in int32 range (else the double itself).
 * An Int is read from the Float64Array as a double, and a double handed to a function that is
 * not inlined is boxed, and makes the callee's arithmetic and comparisons run in doubles: a
 * PID or a native call's argument goes through here first.
 */
export function smallIntOf(x: number): number {
  return (x | 0) === x ? x | 0 : x;
}

/** Store a PID: an Int carrying PID_MARK. */
export function setPid(w: Int32Array, f: Float64Array, c: number, pid: number): void {
  w[c << 2] = T_INT;
  w[(c << 2) + 1] = PID_MARK;
  f[(c << 1) + 1] = pid;
}

/** Whether cell `c` holds an Int made as a PID. */
export function isPidCell(w: Int32Array, c: number): boolean {
  return w[c << 2] === T_INT && w[(c << 2) + 1] === PID_MARK;
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
    w[(c << 2) + 1] = 0;
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

/** A cell pointing at heap object `ptr` of type `tag`, seeing the whole object: a STR or LIST
 *  cell gets the object's fill as its length (a STR's code points uncounted). */
export function setPtr(w: Int32Array, c: number, tag: number, ptr: number): void {
  const d = c << 2;
  w[d] = tag;
  w[d + 1] = ptr;
  if (tag === T_STR || tag === T_LIST) {
    w[d + 2] = w[(ptr << 2) + HDR_LEN];
    w[d + 3] = tag === T_STR ? CPS_UNKNOWN : 0;
  } else {
    w[d + 2] = 0;
    w[d + 3] = 0;
  }
}

/** A STR cell seeing the first `units` units of object `ptr`, which hold `codePoints` code
 *  points (CPS_UNKNOWN if not counted). */
export function setStr(
  w: Int32Array,
  c: number,
  ptr: number,
  units: number,
  codePoints: number,
): void {
  const d = c << 2;
  w[d] = T_STR;
  w[d + 1] = ptr;
  w[d + 2] = units;
  w[d + 3] = codePoints;
}

/** A LIST cell seeing the first `n` elements of object `ptr`. */
export function setList(w: Int32Array, c: number, ptr: number, n: number): void {
  const d = c << 2;
  w[d] = T_LIST;
  w[d + 1] = ptr;
  w[d + 2] = n;
  w[d + 3] = 0;
}

/** An Atom (atom id from the atom table). */
export function setAtom(w: Int32Array, c: number, atom: number): void {
  const d = c << 2;
  w[d] = T_ATOM;
  w[d + 1] = atom;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** A Connection: handle `id` (> 0) of kind `kind` (an index into CONN_KINDS). Connections are
 *  immediate values; the ports layer owns what the id refers to. */
export function setConn(w: Int32Array, c: number, kind: number, id: number): void {
  if (!(kind >= 0 && kind < CONN_KINDS.length) || !(id > 0 && id <= 0x7fffffff)) {
    throw new RangeError(`bad connection: kind ${kind}, id ${id}`);
  }
  const d = c << 2;
  w[d] = T_CONN;
  w[d + 1] = id;
  w[d + 2] = kind;
  w[d + 3] = 0;
}

/** Index of a connection kind name in CONN_KINDS, or -1. */
export function connKindIndex(name: string): number {
  return (CONN_KINDS as readonly string[]).indexOf(name);
}

export function setAtomStr(w: Int32Array, c: number, atom: number): void {
  const d = c << 2;
  w[d] = T_ATOM_STR;
  w[d + 1] = atom;
  w[d + 2] = 0;
  w[d + 3] = 0;
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

/** Index of the field whose key cell holds `atom` (word 1) among `n` key/value cell pairs whose
 *  first key cell is `firstKeyCell` (an object's or closure's fields), or -1. */
export function findKey(w: Int32Array, firstKeyCell: number, n: number, atom: number): number {
  for (let i = 0; i < n; i++) if (w[((firstKeyCell + 2 * i) << 2) + 1] === atom) return i;
  return -1;
}
