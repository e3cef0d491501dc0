/**
 * Seeded generators of test data: a deterministic PRNG and random HostValues, strings and
 * doubles. Same seed, same sequence, so a failing case can be replayed.
 *
 * Invariants: generated strings are well-formed Unicode (no lone surrogates); generated object
 * keys are unique; the "json" profile yields only values JSON can represent (finite floats, no
 * Bytes/functions/exceptions).
 */
import type { HostValue } from "../../src/term/host.ts";

/** mulberry32: small, fast, good enough for test inputs. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 2 ** 32) * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** Any 64-bit signed integer, biased towards the edges and small values. */
  i64(): bigint {
    switch (this.below(4)) {
      case 0:
        return this.pick([0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n), 1n << 53n, -(1n << 53n)]);
      case 1:
        return BigInt(this.below(2000) - 1000);
      default:
        return BigInt.asIntN(64, (BigInt(this.nextU32()) << 32n) | BigInt(this.nextU32()));
    }
  }

  /** Any double from random bits (may be NaN, ±inf, subnormal, -0). */
  anyDouble(): number {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, this.nextU32());
    view.setUint32(4, this.nextU32());
    return view.getFloat64(0);
  }

  /** A finite double, mixing random bit patterns with "ordinary" decimal values. */
  finiteDouble(): number {
    if (this.below(3) === 0) {
      return this.pick([0, -0, 0.1, 1.5, -2.25, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 1e16, 1e15]);
    }
    if (this.below(2) === 0) return (this.below(2_000_000) - 1_000_000) / 64;
    for (;;) {
      const x = this.anyDouble();
      if (Number.isFinite(x)) return x;
    }
  }

  /** A well-formed string drawn from characters that stress escaping. */
  string(maxLength = 8): string {
    const length = this.below(maxLength + 1);
    const chars: string[] = [];
    for (let i = 0; i < length; i++) {
      switch (this.below(6)) {
        case 0:
          chars.push(this.pick(['"', "\\", "/", "\n", "\r", "\t", "\b", "\f", "\0", ",", " "]));
          break;
        case 1:
          chars.push(String.fromCharCode(this.below(0x20)));
          break;
        case 2: {
          const c = this.below(0xfffe) + 1;
          chars.push(c >= 0xd800 && c <= 0xdfff ? "\ufffd" : String.fromCharCode(c));
          break;
        }
        case 3:
          chars.push(String.fromCodePoint(0x10000 + this.below(0x100000)));
          break;
        default:
          chars.push(String.fromCharCode(0x20 + this.below(0x5f)));
      }
    }
    return chars.join("");
  }
}

/** A random HostValue that JSON can carry, nested at most `maxDepth` containers deep. */
export function randomJsonValue(rng: Rng, maxDepth = 4): HostValue {
  const kinds = maxDepth > 0 ? 7 : 5;
  switch (rng.below(kinds)) {
    case 0:
      return { kind: "int", value: rng.i64() };
    case 1:
      return { kind: "float", value: rng.finiteDouble() };
    case 2:
      return { kind: "str", value: rng.string() };
    case 3:
      return { kind: "bool", value: rng.below(2) === 1 };
    case 4:
      return { kind: "null" };
    case 5:
      return {
        kind: "list",
        items: Array.from({ length: rng.below(5) }, () => randomJsonValue(rng, maxDepth - 1)),
      };
    default: {
      const entries: Array<[string, HostValue]> = [];
      const seen = new Set<string>();
      for (let i = rng.below(5); i > 0; i--) {
        const key = rng.string(4);
        if (seen.has(key)) continue;
        seen.add(key);
        entries.push([key, randomJsonValue(rng, maxDepth - 1)]);
      }
      return { kind: "object", entries };
    }
  }
}
