/**
 * JavaScript values ⇄ VM values (through the HostValue model of src/term/host.ts).
 *
 *   JS → VM: integer number or bigint → Int (must fit 64 bits); other number → Float; string →
 *   Str; boolean → Bool; null/undefined → Null; Array → List; Uint8Array → Bytes; plain object
 *   → Object (own enumerable keys, in order). Anything else is a TypeError.
 *   VM → JS: Int → number when safe, else bigint; Float → number; Str; Bool; Null → null;
 *   List → Array; Object → plain object; Bytes → Uint8Array; Function/Closure →
 *   { function: addr, params }; Exception → { exception: message, trace }.
 */
import type { HostValue } from "../term/host.ts";

export type JsValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | JsValue[]
  | { [key: string]: JsValue };

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;

export function toHostValue(v: JsValue): HostValue {
  if (v === null || v === undefined) return { kind: "null" };
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
  if (Array.isArray(v)) return { kind: "list", items: v.map(toHostValue) };
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return { kind: "object", entries: Object.entries(v).map(([k, x]) => [k, toHostValue(x)]) };
  }
  throw new TypeError(`cannot send ${Object.prototype.toString.call(v)} to a VM process`);
}

export function fromHostValue(v: HostValue): JsValue {
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
    case "list":
      return v.items.map(fromHostValue);
    case "object":
      return Object.fromEntries(v.entries.map(([k, x]) => [k, fromHostValue(x)]));
    case "function":
      return { function: v.addr, params: v.params };
    case "closure":
      return { function: v.addr, params: v.params };
    case "exception":
      return { exception: v.message, trace: v.trace };
  }
}
