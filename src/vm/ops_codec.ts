/**
 * COMPRESS / DECOMPRESS (gzip, node:zlib) and ENCRYPT / DECRYPT (AES-256-GCM, node:crypto),
 * LANGUAGE.md §7. All synchronous: the work is bounded by the operand and charged to the
 * instruction.
 *
 * COMPRESS takes a Str (its UTF-8) or Bytes and pushes the gzip stream as Bytes. DECOMPRESS
 * takes that Bytes and pushes a Str when the data is valid UTF-8 — what COMPRESS of a Str gives
 * back — and Bytes otherwise (binary data round-trips exactly; BYTES_TO_STR/STR_TO_BYTES
 * convert); data that is not a gzip stream → `Invalid compressed data`.
 *
 * ENCRYPT (`data key → bytes`) output layout, all of it authenticated:
 * ```
 *  byte 0       format version (1)
 *  byte 1       kind of the plaintext: 0 Str (UTF-8), 1 Bytes — DECRYPT gives back the same type
 *  bytes 2..17  scrypt salt (16 random bytes)
 *  bytes 18..29 AES-GCM nonce (12 random bytes, fresh for every ENCRYPT)
 *  then         ciphertext (as long as the plaintext), then the 16-byte GCM tag
 * ```
 * Bytes 0..29 are the GCM additional data. The 256-bit key is scrypt(key Str, salt, N=2^14,
 * r=8, p=1). Deriving it costs tens of milliseconds of one core, so each thread caches the last
 * keys it derived (by key text and salt), and ENCRYPT reuses one random salt per key text per
 * thread: a program that encrypts many messages with one key pays for the derivation once,
 * while every message still gets its own random nonce. A wrong key, a damaged or truncated
 * ciphertext, or a non-ENCRYPT input all fail authentication: `Decryption failed`.
 */
import { nodeBuiltin } from "../host/node_builtin.ts";
import { R_TMP0 } from "../proc/pcb.ts";
import { T_BYTES } from "../term/tags.ts";
import { typeMismatch, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { replaceWithTmp } from "./ops_data.ts";

const ENCODER = new TextEncoder();
const STRICT_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The bytes of a Str (UTF-8) or Bytes operand, or a type mismatch. */
function dataArg(it: Interpreter, c: number, op: string, others: number[] = []): Uint8Array {
  const v = it.rt.values;
  if (v.isStr(c)) return ENCODER.encode(v.str(c));
  if (v.tag(c) === T_BYTES) return v.bytes(c);
  throw typeMismatch(op, "a string or bytes", [c, ...others].map((x) => v.debug(x)));
}

/** Replace the top `nArgs` operands by Bytes, or by a Str when `asText` and the bytes are valid
 *  UTF-8. */
function result(it: Interpreter, pcb: number, nArgs: number, bytes: Uint8Array, asText: boolean) {
  const v = it.rt.values;
  it.charge(bytes.length);
  let text: string | null = null;
  if (asText) {
    try {
      text = STRICT_DECODER.decode(bytes);
    } catch {
      text = null;
    }
  }
  if (text !== null) v.putStr(pcb, pcb + R_TMP0, text);
  else v.putBytes(pcb, pcb + R_TMP0, bytes);
  replaceWithTmp(it, pcb, nArgs);
}

// ── gzip ──────────────────────────────────────────────────────────────────────────────────

export function compress(it: Interpreter, pcb: number): void {
  it.m.need(pcb, 1, "COMPRESS");
  const data = dataArg(it, it.m.arg(pcb, 0), "COMPRESS");
  it.charge(data.length);
  result(it, pcb, 1, new Uint8Array(nodeBuiltin("node:zlib").gzipSync(data)), false);
}

export function decompress(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "DECOMPRESS");
  const c = m.arg(pcb, 0);
  if (v.tag(c) !== T_BYTES) throw typeMismatch("DECOMPRESS", "bytes", [v.debug(c)]);
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(nodeBuiltin("node:zlib").gunzipSync(v.bytes(c)));
  } catch {
    throw new VmError("Invalid compressed data");
  }
  result(it, pcb, 1, plain, true);
}

// ── AES-256-GCM ───────────────────────────────────────────────────────────────────────────

const VERSION = 1;
const KIND_STR = 0, KIND_BYTES = 1;
const SALT_BYTES = 16, NONCE_BYTES = 12, TAG_BYTES = 16;
const HEADER_BYTES = 2 + SALT_BYTES + NONCE_BYTES;
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** Reductions charged for one scrypt derivation (it takes tens of milliseconds). */
const DERIVE_WORK = 64 * 1000;

/** Derived keys, most recently used last: `${salt hex}:${key}` → key. Per thread. */
const derivedKeys = new Map<string, Uint8Array>();
const DERIVED_KEYS_KEPT = 16;
/** The salt ENCRYPT uses for each key text on this thread. */
const saltOfKey = new Map<string, Uint8Array>();

function deriveKey(it: Interpreter, key: string, salt: Uint8Array): Uint8Array {
  const id = `${hex(salt)}:${key}`;
  const known = derivedKeys.get(id);
  if (known !== undefined) {
    derivedKeys.delete(id);
    derivedKeys.set(id, known);
    return known;
  }
  it.charge(DERIVE_WORK);
  const derived = new Uint8Array(nodeBuiltin("node:crypto").scryptSync(key, salt, 32, SCRYPT));
  derivedKeys.set(id, derived);
  if (derivedKeys.size > DERIVED_KEYS_KEPT) derivedKeys.delete(derivedKeys.keys().next().value!);
  return derived;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function keyArg(it: Interpreter, pcb: number, op: string): string {
  const v = it.rt.values;
  const data = it.m.arg(pcb, 1), key = it.m.arg(pcb, 0);
  if (!v.isStr(key)) throw typeMismatch(op, "data and a string key", [v.debug(data), v.debug(key)]);
  return v.str(key);
}

export function encrypt(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "ENCRYPT");
  const key = keyArg(it, pcb, "ENCRYPT");
  const dataCell = m.arg(pcb, 1);
  const plain = dataArg(it, dataCell, "ENCRYPT", [m.arg(pcb, 0)]);
  let salt = saltOfKey.get(key);
  if (salt === undefined) {
    salt = new Uint8Array(nodeBuiltin("node:crypto").randomBytes(SALT_BYTES));
    saltOfKey.set(key, salt);
    if (saltOfKey.size > DERIVED_KEYS_KEPT) saltOfKey.delete(saltOfKey.keys().next().value!);
  }
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = VERSION;
  header[1] = v.isStr(dataCell) ? KIND_STR : KIND_BYTES;
  header.set(salt, 2);
  header.set(nodeBuiltin("node:crypto").randomBytes(NONCE_BYTES), 2 + SALT_BYTES);
  const cipher = nodeBuiltin("node:crypto").createCipheriv(
    "aes-256-gcm",
    deriveKey(it, key, salt),
    header.subarray(2 + SALT_BYTES),
  );
  cipher.setAAD(header);
  const body = cipher.update(plain);
  const final = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(HEADER_BYTES + body.length + final.length + TAG_BYTES);
  out.set(header, 0);
  out.set(body, HEADER_BYTES);
  out.set(final, HEADER_BYTES + body.length);
  out.set(tag, out.length - TAG_BYTES);
  it.charge(plain.length);
  result(it, pcb, 2, out, false);
}

export function decrypt(it: Interpreter, pcb: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "DECRYPT");
  const key = keyArg(it, pcb, "DECRYPT");
  const c = m.arg(pcb, 1);
  if (v.tag(c) !== T_BYTES) {
    throw typeMismatch("DECRYPT", "bytes and a string key", [v.debug(c), v.debug(m.arg(pcb, 0))]);
  }
  const data = v.bytes(c);
  if (data.length < HEADER_BYTES + TAG_BYTES || data[0] !== VERSION || data[1] > KIND_BYTES) {
    throw new VmError("Decryption failed");
  }
  const header = data.subarray(0, HEADER_BYTES);
  let plain: Uint8Array;
  try {
    const decipher = nodeBuiltin("node:crypto").createDecipheriv(
      "aes-256-gcm",
      deriveKey(it, key, data.subarray(2, 2 + SALT_BYTES)),
      header.subarray(2 + SALT_BYTES),
    );
    decipher.setAAD(header);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const body = decipher.update(data.subarray(HEADER_BYTES, data.length - TAG_BYTES));
    const final = decipher.final();
    plain = new Uint8Array(body.length + final.length);
    plain.set(body, 0);
    plain.set(final, body.length);
  } catch {
    throw new VmError("Decryption failed");
  }
  it.charge(plain.length);
  result(it, pcb, 2, plain, data[1] === KIND_STR);
}
