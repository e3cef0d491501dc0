/**
 * A tiny seeded pseudo-random generator for the property tests (a 32-bit xorshift-multiply
 * mixer in the style of "mulberry"). Same seed → same sequence on every platform, so a failing
 * seed reproduces exactly.
 *
 * Invariant: all state is in the instance; nothing global.
 */

export class Prng {
  private state: number;

  constructor(seed: number) {
    // Mix the seed once so that neighbouring seeds start far apart.
    this.state = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ 0x1234567) >>> 0;
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    if (n <= 0) throw new Error(`Prng.below: empty range ${n}`);
    return Math.floor((this.nextU32() / 0x1_0000_0000) * n);
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextU32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** Pick by relative weights: `[[value, weight], …]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let r = (this.nextU32() / 0x1_0000_0000) * total;
    for (const [value, w] of choices) {
      if (r < w) return value;
      r -= w;
    }
    return choices[choices.length - 1][0];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
