/**
 * "Did you mean …?" suggestions: the nearest candidate by edit distance.
 *
 * Invariants: deterministic (ties go to the earliest candidate); a suggestion is offered only
 * when the distance is small relative to the word, so unrelated words get no hint.
 *
 * Bounded work: a word longer than MAX_SUGGEST_LENGTH gets no suggestion (nobody mistypes a
 * 10 MB token, and comparing two long words costs the product of their lengths); candidates
 * whose length alone puts them out of reach are skipped without comparing; a comparison stops
 * as soon as it cannot beat the best distance found so far.
 */

/** Longest word (UTF-16 units) for which a suggestion is looked for. */
export const MAX_SUGGEST_LENGTH = 64;

/** Levenshtein distance (insert, delete, substitute; each costs 1), over UTF-16 units. */
export function editDistance(a: string, b: string): number {
  return boundedEditDistance(a, b, Math.max(a.length, b.length));
}

/**
 * Levenshtein distance of a and b when it is ≤ limit; otherwise some value > limit (the
 * comparison stops when every entry of a row exceeds the limit).
 */
function boundedEditDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      const d = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
      current.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length];
}

/** Largest distance still worth suggesting for a word of this length. */
function maxDistanceFor(word: string): number {
  return Math.max(1, Math.floor(word.length / 3));
}

/**
 * The candidate nearest to `word`, or undefined when none is close enough. `fold` maps both
 * sides before comparing (e.g. to upper case, so case errors count as distance 0).
 */
export function nearest(
  word: string,
  candidates: Iterable<string>,
  fold: (s: string) => string = (s) => s,
): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  const folded = fold(word);
  let best: string | undefined;
  let bestDistance = maxDistanceFor(word) + 1;
  for (const candidate of candidates) {
    if (candidate === word || candidate.length > MAX_SUGGEST_LENGTH * 2) continue;
    const d = boundedEditDistance(folded, fold(candidate), bestDistance - 1);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
