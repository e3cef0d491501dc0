/**
 * ByteWriter: an append-only little-endian byte buffer with LEB128 varints, used by the encoder.
 *
 * Invariants: `length` bytes of `buf` are valid; the buffer at least doubles when it grows, so
 * appending is amortised O(1); varints are written in canonical (shortest) form.
 */

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buf[this.length++] = value & 0xff;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  /** Overwrites a u32 written earlier (used to patch section lengths). */
  patchU32(offsetBytes: number, value: number): void {
    this.view.setUint32(offsetBytes, value >>> 0, true);
  }

  i64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, value, true);
    this.length += 8;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varUint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`varUint: ${value} is not a non-negative safe integer`);
    }
    let v = value;
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.u8(v);
  }

  /** Signed value as a zigzag-coded LEB128 (small magnitudes of either sign stay short). */
  varInt(value: number): void {
    this.varUint(value < 0 ? -2 * value - 1 : 2 * value);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** A view (no copy) of bytes [start, end) written so far. */
  written(startBytes: number, endBytes = this.length): Uint8Array {
    return this.buf.subarray(startBytes, endBytes);
  }
}
