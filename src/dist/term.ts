/**
 * Erlang terms as plain JavaScript data: the value model of the distribution layer.
 *
 * One discriminated union, `ErlTerm`. Integers are bare `bigint`s (exact at any size); every
 * other kind is an object with a `t` tag. Terms are immutable by convention: nothing in
 * src/dist mutates a term it was given, and a term handed to a sender must not be mutated
 * afterwards (a send queued while a connection is being set up is encoded later).
 *
 * Canonical forms (the constructors here and the decoder produce only these; the encoder and
 * `termEquals` also accept the non-canonical ones and treat them as Erlang would):
 * - the empty list is `NIL` (`{t:"nil"}`), never a `list` with no items;
 * - a `list` has at least one item and its `tail` is never itself a `list` (the chain is
 *   flattened); `tail` is `NIL` for a proper list, anything else for an improper one;
 * - a byte string from STRING_EXT is an ordinary list of small integers.
 *
 * Terms that have no natural model here — funs, external funs (`fun m:f/a`), ports and
 * bitstrings whose length is not a whole number of bytes — are `opaque`: they keep their exact
 * external encoding (from the tag byte on, without the 131 version byte), so that sending one
 * back re-encodes it byte for byte. `describeOpaque` in format.ts reads their fields.
 */

export type ErlTerm =
  | bigint
  | ErlFloat
  | ErlAtom
  | ErlBinary
  | ErlTuple
  | ErlNil
  | ErlList
  | ErlMap
  | ErlPid
  | ErlRef
  | ErlOpaque;

export interface ErlFloat {
  readonly t: "float";
  readonly value: number;
}
export interface ErlAtom {
  readonly t: "atom";
  readonly name: string;
}
export interface ErlBinary {
  readonly t: "binary";
  readonly bytes: Uint8Array;
}
export interface ErlTuple {
  readonly t: "tuple";
  readonly items: readonly ErlTerm[];
}
export interface ErlNil {
  readonly t: "nil";
}
export interface ErlList {
  readonly t: "list";
  readonly items: readonly ErlTerm[];
  readonly tail: ErlTerm;
}
export interface ErlMap {
  readonly t: "map";
  /** In wire order (decoder) or insertion order (constructors); keys are unique. */
  readonly entries: readonly (readonly [ErlTerm, ErlTerm])[];
}
/** A process identifier. `id` and `serial` are u32 (V4_NC), `creation` u32. */
export interface ErlPid {
  readonly t: "pid";
  readonly node: string;
  readonly id: number;
  readonly serial: number;
  readonly creation: number;
}
/** A reference: 1–5 u32 words, `ids[0]` first on the wire. */
export interface ErlRef {
  readonly t: "ref";
  readonly node: string;
  readonly creation: number;
  readonly ids: readonly number[];
}
export type OpaqueKind = "fun" | "export" | "port" | "bitstring";
export interface ErlOpaque {
  readonly t: "opaque";
  readonly kind: OpaqueKind;
  /** The exact external encoding, tag byte first, no version byte. */
  readonly bytes: Uint8Array;
}

// ── constructors ────────────────────────────────────────────────────────────────────────────

export const NIL: ErlNil = Object.freeze({ t: "nil" });

export function atom(name: string): ErlAtom {
  return { t: "atom", name };
}
export const TRUE = atom("true"), FALSE = atom("false"), UNDEFINED = atom("undefined");
export const OK = atom("ok");

export function int(n: number | bigint): bigint {
  if (typeof n === "number" && !Number.isInteger(n)) throw new RangeError(`not an integer: ${n}`);
  return BigInt(n);
}
export function float(value: number): ErlFloat {
  return { t: "float", value };
}
const utf8 = new TextEncoder();
/** A binary; a string is stored as its UTF-8 bytes. */
export function binary(data: Uint8Array | string): ErlBinary {
  if (typeof data !== "string") return { t: "binary", bytes: data };
  if (data.length <= 64) {
    // Short ASCII text without an encoder call (each one is an op).
    const bytes = new Uint8Array(data.length);
    let ascii = true;
    for (let i = 0; i < data.length && ascii; i++) {
      const c = data.charCodeAt(i);
      bytes[i] = c;
      ascii = c < 0x80;
    }
    if (ascii) return { t: "binary", bytes };
  }
  return { t: "binary", bytes: utf8.encode(data) };
}
export function tuple(...items: ErlTerm[]): ErlTuple {
  return { t: "tuple", items };
}
/** A list in canonical form: `[]` → NIL, a list tail is merged into the items. */
export function list(items: readonly ErlTerm[], tail: ErlTerm = NIL): ErlTerm {
  if (typeof tail === "object" && tail.t === "list") {
    items = [...items, ...tail.items];
    tail = tail.tail;
  }
  return items.length === 0 ? tail : { t: "list", items, tail };
}
/** A proper list of the code points of `text` (what Erlang's "text" literal is). */
export function charList(text: string): ErlTerm {
  return list(Array.from(text, (ch) => BigInt(ch.codePointAt(0)!)));
}
export function map(entries: readonly (readonly [ErlTerm, ErlTerm])[]): ErlMap {
  return { t: "map", entries };
}
export function pid(node: string, id: number, serial: number, creation: number): ErlPid {
  return { t: "pid", node, id, serial, creation };
}
export function ref(node: string, creation: number, ids: readonly number[]): ErlRef {
  return { t: "ref", node, creation, ids };
}

// ── predicates ──────────────────────────────────────────────────────────────────────────────

export function isAtom(term: ErlTerm, name?: string): term is ErlAtom {
  return typeof term === "object" && term.t === "atom" &&
    (name === undefined || term.name === name);
}
export function isTuple(term: ErlTerm, arity?: number): term is ErlTuple {
  return typeof term === "object" && term.t === "tuple" &&
    (arity === undefined || term.items.length === arity);
}
export function isPid(term: ErlTerm): term is ErlPid {
  return typeof term === "object" && term.t === "pid";
}
export function isRef(term: ErlTerm): term is ErlRef {
  return typeof term === "object" && term.t === "ref";
}

/** The items of a proper list (NIL → []), or undefined when `term` is not a proper list. */
export function properListItems(term: ErlTerm): readonly ErlTerm[] | undefined {
  if (typeof term !== "object") return undefined;
  if (term.t === "nil") return [];
  if (term.t !== "list") return undefined;
  const tail = term.tail;
  if (typeof tail === "object" && tail.t === "nil") return term.items;
  if (typeof tail === "object" && tail.t === "list") {
    const rest = properListItems(tail); // only for hand-built non-canonical chains
    return rest && [...term.items, ...rest];
  }
  return undefined;
}

// ── exact equality (Erlang's =:=) ───────────────────────────────────────────────────────────

/**
 * `a =:= b`: integers never equal floats, floats compare by value with -0.0 ≠ 0.0 (the bits
 * travel exactly), maps compare as sets of entries, lists compare after flattening.
 * Iterative over lists and tuples; map keys are compared by a nested call, so only keys nested
 * inside keys inside keys … use the host stack.
 */
export function termEquals(a: ErlTerm, b: ErlTerm): boolean {
  const work: ErlTerm[] = [a, b];
  while (work.length > 0) {
    const y = work.pop()!, x = work.pop()!;
    if (x === y) continue;
    if (typeof x === "bigint" || typeof y === "bigint") {
      if (x !== y) return false;
      continue;
    }
    if (x.t === "list" || y.t === "list") {
      const xs = flatten(x), ys = flatten(y);
      if (xs.items.length !== ys.items.length) return false;
      for (let i = 0; i < xs.items.length; i++) work.push(xs.items[i], ys.items[i]);
      work.push(xs.tail, ys.tail);
      continue;
    }
    if (x.t !== y.t) return false;
    switch (x.t) {
      case "nil":
        break;
      case "float":
        if (!Object.is(x.value, (y as ErlFloat).value)) return false;
        break;
      case "atom":
        if (x.name !== (y as ErlAtom).name) return false;
        break;
      case "binary":
        if (!bytesEqual(x.bytes, (y as ErlBinary).bytes)) return false;
        break;
      case "opaque": {
        const o = y as ErlOpaque;
        if (x.kind !== o.kind || !bytesEqual(x.bytes, o.bytes)) return false;
        break;
      }
      case "tuple": {
        const ys = (y as ErlTuple).items;
        if (x.items.length !== ys.length) return false;
        for (let i = 0; i < ys.length; i++) work.push(x.items[i], ys[i]);
        break;
      }
      case "pid": {
        const p = y as ErlPid;
        if (
          x.node !== p.node || x.id !== p.id || x.serial !== p.serial || x.creation !== p.creation
        ) return false;
        break;
      }
      case "ref": {
        const r = y as ErlRef;
        if (x.node !== r.node || x.creation !== r.creation || x.ids.length !== r.ids.length) {
          return false;
        }
        for (let i = 0; i < r.ids.length; i++) if (x.ids[i] !== r.ids[i]) return false;
        break;
      }
      case "map": {
        const pairs = matchMapEntries(x, y as ErlMap);
        if (!pairs) return false;
        work.push(...pairs);
        break;
      }
    }
  }
  return true;
}

function flatten(term: ErlTerm): { items: ErlTerm[]; tail: ErlTerm } {
  const items: ErlTerm[] = [];
  while (typeof term === "object" && term.t === "list") {
    items.push(...term.items);
    term = term.tail;
  }
  return { items, tail: term };
}

/** Pairs up equal keys of two maps and returns their values interleaved, or null. */
function matchMapEntries(x: ErlMap, y: ErlMap): ErlTerm[] | null {
  if (x.entries.length !== y.entries.length) return null;
  const buckets = new Map<number, (readonly [ErlTerm, ErlTerm])[]>();
  for (const entry of y.entries) {
    const h = termHash(entry[0]);
    const bucket = buckets.get(h);
    if (bucket) bucket.push(entry);
    else buckets.set(h, [entry]);
  }
  const out: ErlTerm[] = [];
  for (const [key, value] of x.entries) {
    const bucket = buckets.get(termHash(key));
    const at = bucket ? bucket.findIndex((e) => termEquals(e[0], key)) : -1;
    if (at < 0) return null;
    out.push(value, bucket![at][1]);
    bucket!.splice(at, 1);
  }
  return out;
}

/**
 * A 32-bit hash consistent with termEquals (equal terms hash equally: lists are hashed after
 * flattening, a map by its size only). Iterative.
 */
export function termHash(term: ErlTerm): number {
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h = Math.imul(h ^ v, 0x01000193) >>> 0;
  };
  const mixText = (s: string) => {
    for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
  };
  const work: ErlTerm[] = [term];
  while (work.length > 0) {
    const x = work.pop()!;
    if (typeof x === "bigint") {
      mix(1), mixText(x.toString(36));
      continue;
    }
    switch (x.t) {
      case "float":
        mix(2), mixText(String(x.value)), mix(Object.is(x.value, -0) ? 1 : 0);
        break;
      case "atom":
        mix(3), mixText(x.name);
        break;
      case "binary":
      case "opaque":
        mix(4);
        for (let i = 0; i < x.bytes.length; i++) mix(x.bytes[i]);
        break;
      case "nil":
        mix(5);
        break;
      case "list": {
        const flat = flatten(x);
        mix(6), work.push(flat.tail);
        for (let i = flat.items.length - 1; i >= 0; i--) work.push(flat.items[i]);
        break;
      }
      case "tuple":
        mix(7), mix(x.items.length);
        for (let i = x.items.length - 1; i >= 0; i--) work.push(x.items[i]);
        break;
      case "map":
        // Only the size: entry order must not matter, and hashing the entries would recurse.
        mix(8), mix(x.entries.length);
        break;
      case "pid":
        mix(9), mixText(x.node), mix(x.id), mix(x.serial), mix(x.creation);
        break;
      case "ref":
        mix(10), mixText(x.node), mix(x.creation);
        for (const id of x.ids) mix(id);
        break;
    }
  }
  return h;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
