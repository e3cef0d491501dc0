/**
 * HostValue: the plain JavaScript model of a VM value, used where values cross into JavaScript —
 * I/O instructions (JSON, CSV, files), the TypeScript API, tests. Values in shared memory are
 * converted with Values.toHost / Values.putHost (src/term/values.ts).
 *
 * Invariants: ints are exact 64-bit bigints; object entries keep insertion order and have
 * unique keys.
 */

export type HostValue =
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "str"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  | { kind: "list"; items: HostValue[] }
  | { kind: "object"; entries: Array<[string, HostValue]> }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "function"; addr: number; params: string[] }
  | { kind: "closure"; addr: number; params: string[]; captured: Array<[string, HostValue]> }
  | { kind: "exception"; message: string; trace: string[] };

export const hNull: HostValue = { kind: "null" };
export const hInt = (n: bigint | number): HostValue => ({ kind: "int", value: BigInt(n) });
export const hFloat = (x: number): HostValue => ({ kind: "float", value: x });
export const hStr = (s: string): HostValue => ({ kind: "str", value: s });
export const hBool = (b: boolean): HostValue => ({ kind: "bool", value: b });
export const hList = (items: HostValue[]): HostValue => ({ kind: "list", items });
export const hObject = (entries: Array<[string, HostValue]>): HostValue => ({
  kind: "object",
  entries,
});

const F64_EPSILON = 2.220446049250313e-16;

/** EQ semantics (LANGUAGE.md §1): different kinds are unequal; Floats equal within f64
 *  epsilon; lists element-wise; objects by the same keys with equal values, in any order. */
export function hostEquals(a: HostValue, b: HostValue): boolean {
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
    case "bytes": {
      const y = (b as typeof a).value;
      return a.value.length === y.length && a.value.every((v, i) => v === y[i]);
    }
    case "list": {
      const y = (b as typeof a).items;
      return a.items.length === y.length && a.items.every((v, i) => hostEquals(v, y[i]));
    }
    case "object":
      return entriesEqual(a.entries, (b as typeof a).entries);
    case "function": {
      const y = b as typeof a;
      return a.addr === y.addr && a.params.join("\0") === y.params.join("\0");
    }
    case "closure": {
      const y = b as typeof a;
      return a.addr === y.addr && a.params.join("\0") === y.params.join("\0") &&
        entriesEqual(a.captured, y.captured);
    }
    case "exception": {
      const y = b as typeof a;
      return a.message === y.message && a.trace.join("\0") === y.trace.join("\0");
    }
  }
}

function entriesEqual(x: Array<[string, HostValue]>, y: Array<[string, HostValue]>): boolean {
  if (x.length !== y.length) return false;
  const other = new Map(y);
  return x.every(([k, v]) => other.has(k) && hostEquals(v, other.get(k)!));
}
