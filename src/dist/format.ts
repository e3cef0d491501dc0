/**
 * formatErlTerm: a compact, Erlang-style text form of an ErlTerm, for printing opaque values
 * (ttvm's `#Term<…>`), logs and test failures. Close to `io:format("~p")` on one line:
 *
 *   42  1.0e3  ok  'Hello'  <<"text">>  <<1,2:3>>  "abc"  [1,2|tail]  {a,b}  #{k => v}
 *   <0.85.0> (this node)  <a@host.85.0> (other nodes; Erlang shows a node index instead)
 *   #Ref<0.3.2.1> (ids last word first, as Erlang prints them)  #Port<0.5>
 *   #Fun<module.OldIndex.OldUniq>  fun lists:map/2
 *
 * Floats use Erlang's shortest round-trip form: the shorter of fixed and scientific notation,
 * fixed on a tie, scientific from 2^53 up (what OTP 25's float_to_list(F, [short]) prints).
 * Iterative: nesting depth costs no host stack.
 */
import { describeOpaque } from "./etf.ts";
import type { ErlTerm } from "./term.ts";

export interface FormatOptions {
  /** Pids, refs and ports of this node print with node index 0, as Erlang prints local ones. */
  localNode?: string;
}

export function formatErlTerm(term: ErlTerm, opts: FormatOptions = {}): string {
  const out: string[] = [];
  const nodePart = (node: string) =>
    node === opts.localNode || node === "nonode@nohost" ? "0" : node;
  // Pending work: a term to print, or (as a JS string) text to emit verbatim.
  const work: (ErlTerm | string)[] = [term];
  while (work.length > 0) {
    const x = work.pop()!;
    if (typeof x === "string") {
      out.push(x);
      continue;
    }
    if (typeof x === "bigint") {
      out.push(x.toString());
      continue;
    }
    switch (x.t) {
      case "float":
        out.push(formatFloat(x.value));
        break;
      case "atom":
        out.push(formatAtom(x.name));
        break;
      case "binary":
        out.push(formatBinary(x.bytes));
        break;
      case "nil":
        out.push("[]");
        break;
      case "list": {
        let items = x.items, tail = x.tail;
        while (typeof tail === "object" && tail.t === "list") {
          items = [...items, ...tail.items], tail = tail.tail;
        }
        const proper = typeof tail === "object" && tail.t === "nil";
        if (proper && isPrintableCharList(items)) {
          out.push(quoteText(fromCodes(items.map(Number)), '"'));
          break;
        }
        out.push("[");
        work.push("]");
        if (!proper) work.push(tail, "|");
        pushSeparated(work, items);
        break;
      }
      case "tuple":
        out.push("{");
        work.push("}");
        pushSeparated(work, x.items);
        break;
      case "map":
        out.push("#{");
        work.push("}");
        for (let i = x.entries.length - 1; i >= 0; i--) {
          work.push(x.entries[i][1], " => ", x.entries[i][0]);
          if (i > 0) work.push(",");
        }
        break;
      case "pid":
        out.push(`<${nodePart(x.node)}.${x.id}.${x.serial}>`);
        break;
      case "ref":
        out.push(`#Ref<${nodePart(x.node)}.${[...x.ids].reverse().join(".")}>`);
        break;
      case "opaque": {
        const info = describeOpaque(x);
        switch (info.kind) {
          case "port":
            out.push(`#Port<${nodePart(info.node)}.${info.id}>`);
            break;
          case "export":
            out.push(`fun ${formatAtom(info.module)}:${formatAtom(info.function)}/${info.arity}`);
            break;
          case "fun":
            out.push(`#Fun<${formatAtom(info.module)}.${info.index}.${info.uniq}>`);
            break;
          case "bitstring": {
            const whole = info.data.subarray(0, info.data.length - 1);
            const bits = info.bitLength % 8;
            const last = info.data[info.data.length - 1] >> (8 - bits);
            out.push(`<<${[...whole, `${last}:${bits}`].join(",")}>>`);
            break;
          }
        }
        break;
      }
    }
  }
  return out.join("");
}

function pushSeparated(work: (ErlTerm | string)[], items: readonly ErlTerm[]): void {
  for (let i = items.length - 1; i >= 0; i--) {
    work.push(items[i]);
    if (i > 0) work.push(",");
  }
}

/** Erlang's shortest float text: `1.0`, `0.1`, `1.0e3`, `1.5e-4`, `-0.0`. */
export function formatFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(x).toExponential().split("e");
  const exp = Number(expText);
  const digits = mantissa.replace(".", "");
  const sci = `${digits[0]}.${digits.slice(1) || "0"}e${exp}`;
  if (Math.abs(x) >= 2 ** 53) return sign + sci;
  let fixed: string;
  if (exp >= 0) {
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    fixed = `${whole}.${digits.slice(exp + 1) || "0"}`;
  } else {
    fixed = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return sign + (fixed.length <= sci.length ? fixed : sci);
}

const RESERVED_WORDS = new Set([
  "after",
  "and",
  "andalso",
  "band",
  "begin",
  "bnot",
  "bor",
  "bsl",
  "bsr",
  "bxor",
  "case",
  "catch",
  "cond",
  "div",
  "end",
  "fun",
  "if",
  "let",
  "not",
  "of",
  "or",
  "orelse",
  "receive",
  "rem",
  "try",
  "when",
  "xor",
]);

/** An atom as Erlang writes it: bare when it can be, else single-quoted. */
export function formatAtom(name: string): string {
  if (/^[a-z][A-Za-z0-9_@]*$/.test(name) && !RESERVED_WORDS.has(name)) return name;
  return quoteText(name, "'");
}

const ESCAPES: Record<number, string> = {
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
  27: "\\e",
  92: "\\\\",
};

function quoteText(text: string, quote: "'" | '"'): string {
  let s = quote;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === quote) s += "\\" + quote;
    else if (ESCAPES[c]) s += ESCAPES[c];
    else if (c < 32 || c === 127) s += `\\${c.toString(8).padStart(3, "0")}`;
    else s += ch;
  }
  return s + quote;
}

function isPrintableChar(c: number): boolean {
  return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) || c === 27;
}

/** io_lib:printable_list/1 in the default latin-1 range, so "abc" prints as a string. */
function isPrintableCharList(items: readonly ErlTerm[]): boolean {
  for (const x of items) if (typeof x !== "bigint" || !isPrintableChar(Number(x))) return false;
  return items.length > 0;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function formatBinary(bytes: Uint8Array): string {
  if (bytes.length === 0) return "<<>>";
  let ascii = true;
  for (const b of bytes) if (!isPrintableChar(b) || b >= 128) ascii = false;
  if (ascii) return `<<${quoteText(fromCodes(bytes), '"')}>>`;
  try {
    const text = utf8.decode(bytes);
    if ([...text].every((ch) => ch.codePointAt(0)! >= 160 || isPrintableChar(ch.codePointAt(0)!))) {
      return `<<${quoteText(text, '"')}/utf8>>`;
    }
  } catch {
    // not UTF-8: bytes below
  }
  return `<<${bytes.join(",")}>>`;
}

/** Text from char codes below 256, in chunks (spreading a huge array overflows the stack). */
function fromCodes(codes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < codes.length; i += 4096) {
    s += String.fromCharCode(...Array.prototype.slice.call(codes, i, i + 4096));
  }
  return s;
}
