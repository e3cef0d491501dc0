/**
 * The value mapping between ttvm values (as HostValues, src/term/host.ts) and Erlang terms
 * (ErlTerm, src/dist/term.ts) — LANGUAGE.md §8:
 *
 * | ttvm                         | Erlang                                                     |
 * |------------------------------|------------------------------------------------------------|
 * | Int (i64)                    | integer (an integer beyond 64 bits arrives as a Term)      |
 * | Int made as a PID            | pid (a local PID: a pid of this node; a proxy: its pid)    |
 * | Float                        | float                                                      |
 * | Str                          | UTF-8 binary (a binary that is not UTF-8 arrives as Bytes) |
 * | Bytes                        | binary                                                     |
 * | Bool / Null                  | `true` `false` / `undefined`                               |
 * | Atom, Tuple                  | atom, tuple                                                |
 * | List                         | proper list                                                |
 * | Object                       | map with binary keys (atom keys arrive as Str)             |
 * | Term                         | the term it holds (refs, funs, ports, improper lists, …)   |
 *
 * ttvm values Erlang has no form for travel as tagged tuples whose first element is the atom
 * `'$ttvm'`, so that they come back exactly, through Erlang too: `{'$ttvm', float, <<Bits:64>>}`
 * (NaN, ±inf), `{'$ttvm', str, <<UTF-16LE>>}` (a Str with an unpaired surrogate), `{'$ttvm',
 * atom, Name}` (an atom name over 255 characters), `{'$ttvm', function, Program, Pc, ParamList,
 * Params}`, `{'$ttvm', closure, Program, Pc, ParamList, Params, [{Name, Value}]}` (Pc and
 * ParamList: the function's global pc and parameter-list index), `{'$ttvm', exception, Message,
 * Trace}`, `{'$ttvm', conn, Kind, Id}`, `{'$ttvm', term, Bytes}` (Term bytes that are not valid
 * ETF). A function or closure is rebuilt only by a node running the same program (`Program` is
 * the program's fingerprint); elsewhere it stays a Tuple.
 *
 * Exit reasons follow Erlang's convention (`reasonToErl` / `reasonFromErl`): a Str reason
 * crosses as the atom of the same text (a binary beyond 255 characters), an atom reason arrives
 * as a Str.
 *
 * Both directions are iterative (explicit work stacks), so any nesting depth converts.
 */
import {
  atom,
  binary,
  decodeTerm,
  encodeTerm,
  type ErlPid,
  type ErlTerm,
  float,
  NIL,
  tuple,
} from "../dist/mod.ts";
import type { HostValue } from "../term/host.ts";

/** How PIDs cross: the bridge's proxy table. */
export interface PidMapper {
  /** The Erlang pid of PID `n` (a local process or a proxy). */
  toErlPid(n: number): ErlPid;
  /** The PID of an Erlang pid: a local process number, or a proxy (made on first sight). */
  fromErlPid(pid: ErlPid): number;
}

export interface ValueContext extends PidMapper {
  /** Fingerprint of the running program: functions are rebuilt only for the same one. */
  program: number;
  /** The pc within its file of global pc `pc` (a Function's display address). */
  localPc?(pc: number): number;
}

/** The first element of a tagged ttvm-only value. */
export const TTVM_TAG = "$ttvm";
const MAX_ATOM_CHARS = 255;
const I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const TRUE = atom("true"), FALSE = atom("false"), UNDEFINED = atom("undefined");
const TAG = atom(TTVM_TAG);

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function utf16Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

function fromUtf16Bytes(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] | (b[i + 1] << 8));
  return s;
}

function floatBits(x: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, x);
  return out;
}

function strTerm(s: string): ErlTerm {
  return s.isWellFormed() ? binary(s) : tuple(TAG, atom("str"), binary(utf16Bytes(s)));
}

function properList(items: ErlTerm[]): ErlTerm {
  return items.length === 0 ? NIL : { t: "list", items, tail: NIL };
}

/** A ttvm value as an Erlang term. */
export function hostToErl(value: HostValue, ctx: ValueContext): ErlTerm {
  // Most messages are small: a scalar, or a tuple of scalars, converts without the work stack.
  if (value.kind !== "tuple" && value.kind !== "list") {
    if (isLeaf(value)) return shallowToErl(value, ctx, noChildren);
  } else if (value.items.length <= 8 && value.items.every(isLeaf)) {
    const items = value.items.map((x) => shallowToErl(x, ctx, noChildren));
    return value.kind === "tuple" ? { t: "tuple", items } : properList(items);
  }
  const root: ErlTerm[] = [NIL];
  // Pending: value → slot `index` of array `into`.
  const todo: HostValue[] = [value];
  const intos: ErlTerm[][] = [root];
  const indices: number[] = [0];
  const later = (v: HostValue, into: ErlTerm[], index: number) => {
    todo.push(v);
    intos.push(into);
    indices.push(index);
  };
  while (todo.length > 0) {
    const x = todo.pop()!, into = intos.pop()!, index = indices.pop()!;
    into[index] = shallowToErl(x, ctx, later);
  }
  return root[0];
}

/** A value with no nested values (those convert with shallowToErl alone). */
function isLeaf(v: HostValue): boolean {
  switch (v.kind) {
    case "list":
    case "tuple":
      return v.items.length === 0;
    case "object":
      return v.entries.length === 0;
    case "closure":
      return v.captured.length === 0;
    default:
      return true;
  }
}

function noChildren(): never {
  throw new Error("internal error: a leaf value has no children");
}

function shallowToErl(
  x: HostValue,
  ctx: ValueContext,
  later: (v: HostValue, into: ErlTerm[], index: number) => void,
): ErlTerm {
  switch (x.kind) {
    case "int":
      return x.pid ? ctx.toErlPid(Number(x.value)) : x.value;
    case "float":
      return Number.isFinite(x.value)
        ? float(x.value)
        : tuple(TAG, atom("float"), binary(floatBits(x.value)));
    case "str":
      return strTerm(x.value);
    case "bytes":
      return binary(x.value);
    case "bool":
      return x.value ? TRUE : FALSE;
    case "null":
      return UNDEFINED;
    case "atom":
      return codePointCount(x.name) <= MAX_ATOM_CHARS
        ? atom(x.name)
        : tuple(TAG, atom("atom"), binary(x.name));
    case "list":
    case "tuple": {
      const items: ErlTerm[] = new Array(x.items.length).fill(NIL);
      x.items.forEach((item, i) => later(item, items, i));
      return x.kind === "tuple" ? { t: "tuple", items } : properList(items);
    }
    case "object": {
      const entries: [ErlTerm, ErlTerm][] = x.entries.map(([k, v]) => {
        const pair: [ErlTerm, ErlTerm] = [strTerm(k), NIL];
        later(v, pair, 1);
        return pair;
      });
      return { t: "map", entries };
    }
    case "term":
      try {
        return decodeTerm(x.bytes);
      } catch {
        return tuple(TAG, atom("term"), binary(x.bytes));
      }
    case "function":
    case "closure": {
      if (!x.code) throw new RangeError("a function without its code cannot cross");
      const items: ErlTerm[] = [
        TAG,
        atom(x.kind),
        BigInt(ctx.program),
        BigInt(x.code.pc),
        BigInt(x.code.paramList),
        properList(x.params.map(strTerm)),
      ];
      if (x.kind === "closure") {
        items.push(properList(x.captured.map(([name, v]) => {
          const pair: ErlTerm[] = [strTerm(name), NIL];
          later(v, pair, 1);
          return { t: "tuple", items: pair };
        })));
      }
      return { t: "tuple", items };
    }
    case "exception":
      return tuple(
        TAG,
        atom("exception"),
        strTerm(x.message),
        properList(x.trace.map(strTerm)),
      );
    case "conn":
      return tuple(TAG, atom("conn"), binary(x.connKind), BigInt(x.id));
  }
}

const NULL_VALUE: HostValue = { kind: "null" };

/** An Erlang term as a ttvm value. */
export function erlToHost(term: ErlTerm, ctx: ValueContext): HostValue {
  // Small messages convert without the work stack (see hostToErl).
  if (isErlLeaf(term)) return shallowToHost(term, ctx, noChildren);
  if (
    typeof term === "object" && term.t === "tuple" && term.items.length <= 8 &&
    term.items.every(isErlLeaf) && !isTaggedHead(term.items[0])
  ) {
    return { kind: "tuple", items: term.items.map((x) => shallowToHost(x, ctx, noChildren)) };
  }
  const root: HostValue[] = [NULL_VALUE];
  const todo: ErlTerm[] = [term];
  const intos: unknown[][] = [root];
  const indices: number[] = [0];
  const later = (t: ErlTerm, into: unknown[], index: number) => {
    todo.push(t);
    intos.push(into);
    indices.push(index);
  };
  while (todo.length > 0) {
    const x = todo.pop()!, into = intos.pop()!, index = indices.pop()!;
    into[index] = shallowToHost(x, ctx, later);
  }
  return root[0];
}

/** A term shallowToHost converts without children: no tuple, map or list with items. */
function isErlLeaf(t: ErlTerm): boolean {
  if (typeof t !== "object") return true;
  switch (t.t) {
    case "tuple":
      return t.items.length === 0;
    case "map":
      return t.entries.length === 0;
    case "list":
      return false;
    default:
      return true;
  }
}

function isTaggedHead(t: ErlTerm | undefined): boolean {
  return t !== undefined && typeof t === "object" && t.t === "atom" && t.name === TTVM_TAG;
}

function asTerm(t: ErlTerm): HostValue {
  return { kind: "term", bytes: encodeTerm(t) };
}

/** The text of a binary that is valid UTF-8, else undefined. */
function utf8Text(bytes: Uint8Array): string | undefined {
  if (bytes.length <= 64) {
    // Short ASCII text without a decoder call (each one is an op).
    let ascii = true;
    for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i] < 0x80;
    if (ascii) return String.fromCharCode(...bytes);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function shallowToHost(
  x: ErlTerm,
  ctx: ValueContext,
  later: (t: ErlTerm, into: unknown[], index: number) => void,
): HostValue {
  if (typeof x === "bigint") {
    return x >= I64_MIN && x <= I64_MAX ? { kind: "int", value: x } : asTerm(x);
  }
  switch (x.t) {
    case "float":
      return { kind: "float", value: x.value };
    case "atom":
      if (x.name === "true") return { kind: "bool", value: true };
      if (x.name === "false") return { kind: "bool", value: false };
      if (x.name === "undefined") return NULL_VALUE;
      return { kind: "atom", name: x.name };
    case "binary": {
      const text = utf8Text(x.bytes);
      return text === undefined ? { kind: "bytes", value: x.bytes } : { kind: "str", value: text };
    }
    case "nil":
      return { kind: "list", items: [] };
    case "list": {
      if (typeof x.tail !== "object" || x.tail.t !== "nil") return asTerm(x);
      const items: HostValue[] = new Array(x.items.length).fill(NULL_VALUE);
      x.items.forEach((item, i) => later(item, items, i));
      return { kind: "list", items };
    }
    case "tuple": {
      const tagged = fromTagged(x.items, ctx, later);
      if (tagged) return tagged;
      const items: HostValue[] = new Array(x.items.length).fill(NULL_VALUE);
      x.items.forEach((item, i) => later(item, items, i));
      return { kind: "tuple", items };
    }
    case "map": {
      const keys = new Set<string>();
      for (const [k] of x.entries) {
        const key = keyText(k);
        if (key === undefined || keys.has(key)) return asTerm(x);
        keys.add(key);
      }
      const entries: Array<[string, HostValue]> = x.entries.map(([k, v]) => {
        const pair: [string, HostValue] = [keyText(k)!, NULL_VALUE];
        later(v, pair, 1);
        return pair;
      });
      return { kind: "object", entries };
    }
    case "pid":
      return { kind: "int", value: BigInt(ctx.fromErlPid(x)), pid: true };
    case "ref":
    case "opaque":
      return asTerm(x);
  }
}

/** An Object key from a map key: a UTF-8 binary or an atom, else undefined. */
function keyText(k: ErlTerm): string | undefined {
  if (typeof k !== "object") return undefined;
  if (k.t === "binary") return utf8Text(k.bytes);
  if (k.t === "atom") return k.name;
  return undefined;
}

function binText(t: ErlTerm | undefined): string | undefined {
  return t !== undefined && typeof t === "object" && t.t === "binary"
    ? utf8Text(t.bytes)
    : undefined;
}

function binBytes(t: ErlTerm | undefined): Uint8Array | undefined {
  return t !== undefined && typeof t === "object" && t.t === "binary" ? t.bytes : undefined;
}

/** The items of a proper list, else undefined. */
function listItems(t: ErlTerm | undefined): readonly ErlTerm[] | undefined {
  if (t === undefined || typeof t !== "object") return undefined;
  if (t.t === "nil") return [];
  if (t.t !== "list" || !isNil(t.tail)) return undefined;
  return t.items;
}

function textList(t: ErlTerm | undefined): string[] | undefined {
  const items = listItems(t);
  if (items === undefined) return undefined;
  const out: string[] = [];
  for (const item of items) {
    const s = binText(item);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function smallInt(t: ErlTerm | undefined): number | undefined {
  return typeof t === "bigint" && t >= 0n && t <= 0x7fffffffn ? Number(t) : undefined;
}

/** A ttvm-only value from its tagged tuple (see the header), else undefined. */
function fromTagged(
  items: readonly ErlTerm[],
  ctx: ValueContext,
  later: (t: ErlTerm, into: unknown[], index: number) => void,
): HostValue | undefined {
  const head = items[0], kind = items[1];
  if (items.length < 3 || typeof head !== "object" || head.t !== "atom") return undefined;
  if (head.name !== TTVM_TAG || typeof kind !== "object" || kind.t !== "atom") return undefined;
  const n = items.length;
  switch (kind.name) {
    case "float": {
      const b = binBytes(items[2]);
      if (n !== 3 || b?.length !== 8) return undefined;
      return { kind: "float", value: new DataView(b.buffer, b.byteOffset, 8).getFloat64(0) };
    }
    case "str": {
      const b = binBytes(items[2]);
      if (n !== 3 || b === undefined || b.length % 2 !== 0) return undefined;
      return { kind: "str", value: fromUtf16Bytes(b) };
    }
    case "atom": {
      const name = binText(items[2]);
      return n === 3 && name !== undefined ? { kind: "atom", name } : undefined;
    }
    case "term": {
      const b = binBytes(items[2]);
      return n === 3 && b !== undefined ? { kind: "term", bytes: b } : undefined;
    }
    case "function":
    case "closure": {
      const closure = kind.name === "closure";
      if (n !== (closure ? 7 : 6) || items[2] !== BigInt(ctx.program)) return undefined;
      const pc = smallInt(items[3]), paramList = smallInt(items[4]), params = textList(items[5]);
      if (pc === undefined || paramList === undefined || params === undefined) return undefined;
      const code = { pc, paramList };
      const addr = ctx.localPc ? ctx.localPc(pc) : pc;
      if (!closure) return { kind: "function", addr, params, code };
      const vars = listItems(items[6]);
      if (vars === undefined) return undefined;
      const captured: Array<[string, HostValue]> = [];
      const sources: ErlTerm[] = [];
      for (const item of vars) {
        if (typeof item !== "object" || item.t !== "tuple" || item.items.length !== 2) {
          return undefined;
        }
        const name = binText(item.items[0]);
        if (name === undefined) return undefined;
        captured.push([name, NULL_VALUE]);
        sources.push(item.items[1]);
      }
      sources.forEach((src, i) => later(src, captured[i], 1));
      return { kind: "closure", addr, params, captured, code };
    }
    case "exception": {
      const message = binText(items[2]), trace = textList(items[3]);
      if (n !== 4 || message === undefined || trace === undefined) return undefined;
      return { kind: "exception", message, trace };
    }
    case "conn": {
      const connKind = binText(items[2]), id = smallInt(items[3]);
      if (n !== 4 || connKind === undefined || id === undefined || id === 0) return undefined;
      return { kind: "conn", connKind, id };
    }
  }
  return undefined;
}

function isNil(t: ErlTerm): boolean {
  return typeof t === "object" && t.t === "nil";
}

/** An exit reason as Erlang sees it: a Str is the atom of the same text (a binary when longer
 *  than an atom may be). */
export function reasonToErl(reason: HostValue, ctx: ValueContext): ErlTerm {
  if (reason.kind === "str") {
    return codePointCount(reason.value) <= MAX_ATOM_CHARS && reason.value.isWellFormed()
      ? atom(reason.value)
      : strTerm(reason.value);
  }
  return hostToErl(reason, ctx);
}

/** An exit reason from Erlang: an atom arrives as a Str, so `normal`, `killed`, `noproc` and
 *  `shutdown` mean the same on both sides. */
export function reasonFromErl(reason: ErlTerm, ctx: ValueContext): HostValue {
  if (typeof reason === "object" && reason.t === "atom") return { kind: "str", value: reason.name };
  return erlToHost(reason, ctx);
}

/** A Str reason for the runtime's own reasons (noconnection, noproc). */
export function strReason(text: string): HostValue {
  return { kind: "str", value: text };
}
