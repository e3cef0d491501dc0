/**
 * External Term Format (ETF): ErlTerm ⇄ bytes, as Erlang's term_to_binary / binary_to_term and
 * the distribution protocol use them.
 *
 * Encoding writes what OTP's `term_to_binary(T, [{minor_version, 2}])` writes, byte for byte
 * (apart from the order of map entries, which is the term's own): the smallest integer tag,
 * NEW_FLOAT_EXT, SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT, STRING_EXT for a proper list of at most
 * 65,535 integers in 0..255, NEW_PID_EXT, NEWER_REFERENCE_EXT, and opaque terms verbatim.
 * Decoding accepts every tag OTP 25 emits or still reads (old PID/PORT/REFERENCE forms with a
 * one-byte creation, latin-1 atoms, FLOAT_EXT, the removed FUN_EXT, and — in decodeTerm only —
 * a zlib-compressed term); ATOM_CACHE_REF and LOCAL_EXT are refused (never negotiated).
 *
 * Invariants: encoder and decoder are iterative (a list nested a million deep is fine); any
 * malformed input is an EtfError naming the byte offset, never a host crash or a huge
 * allocation (every count is checked against the bytes that remain before arrays are made).
 */
import { inflateSync } from "node:zlib";
import { ByteWriter, readU16, readU32, utf8Decoder, utf8Encoder } from "./bytes.ts";
import {
  atom,
  binary,
  type ErlMap,
  type ErlOpaque,
  type ErlPid,
  type ErlTerm,
  float,
  list,
  NIL,
  type OpaqueKind,
  pid,
  ref,
  tuple,
} from "./term.ts";

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

// ── encoding ────────────────────────────────────────────────────────────────────────────────

/** `term_to_binary(term)`: the version byte 131 followed by the term. */
export function encodeTerm(term: ErlTerm): Uint8Array {
  const w = new ByteWriter();
  w.u8(VERSION_MAGIC);
  writeTerm(w, term);
  return w.finish().slice();
}

const I32_MIN = -(1n << 31n), I32_MAX = (1n << 31n) - 1n;

/** Appends the encoding of `term` (no version byte). Iterative. */
export function writeTerm(w: ByteWriter, term: ErlTerm): void {
  const work: ErlTerm[] = [term];
  while (work.length > 0) {
    const x = work.pop()!;
    if (typeof x === "bigint") {
      writeInteger(w, x);
      continue;
    }
    switch (x.t) {
      case "float":
        if (!Number.isFinite(x.value)) throw new EtfError(`float ${x.value} has no ETF form`);
        w.u8(TAG.NEW_FLOAT).f64(x.value);
        break;
      case "atom":
        writeAtom(w, x.name);
        break;
      case "binary":
        w.u8(TAG.BINARY).u32(checkLength(x.bytes.length)).bytes(x.bytes);
        break;
      case "tuple": {
        const n = x.items.length;
        if (n < 256) w.u8(TAG.SMALL_TUPLE).u8(n);
        else w.u8(TAG.LARGE_TUPLE).u32(checkLength(n));
        for (let i = n - 1; i >= 0; i--) work.push(x.items[i]);
        break;
      }
      case "nil":
        w.u8(TAG.NIL);
        break;
      case "list": {
        let items = x.items, tail = x.tail;
        if (typeof tail === "object" && tail.t === "list") {
          // A hand-built chain: Erlang sees one list, so it is written as one.
          const all = [...items];
          while (typeof tail === "object" && tail.t === "list") {
            all.push(...tail.items), tail = tail.tail;
          }
          items = all;
        }
        if (items.length === 0) {
          work.push(tail);
          break;
        }
        if (typeof tail === "object" && tail.t === "nil" && isByteString(items)) {
          w.u8(TAG.STRING).u16(items.length);
          for (const b of items) w.u8(Number(b));
          break;
        }
        w.u8(TAG.LIST).u32(checkLength(items.length));
        work.push(tail);
        for (let i = items.length - 1; i >= 0; i--) work.push(items[i]);
        break;
      }
      case "map": {
        const n = x.entries.length;
        w.u8(TAG.MAP).u32(checkLength(n));
        for (let i = n - 1; i >= 0; i--) work.push(x.entries[i][1], x.entries[i][0]);
        break;
      }
      case "pid":
        w.u8(TAG.NEW_PID);
        writeAtom(w, x.node);
        w.u32(checkU32(x.id, "pid id")).u32(checkU32(x.serial, "pid serial"));
        w.u32(checkU32(x.creation, "creation"));
        break;
      case "ref": {
        const n = x.ids.length;
        if (n < 1 || n > 5) throw new EtfError(`a reference has 1 to 5 id words, not ${n}`);
        w.u8(TAG.NEWER_REFERENCE).u16(n);
        writeAtom(w, x.node);
        w.u32(checkU32(x.creation, "creation"));
        for (const id of x.ids) w.u32(checkU32(id, "reference id"));
        break;
      }
      case "opaque":
        if (!opaqueTagFits(x)) throw new EtfError(`opaque ${x.kind} term with tag ${x.bytes[0]}`);
        w.bytes(x.bytes);
        break;
      default:
        throw new EtfError(`not an Erlang term: ${describeJs(x)}`);
    }
  }
}

function isByteString(items: readonly ErlTerm[]): boolean {
  if (items.length > 0xffff) return false;
  for (const x of items) if (typeof x !== "bigint" || x < 0n || x > 255n) return false;
  return true;
}

export function writeInteger(w: ByteWriter, n: bigint): void {
  if (n >= 0n && n <= 255n) {
    w.u8(TAG.SMALL_INTEGER).u8(Number(n));
  } else if (n >= I32_MIN && n <= I32_MAX) {
    w.u8(TAG.INTEGER).i32(Number(n));
  } else {
    const negative = n < 0n;
    let hex = (negative ? -n : n).toString(16);
    if (hex.length % 2 === 1) hex = "0" + hex;
    const count = hex.length / 2;
    if (count < 256) w.u8(TAG.SMALL_BIG).u8(count);
    else w.u8(TAG.LARGE_BIG).u32(checkLength(count));
    w.u8(negative ? 1 : 0);
    for (let i = hex.length - 2; i >= 0; i -= 2) w.u8(parseInt(hex.slice(i, i + 2), 16));
  }
}

export function writeAtom(w: ByteWriter, name: string): void {
  const bytes = utf8Encoder.encode(name);
  if (bytes.length > MAX_ATOM_CHARS && countCodePoints(name) > MAX_ATOM_CHARS) {
    throw new EtfError(`atom longer than ${MAX_ATOM_CHARS} characters`);
  }
  if (bytes.length < 256) w.u8(TAG.SMALL_ATOM_UTF8).u8(bytes.length);
  else w.u8(TAG.ATOM_UTF8).u16(bytes.length);
  w.bytes(bytes);
}

function countCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function checkLength(n: number): number {
  if (n > 0xffffffff) throw new EtfError(`length ${n} exceeds the 32-bit ETF limit`);
  return n;
}
function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EtfError(`${what} ${v} not u32`);
  return v;
}

const OPAQUE_TAGS: Record<OpaqueKind, readonly number[]> = {
  fun: [TAG.NEW_FUN, TAG.FUN],
  export: [TAG.EXPORT],
  port: [TAG.PORT, TAG.NEW_PORT, TAG.V4_PORT],
  bitstring: [TAG.BIT_BINARY],
};
function opaqueTagFits(x: ErlOpaque): boolean {
  return x.bytes.length > 0 && OPAQUE_TAGS[x.kind]?.includes(x.bytes[0]) === true;
}
function describeJs(x: unknown): string {
  try {
    return JSON.stringify(x)?.slice(0, 80) ?? String(x);
  } catch {
    return String(x);
  }
}

// ── decoding ────────────────────────────────────────────────────────────────────────────────

/** `binary_to_term(bytes)`: one version-prefixed term that fills `bytes` exactly. */
export function decodeTerm(bytes: Uint8Array): ErlTerm {
  if (bytes.length < 2) throw new EtfError("truncated term");
  if (bytes[0] !== VERSION_MAGIC) throw new EtfError(`bad version byte ${bytes[0]} at offset 0`);
  if (bytes[1] === TAG.COMPRESSED) return decodeCompressed(bytes);
  const d = new Decoder(bytes, 1);
  const term = d.term();
  if (d.pos !== bytes.length) throw new EtfError(`${bytes.length - d.pos} trailing bytes`);
  return term;
}

/** Decodes one version-prefixed term starting at `offset`; returns it and where it ends. */
export function decodeTermAt(bytes: Uint8Array, offset: number): { term: ErlTerm; end: number } {
  if (offset >= bytes.length) throw new EtfError(`truncated term at offset ${offset}`);
  if (bytes[offset] !== VERSION_MAGIC) {
    throw new EtfError(`bad version byte ${bytes[offset]} at offset ${offset}`);
  }
  const d = new Decoder(bytes, offset + 1);
  const term = d.term();
  return { term, end: d.pos };
}

function decodeCompressed(bytes: Uint8Array): ErlTerm {
  if (bytes.length < 6) throw new EtfError("truncated compressed term");
  const sizeBytes = readU32(bytes, 2);
  let inflated: Uint8Array;
  try {
    inflated = new Uint8Array(inflateSync(bytes.subarray(6), { maxOutputLength: sizeBytes + 1 }));
  } catch (e) {
    throw new EtfError(`bad compressed term: ${(e as Error).message}`);
  }
  if (inflated.length !== sizeBytes) throw new EtfError("compressed term has the wrong size");
  const d = new Decoder(inflated, 0);
  const term = d.term();
  if (d.pos !== inflated.length) throw new EtfError("trailing bytes in compressed term");
  return term;
}

/** A container being filled: its items so far and how many terms it still needs. */
interface Frame {
  kind: number; // the tag that opened it
  items: ErlTerm[];
  left: number;
  start: number; // offset of the tag (opaque spans)
  end: number; // expected end offset (NEW_FUN), or -1
}

class Decoder {
  constructor(readonly b: Uint8Array, public pos: number) {}

  fail(what: string, at = this.pos): never {
    throw new EtfError(`${what} at offset ${at}`);
  }
  need(n: number): void {
    if (this.pos + n > this.b.length) this.fail("truncated term");
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = readU16(this.b, this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = readU32(this.b, this.pos);
    this.pos += 4;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** One atom term (any of the four atom tags); returns its text. */
  atomName(): string {
    const at = this.pos;
    const tag = this.u8();
    let len: number, latin1: boolean;
    switch (tag) {
      case TAG.ATOM_UTF8:
        len = this.u16(), latin1 = false;
        break;
      case TAG.SMALL_ATOM_UTF8:
        len = this.u8(), latin1 = false;
        break;
      case TAG.ATOM:
        len = this.u16(), latin1 = true;
        break;
      case TAG.SMALL_ATOM:
        len = this.u8(), latin1 = true;
        break;
      case TAG.ATOM_CACHE_REF:
        return this.fail("ATOM_CACHE_REF without a distribution header", at);
      default:
        return this.fail(`expected an atom, found tag ${tag}`, at);
    }
    this.need(len);
    const raw = this.b.subarray(this.pos, this.pos + len);
    this.pos += len;
    let name: string;
    if (latin1) {
      if (len > MAX_ATOM_CHARS) this.fail("atom too long", at);
      name = String.fromCharCode(...raw);
    } else {
      try {
        name = utf8Decoder.decode(raw);
      } catch {
        return this.fail("atom is not valid UTF-8", at);
      }
      if (len > MAX_ATOM_CHARS && countCodePoints(name) > MAX_ATOM_CHARS) {
        this.fail("atom too long", at);
      }
    }
    return name;
  }

  /** SMALL_INTEGER_EXT or INTEGER_EXT (fields of funs). */
  fixnum(): number {
    const at = this.pos;
    const tag = this.u8();
    if (tag === TAG.SMALL_INTEGER) return this.u8();
    if (tag === TAG.INTEGER) return this.u32() | 0;
    return this.fail(`expected a small integer, found tag ${tag}`, at);
  }

  pidTerm(): ErlPid {
    const at = this.pos;
    const tag = this.u8();
    if (tag !== TAG.NEW_PID && tag !== TAG.PID) this.fail(`expected a pid, found tag ${tag}`, at);
    const node = this.atomName();
    const id = this.u32(), serial = this.u32();
    const creation = tag === TAG.NEW_PID ? this.u32() : this.u8();
    return pid(node, id, serial, creation);
  }

  opaque(kind: OpaqueKind, start: number): ErlOpaque {
    return { t: "opaque", kind, bytes: this.b.slice(start, this.pos) };
  }

  /** Decodes one term (no version byte) iteratively. */
  term(): ErlTerm {
    const stack: Frame[] = [];
    const open = (kind: number, left: number, start: number, end = -1) => {
      // Every nested term takes at least one byte: refuse counts the input cannot hold.
      if (left > this.b.length - this.pos) this.fail("count exceeds the remaining bytes", start);
      stack.push({ kind, items: [], left, start, end });
    };
    for (;;) {
      let value: ErlTerm;
      const start = this.pos;
      const tag = this.u8();
      switch (tag) {
        case TAG.SMALL_INTEGER:
          value = BigInt(this.u8());
          break;
        case TAG.INTEGER:
          value = BigInt(this.u32() | 0);
          break;
        case TAG.SMALL_BIG:
        case TAG.LARGE_BIG: {
          const n = tag === TAG.SMALL_BIG ? this.u8() : this.u32();
          const sign = this.u8();
          if (sign > 1) this.fail("bad bignum sign", start);
          this.need(n);
          value = bigFromLittleEndian(this.b, this.pos, n);
          if (sign === 1) value = -value;
          this.pos += n;
          break;
        }
        case TAG.NEW_FLOAT: {
          this.need(8);
          const x = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0);
          this.pos += 8;
          if (!Number.isFinite(x)) this.fail("NEW_FLOAT_EXT is not finite", start);
          value = float(x);
          break;
        }
        case TAG.FLOAT: {
          const raw = this.take(31);
          const nul = raw.indexOf(0);
          const text = String.fromCharCode(...raw.subarray(0, nul < 0 ? 31 : nul)).trim();
          const x = Number(text);
          if (text === "" || !Number.isFinite(x)) this.fail("bad FLOAT_EXT text", start);
          value = float(x);
          break;
        }
        case TAG.ATOM:
        case TAG.SMALL_ATOM:
        case TAG.ATOM_UTF8:
        case TAG.SMALL_ATOM_UTF8:
        case TAG.ATOM_CACHE_REF:
          this.pos = start;
          value = atom(this.atomName());
          break;
        case TAG.SMALL_TUPLE:
        case TAG.LARGE_TUPLE: {
          const n = tag === TAG.SMALL_TUPLE ? this.u8() : this.u32();
          if (n === 0) {
            value = tuple();
            break;
          }
          open(tag, n, start);
          continue;
        }
        case TAG.NIL:
          value = NIL;
          break;
        case TAG.STRING: {
          const n = this.u16();
          this.need(n);
          const items = new Array<ErlTerm>(n);
          for (let i = 0; i < n; i++) items[i] = BigInt(this.b[this.pos + i]);
          this.pos += n;
          value = list(items);
          break;
        }
        case TAG.LIST:
          open(tag, this.u32() + 1, start); // the elements, then the tail
          continue;
        case TAG.BINARY:
          value = binary(this.take(this.u32()));
          break;
        case TAG.BIT_BINARY: {
          const n = this.u32(), bits = this.u8();
          if (n === 0 ? bits !== 0 : bits < 1 || bits > 8) this.fail("bad BIT_BINARY_EXT", start);
          const data = this.take(n);
          if (bits === 8 || n === 0) {
            value = binary(data);
            break;
          }
          // Unused low bits carry no information; zero them so equal bitstrings are equal bytes.
          data[n - 1] &= (0xff << (8 - bits)) & 0xff;
          const bytes = new Uint8Array(6 + n);
          bytes.set(this.b.subarray(start, start + 6));
          bytes.set(data, 6);
          value = { t: "opaque", kind: "bitstring", bytes };
          break;
        }
        case TAG.MAP: {
          const n = this.u32();
          if (n === 0) {
            value = { t: "map", entries: [] };
            break;
          }
          open(tag, 2 * n, start);
          continue;
        }
        case TAG.NEW_PID:
        case TAG.PID:
          this.pos = start;
          value = this.pidTerm();
          break;
        case TAG.NEWER_REFERENCE:
        case TAG.NEW_REFERENCE:
        case TAG.REFERENCE: {
          const n = tag === TAG.REFERENCE ? 1 : this.u16();
          if (n < 1 || n > 5) this.fail(`reference with ${n} id words`, start);
          const node = this.atomName();
          let creation = 0;
          if (tag !== TAG.REFERENCE) {
            creation = tag === TAG.NEWER_REFERENCE ? this.u32() : this.u8();
          }
          const ids: number[] = [];
          for (let i = 0; i < n; i++) ids.push(this.u32());
          if (tag === TAG.REFERENCE) creation = this.u8();
          value = ref(node, creation, ids);
          break;
        }
        case TAG.PORT:
        case TAG.NEW_PORT:
        case TAG.V4_PORT:
          this.atomName();
          this.need(tag === TAG.V4_PORT ? 12 : tag === TAG.NEW_PORT ? 8 : 5);
          this.pos += tag === TAG.V4_PORT ? 12 : tag === TAG.NEW_PORT ? 8 : 5;
          value = this.opaque("port", start);
          break;
        case TAG.EXPORT: {
          this.atomName(), this.atomName();
          if (this.u8() !== TAG.SMALL_INTEGER) this.fail("EXPORT_EXT arity is not a small int");
          this.u8();
          value = this.opaque("export", start);
          break;
        }
        case TAG.NEW_FUN: {
          const size = this.u32();
          this.need(1 + 16 + 4);
          this.pos += 1 + 16 + 4;
          const numFree = this.u32();
          this.atomName(), this.fixnum(), this.fixnum(), this.pidTerm();
          if (numFree === 0) {
            if (this.pos !== start + 1 + size) this.fail("NEW_FUN_EXT size mismatch", start);
            value = this.opaque("fun", start);
            break;
          }
          open(tag, numFree, start, start + 1 + size);
          continue;
        }
        case TAG.FUN: {
          const numFree = this.u32();
          this.pidTerm(), this.atomName(), this.fixnum(), this.fixnum();
          if (numFree === 0) {
            value = this.opaque("fun", start);
            break;
          }
          open(tag, numFree, start);
          continue;
        }
        case TAG.COMPRESSED:
          return this.fail("a compressed term can only be a whole binary", start);
        case TAG.LOCAL:
          return this.fail("LOCAL_EXT terms are not supported", start);
        default:
          return this.fail(`unknown tag ${tag}`, start);
      }
      // Deliver the finished value to the containers waiting for it.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return value;
        top.items.push(value);
        if (--top.left > 0) break;
        stack.pop();
        value = this.close(top);
      }
    }
  }

  private close(f: Frame): ErlTerm {
    switch (f.kind) {
      case TAG.SMALL_TUPLE:
      case TAG.LARGE_TUPLE:
        return { t: "tuple", items: f.items };
      case TAG.LIST: {
        const tail = f.items.pop()!;
        return list(f.items, tail);
      }
      case TAG.MAP: {
        const entries: [ErlTerm, ErlTerm][] = [];
        for (let i = 0; i < f.items.length; i += 2) entries.push([f.items[i], f.items[i + 1]]);
        return { t: "map", entries } satisfies ErlMap;
      }
      default: // NEW_FUN / FUN: the free variables were only checked
        if (f.end >= 0 && this.pos !== f.end) this.fail("NEW_FUN_EXT size mismatch", f.start);
        return this.opaque("fun", f.start);
    }
  }
}

function bigFromLittleEndian(b: Uint8Array, at: number, n: number): bigint {
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[at + i];
    return BigInt(v);
  }
  let hex = "";
  for (let i = n - 1; i >= 0; i--) hex += (b[at + i] < 16 ? "0" : "") + b[at + i].toString(16);
  return BigInt("0x" + hex);
}

// ── opaque terms, read back ─────────────────────────────────────────────────────────────────

export type OpaqueInfo =
  | { kind: "port"; node: string; id: bigint; creation: number }
  | { kind: "export"; module: string; function: string; arity: number }
  | { kind: "fun"; module: string; index: number; uniq: number; arity: number; numFree: number }
  | { kind: "bitstring"; data: Uint8Array; bitLength: number };

/** The fields of an opaque term (its bytes were validated when it was decoded). */
export function describeOpaque(term: ErlOpaque): OpaqueInfo {
  const d = new Decoder(term.bytes, 0);
  const tag = d.u8();
  switch (tag) {
    case TAG.PORT:
    case TAG.NEW_PORT:
    case TAG.V4_PORT: {
      const node = d.atomName();
      const id = tag === TAG.V4_PORT ? (BigInt(d.u32()) << 32n) | BigInt(d.u32()) : BigInt(d.u32());
      const creation = tag === TAG.PORT ? d.u8() : d.u32();
      return { kind: "port", node, id, creation };
    }
    case TAG.EXPORT: {
      const module = d.atomName(), fn = d.atomName();
      return { kind: "export", module, function: fn, arity: d.fixnum() };
    }
    case TAG.NEW_FUN: {
      d.u32();
      const arity = d.u8();
      d.take(16), d.u32();
      const numFree = d.u32(), module = d.atomName();
      const index = d.fixnum(), uniq = d.fixnum();
      return { kind: "fun", module, index, uniq, arity, numFree };
    }
    case TAG.FUN: {
      const numFree = d.u32();
      d.pidTerm();
      const module = d.atomName(), index = d.fixnum(), uniq = d.fixnum();
      return { kind: "fun", module, index, uniq, arity: -1, numFree };
    }
    case TAG.BIT_BINARY: {
      const n = d.u32(), bits = d.u8();
      return { kind: "bitstring", data: d.take(n), bitLength: (n - 1) * 8 + bits };
    }
    default:
      return d.fail(`not an opaque term (tag ${tag})`, 0);
  }
}
