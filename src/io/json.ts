/**
 * JSON (RFC 8259) ⇄ HostValue, written for the VM rather than with JSON.parse, which would lose
 * 64-bit integers. Numbers without fraction or exponent that fit in 64 bits are Ints, other
 * numbers Floats; objects keep their key order (a repeated key keeps its first position and
 * takes the last value). Errors name the line and column. Nesting deeper than MAX_DEPTH is an
 * error, never a JavaScript stack overflow.
 */
import type { HostValue } from "../term/host.ts";

export class JsonError extends Error {}

const MAX_DEPTH = 1000;
const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;

export function jsonParse(text: string): HostValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < text.length) p.fail("trailing characters");
  return v;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split("\n").length;
    const col = this.i - before.lastIndexOf("\n");
    throw new JsonError(`invalid JSON at line ${line}, column ${col}: ${what}`);
  }

  unexpected(): never {
    if (this.i >= this.s.length) this.fail("unexpected end of input");
    this.fail(`unexpected character '${this.s[this.i]}'`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  value(depth: number): HostValue {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return { kind: "str", value: this.string() };
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, v] of LITERALS) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    this.unexpected();
  }

  object(depth: number): HostValue {
    this.i++;
    const entries: Array<[string, HostValue]> = [];
    const index = new Map<string, number>();
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return { kind: "object", entries };
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.unexpected();
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.unexpected();
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      const at = index.get(key);
      if (at === undefined) {
        index.set(key, entries.length);
        entries.push([key, v]);
      } else entries[at] = [key, v];
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] === "}") {
        this.i++;
        return { kind: "object", entries };
      }
      this.unexpected();
    }
  }

  array(depth: number): HostValue {
    this.i++;
    const items: HostValue[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return { kind: "list", items };
    }
    for (;;) {
      this.ws();
      items.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] === "]") {
        this.i++;
        return { kind: "list", items };
      }
      this.unexpected();
    }
  }

  string(): string {
    const s = this.s;
    const start = this.i;
    this.i++;
    const parts: string[] = [];
    let run = this.i;
    for (;;) {
      if (this.i >= s.length) {
        this.i = start;
        this.fail("unterminated string");
      }
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        parts.push(s.slice(run, this.i));
        this.i++;
        return parts.join("");
      }
      if (c < 0x20) this.fail("control character in string");
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      parts.push(s.slice(run, this.i));
      const e = s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"':
        case "\\":
        case "/":
          parts.push(e);
          break;
        case "b":
          parts.push("\b");
          break;
        case "f":
          parts.push("\f");
          break;
        case "n":
          parts.push("\n");
          break;
        case "r":
          parts.push("\r");
          break;
        case "t":
          parts.push("\t");
          break;
        case "u": {
          const hex = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
          parts.push(String.fromCharCode(parseInt(hex, 16)));
          this.i += 4;
          break;
        }
        default:
          this.i -= 2;
          this.fail(`bad escape '\\${e ?? ""}'`);
      }
      run = this.i;
    }
  }

  number(): HostValue {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(
      this.s.slice(this.i, this.i + 400),
    );
    if (!m) this.unexpected();
    this.i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = BigInt(m[0]);
      if (n >= I64_MIN && n <= I64_MAX) return { kind: "int", value: n };
    }
    return { kind: "float", value: Number(m[0]) };
  }
}

const LITERALS: Array<[string, HostValue]> = [
  ["true", { kind: "bool", value: true }],
  ["false", { kind: "bool", value: false }],
  ["null", { kind: "null" }],
];

/** Compact JSON text of a value. */
export function jsonStringify(v: HostValue): string {
  const out: string[] = [];
  write(v, out, 0);
  return out.join("");
}

function write(v: HostValue, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw new JsonError("value nested too deeply to encode");
  switch (v.kind) {
    case "null":
      out.push("null");
      return;
    case "bool":
      out.push(v.value ? "true" : "false");
      return;
    case "int":
      out.push(String(v.value));
      return;
    case "float": {
      if (!Number.isFinite(v.value)) {
        throw new JsonError(`cannot encode ${Number.isNaN(v.value) ? "NaN" : "inf"} as JSON`);
      }
      const t = String(v.value);
      out.push(/[.eE]/.test(t) ? t : t + ".0");
      return;
    }
    case "str":
      out.push(quote(v.value));
      return;
    case "list":
      out.push("[");
      v.items.forEach((x, i) => {
        if (i) out.push(",");
        write(x, out, depth + 1);
      });
      out.push("]");
      return;
    case "object":
      out.push("{");
      v.entries.forEach(([k, x], i) => {
        if (i) out.push(",");
        out.push(quote(k), ":");
        write(x, out, depth + 1);
      });
      out.push("}");
      return;
    case "bytes":
      throw new JsonError("cannot encode Bytes as JSON");
    case "function":
    case "closure":
      throw new JsonError("cannot encode a function as JSON");
    case "exception":
      throw new JsonError("cannot encode an Exception as JSON");
  }
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}
