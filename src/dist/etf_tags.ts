/**
 * External Term Format constants shared by the encoder (etf.ts) and the decoder
 * (etf_decode.ts): the version byte, every tag with the layout that follows it, the atom length
 * limit and the error type. Import them through etf.ts.
 */
export const VERSION_MAGIC = 131;

/** Tag bytes; the layout after the tag is drawn beside each (N = a nested atom term). */
export const TAG = {
  NEW_FLOAT: 70, //          f64 big-endian IEEE
  BIT_BINARY: 77, //         len:u32  bitsInLastByte:u8  data[len]
  COMPRESSED: 80, //         uncompressedSize:u32  zlib(tag…)
  ATOM_CACHE_REF: 82, //     index:u8 (needs a distribution header; refused)
  NEW_PID: 88, //            N  id:u32  serial:u32  creation:u32
  NEW_PORT: 89, //           N  id:u32  creation:u32
  NEWER_REFERENCE: 90, //    len:u16  N  creation:u32  id:u32 × len (len ≤ 5)
  SMALL_INTEGER: 97, //      u8
  INTEGER: 98, //            i32
  FLOAT: 99, //              31 bytes of "%.20e" text, NUL padded
  ATOM: 100, //              len:u16  latin-1[len]
  REFERENCE: 101, //         N  id:u32  creation:u8
  PORT: 102, //              N  id:u32  creation:u8
  PID: 103, //               N  id:u32  serial:u32  creation:u8
  SMALL_TUPLE: 104, //       arity:u8  elements
  LARGE_TUPLE: 105, //       arity:u32  elements
  NIL: 106, //               —
  STRING: 107, //            len:u16  bytes[len]  (a list of small integers)
  LIST: 108, //              len:u32  elements  tail
  BINARY: 109, //            len:u32  data[len]
  SMALL_BIG: 110, //         n:u8  sign:u8  digits[n] little-endian
  LARGE_BIG: 111, //         n:u32  sign:u8  digits[n]
  NEW_FUN: 112, //           size:u32 arity:u8 uniq[16] index:u32 numFree:u32 N oldIndex oldUniq pid free…
  EXPORT: 113, //            N(module)  N(function)  SMALL_INTEGER(arity)
  NEW_REFERENCE: 114, //     len:u16  N  creation:u8  id:u32 × len
  SMALL_ATOM: 115, //        len:u8  latin-1[len]
  MAP: 116, //               arity:u32  k1 v1 … kn vn
  FUN: 117, //               numFree:u32  pid  N(module)  index  uniq  free…   (removed in OTP 23)
  ATOM_UTF8: 118, //         len:u16  utf8[len]
  SMALL_ATOM_UTF8: 119, //   len:u8  utf8[len]
  V4_PORT: 120, //           N  id:u64  creation:u32
  LOCAL: 121, //             OTP 26 local format (refused)
} as const;

/** Erlang's limit on the length of an atom, in characters. */
export const MAX_ATOM_CHARS = 255;

export class EtfError extends Error {
  override name = "EtfError";
}

export function countCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
