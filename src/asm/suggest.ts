/**
 * "Did you mean …?" suggestions: the nearest candidate by edit distance.
 *
 * Invariants: deterministic (ties go to the earliest candidate); a suggestion is offered only
 * when the distance is small relative to the word, so unrelated words get no hint.
 */

/** Levenshtein distance (insert, delete, substitute; each costs 1), over UTF-16 units. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
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
  const folded = fold(word);
  let best: string | undefined;
  let bestDistance = maxDistanceFor(word) + 1;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = editDistance(folded, fold(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
