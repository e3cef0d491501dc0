/**
 * Big-endian byte building and reading for the wire formats of src/dist (ETF, EPMD, handshake,
 * connection frames). Every multi-byte integer on these wires is big-endian.
 *
 * ByteWriter grows by doubling and hands out a view of exactly the bytes written; `reserveU32`
 * + `patchU32` let a length prefix be written before its body is known.
 */

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extraBytes: number): void {
    const need = this.length + extraBytes;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
    return this;
  }
  u64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
    return this;
  }
  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }
  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }
  /** Writes a placeholder u32 and returns its offset for patchU32. */
  reserveU32(): number {
    const at = this.length;
    this.u32(0);
    return at;
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0);
  }
  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  /** Start again from empty, keeping the buffer (a scratch writer). */
  reset(): this {
    this.length = 0;
    return this;
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}

export function readU16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
export function readU64(b: Uint8Array, at: number): bigint {
  return (BigInt(readU32(b, at)) << 32n) | BigInt(readU32(b, at + 4));
}

export const utf8Encoder = new TextEncoder();
export const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
