/**
 * The ETF decoder (exported through etf.ts): bytes → ErlTerm for every tag OTP 25 emits or still
 * reads, and `describeOpaque`, which reads the fields of an opaque term back.
 *
 * Iterative: containers being filled wait on an explicit stack, so nesting depth costs no host
 * stack. Every count is checked against the bytes that remain before anything is allocated, and
 * every malformed input is an EtfError naming the offset.
 */
import { nodeBuiltin } from "../host/node_builtin.ts";
import { readU16, readU32, utf8Decoder } from "./bytes.ts";
import { countCodePoints, EtfError, MAX_ATOM_CHARS, TAG, VERSION_MAGIC } from "./etf_tags.ts";
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
    inflated = new Uint8Array(
      nodeBuiltin("node:zlib").inflateSync(bytes.subarray(6), { maxOutputLength: sizeBytes + 1 }),
    );
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
    } else if (len <= 64 && (name = asciiText(raw)) !== "\u0080") {
      // Most atoms (node names, tags): no decoder call for them (it costs an op each).
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

/** The text of ASCII bytes, or "\u0080" (never a result) when a byte is not ASCII. */
function asciiText(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b >= 0x80) return "\u0080";
    s += String.fromCharCode(b);
  }
  return s;
}
