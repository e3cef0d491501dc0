/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF),
 * the checksum that closes every .ttb file.
 *
 * Invariants: the result is an unsigned 32-bit number; the lookup table is built once, lazily,
 * and never mutated afterwards.
 */

const REFLECTED_POLYNOMIAL = 0xedb88320;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  const t = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let r = byte;
    for (let bit = 0; bit < 8; bit++) r = r & 1 ? (r >>> 1) ^ REFLECTED_POLYNOMIAL : r >>> 1;
    t[byte] = r >>> 0;
  }
  table = t;
  return t;
}

/** CRC-32 of `bytes[start, end)`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = crcTable();
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
