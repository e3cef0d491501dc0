/**
 * Test helper: byte-level surgery on .ttb files (find sections, patch bytes, fix the CRC) so
 * tests can forge files that pass the checksum and hit the loader's structural checks.
 *
 * Invariant: helpers never modify their input; they return fresh arrays.
 */
import { crc32 } from "../../src/bytecode/crc32.ts";

/** A copy of `bytes` with its trailing CRC-32 recomputed. */
export function withFixedCrc(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const at = out.length - 4;
  if (at < 0) return out;
  new DataView(out.buffer).setUint32(at, crc32(out, 0, at), true);
  return out;
}

export interface SectionSpan {
  id: number;
  /** Byte offset of the section's id byte. */
  headerAt: number;
  payloadStart: number;
  payloadEnd: number;
}

/** The sections of a well-formed file, in file order. */
export function sectionSpans(bytes: Uint8Array): SectionSpan[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(8, true);
  const out: SectionSpan[] = [];
  let pos = 10;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(pos + 1, true);
    out.push({
      id: bytes[pos],
      headerAt: pos,
      payloadStart: pos + 5,
      payloadEnd: pos + 5 + length,
    });
    pos += 5 + length;
  }
  return out;
}

export function sectionSpan(bytes: Uint8Array, id: number): SectionSpan {
  const s = sectionSpans(bytes).find((x) => x.id === id);
  if (!s) throw new Error(`no section ${id}`);
  return s;
}

/** A copy with bytes[at] = value and the CRC fixed. */
export function patchedByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[at] = value;
  return withFixedCrc(out);
}

/** A copy where the payload of section `id` is replaced (length updated, CRC fixed). */
export function withSectionPayload(bytes: Uint8Array, id: number, payload: Uint8Array): Uint8Array {
  const s = sectionSpan(bytes, id);
  const out = new Uint8Array(bytes.length - (s.payloadEnd - s.payloadStart) + payload.length);
  out.set(bytes.subarray(0, s.payloadStart));
  out.set(payload, s.payloadStart);
  out.set(bytes.subarray(s.payloadEnd), s.payloadStart + payload.length);
  new DataView(out.buffer).setUint32(s.headerAt + 1, payload.length, true);
  return withFixedCrc(out);
}
