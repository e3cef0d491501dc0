/**
 * HostValue: the plain JavaScript model of a VM value, used where values cross into JavaScript —
 * I/O instructions (JSON, CSV, files), the TypeScript API, tests. Values in shared memory are
 * converted with Values.toHost / Values.putHost (src/term/values.ts).
 *
 * Invariants: ints are exact 64-bit bigints (a PID is an int with `pid: true`); object entries keep insertion order and have
 * unique keys; an atom is its name; a connection is its kind name (one of CONN_KINDS) and its
 * handle id; a term is its External Term Format bytes. Functions here that walk a value
 * (hostEquals) use an explicit work stack, so any nesting depth is fine.
 */

export type HostValue =
  /** `pid`: the Int is a PID (src/term/tags.ts PID_MARK); only distribution looks at it. */
  | { kind: "int"; value: bigint; pid?: boolean }
  | { kind: "float"; value: number }
  | { kind: "str"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  | { kind: "list"; items: HostValue[] }
  | { kind: "object"; entries: Array<[string, HostValue]> }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "function"; addr: number; params: string[]; code?: FuncCode }
  | {
    kind: "closure";
    addr: number;
    params: string[];
    captured: Array<[string, HostValue]>;
    code?: FuncCode;
  }
  | { kind: "exception"; message: string; trace: string[] }
  | { kind: "atom"; name: string }
  | { kind: "tuple"; items: HostValue[] }
  | { kind: "conn"; connKind: string; id: number }
  | { kind: "term"; bytes: Uint8Array };

/** Where a Function lives in the running program — its cell's payload: the global pc and the
 *  parameter-list index. Present on functions read from memory; needed to write one back
 *  (only meaningful within one program). `addr` is the pc within its file, for display. */
export interface FuncCode {
  pc: number;
  paramList: number;
}

export const hNull: HostValue = { kind: "null" };
/** A PID (an Int the runtime made as a PID). */
export const hPid = (pid: number | bigint): HostValue => ({
  kind: "int",
  value: BigInt(pid),
  pid: true,
});
const I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n;

/** An Int; throws RangeError for a non-integral number or a value outside i64 (never wraps
 *  silently: a host value out of range is a bug in the caller). */
export function hInt(n: bigint | number): HostValue {
  const value = BigInt(n);
  if (value < I64_MIN || value > I64_MAX) throw new RangeError(`${value} does not fit in i64`);
  return { kind: "int", value };
}
export const hFloat = (x: number): HostValue => ({ kind: "float", value: x });
export const hStr = (s: string): HostValue => ({ kind: "str", value: s });
export const hBool = (b: boolean): HostValue => ({ kind: "bool", value: b });
export const hList = (items: HostValue[]): HostValue => ({ kind: "list", items });
export const hObject = (entries: Array<[string, HostValue]>): HostValue => ({
  kind: "object",
  entries,
});
export const hBytes = (bytes: Uint8Array | number[]): HostValue => ({
  kind: "bytes",
  value: bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes),
});
export const hFunction = (addr: number, params: string[]): HostValue => ({
  kind: "function",
  addr,
  params,
});
export const hClosure = (
  addr: number,
  params: string[],
  captured: Array<[string, HostValue]>,
): HostValue => ({ kind: "closure", addr, params, captured });
export const hException = (message: string, trace: string[] = []): HostValue => ({
  kind: "exception",
  message,
  trace,
});

export const hAtom = (name: string): HostValue => ({ kind: "atom", name });
export const hTuple = (items: HostValue[]): HostValue => ({ kind: "tuple", items });
export const hConn = (connKind: string, id: number): HostValue => ({ kind: "conn", connKind, id });
export const hTerm = (bytes: Uint8Array): HostValue => ({ kind: "term", bytes });

const F64_EPSILON = 2.220446049250313e-16;

/**
 * EQ semantics (LANGUAGE.md §1, reference §6.3): values of different kinds are unequal (so
 * Int 1 ≠ Float 1.0, and an Atom never equals a Str); Floats are equal when |a − b| < f64
 * epsilon, which makes NaN unequal to everything and inf unequal to inf, as in the reference;
 * lists and tuples compare element-wise; objects are equal when they have the same keys with
 * equal values, in any order (field order is only a printing matter); Bytes and Terms
 * byte-wise; Atoms by name; Connections by handle id; Functions by address and parameter names;
 * Closures also by their captured variables (order-insensitive, like objects); Exceptions by
 * message and trace.
 */
export function hostEquals(a: HostValue, b: HostValue): boolean {
  const stack: HostValue[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop()!, x = stack.pop()!;
    if (!shallowEquals(x, y, stack)) return false;
  }
  return true;
}

/** Compare x and y at the top level, pushing pairs of children still to compare. */
function shallowEquals(a: HostValue, b: HostValue, pairs: HostValue[]): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "null":
      return true;
    case "int":
    case "str":
    case "bool":
      return a.value === (b as typeof a).value;
    case "float":
      return Math.abs(a.value - (b as typeof a).value) < F64_EPSILON;
    case "bytes":
      return bytesEqual(a.value, (b as typeof a).value);
    case "term":
      return bytesEqual(a.bytes, (b as typeof a).bytes);
    case "atom":
      return a.name === (b as typeof a).name;
    case "conn":
      return a.id === (b as typeof a).id;
    case "list":
    case "tuple": {
      const y = (b as typeof a).items;
      if (a.items.length !== y.length) return false;
      for (let i = 0; i < y.length; i++) pairs.push(a.items[i], y[i]);
      return true;
    }
    case "object":
      return entriesEqual(a.entries, (b as typeof a).entries, pairs);
    case "function": {
      const y = b as typeof a;
      return a.addr === y.addr && stringsEqual(a.params, y.params);
    }
    case "closure": {
      const y = b as typeof a;
      return a.addr === y.addr && stringsEqual(a.params, y.params) &&
        entriesEqual(a.captured, y.captured, pairs);
    }
    case "exception": {
      const y = b as typeof a;
      return a.message === y.message && stringsEqual(a.trace, y.trace);
    }
  }
}

function entriesEqual(
  x: Array<[string, HostValue]>,
  y: Array<[string, HostValue]>,
  pairs: HostValue[],
): boolean {
  if (x.length !== y.length) return false;
  const other = new Map(y);
  for (const [k, v] of x) {
    const w = other.get(k);
    if (w === undefined) return false;
    pairs.push(v, w);
  }
  return true;
}

function stringsEqual(x: string[], y: string[]): boolean {
  return x.length === y.length && x.every((s, i) => s === y[i]);
}

function bytesEqual(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
