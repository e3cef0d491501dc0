/**
 * Text forms of values, exactly as the reference prints them (original-spec §3.2–§3.4):
 * the display form (PRINT) and the debug form (error messages, DUMP_SCOPE), including Rust's
 * float formatting, which never uses an exponent in display and always shows a fraction or an
 * exponent in debug.
 *
 * Invariants: pure functions of their input; object pairs print in insertion order; float
 * digits are always the shortest that read back as the same double.
 */
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

/** Display form of a HostValue (reference §3.2). */
export function displayHost(v: HostValue): string {
  switch (v.kind) {
    case "int":
      return String(v.value);
    case "float":
      return formatFloatDisplay(v.value);
    case "str":
      return v.value;
    case "bool":
      return v.value ? "true" : "false";
    case "null":
      return "null";
    case "list":
      return `[${v.items.map(displayHost).join(", ")}]`;
    case "object":
      return `{${v.entries.map(([k, x]) => `${k}: ${displayHost(x)}`).join(", ")}}`;
    case "bytes":
      return `Bytes(${v.value.length})`;
    case "function":
      return `function@${v.addr} (${v.params.join(", ")})`;
    case "closure":
      return `closure@${v.addr} (${v.params.join(", ")}) [captured: ${v.captured.length}]`;
    case "exception":
      return `Exception: ${v.message}` +
        (v.trace.length ? `\nStack trace:${v.trace.map((t) => `\n  ${t}`).join("")}` : "");
  }
}

/** Debug form of a HostValue (reference §3.4). */
export function debugHost(v: HostValue): string {
  switch (v.kind) {
    case "int":
      return `Int(${v.value})`;
    case "float":
      return `Float(${formatFloatDebug(v.value)})`;
    case "str":
      return `Str(${debugString(v.value)})`;
    case "bool":
      return `Bool(${v.value})`;
    case "null":
      return "Null";
    case "list":
      return `List([${v.items.map(debugHost).join(", ")}])`;
    case "object":
      return `Object(${debugEntries(v.entries)})`;
    case "bytes":
      return `Bytes([${Array.from(v.value).join(", ")}])`;
    case "function":
      return `Function { addr: ${v.addr}, params: [${v.params.map(debugString).join(", ")}] }`;
    case "closure":
      return `Closure { addr: ${v.addr}, params: [${
        v.params.map(debugString).join(", ")
      }], captured: ${debugEntries(v.captured)} }`;
    case "exception":
      return `Exception { message: ${debugString(v.message)}, stack_trace: [${
        v.trace.map(debugString).join(", ")
      }] }`;
  }
}

function debugEntries(entries: Array<[string, HostValue]>): string {
  return `{${entries.map(([k, x]) => `${debugString(k)}: ${debugHost(x)}`).join(", ")}}`;
}
