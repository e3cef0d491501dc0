/**
 * Code points of UTF-16 text, in JavaScript strings and in string objects in shared memory.
 * Str lengths and positions in the language are code points (LANGUAGE.md §1, §6); storage is
 * UTF-16, so a code point outside the BMP is a surrogate pair of two units.
 *
 * Invariant: a lone surrogate counts as one code point, as JavaScript's string iterator does,
 * so the counts here always agree with `[...s].length`.
 */

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Code points in `s`. */
export function countCodePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if (isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1))) {
      n--;
      i++;
    }
  }
  return n;
}

/** Code points in the `len` units at u16 index `start`. */
export function countCodePointsU16(u16: Uint16Array, start: number, len: number): number {
  let n = len;
  const end = start + len - 1;
  for (let i = start; i < end; i++) {
    if (isHigh(u16[i]) && isLow(u16[i + 1])) {
      n--;
      i++;
    }
  }
  return n;
}

/** Code points of `a + b`, given those of `a` and `b`: one less when `a` ends with a high
 *  surrogate and `b` starts with a low one (they pair up). */
export function joinedCodePoints(
  aPoints: number,
  aLastUnit: number,
  bPoints: number,
  bFirstUnit: number,
): number {
  return aPoints + bPoints - (isHigh(aLastUnit) && isLow(bFirstUnit) ? 1 : 0);
}

/** The UTF-16 index of code point `cp` of `s` (s.length when cp is at or past the end). */
export function unitIndexOfCodePoint(s: string, cp: number): number {
  let i = 0;
  for (let k = 0; k < cp && i < s.length; k++) {
    i += isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

/** The code-point index of UTF-16 index `unit` of `s`. */
export function codePointIndexOfUnit(s: string, unit: number): number {
  return countCodePoints(s.slice(0, unit));
}
