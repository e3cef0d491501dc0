/**
 * The BigInt-free 64-bit Int arithmetic (src/vm/int64.ts) against BigInt: for operands at every
 * boundary the halves can trip on (the 32-bit carry, ±2^53, ±2^63, powers of two and their
 * neighbours) and for seeded random ones, ADD, SUB, MUL, MOD and NEG give exactly the wrapped
 * BigInt result, normalised (INT when it fits in ±(2^53-1), else BIGINT, aux word 0) — or
 * decline (false, the cell untouched) only where the module says it does.
 */
import assert from "node:assert/strict";
import { intArith64 } from "../../src/vm/int64.ts";
import { MAX_SAFE, PID_MARK, T_BIGINT, T_FLOAT, T_INT, wrapI64 } from "../../src/term/tags.ts";

const buffer = new ArrayBuffer(16 * 4);
const w = new Int32Array(buffer), f = new Float64Array(buffer), i64 = new BigInt64Array(buffer);
const A = 1, B = 2;

function put(c: number, n: bigint, aux = 0): void {
  if (n >= -BigInt(MAX_SAFE) && n <= BigInt(MAX_SAFE)) {
    w[c << 2] = T_INT;
    w[(c << 2) + 1] = aux;
    f[(c << 1) + 1] = Number(n);
  } else {
    w[c << 2] = T_BIGINT;
    w[(c << 2) + 1] = 0;
    i64[(c << 1) + 1] = n;
  }
}

function get(c: number): bigint {
  const t = w[c << 2];
  if (t === T_INT) return BigInt(f[(c << 1) + 1]);
  assert.equal(t, T_BIGINT, `cell ${c} holds tag ${t}`);
  return i64[(c << 1) + 1];
}

/** The reference result (as ops_arith.ts's BigInt path), or null for a zero divisor. */
function expected(op: number, x: bigint, y: bigint): bigint | null {
  switch (op) {
    case 0x10:
      return wrapI64(x + y);
    case 0x11:
      return wrapI64(x - y);
    case 0x13:
      return wrapI64(x * y);
    case 0x15:
      return y === 0n ? null : y === -1n ? 0n : x % y;
    default:
      return wrapI64(-x);
  }
}

const NAMES: Record<number, string> = {
  0x10: "ADD",
  0x11: "SUB",
  0x13: "MUL",
  0x15: "MOD",
  0x16: "NEG",
};

function check(op: number, x: bigint, y: bigint): void {
  put(A, x, 0);
  put(B, y);
  const want = expected(op, x, y);
  const label = `${NAMES[op]} ${x} ${y}`;
  const before = Array.from(w.subarray(A * 4, A * 4 + 4));
  const done = op === 0x16 ? intArith64(w, f, op, A, A) : intArith64(w, f, op, A, B);
  if (!done) {
    // Declined: only a zero divisor, or MOD of a BIGINT by a divisor beyond 2^37 or a BIGINT.
    const bigDividend = x < -BigInt(MAX_SAFE) || x > BigInt(MAX_SAFE);
    const abs = y < 0n ? -y : y;
    assert.ok(op === 0x15, `${label}: declined`);
    assert.ok(y === 0n || (bigDividend && abs > 2n ** 37n), `${label}: declined`);
    assert.deepEqual(Array.from(w.subarray(A * 4, A * 4 + 4)), before, `${label}: wrote`);
    return;
  }
  assert.equal(get(A), want, label);
  const fits = want! >= -BigInt(MAX_SAFE) && want! <= BigInt(MAX_SAFE);
  assert.equal(w[A << 2], fits ? T_INT : T_BIGINT, `${label}: representation`);
  assert.equal(w[(A << 2) + 1], 0, `${label}: aux word`);
  if (fits) assert.ok(!Object.is(f[(A << 1) + 1], -0), `${label}: -0`);
}

const EDGES: bigint[] = (() => {
  const out = new Set<bigint>([0n, 1n, -1n, 2n, 3n, 7n, -3n, 65535n, 65536n, 1103515245n]);
  for (const k of [16, 21, 31, 32, 33, 37, 38, 52, 53, 54, 62]) {
    for (const d of [-1n, 0n, 1n]) {
      out.add(2n ** BigInt(k) + d);
      out.add(-(2n ** BigInt(k)) + d);
    }
  }
  out.add(2n ** 63n - 1n);
  out.add(-(2n ** 63n));
  out.add(-(2n ** 63n) + 1n);
  out.add(2n ** 60n + 2n ** 32n - 1n); // low half all ones: ADD 1 carries
  out.add(2n ** 60n); // low half zero: SUB 1 borrows
  return [...out];
})();

const OPS = [0x10, 0x11, 0x13, 0x15, 0x16];

Deno.test("int64: every pair of boundary operands gives BigInt's wrapped result", () => {
  for (const op of OPS) for (const x of EDGES) for (const y of EDGES) check(op, x, y);
});

Deno.test("int64: seeded random operands of every size give BigInt's wrapped result", () => {
  let seed = 0x2545f491n;
  const next = (): bigint => {
    // xorshift64*, in BigInt: the reference side may use BigInt freely.
    seed ^= seed >> 12n;
    seed ^= (seed << 25n) & 0xffffffffffffffffn;
    seed ^= seed >> 27n;
    return BigInt.asIntN(64, seed * 0x2545f4914f6cdd1dn);
  };
  for (let i = 0; i < 20000; i++) {
    const bits = BigInt(1 + (i % 64));
    const x = BigInt.asIntN(64, next() % (1n << bits));
    const y = BigInt.asIntN(64, next() % (1n << BigInt(1 + ((i * 7) % 64))));
    for (const op of OPS) check(op, x, y);
  }
});

Deno.test("int64: a non-Int operand is declined, and a computed Int drops a PID's mark", () => {
  put(A, 5n);
  w[B << 2] = T_FLOAT;
  f[(B << 1) + 1] = 1.5;
  assert.equal(intArith64(w, f, 0x10, A, B), false);
  assert.equal(get(A), 5n);
  put(A, 9n, PID_MARK);
  put(B, 2n ** 60n);
  assert.equal(intArith64(w, f, 0x13, A, B), true);
  assert.equal(w[(A << 2) + 1], 0);
  put(A, 9n, PID_MARK);
  put(B, 1n);
  assert.equal(intArith64(w, f, 0x10, A, B), true);
  assert.equal(get(A), 10n);
  assert.equal(w[(A << 2) + 1], 0);
});
