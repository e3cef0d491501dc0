/**
 * Refusing binary input: a `.ttvm` file must be UTF-8 text. A binary file (an executable, an
 * image, a `.ttb` given a wrong name) is rejected with one line that says where the binary
 * data starts, instead of one diagnostic per garbage line.
 *
 * Invariants: a file is rejected when it holds a NUL byte, is not valid UTF-8 (overlong forms,
 * surrogates and code points beyond U+10FFFF are invalid, as for TextDecoder's fatal mode), or
 * when more than 1 in 16 of its characters (plus an allowance of 4) are control characters
 * other than tab, newline, vertical tab, form feed and carriage return ("mostly non-text");
 * the reported offset is a byte offset from the start of the file (0-based), of the first NUL
 * or invalid sequence, or of the first control character. Every check is one pass over the
 * input, made by the host's native code (TextDecoder, a regular expression) when the input is
 * text: a load runs no JavaScript loop over the bytes, which V8 would otherwise compile in
 * the background while the program starts.
 */

/** A source file that is not text; the message is `not a text file (… at byte N)`. */
export class NotTextError extends Error {}

/** Control characters that text files do not contain (all C0 except \t \n \v \f \r, and DEL). */
function isBinaryControl(c: number): boolean {
  return (c < 0x20 && (c < 0x09 || c > 0x0d)) || c === 0x7f;
}

/** The characters isBinaryControl accepts (NUL included), for a native scan. */
// deno-lint-ignore no-control-regex -- matching control characters is this pattern's job
const BINARY_CONTROL = /[\x00-\x08\x0e-\x1f\x7f]/;
/** Decodes UTF-8 (a leading BOM dropped), throwing on an invalid sequence (the same rules as
 *  firstInvalidUtf8). */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** More than this fraction (1/n) of control characters makes a file binary… */
const CONTROL_RATIO = 16;
/** …counted with this allowance, so that a short file with a stray control still assembles. */
const CONTROL_ALLOWANCE = 64;

/** Byte offset of the first invalid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= n) return i; // truncated at the end of the file
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Why these bytes are not assembler source, or undefined when they are text. */
export function bytesProblem(bytes: Uint8Array): string | undefined {
  return decodeSource(bytes).problem;
}

/** The text of these bytes, or why they are not assembler source. */
function decodeSource(bytes: Uint8Array): { text: string; problem?: undefined } | {
  text?: undefined;
  problem: string;
} {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    // The earlier of the first NUL and the first invalid sequence (NUL is valid UTF-8).
    const invalid = firstInvalidUtf8(bytes);
    const nul = bytes.subarray(0, invalid < 0 ? bytes.length : invalid).indexOf(0);
    if (nul >= 0) return { problem: `not a text file (NUL byte at byte ${nul})` };
    return { problem: `not a text file (invalid UTF-8 at byte ${invalid})` };
  }
  if (!BINARY_CONTROL.test(text)) return { text };
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { problem: `not a text file (NUL byte at byte ${nul})` };
  let controls = 0, first = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (isBinaryControl(bytes[i])) {
      if (first < 0) first = i;
      controls++;
    }
  }
  if (controls * CONTROL_RATIO > bytes.length + CONTROL_ALLOWANCE) {
    return { problem: `not a text file (binary data at byte ${first})` };
  }
  return { text };
}

/** The same checks for text already decoded (offsets in UTF-8 bytes of the text). */
export function textProblem(text: string): string | undefined {
  if (!BINARY_CONTROL.test(text)) return undefined;
  let controls = 0, first = -1, nul = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 && nul < 0) nul = i;
    if (isBinaryControl(c)) {
      if (first < 0) first = i;
      controls++;
    }
  }
  if (nul >= 0) return `not a text file (NUL byte at byte ${utf8Length(text, nul)})`;
  if (controls * CONTROL_RATIO > text.length + CONTROL_ALLOWANCE) {
    return `not a text file (binary data at byte ${utf8Length(text, first)})`;
  }
  return undefined;
}

/** UTF-8 size of text[0, end). */
function utf8Length(text: string, end: number): number {
  let bytes = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Reads a source file as UTF-8 text; throws NotTextError for binary data (OS errors pass). */
export function readSourceFile(path: string): string {
  const { text, problem } = decodeSource(Deno.readFileSync(path));
  if (problem !== undefined) throw new NotTextError(problem);
  return text;
}
