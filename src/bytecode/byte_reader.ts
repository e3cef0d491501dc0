/**
 * ByteReader: a bounds-checked little-endian cursor over one region of a .ttb file.
 *
 * Invariants: the cursor never moves past `end`; every read that would cross it throws a
 * LoadError naming what was being read (`what`) and the absolute byte offset, never a
 * RangeError. Varints longer than MAX_VARINT_BYTES are rejected, so values stay exact numbers.
 */
import { LoadError } from "./load_error.ts";

/** 7 LEB128 bytes hold 49 bits: every value the format needs, exactly, in a JS number. */
const MAX_VARINT_BYTES = 7;

export class ByteReader {
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    public readonly end: number,
    /** What this region holds, for messages ("string table", "code", …). */
    public readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remainingBytes(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(sizeBytes: number): void {
    if (this.end - this.pos < sizeBytes) {
      throw new LoadError(`truncated ${this.what} at byte ${this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `sizeBytes` bytes. */
  take(sizeBytes: number): Uint8Array {
    this.need(sizeBytes);
    const out = this.bytes.subarray(this.pos, this.pos + sizeBytes);
    this.pos += sizeBytes;
    return out;
  }

  /** Unsigned LEB128; `max` bounds the value (inclusive), `field` names it in errors. */
  varUint(field: string, max: number): number {
    const startPos = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (value > max) {
          throw new LoadError(
            `${this.what}: ${field} ${value} is too large (max ${max}) at byte ${startPos}`,
          );
        }
        return value;
      }
      scale *= 0x80;
    }
    throw new LoadError(`${this.what}: over-long varint for ${field} at byte ${startPos}`);
  }

  /** Zigzag-coded signed LEB128, bounded to [-max-1, max]. */
  varInt(field: string, max: number): number {
    const z = this.varUint(field, 2 * max + 1);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /**
   * A count of items that each take at least `minItemBytes` bytes: bounded by what is left,
   * so a forged count can never cause a huge allocation or a long loop.
   */
  count(field: string, minItemBytes: number): number {
    const startPos = this.pos;
    const n = this.varUint(field, Number.MAX_SAFE_INTEGER);
    if (n * minItemBytes > this.remainingBytes) {
      throw new LoadError(
        `${this.what}: ${field} ${n} at byte ${startPos} exceeds the ${this.remainingBytes} bytes left`,
      );
    }
    return n;
  }
}
