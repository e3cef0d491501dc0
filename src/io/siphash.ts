/**
 * SipHash-1-3 with keys (0, 0) — what the original's HASH used (Rust's DefaultHasher) — so
 * HASH gives the same text for the same input. Strings hash their UTF-8 bytes followed by one
 * 0xFF byte (Rust's `str` Hash); Bytes hash an 8-byte little-endian length then the bytes
 * (`[u8]` Hash). Output: lower-case hex without zero padding.
 */

const MASK = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK;
}

function sipRound(v: bigint[]): void {
  v[0] = (v[0] + v[1]) & MASK;
  v[1] = rotl(v[1], 13n);
  v[1] ^= v[0];
  v[0] = rotl(v[0], 32n);
  v[2] = (v[2] + v[3]) & MASK;
  v[3] = rotl(v[3], 16n);
  v[3] ^= v[2];
  v[0] = (v[0] + v[3]) & MASK;
  v[3] = rotl(v[3], 21n);
  v[3] ^= v[0];
  v[2] = (v[2] + v[1]) & MASK;
  v[1] = rotl(v[1], 17n);
  v[1] ^= v[2];
  v[2] = rotl(v[2], 32n);
}

/** SipHash-1-3 of `data` with key (0, 0), as a 64-bit bigint. */
export function siphash13(data: Uint8Array): bigint {
  const k0 = 0n, k1 = 0n;
  const v = [
    k0 ^ 0x736f6d6570736575n,
    k1 ^ 0x646f72616e646f6dn,
    k0 ^ 0x6c7967656e657261n,
    k1 ^ 0x7465646279746573n,
  ];
  const full = data.length - (data.length % 8);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < full; i += 8) {
    const m = view.getBigUint64(i, true);
    v[3] ^= m;
    sipRound(v);
    v[0] ^= m;
  }
  let last = BigInt(data.length & 0xff) << 56n;
  for (let i = full; i < data.length; i++) last |= BigInt(data[i]) << BigInt(8 * (i - full));
  v[3] ^= last;
  sipRound(v);
  v[0] ^= last;
  v[2] ^= 0xffn;
  sipRound(v);
  sipRound(v);
  sipRound(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

const encoder = new TextEncoder();

/** HASH of a Str. */
export function hashStr(s: string): string {
  const utf8 = encoder.encode(s);
  const data = new Uint8Array(utf8.length + 1);
  data.set(utf8);
  data[utf8.length] = 0xff;
  return siphash13(data).toString(16);
}

/** HASH of Bytes. */
export function hashBytes(b: Uint8Array): string {
  const data = new Uint8Array(8 + b.length);
  new DataView(data.buffer).setBigUint64(0, BigInt(b.length), true);
  data.set(b, 8);
  return siphash13(data).toString(16);
}
