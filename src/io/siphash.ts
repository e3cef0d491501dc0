/**
 * SipHash-1-3 with key (0, 0) — the hasher behind Rust's `DefaultHasher::new()`, which the
 * original's HASH used — so HASH gives the reference's text for the same input.
 *
 * Invariants: a Str hashes its UTF-8 bytes followed by one 0xFF byte (Rust's `str` Hash);
 * Bytes hash an 8-byte little-endian length followed by the bytes (`[u8]` Hash); the text form
 * is lower-case hex without zero padding. The 64-bit state is kept as 32-bit halves in a
 * Uint32Array (BigInt arithmetic is far slower for long inputs).
 */

// State layout: v0 = (s[0] high, s[1] low), v1 = (s[2], s[3]), v2 = (s[4], s[5]), v3 = (s[6], s[7]).
const V0H = 0, V0L = 1, V1H = 2, V1L = 3, V2H = 4, V2L = 5, V3H = 6, V3L = 7;

/** s[dst] += s[src] (64-bit, wrapping). */
function add(s: Uint32Array, dstHi: number, srcHi: number): void {
  const lo = (s[dstHi + 1] + s[srcHi + 1]) >>> 0;
  const carry = lo < s[dstHi + 1] ? 1 : 0;
  s[dstHi] = (s[dstHi] + s[srcHi] + carry) >>> 0;
  s[dstHi + 1] = lo;
}

/** Rotate the 64-bit word at `hi` left by `bits` (0 < bits < 32). */
function rotl(s: Uint32Array, hi: number, bits: number): void {
  const h = s[hi], l = s[hi + 1];
  s[hi] = ((h << bits) | (l >>> (32 - bits))) >>> 0;
  s[hi + 1] = ((l << bits) | (h >>> (32 - bits))) >>> 0;
}

/** Rotate the 64-bit word at `hi` left by 32: swap its halves. */
function swapHalves(s: Uint32Array, hi: number): void {
  const h = s[hi];
  s[hi] = s[hi + 1];
  s[hi + 1] = h;
}

/** s[dst] ^= s[src]. */
function xor(s: Uint32Array, dstHi: number, srcHi: number): void {
  s[dstHi] ^= s[srcHi];
  s[dstHi + 1] ^= s[srcHi + 1];
}

function sipRound(s: Uint32Array): void {
  add(s, V0H, V1H);
  rotl(s, V1H, 13);
  xor(s, V1H, V0H);
  swapHalves(s, V0H);
  add(s, V2H, V3H);
  rotl(s, V3H, 16);
  xor(s, V3H, V2H);
  add(s, V0H, V3H);
  rotl(s, V3H, 21);
  xor(s, V3H, V0H);
  add(s, V2H, V1H);
  rotl(s, V1H, 17);
  xor(s, V1H, V2H);
  swapHalves(s, V2H);
}

/** Absorb one 64-bit message word given as halves: v3 ^= m; one round; v0 ^= m. */
function compress(s: Uint32Array, mHi: number, mLo: number): void {
  s[V3H] ^= mHi;
  s[V3L] ^= mLo;
  sipRound(s);
  s[V0H] ^= mHi;
  s[V0L] ^= mLo;
}

/** SipHash-1-3 of `data` with key (0, 0), as an unsigned 64-bit bigint. */
export function siphash13(data: Uint8Array): bigint {
  // The initial state is the SipHash constants ("somepseudorandomlygeneratedbytes") xor a zero key.
  const s = new Uint32Array([
    0x736f6d65,
    0x70736575,
    0x646f7261,
    0x6e646f6d,
    0x6c796765,
    0x6e657261,
    0x74656462,
    0x79746573,
  ]);
  const lengthBytes = data.length;
  const fullBytes = lengthBytes - (lengthBytes % 8);
  for (let i = 0; i < fullBytes; i += 8) {
    const lo = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    const hi = (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24)) >>>
      0;
    compress(s, hi, lo);
  }
  // Last word: the remaining 0..7 bytes little-endian, the length's low byte in the top byte.
  const tail = new Uint8Array(8);
  tail.set(data.subarray(fullBytes));
  tail[7] = lengthBytes & 0xff;
  const tailLo = (tail[0] | (tail[1] << 8) | (tail[2] << 16) | (tail[3] << 24)) >>> 0;
  const tailHi = (tail[4] | (tail[5] << 8) | (tail[6] << 16) | (tail[7] << 24)) >>> 0;
  compress(s, tailHi, tailLo);
  s[V2L] ^= 0xff;
  sipRound(s);
  sipRound(s);
  sipRound(s);
  const hi = (s[V0H] ^ s[V1H] ^ s[V2H] ^ s[V3H]) >>> 0;
  const lo = (s[V0L] ^ s[V1L] ^ s[V2L] ^ s[V3L]) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const utf8Encoder = new TextEncoder();

/** HASH of a Str: hex of SipHash-1-3 over its UTF-8 bytes and a 0xFF terminator. */
export function hashStr(s: string): string {
  const utf8 = utf8Encoder.encode(s);
  const data = new Uint8Array(utf8.length + 1);
  data.set(utf8);
  data[utf8.length] = 0xff;
  return siphash13(data).toString(16);
}

/** HASH of Bytes: hex of SipHash-1-3 over an 8-byte little-endian length and the bytes. */
export function hashBytes(b: Uint8Array): string {
  const data = new Uint8Array(8 + b.length);
  new DataView(data.buffer).setBigUint64(0, BigInt(b.length), true);
  data.set(b, 8);
  return siphash13(data).toString(16);
}
