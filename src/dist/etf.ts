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
import { ByteWriter, utf8Encoder } from "./bytes.ts";
import { countCodePoints, EtfError, MAX_ATOM_CHARS, TAG, VERSION_MAGIC } from "./etf_tags.ts";
import type { ErlOpaque, ErlTerm, OpaqueKind } from "./term.ts";

export { EtfError, MAX_ATOM_CHARS, TAG, VERSION_MAGIC } from "./etf_tags.ts";
export { decodeTerm, decodeTermAt, describeOpaque, type OpaqueInfo } from "./etf_decode.ts";

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
  if (name.length < 256 && isAsciiText(name)) {
    // Most atoms (node names, tags) are short ASCII: written without an encoder call.
    w.u8(TAG.SMALL_ATOM_UTF8).u8(name.length);
    for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i));
    return;
  }
  const bytes = utf8Encoder.encode(name);
  if (bytes.length > MAX_ATOM_CHARS && countCodePoints(name) > MAX_ATOM_CHARS) {
    throw new EtfError(`atom longer than ${MAX_ATOM_CHARS} characters`);
  }
  if (bytes.length < 256) w.u8(TAG.SMALL_ATOM_UTF8).u8(bytes.length);
  else w.u8(TAG.ATOM_UTF8).u16(bytes.length);
  w.bytes(bytes);
}

function isAsciiText(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
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
