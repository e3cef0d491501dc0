/**
 * Text forms of values, exactly as the reference prints them (original-spec §3.2–§3.4):
 * the display form (PRINT) and the debug form (error messages, DUMP_SCOPE), including Rust's
 * float formatting, which never uses an exponent in display and always shows a fraction or an
 * exponent in debug.
 *
 * Invariants: pure functions of their input; object pairs print in insertion order; float
 * digits are always the shortest that read back as the same double; printing a HostValue uses
 * an explicit stack, never recursion by the depth of the value.
 */
import { describeTerm } from "./describe_term.ts";
import type { HostValue } from "./host.ts";

/** Shortest round-trip digits of |x| (finite, non-zero) and the decimal exponent of the first. */
function shortestDigits(x: number): { digits: string; exp: number } {
  const [mant, e] = Math.abs(x).toExponential().split("e");
  return { digits: mant.replace(".", ""), exp: Number(e) };
}

/** Digits placed at a decimal exponent, without exponent notation. */
function positional(digits: string, exp: number): string {
  if (exp >= digits.length - 1) return digits + "0".repeat(exp - digits.length + 1);
  if (exp >= 0) return digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  return "0." + "0".repeat(-exp - 1) + digits;
}

/** Rust `{}` for f64: `10`, `5.640000000000001`, `1000000000000000000000`, `0.0000001`, `-0`,
 *  `inf`, `-inf`, `NaN`. */
export function formatFloatDisplay(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const { digits, exp } = shortestDigits(x);
  return (x < 0 ? "-" : "") + positional(digits, exp);
}

/** Rust `{:?}` for f64: `1.0`, `0.0001`, `1e16`, `1e-5`, `1.5e300`, `-0.0`, `inf`, `NaN`. */
export function formatFloatDebug(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const abs = Math.abs(x);
  const { digits, exp } = shortestDigits(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mant}e${exp}`;
  }
  const text = positional(digits, exp);
  return sign + (text.includes(".") ? text : text + ".0");
}

/**
 * Characters Rust's `{:?}` writes as `\u{…}`: those its `is_printable` rejects (general
 * categories Cc Cf Cs Co Cn Zl Zp, and Zs other than the space) and grapheme extenders
 * (combining marks, which would otherwise fuse with the opening quote or a previous escape).
 * Together with `"` and `\`, which get a backslash.
 */
const DEBUG_ESCAPED =
  /["\\]|[^\P{Zs} ]|[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Grapheme_Extend}]/gu;

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\0": "\\0",
};

function escapeDebugChar(ch: string): string {
  return SHORT_ESCAPES[ch] ?? `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/** Rust `{:?}` of a str: double-quoted; `\"` `\\` `\n` `\t` `\r` `\0`; `\u{…}` (lower-case hex)
 *  for other non-printable characters; printable non-ASCII kept as is. */
export function debugString(s: string): string {
  return `"${s.replace(DEBUG_ESCAPED, escapeDebugChar)}"`;
}

/** A piece of printed output still to produce: literal text, or a value to print. */
type Piece = string | HostValue;

/** Push `open item sep item … close` onto the to-do stack (in reverse, so it pops in order). */
function pushSeq(todo: Piece[], open: string, items: Piece[], sep: string, close: string): void {
  todo.push(close);
  for (let i = items.length - 1; i >= 0; i--) {
    todo.push(items[i]);
    if (i > 0) todo.push(sep);
  }
  todo.push(open);
}

/** Push `open key value sep key value … close` (keys already printed by `key`). */
function pushEntries(
  todo: Piece[],
  open: string,
  entries: Array<[string, HostValue]>,
  key: (k: string) => string,
  close: string,
): void {
  todo.push(close);
  for (let i = entries.length - 1; i >= 0; i--) {
    todo.push(entries[i][1], key(entries[i][0]));
    if (i > 0) todo.push(", ");
  }
  todo.push(open);
}

/** Print `v` with `step`, which writes a leaf's text to `out` or pushes a composite's pieces
 *  onto `todo`. An explicit stack: no recursion by the depth of the value. */
function printHost(
  v: HostValue,
  step: (x: HostValue, out: string[], todo: Piece[]) => void,
): string {
  const out: string[] = [];
  const todo: Piece[] = [v];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (typeof x === "string") out.push(x);
    else step(x, out, todo);
  }
  return out.join("");
}

/** Display form of a HostValue (reference §3.2; LANGUAGE.md §6 for atoms, tuples,
 *  connections and terms). */
export function displayHost(v: HostValue): string {
  return printHost(v, displayStep);
}

function displayStep(v: HostValue, out: string[], todo: Piece[]): void {
  switch (v.kind) {
    case "int":
      return void out.push(String(v.value));
    case "float":
      return void out.push(formatFloatDisplay(v.value));
    case "str":
      return void out.push(v.value);
    case "bool":
      return void out.push(v.value ? "true" : "false");
    case "null":
      return void out.push("null");
    case "atom":
      return void out.push(v.name);
    case "conn":
      return void out.push(connText(v.connKind, v.id));
    case "term":
      return void out.push(describeTerm(v.bytes));
    case "list":
      return pushSeq(todo, "[", v.items, ", ", "]");
    case "tuple":
      return pushSeq(todo, "{", v.items, ", ", "}");
    case "object":
      return pushEntries(todo, "{", v.entries, (k) => `${k}: `, "}");
    case "bytes":
      return void out.push(`Bytes(${v.value.length})`);
    case "function":
      return void out.push(`function@${v.addr} (${v.params.join(", ")})`);
    case "closure":
      return void out.push(
        `closure@${v.addr} (${v.params.join(", ")}) [captured: ${v.captured.length}]`,
      );
    case "exception":
      return void out.push(
        `Exception: ${v.message}` +
          (v.trace.length ? `\nStack trace:${v.trace.map((t) => `\n  ${t}`).join("")}` : ""),
      );
  }
}

/** Debug form of a HostValue (reference §3.4). */
export function debugHost(v: HostValue): string {
  return printHost(v, debugStep);
}

function debugStep(v: HostValue, out: string[], todo: Piece[]): void {
  switch (v.kind) {
    case "int":
      return void out.push(`Int(${v.value})`);
    case "float":
      return void out.push(`Float(${formatFloatDebug(v.value)})`);
    case "str":
      return void out.push(`Str(${debugString(v.value)})`);
    case "bool":
      return void out.push(`Bool(${v.value})`);
    case "null":
      return void out.push("Null");
    case "atom":
      return void out.push(`Atom(${v.name})`);
    case "conn":
      return void out.push(connText(v.connKind, v.id));
    case "term":
      return void out.push(describeTerm(v.bytes));
    case "list":
      return pushSeq(todo, "List([", v.items, ", ", "])");
    case "tuple":
      return pushSeq(todo, "Tuple([", v.items, ", ", "])");
    case "object":
      return pushEntries(todo, "Object({", v.entries, debugKey, "})");
    case "bytes":
      return void out.push(`Bytes([${Array.from(v.value).join(", ")}])`);
    case "function":
      return void out.push(
        `Function { addr: ${v.addr}, params: [${v.params.map(debugString).join(", ")}] }`,
      );
    case "closure":
      todo.push(" }");
      pushEntries(todo, "{", v.captured, debugKey, "}");
      return void out.push(
        `Closure { addr: ${v.addr}, params: [${v.params.map(debugString).join(", ")}], captured: `,
      );
    case "exception":
      return void out.push(
        `Exception { message: ${debugString(v.message)}, stack_trace: [${
          v.trace.map(debugString).join(", ")
        }] }`,
      );
  }
}

function debugKey(k: string): string {
  return `${debugString(k)}: `;
}

/** `Connection(tcp#3)`: the printed form of a Connection, display and debug alike. */
export function connText(kind: string, id: number): string {
  return `Connection(${kind}#${id})`;
}
