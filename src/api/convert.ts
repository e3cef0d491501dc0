/**
 * JavaScript values ⇄ VM values (through the HostValue model of src/term/host.ts).
 *
 *   JS → VM: integer number or bigint → Int (must fit 64 bits); other number → Float; string →
 *   Str; boolean → Bool; null/undefined → Null; Array → List; Uint8Array → Bytes; Atom → Atom;
 *   Tuple → Tuple; Connection → Connection; Term → Term; plain object → Object (own enumerable
 *   keys, in order). Anything else is a TypeError.
 *   VM → JS: Int → number when safe, else bigint; Float → number; Str; Bool; Null → null;
 *   List → Array; Object → plain object; Bytes → Uint8Array; Atom → Atom (interned: `Atom.of`
 *   gives the same object for the same name, so `===` compares atoms); Tuple → Tuple;
 *   Connection → Connection; Term → Term; Function/Closure → { function: addr, params };
 *   Exception → { exception: message, trace }.
 *
 * Atoms, tuples, connections and terms are classes rather than plain objects so that they can
 * never be mistaken for an Object with the same fields. Both directions walk the value with an
 * explicit stack: any nesting depth converts without recursion.
 */
import type { HostValue } from "../term/host.ts";
import { CONN_KINDS } from "../term/tags.ts";

/** An atom (LANGUAGE.md §6). Interned: use `Atom.of(name)`. */
export class Atom {
  private static readonly known = new Map<string, Atom>();
  private constructor(readonly name: string) {}
  static of(name: string): Atom {
    let atom = Atom.known.get(name);
    if (atom === undefined) {
      atom = new Atom(name);
      Atom.known.set(name, atom);
    }
    return atom;
  }
  toString(): string {
    return this.name;
  }
}

/** A tuple (LANGUAGE.md §6): a fixed-size sequence, printed `{1, ok, text}`. */
export class Tuple {
  constructor(readonly items: JsValue[]) {}
  /** `Tuple.of(Atom.of("ok"), 1)` is `new Tuple([Atom.of("ok"), 1])`. */
  static of(...items: JsValue[]): Tuple {
    return new Tuple(items);
  }
}

/** A Connection handle (a socket, listener, HTTP request, future, database or stream), as the
 *  VM printed it: `Connection(tcp#3)`. */
export class Connection {
  constructor(readonly kind: string, readonly id: number) {
    if (!(CONN_KINDS as readonly string[]).includes(kind)) {
      throw new TypeError(`unknown connection kind ${kind}`);
    }
    if (!Number.isInteger(id) || id <= 0 || id > 0x7fffffff) {
      throw new RangeError(`bad connection id ${id}`);
    }
  }
}

/** A foreign value from another Erlang node: its External Term Format bytes. */
export class Term {
  constructor(readonly bytes: Uint8Array) {}
}

export type JsValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | Atom
  | Tuple
  | Connection
  | Term
  | JsValue[]
  | { [key: string]: JsValue };

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;
const NULL_HOST: HostValue = { kind: "null" };

/** The HostValue of a JavaScript value (see the mapping above). */
export function toHostValue(value: JsValue): HostValue {
  const root: unknown[] = [NULL_HOST];
  // Depth-first with an explicit stack; `open` holds the containers on the current path (an
  // exit marker below each container's children closes it), so a cycle is found in O(n).
  const pending: Array<[JsValue, unknown[], number] | [object]> = [[value, root, 0]];
  const open = new Set<object>();
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (item.length === 1) {
      open.delete(item[0]);
      continue;
    }
    const [v, into, at] = item;
    if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) {
      if (open.has(v)) throw new TypeError("cannot send a circular structure to a VM process");
      open.add(v);
      pending.push([v]);
    }
    into[at] = hostNode(v, (child, slot, i) => pending.push([child, slot, i]));
  }
  return root[0] as HostValue;
}

function hostNode(
  v: JsValue,
  later: (child: JsValue, into: unknown[], at: number) => void,
): HostValue {
  if (v === null || v === undefined) return NULL_HOST;
  switch (typeof v) {
    case "number":
      return Number.isSafeInteger(v)
        ? { kind: "int", value: BigInt(v) }
        : { kind: "float", value: v };
    case "bigint":
      if (v < I64_MIN || v > I64_MAX) throw new RangeError(`${v} does not fit in 64 bits`);
      return { kind: "int", value: v };
    case "string":
      return { kind: "str", value: v };
    case "boolean":
      return { kind: "bool", value: v };
  }
  if (v instanceof Uint8Array) return { kind: "bytes", value: v };
  if (v instanceof Atom) return { kind: "atom", name: v.name };
  if (v instanceof Connection) return { kind: "conn", connKind: v.kind, id: v.id };
  if (v instanceof Term) return { kind: "term", bytes: v.bytes };
  if (v instanceof Tuple || Array.isArray(v)) {
    const source = v instanceof Tuple ? v.items : v;
    const items: HostValue[] = new Array(source.length);
    for (let i = 0; i < source.length; i++) later(source[i], items, i);
    return v instanceof Tuple ? { kind: "tuple", items } : { kind: "list", items };
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = Object.entries(v).map(([k, x]): [string, HostValue] => {
      const pair: [string, HostValue] = [k, NULL_HOST];
      later(x, pair, 1);
      return pair;
    });
    return { kind: "object", entries };
  }
  throw new TypeError(`cannot send ${Object.prototype.toString.call(v)} to a VM process`);
}

/** The JavaScript value of a HostValue (see the mapping above). */
export function fromHostValue(value: HostValue): JsValue {
  const root: unknown[] = [null];
  const pending: Array<[HostValue, unknown[] | Record<string, unknown>, number | string]> = [
    [value, root, 0],
  ];
  while (pending.length > 0) {
    const [v, into, at] = pending.pop()!;
    (into as Record<string | number, unknown>)[at] = jsNode(v, (child, slot, key) => {
      pending.push([child, slot, key]);
    });
  }
  return root[0] as JsValue;
}

function jsNode(
  v: HostValue,
  later: (child: HostValue, into: unknown[] | Record<string, unknown>, at: number | string) => void,
): JsValue {
  switch (v.kind) {
    case "null":
      return null;
    case "int":
      return v.value >= BigInt(Number.MIN_SAFE_INTEGER) &&
          v.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v.value)
        : v.value;
    case "float":
    case "str":
    case "bool":
    case "bytes":
      return v.value;
    case "atom":
      return Atom.of(v.name);
    case "conn":
      return new Connection(v.connKind, v.id);
    case "term":
      return new Term(v.bytes);
    case "list": {
      const items: JsValue[] = new Array(v.items.length);
      v.items.forEach((x, i) => later(x, items, i));
      return items;
    }
    case "tuple": {
      const items: JsValue[] = new Array(v.items.length);
      v.items.forEach((x, i) => later(x, items, i));
      return new Tuple(items);
    }
    case "object": {
      const obj: Record<string, JsValue> = {};
      for (const [k, x] of v.entries) {
        // defineProperty: a key "__proto__" is an own field, not the prototype
        Object.defineProperty(obj, k, {
          value: null,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        later(x, obj, k);
      }
      return obj;
    }
    case "function":
      return { function: v.addr, params: v.params };
    case "closure":
      return { function: v.addr, params: v.params };
    case "exception":
      return { exception: v.message, trace: v.trace };
  }
}
