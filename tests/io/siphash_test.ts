/**
 * HASH is SipHash-1-3 with key (0, 0): the reference's vectors, agreement with a plain BigInt
 * transcription of the algorithm for every tail length, and the text form (no zero padding).
 */
import assert from "node:assert/strict";
import { hashBytes, hashStr, siphash13 } from "../../src/io/siphash.ts";
import { Rng } from "../term/random_host.ts";

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M64;

/** Straightforward SipHash-c-d over BigInts, as in the SipHash paper; key (0, 0) by default. */
function sipReference(data: Uint8Array, cRounds = 1, dRounds = 3, k0 = 0n, k1 = 0n): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n, v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n, v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M64, v1 = rotl(v1, 13n), v1 ^= v0, v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64, v3 = rotl(v3, 16n), v3 ^= v2;
    v0 = (v0 + v3) & M64, v3 = rotl(v3, 21n), v3 ^= v0;
    v2 = (v2 + v1) & M64, v1 = rotl(v1, 17n), v1 ^= v2, v2 = rotl(v2, 32n);
  };
  const words: bigint[] = [];
  const padded = new Uint8Array(Math.floor(data.length / 8) * 8 + 8);
  padded.set(data);
  padded[padded.length - 1] = data.length & 0xff;
  for (let i = 0; i < padded.length; i += 8) {
    let m = 0n;
    for (let k = 7; k >= 0; k--) m = (m << 8n) | BigInt(padded[i + k]);
    words.push(m);
  }
  for (const m of words) {
    v3 ^= m;
    for (let r = 0; r < cRounds; r++) round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let r = 0; r < dRounds; r++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

Deno.test("HASH reproduces the reference's SipHash-1-3 vectors", () => {
  assert.equal(hashStr(""), "30406ea523c53def");
  assert.equal(hashStr("abc"), "ef09e0f4895a251d");
  assert.equal(hashStr("Hash this data"), "1b8f520d518bf47c");
  assert.equal(hashStr("Data to hash"), "349daa519832330d");
  assert.equal(hashBytes(new TextEncoder().encode("abc")), "4aa3e4b34416e6c9");
});

Deno.test("the test's BigInt transcription reproduces the SipHash-2-4 paper vectors", () => {
  const k0 = 0x0706050403020100n, k1 = 0x0f0e0d0c0b0a0908n; // key bytes 00 01 … 0f
  assert.equal(sipReference(new Uint8Array(0), 2, 4, k0, k1), 0x726fdb47dd0e0e31n);
  const fifteen = Uint8Array.from({ length: 15 }, (_, i) => i);
  assert.equal(sipReference(fifteen, 2, 4, k0, k1), 0xa129ca6149be45e5n);
});

Deno.test("siphash13 agrees with the BigInt transcription for every tail length", () => {
  const rng = new Rng(5);
  for (let length = 0; length <= 80; length++) {
    for (let trial = 0; trial < 4; trial++) {
      const data = Uint8Array.from({ length }, () => rng.below(256));
      assert.equal(siphash13(data), sipReference(data), `length ${length}`);
    }
  }
});

Deno.test("hashes of subarrays use only the viewed bytes", () => {
  const whole = new TextEncoder().encode("xxabcxx");
  assert.equal(hashBytes(whole.subarray(2, 5)), "4aa3e4b34416e6c9");
});

Deno.test("hash text is lower-case hex without zero padding", () => {
  const rng = new Rng(9);
  let sawShort = false;
  for (let i = 0; i < 3000; i++) {
    const s = rng.string(6);
    const hex = hashStr(s);
    assert.match(hex, /^[0-9a-f]{1,16}$/);
    assert.ok(!hex.startsWith("0") || hex === "0");
    const data = new TextEncoder().encode(s);
    const expected = sipReference(new Uint8Array([...data, 0xff]));
    assert.equal(hex, expected.toString(16));
    if (hex.length < 16) sawShort = true;
  }
  assert.ok(sawShort, "some hash has a leading zero nibble dropped");
});

Deno.test("non-ASCII strings hash their UTF-8 bytes", () => {
  const s = "héllo ✓ 😀";
  const utf8 = new TextEncoder().encode(s);
  assert.equal(hashStr(s), siphash13(new Uint8Array([...utf8, 0xff])).toString(16));
  assert.notEqual(hashStr(s), hashBytes(utf8));
});

Deno.test("a megabyte hashes to the reference's value", () => {
  const data = new Uint8Array(1 << 20).map((_, i) => i * 31);
  const hex = hashBytes(data);
  const prefixed = new Uint8Array(8 + data.length);
  new DataView(prefixed.buffer).setBigUint64(0, BigInt(data.length), true);
  prefixed.set(data, 8);
  assert.equal(hex, sipReference(prefixed).toString(16));
});
