/**
 * JSON (RFC 8259) ⇄ HostValue, for JSON_PARSE / JSON_STRINGIFY and the API.
 *
 * Written by hand rather than with JSON.parse, which would round 64-bit integers. Invariants:
 * - numbers without fraction or exponent that fit in i64 become Ints, all others Floats; a
 *   number too large for a double is an error (so every parsed value can be written back);
 * - objects keep the order of first appearance; a repeated key takes the last value;
 * - strings decode every escape; `\u` surrogate pairs combine, an unpaired one is an error;
 * - errors are JsonError `invalid JSON at line L, column C: <what>` (1-based; the column counts
 *   characters, i.e. code points);
 * - any nesting depth works on both sides: the parser and the writer keep their open arrays
 *   and objects on explicit stacks, never on the JavaScript call stack;
 * - output is compact, floats always read back as floats (`1.0`, `1e21`); an Atom is written
 *   as the string of its name and a Tuple as an array (so they read back as Str and List);
 *   values with no JSON form (NaN, ±inf, Bytes, functions, exceptions, connections, terms) are
 *   refused with a JsonError.
 */
import type { HostValue } from "../term/host.ts";

export class JsonError extends Error {
  override name = "JsonError";
}

const I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n;

/** Objects up to this many keys detect a repeated key by a linear scan instead of a Map. */
const SMALL_OBJECT_ENTRIES = 8;

/** Parse one JSON text (surrounding whitespace allowed) into a HostValue. */
export function jsonParse(text: string): HostValue {
  const parser = new JsonParser(text);
  parser.skipWhitespace();
  const value = parser.parseValue();
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail("trailing characters");
  return value;
}

const CH_QUOTE = 0x22, CH_BACKSLASH = 0x5c, CH_MINUS = 0x2d, CH_PLUS = 0x2b, CH_DOT = 0x2e;
const CH_0 = 0x30, CH_1 = 0x31, CH_9 = 0x39;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

/** A character as error messages show it: `'x'`, or `U+000A` for control characters. */
function describeChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
    return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return `'${ch}'`;
}

/** An array or object being parsed: its items, or its entries and the key of the value being
 *  parsed (with a key → position index once the object grows). */
type OpenContainer = { items: HostValue[] } | {
  entries: Array<[string, HostValue]>;
  key: string;
  indexOfKey: Map<string, number> | undefined;
};

/** Add `value` under the pending key: a repeated key takes the last value in its first place.
 *  Small objects find a repeated key by scanning; the index is built once they grow. */
function addEntry(
  obj: { entries: Array<[string, HostValue]>; key: string; indexOfKey?: Map<string, number> },
  value: HostValue,
): void {
  const { entries, key } = obj;
  let at = -1;
  if (obj.indexOfKey !== undefined) {
    at = obj.indexOfKey.get(key) ?? -1;
  } else {
    for (let k = 0; k < entries.length; k++) if (entries[k][0] === key) at = k;
  }
  if (at >= 0) {
    entries[at] = [key, value];
    return;
  }
  obj.indexOfKey?.set(key, entries.length);
  entries.push([key, value]);
  if (obj.indexOfKey === undefined && entries.length > SMALL_OBJECT_ENTRIES) {
    obj.indexOfKey = new Map(entries.map(([k], i) => [k, i]));
  }
}

class JsonParser {
  pos = 0;
  constructor(private readonly text: string) {}

  /** Throw a JsonError located at `at` (default: the current position). */
  fail(what: string, at = this.pos): never {
    const text = this.text;
    const lineStart = text.lastIndexOf("\n", at - 1) + 1;
    let line = 1;
    for (let i = text.indexOf("\n"); i !== -1 && i < at; i = text.indexOf("\n", i + 1)) line++;
    let column = 1;
    for (const _ of text.slice(lineStart, at)) column++;
    throw new JsonError(`invalid JSON at line ${line}, column ${column}: ${what}`);
  }

  /** Fail on whatever is at the current position. */
  unexpected(): never {
    if (this.pos >= this.text.length) this.fail("unexpected end of input");
    const ch = String.fromCodePoint(this.text.codePointAt(this.pos)!);
    this.fail(`unexpected character ${describeChar(ch)}`);
  }

  skipWhitespace(): void {
    const text = this.text;
    let i = this.pos;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.pos = i;
  }

  /** One value (arrays and objects nested to any depth). Containers still open wait on an
   *  explicit stack; each finished value is added to the innermost one. */
  parseValue(): HostValue {
    const text = this.text;
    const open: OpenContainer[] = [];
    for (;;) {
      // Parse the start of a value: a scalar, an empty container, or open a container.
      let value: HostValue;
      const c = text.charCodeAt(this.pos);
      if (c === 0x5b) { // [
        this.pos++;
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) === 0x5d) {
          this.pos++;
          value = { kind: "list", items: [] };
        } else {
          open.push({ items: [] });
          continue;
        }
      } else if (c === 0x7b) { // {
        this.pos++;
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) === 0x7d) {
          this.pos++;
          value = { kind: "object", entries: [] };
        } else {
          open.push({ entries: [], key: this.parseKey(), indexOfKey: undefined });
          continue;
        }
      } else {
        value = this.parseScalar(c);
      }
      // Add finished values to their containers, closing those that end here.
      for (;;) {
        const top = open[open.length - 1];
        if (top === undefined) return value;
        if ("items" in top) top.items.push(value);
        else addEntry(top, value);
        this.skipWhitespace();
        const d = text.charCodeAt(this.pos);
        if (d === 0x2c) { // ,
          this.pos++;
          this.skipWhitespace();
          if (!("items" in top)) top.key = this.parseKey();
          break;
        }
        if ("items" in top ? d === 0x5d : d === 0x7d) { // ] or }
          this.pos++;
          open.pop();
          value = "items" in top
            ? { kind: "list", items: top.items }
            : { kind: "object", entries: top.entries };
          continue;
        }
        this.unexpected();
      }
    }
  }

  /** At an object key: the key, then `:` and the whitespace before its value. */
  parseKey(): string {
    const text = this.text;
    if (text.charCodeAt(this.pos) !== CH_QUOTE) this.unexpected();
    const key = this.parseString();
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) !== 0x3a) this.unexpected(); // :
    this.pos++;
    this.skipWhitespace();
    return key;
  }

  /** A string, literal or number starting with character code `c`. */
  parseScalar(c: number): HostValue {
    switch (c) {
      case CH_QUOTE:
        return { kind: "str", value: this.parseString() };
      case 0x74: // t
        return this.parseLiteral("true", { kind: "bool", value: true });
      case 0x66: // f
        return this.parseLiteral("false", { kind: "bool", value: false });
      case 0x6e: // n
        return this.parseLiteral("null", { kind: "null" });
    }
    if (c === CH_MINUS || isDigit(c)) return this.parseNumber();
    this.unexpected();
  }

  parseLiteral(word: string, value: HostValue): HostValue {
    for (let k = 0; k < word.length; k++) {
      if (this.text.charCodeAt(this.pos) !== word.charCodeAt(k)) this.unexpected();
      this.pos++;
    }
    return value;
  }

  /** At `"`; returns the decoded string and leaves pos after the closing quote. Unescaped
   *  runs are sliced whole, so long strings cost one pass. */
  parseString(): string {
    const text = this.text;
    const open = this.pos;
    let i = open + 1;
    let runStart = i;
    const parts: string[] = [];
    for (;;) {
      if (i >= text.length) this.fail("unterminated string", open);
      const c = text.charCodeAt(i);
      if (c === CH_QUOTE) {
        this.pos = i + 1;
        if (parts.length === 0) return text.slice(runStart, i);
        parts.push(text.slice(runStart, i));
        return parts.join("");
      }
      if (c < 0x20) this.fail(`unescaped control character ${describeChar(text[i])} in string`, i);
      if (c !== CH_BACKSLASH) {
        i++;
        continue;
      }
      parts.push(text.slice(runStart, i));
      i = this.parseEscape(i, parts);
      runStart = i;
    }
  }

  /** Decode the escape starting at the backslash at `at` into `parts`; returns the index after
   *  it. */
  parseEscape(at: number, parts: string[]): number {
    const text = this.text;
    const e = text[at + 1];
    switch (e) {
      case '"':
      case "\\":
      case "/":
        parts.push(e);
        return at + 2;
      case "b":
        parts.push("\b");
        return at + 2;
      case "f":
        parts.push("\f");
        return at + 2;
      case "n":
        parts.push("\n");
        return at + 2;
      case "r":
        parts.push("\r");
        return at + 2;
      case "t":
        parts.push("\t");
        return at + 2;
      case "u": {
        const unit = this.hex4(at);
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail("unpaired surrogate in \\u escape", at);
        if (unit < 0xd800 || unit > 0xdbff) {
          parts.push(String.fromCharCode(unit));
          return at + 6;
        }
        // A high surrogate must be followed by an escaped low surrogate.
        if (text[at + 6] !== "\\" || text[at + 7] !== "u") {
          this.fail("unpaired surrogate in \\u escape", at);
        }
        const low = this.hex4(at + 6);
        if (low < 0xdc00 || low > 0xdfff) this.fail("unpaired surrogate in \\u escape", at);
        parts.push(String.fromCharCode(unit, low));
        return at + 12;
      }
      default:
        if (e === undefined) this.fail("unterminated string", at);
        this.fail(`invalid escape ${describeChar("\\" + e)}`, at);
    }
  }

  /** The 4 hex digits after the `\u` at `at`. */
  hex4(at: number): number {
    const hex = this.text.slice(at + 2, at + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("invalid \\u escape (needs 4 hex digits)", at);
    return parseInt(hex, 16);
  }

  /** At `-` or a digit: the RFC 8259 number grammar, scanned by hand so no length limit. */
  parseNumber(): HostValue {
    const text = this.text;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === CH_MINUS) i++;
    const first = text.charCodeAt(i);
    if (first === CH_0) {
      i++;
      if (isDigit(text.charCodeAt(i))) this.fail("invalid number (leading zero)", start);
    } else if (first >= CH_1 && first <= CH_9) {
      while (isDigit(text.charCodeAt(i))) i++;
    } else {
      this.fail("invalid number", start);
    }
    let integral = true;
    if (text.charCodeAt(i) === CH_DOT) {
      i++;
      if (!isDigit(text.charCodeAt(i))) this.fail("invalid number (no digits after '.')", start);
      while (isDigit(text.charCodeAt(i))) i++;
      integral = false;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) { // e E
      i++;
      const sign = text.charCodeAt(i);
      if (sign === CH_PLUS || sign === CH_MINUS) i++;
      if (!isDigit(text.charCodeAt(i))) this.fail("invalid number (no exponent digits)", start);
      while (isDigit(text.charCodeAt(i))) i++;
      integral = false;
    }
    const literal = text.slice(start, i);
    this.pos = i;
    if (integral) {
      // Up to 15 digits a double is exact and converts faster than BigInt parsing.
      const n = literal.length <= 15 ? BigInt(Number(literal)) : BigInt(literal);
      if (n >= I64_MIN && n <= I64_MAX) return { kind: "int", value: n };
    }
    const x = Number(literal);
    if (!Number.isFinite(x)) this.fail("number out of range", start);
    return { kind: "float", value: x };
  }
}

/** Compact JSON text of a value; throws JsonError for values JSON cannot represent. */
export function jsonStringify(v: HostValue): string {
  // Pieces still to write, last first: literal text, or a value.
  const todo: Array<string | HostValue> = [v];
  const out: string[] = [];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (typeof x === "string") {
      out.push(x);
      continue;
    }
    switch (x.kind) {
      case "null":
        out.push("null");
        break;
      case "bool":
        out.push(x.value ? "true" : "false");
        break;
      case "int":
        out.push(x.value.toString());
        break;
      case "float":
        out.push(jsonFloat(x.value));
        break;
      case "str":
        out.push(jsonQuote(x.value));
        break;
      case "atom":
        out.push(jsonQuote(x.name));
        break;
      case "list":
      case "tuple":
        todo.push("]");
        for (let i = x.items.length - 1; i >= 0; i--) {
          todo.push(x.items[i]);
          if (i > 0) todo.push(",");
        }
        out.push("[");
        break;
      case "object":
        todo.push("}");
        for (let i = x.entries.length - 1; i >= 0; i--) {
          const [key, value] = x.entries[i];
          todo.push(value, (i > 0 ? "," : "") + jsonQuote(key) + ":");
        }
        out.push("{");
        break;
      case "bytes":
        throw new JsonError("cannot encode Bytes as JSON");
      case "function":
      case "closure":
        throw new JsonError("cannot encode a function as JSON");
      case "exception":
        throw new JsonError("cannot encode an Exception as JSON");
      case "conn":
        throw new JsonError("cannot encode a Connection as JSON");
      case "term":
        throw new JsonError("cannot encode a Term as JSON");
    }
  }
  return out.join("");
}

/** A float as a JSON number that reads back as a Float: shortest round-trip digits, with `.0`
 *  added to integral values and `-0.0` kept. */
function jsonFloat(x: number): string {
  if (Number.isNaN(x)) throw new JsonError("cannot encode NaN as JSON");
  if (x === Infinity) throw new JsonError("cannot encode inf as JSON");
  if (x === -Infinity) throw new JsonError("cannot encode -inf as JSON");
  if (Object.is(x, -0)) return "-0.0";
  const text = String(x).replace("e+", "e");
  return /[.e]/.test(text) ? text : text + ".0";
}

/** Code units a JSON string cannot hold as they are: `"`, `\`, C0 controls (escaped), and
 *  unpaired surrogates, which become U+FFFD — what the VM's UTF-8 strings would hold anyway —
 *  so every text written here is well-formed Unicode that jsonParse reads back. */
// `[^ -\uffff]` is "below U+0020", written so without control characters in the pattern.
const JSON_ESCAPED =
  /["\\]|[^ -\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const JSON_SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function escapeJsonChar(ch: string): string {
  const short = JSON_SHORT_ESCAPES[ch];
  if (short !== undefined) return short;
  const unit = ch.charCodeAt(0);
  if (unit >= 0xd800) return "\ufffd";
  return "\\u" + unit.toString(16).padStart(4, "0");
}

/** Cheap test for "might need escaping" (any surrogate counts), so most strings skip the
 *  replace. */
const JSON_MAYBE_ESCAPED = /["\\\ud800-\udfff]|[^ -\uffff]/;

function jsonQuote(s: string): string {
  if (!JSON_MAYBE_ESCAPED.test(s)) return `"${s}"`;
  return `"${s.replace(JSON_ESCAPED, escapeJsonChar)}"`;
}
