/**
 * The line lexer: splits source text into physical lines and one line into tokens.
 *
 * Invariants:
 * - A leading BOM is dropped; lines split on "\n" with one trailing "\r" removed; line numbers
 *   are 1-based physical numbers.
 * - Tokens are separated by spaces or tabs. A token starting with `"` is a quoted string that
 *   runs to the next unescaped `"` (escapes `\n \t \r \" \\`); any other token runs to the next
 *   space, tab or `;`.
 * - `;` outside a quoted string starts a comment; `codeEnd` is where it starts (or the line
 *   length). Token positions are UTF-16 indices into the line text.
 * - Lexing never throws: problems (bad escape, unterminated string) are attached to the token
 *   that has them, so a caller that takes the raw text of a line may ignore them.
 */
import { quoted, type SourceLine } from "./diagnostics.ts";

export interface LexProblem {
  start: number;
  end: number;
  message: string;
}

export interface Token {
  /** The source text of the token, quotes included. */
  text: string;
  /** The token's meaning: quotes removed and escapes processed for a quoted token. */
  value: string;
  quoted: boolean;
  start: number;
  end: number;
  problems: LexProblem[];
}

export interface LexedLine {
  tokens: Token[];
  /** Index where the comment starts, or the line length. */
  codeEnd: number;
}

const ESCAPED: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  '"': '"',
  "\\": "\\",
};

export function splitSourceLines(source: string): SourceLine[] {
  const text = source.startsWith("\uFEFF") ? source.slice(1) : source;
  return text.split("\n").map((raw, i) => ({
    lineNo: i + 1,
    text: raw.endsWith("\r") ? raw.slice(0, -1) : raw,
  }));
}

function isSeparator(c: string): boolean {
  return c === " " || c === "\t";
}

/** Tokens of a line; with `maxTokens`, stops after that many (a cheap look at the first). */
export function lexLine(text: string, maxTokens = Infinity): LexedLine {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length && tokens.length < maxTokens) {
    const c = text[i];
    if (isSeparator(c)) {
      i++;
    } else if (c === ";") {
      return { tokens, codeEnd: i };
    } else if (c === '"') {
      const token = lexQuoted(text, i);
      tokens.push(token);
      i = token.end;
    } else {
      let j = i;
      while (j < text.length && !isSeparator(text[j]) && text[j] !== ";") j++;
      const word = text.slice(i, j);
      tokens.push({ text: word, value: word, quoted: false, start: i, end: j, problems: [] });
      i = j;
    }
  }
  return { tokens, codeEnd: text.length };
}

/** A quoted string starting at `start` (which holds the opening quote). */
function lexQuoted(text: string, start: number): Token {
  const problems: LexProblem[] = [];
  // The value is built from slices between escapes (one piece per escape, not per character).
  const pieces: string[] = [];
  let runStart = start + 1;
  let j = start + 1;
  while (true) {
    if (j >= text.length) {
      pieces.push(text.slice(runStart, j));
      problems.push({ start, end: text.length, message: "unterminated string literal" });
      break;
    }
    const c = text[j];
    if (c === '"') {
      pieces.push(text.slice(runStart, j));
      j++;
      break;
    }
    if (c === "\\") {
      pieces.push(text.slice(runStart, j));
      const next = String.fromCodePoint(text.codePointAt(j + 1) ?? 0x5c);
      if (j + 1 >= text.length) {
        j++;
        runStart = j;
        continue; // a lone backslash at the end: reported as unterminated on the next turn
      }
      const replacement = ESCAPED[next];
      if (replacement === undefined) {
        problems.push({
          start: j,
          end: j + 1 + next.length,
          message: `unknown escape sequence '${quoted("\\" + next)}'`,
        });
      } else {
        pieces.push(replacement);
      }
      j += 1 + next.length;
      runStart = j;
      continue;
    }
    j++;
  }
  const value = pieces.join("");
  return { text: text.slice(start, j), value, quoted: true, start, end: j, problems };
}
