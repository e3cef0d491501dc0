/**
 * Seeded random ErlTerms for the property tests: every kind of the model, including opaque
 * ports, external funs and bitstrings built byte by byte, big integers far beyond 64 bits,
 * unicode atoms up to the 255-character limit and maps with unique keys. Same seed, same terms.
 */
import { ByteWriter } from "../../src/dist/bytes.ts";
import { TAG, writeAtom } from "../../src/dist/etf.ts";
import {
  atom,
  binary,
  type ErlTerm,
  float,
  list,
  map,
  NIL,
  pid,
  ref,
  termEquals,
  tuple,
} from "../../src/dist/term.ts";

/** mulberry32. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.below(256);
    return out;
  }
  bigint(maxBytes: number): bigint {
    let v = 0n;
    const n = 1 + this.below(maxBytes);
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.below(256));
    return this.below(2) ? -v : v;
  }
}

const NODES = ["a@h", "ttvm@vm", "nonode@nohost", "x@far.example.org", "ñodo@hôst"];

function randomAtomName(rng: Rng): string {
  switch (rng.below(4)) {
    case 0:
      return rng.pick(["ok", "error", "", "hello world", "'quoted'", "EXIT", "true"]);
    case 1:
      return "x".repeat(255);
    default: {
      const n = rng.below(20);
      let s = "";
      for (let i = 0; i < n; i++) {
        const max = rng.pick([0x80, 0x800, 0x10000, 0x110000]);
        let cp = rng.below(max);
        while (cp >= 0xd800 && cp <= 0xdfff) cp = rng.below(max);
        s += String.fromCodePoint(rng.below(3) ? 0x61 + rng.below(26) : cp);
      }
      return s;
    }
  }
}

function opaqueExport(rng: Rng): ErlTerm {
  const w = new ByteWriter().u8(TAG.EXPORT);
  writeAtom(w, rng.pick(["lists", "erlang", "mod"])), writeAtom(w, rng.pick(["map", "f", "é"]));
  w.u8(TAG.SMALL_INTEGER).u8(rng.below(256));
  return { t: "opaque", kind: "export", bytes: w.finish().slice() };
}

function opaquePort(rng: Rng): ErlTerm {
  const w = new ByteWriter();
  if (rng.below(2)) {
    w.u8(TAG.V4_PORT), writeAtom(w, rng.pick(NODES));
    w.u64((BigInt(rng.u32()) << 32n) | BigInt(rng.u32())).u32(rng.u32());
  } else {
    w.u8(TAG.NEW_PORT), writeAtom(w, rng.pick(NODES));
    w.u32(rng.u32() & 0x0fffffff).u32(rng.u32());
  }
  return { t: "opaque", kind: "port", bytes: w.finish().slice() };
}

function opaqueBitstring(rng: Rng): ErlTerm {
  const n = 1 + rng.below(6), bits = 1 + rng.below(7);
  const data = rng.bytes(n);
  data[n - 1] &= (0xff << (8 - bits)) & 0xff;
  const bytes = new ByteWriter().u8(TAG.BIT_BINARY).u32(n).u8(bits).bytes(data).finish().slice();
  return { t: "opaque", kind: "bitstring", bytes };
}

function leaf(rng: Rng): ErlTerm {
  switch (rng.below(20)) {
    case 0:
      return BigInt(rng.below(256));
    case 1:
      return BigInt(rng.u32() | 0);
    case 2:
      return rng.bigint(12);
    case 3:
      return rng.bigint(300);
    case 4:
      return rng.pick([0n, -1n, 255n, 256n, -(1n << 31n), (1n << 31n) - 1n, 1n << 31n, 1n << 64n]);
    case 5: {
      let x: number;
      do {
        x = new DataView(rng.bytes(8).buffer).getFloat64(0);
      } while (!Number.isFinite(x));
      return float(x);
    }
    case 6:
      return float(rng.pick([0, -0, 1, 0.1, -2.5, 1e21, 5e-324, Number.MAX_VALUE]));
    case 7:
      return atom(randomAtomName(rng));
    case 8:
      return binary(rng.bytes(rng.below(40)));
    case 9:
      return list(Array.from({ length: 1 + rng.below(30) }, () => BigInt(rng.below(256))));
    case 10:
      return pid(rng.pick(NODES), rng.u32(), rng.u32(), rng.u32());
    case 11:
      return ref(
        rng.pick(NODES),
        rng.u32(),
        Array.from({ length: 1 + rng.below(5) }, () => rng.u32()),
      );
    case 12:
      return opaqueExport(rng);
    case 13:
      return opaquePort(rng);
    case 14:
      return opaqueBitstring(rng);
    case 15:
      return NIL;
    case 16:
      return tuple();
    case 17:
      return map([]);
    case 18:
      return binary("text ünïcödé");
    default:
      return list(Array.from({ length: 1 + rng.below(4) }, () => BigInt(256 + rng.below(5000))));
  }
}

export function randomTerm(rng: Rng, depth = 3): ErlTerm {
  if (depth === 0) return leaf(rng);
  const sub = () => randomTerm(rng, depth - 1);
  switch (rng.below(9)) {
    case 0:
      return tuple(...Array.from({ length: rng.below(6) }, sub));
    case 1:
      return list(Array.from({ length: 1 + rng.below(5) }, sub));
    case 2:
      return list(Array.from({ length: 1 + rng.below(3) }, sub), leaf(rng));
    case 3: {
      const entries: [ErlTerm, ErlTerm][] = [];
      for (let i = rng.below(6); i > 0; i--) {
        const k = sub();
        if (!entries.some(([e]) => termEquals(e, k))) entries.push([k, sub()]);
      }
      return map(entries);
    }
    case 4:
      return tuple(...Array.from({ length: 256 + rng.below(50) }, () => leaf(rng)));
    default:
      return leaf(rng);
  }
}

/** True when `term` contains a map of two or more entries (whose order Erlang may change). */
export function hasMultiEntryMap(term: ErlTerm): boolean {
  const work = [term];
  while (work.length > 0) {
    const x = work.pop()!;
    if (typeof x !== "object") continue;
    if (x.t === "map") {
      if (x.entries.length > 1) return true;
      for (const [k, v] of x.entries) work.push(k, v);
    } else if (x.t === "tuple") work.push(...x.items);
    else if (x.t === "list") work.push(...x.items, x.tail);
  }
  return false;
}
