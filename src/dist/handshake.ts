/**
 * The distribution handshake, version 6 (DFLAG_HANDSHAKE_23, OTP 23+; the only one OTP 25+
 * speaks), from both ends. Messages are framed `len:u16 body`:
 *
 *   A (initiator)                                        B (acceptor)
 *   send_name       'N' flags:u64 creation:u32 nlen:u16 name   →
 *                    ←  send_status     's' "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive"
 *   (if "alive":    's' "true" | "false"               →)
 *                    ←  send_challenge  'N' flags:u64 challenge:u32 creation:u32 nlen:u16 name
 *   challenge_reply 'r' challenge:u32 digest[16]                →
 *                    ←  challenge_ack   'a' digest[16]
 *
 * digest = MD5(cookie ++ decimal text of the u32 challenge). Each side proves it knows the cookie
 * for the other's challenge; a wrong cookie makes the checking side close the connection (the
 * error says so). An OTP 23/24 initiator that did not ask EPMD may open with the old
 * `'n' version:u16=5 flags:u32 name` and then owes `'c' flagsHigh:u32 creation:u32` before its
 * challenge reply; the acceptor here handles that too.
 *
 * Who wins a simultaneous connect is the caller's decision (`decide` in acceptHandshake, see
 * node.ts); this module only carries the status both ways. Both ends refuse a peer that lacks a
 * flag OTP 25 makes mandatory.
 */
import { nodeBuiltin } from "../host/node_builtin.ts";
import { ByteWriter, readU16, readU32, readU64, utf8Decoder, utf8Encoder } from "./bytes.ts";
import { type BufferedSocket, SocketClosedError, withDeadline } from "./socket.ts";

/** Capability flags (lib/kernel/include/dist.hrl of OTP 25). */
export const DFLAG = {
  PUBLISHED: 0x1n,
  ATOM_CACHE: 0x2n,
  EXTENDED_REFERENCES: 0x4n,
  DIST_MONITOR: 0x8n,
  FUN_TAGS: 0x10n,
  DIST_MONITOR_NAME: 0x20n,
  HIDDEN_ATOM_CACHE: 0x40n,
  NEW_FUN_TAGS: 0x80n,
  EXTENDED_PIDS_PORTS: 0x100n,
  EXPORT_PTR_TAG: 0x200n,
  BIT_BINARIES: 0x400n,
  NEW_FLOATS: 0x800n,
  UNICODE_IO: 0x1000n,
  DIST_HDR_ATOM_CACHE: 0x2000n,
  SMALL_ATOM_TAGS: 0x4000n,
  UTF8_ATOMS: 0x10000n,
  MAP_TAG: 0x20000n,
  BIG_CREATION: 0x40000n,
  SEND_SENDER: 0x80000n,
  BIG_SEQTRACE_LABELS: 0x100000n,
  EXIT_PAYLOAD: 0x400000n,
  FRAGMENTS: 0x800000n,
  HANDSHAKE_23: 0x1000000n,
  UNLINK_ID: 0x2000000n,
  SPAWN: 1n << 32n,
  NAME_ME: 1n << 33n,
  V4_NC: 1n << 34n,
  ALIAS: 1n << 35n,
} as const;

/** What OTP 25 refuses to connect without (MANDATORY_DFLAGS_25); OTP 26 adds the next two. */
export const DFLAGS_MANDATORY_25 = DFLAG.EXTENDED_REFERENCES | DFLAG.FUN_TAGS |
  DFLAG.EXTENDED_PIDS_PORTS | DFLAG.NEW_FUN_TAGS | DFLAG.EXPORT_PTR_TAG | DFLAG.BIT_BINARIES |
  DFLAG.NEW_FLOATS | DFLAG.UTF8_ATOMS | DFLAG.MAP_TAG | DFLAG.BIG_CREATION | DFLAG.HANDSHAKE_23;
export const DFLAGS_MANDATORY_26 = DFLAGS_MANDATORY_25 | DFLAG.UNLINK_ID | DFLAG.V4_NC;

/**
 * What this implementation offers. Not offered, on purpose: ATOM_CACHE / DIST_HDR_ATOM_CACHE
 * (no distribution header, so frames are "pass through"), FRAGMENTS (a message always arrives
 * whole), NAME_ME (names are static). PUBLISHED is added unless the node is hidden.
 */
export const DFLAGS_OFFERED = DFLAGS_MANDATORY_26 | DFLAG.DIST_MONITOR |
  DFLAG.DIST_MONITOR_NAME | DFLAG.UNICODE_IO | DFLAG.SMALL_ATOM_TAGS | DFLAG.SEND_SENDER |
  DFLAG.BIG_SEQTRACE_LABELS | DFLAG.EXIT_PAYLOAD | DFLAG.SPAWN | DFLAG.ALIAS;

export type HandshakeFailure =
  | "bad_cookie" // a digest did not match: the cookies differ
  | "nok" // the acceptor keeps its own simultaneous attempt
  | "not_allowed"
  | "alive_refused" // the acceptor had a live connection and we (or it) gave up
  | "missing_flags"
  | "wrong_node" // the node answering is not the one we wanted
  | "protocol"
  | "closed"
  | "timeout";

export class HandshakeError extends Error {
  override name = "HandshakeError";
  constructor(readonly reason: HandshakeFailure, message: string) {
    super(message);
  }
}

export interface LocalIdentity {
  /** Full node name, `alive@host`. */
  name: string;
  cookie: string;
  creation: number;
  flags: bigint;
}

export interface PeerInfo {
  name: string;
  flags: bigint;
  creation: number;
}

export type AcceptStatus = "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive";

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 7000; // Erlang's net_setuptime

/** MD5(cookie ++ integer_to_list(challenge)). */
export function handshakeDigest(challenge: number, cookie: string): Uint8Array {
  return new Uint8Array(
    nodeBuiltin("node:crypto").createHash("md5").update(cookie + String(challenge >>> 0)).digest(),
  );
}

function newChallenge(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function missingFlags(flags: bigint): string[] {
  const missing: string[] = [];
  for (const [name, bit] of Object.entries(DFLAG)) {
    if ((DFLAGS_MANDATORY_25 & bit) !== 0n && (flags & bit) === 0n) missing.push(name);
  }
  return missing;
}

function text(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

async function readMessage(sock: BufferedSocket, peer: string, step: string): Promise<Uint8Array> {
  try {
    const msg = await sock.readPacket2();
    if (msg.length === 0) throw new HandshakeError("protocol", `${peer}: empty ${step}`);
    return msg;
  } catch (e) {
    if (e instanceof HandshakeError) throw e;
    if (e instanceof SocketClosedError) {
      throw new HandshakeError("closed", `${peer} closed the connection before ${step}`);
    }
    throw e;
  }
}

function runBounded<T>(sock: BufferedSocket, timeoutMs: number, peer: string, work: Promise<T>) {
  return withDeadline(work, timeoutMs, () => sock.close(), `handshake with ${peer} timed out`)
    .catch((e) => {
      if (e instanceof HandshakeError) throw e;
      if (/timed out/.test((e as Error).message)) throw new HandshakeError("timeout", e.message);
      throw new HandshakeError("closed", `handshake with ${peer}: ${(e as Error).message}`);
    });
}

export interface InitiateOptions {
  /** The node we mean to reach; a different name in the challenge is refused. */
  peer: string;
  timeoutMs?: number;
  /** Asked when the acceptor answers "alive": true replaces its old connection (default). */
  onAlive?: () => boolean;
}

/** Runs the initiating side (A) on a fresh connection; returns the peer once both proved the cookie. */
export function initiateHandshake(
  sock: BufferedSocket,
  self: LocalIdentity,
  opts: InitiateOptions,
): Promise<PeerInfo> {
  const peer = opts.peer;
  return runBounded(
    sock,
    opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    peer,
    (async () => {
      const name = text(self.name);
      await sock.writePacket2(
        new ByteWriter().u8(0x4e).u64(self.flags).u32(self.creation).u16(name.length).bytes(name)
          .finish(),
      );
      const status = await readMessage(sock, peer, "the status");
      if (status[0] !== 0x73) throw new HandshakeError("protocol", `${peer}: bad status message`);
      const word = utf8Decoder.decode(status.subarray(1));
      switch (word) {
        case "ok":
        case "ok_simultaneous":
          break;
        case "nok":
          throw new HandshakeError("nok", `${peer} keeps its own connection attempt (nok)`);
        case "not_allowed":
          throw new HandshakeError("not_allowed", `${peer} does not allow us to connect`);
        case "alive": {
          const goOn = opts.onAlive ? opts.onAlive() : true;
          await sock.writePacket2(text(goOn ? "strue" : "sfalse"));
          if (!goOn) throw new HandshakeError("alive_refused", `${peer} is already connected`);
          break;
        }
        default:
          throw new HandshakeError("protocol", `${peer}: unknown status "${word.slice(0, 40)}"`);
      }
      const ch = await readMessage(sock, peer, "the challenge");
      if (ch[0] !== 0x4e || ch.length < 19) {
        throw new HandshakeError("protocol", `${peer}: bad challenge message`);
      }
      const peerFlags = readU64(ch, 1), challenge = readU32(ch, 9), peerCreation = readU32(ch, 13);
      const nlen = readU16(ch, 17);
      const peerName = utf8Decoder.decode(ch.subarray(19, 19 + nlen));
      if (peerName !== peer) {
        throw new HandshakeError("wrong_node", `connected to ${peerName}, not ${peer}`);
      }
      const missing = missingFlags(peerFlags);
      if (missing.length > 0) {
        throw new HandshakeError("missing_flags", `${peer} lacks ${missing.join(", ")}`);
      }
      const ourChallenge = newChallenge();
      await sock.writePacket2(
        new ByteWriter().u8(0x72).u32(ourChallenge).bytes(handshakeDigest(challenge, self.cookie))
          .finish(),
      );
      let ack: Uint8Array;
      try {
        ack = await readMessage(sock, peer, "the challenge ack");
      } catch (e) {
        if (e instanceof HandshakeError && e.reason === "closed") {
          throw new HandshakeError(
            "bad_cookie",
            `${peer} closed the connection after our challenge reply: it refused our cookie`,
          );
        }
        throw e;
      }
      if (ack[0] !== 0x61 || ack.length !== 17) {
        throw new HandshakeError("protocol", `${peer}: bad challenge ack`);
      }
      if (!digestsEqual(ack.subarray(1), handshakeDigest(ourChallenge, self.cookie))) {
        throw new HandshakeError(
          "bad_cookie",
          `${peer} answered our challenge with another cookie`,
        );
      }
      return { name: peer, flags: peerFlags, creation: peerCreation };
    })(),
  );
}

export interface AcceptOptions {
  timeoutMs?: number;
  /**
   * Decides the status once the initiator's name is known (simultaneous connects, duplicates).
   * Called exactly once, unless the initiator's first message is malformed.
   */
  decide: (peer: PeerInfo) => AcceptStatus | Promise<AcceptStatus>;
  /** Called when the initiator confirms ("true") after status "alive": drop the old connection. */
  onReplace?: (peer: string) => void;
}

/** Runs the accepting side (B) on a connection a peer opened to us. */
export function acceptHandshake(
  sock: BufferedSocket,
  self: LocalIdentity,
  opts: AcceptOptions,
): Promise<PeerInfo> {
  let peer = "an unnamed peer";
  return runBounded(
    sock,
    opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    peer,
    (async () => {
      const first = await readMessage(sock, peer, "its name");
      let flags: bigint, creation = 0, oldStyle = false;
      if (first[0] === 0x4e && first.length >= 15) {
        flags = readU64(first, 1), creation = readU32(first, 9);
        peer = utf8Decoder.decode(first.subarray(15, 15 + readU16(first, 13)));
      } else if (first[0] === 0x6e && first.length >= 7 && readU16(first, 1) === 5) {
        flags = BigInt(readU32(first, 3)), oldStyle = true;
        peer = utf8Decoder.decode(first.subarray(7));
      } else {
        throw new HandshakeError("protocol", "bad send_name message");
      }
      if ((flags & DFLAG.HANDSHAKE_23) === 0n) {
        await sock.writePacket2(text("snot_allowed"));
        throw new HandshakeError("missing_flags", `${peer} cannot do handshake version 6`);
      }
      if (!/^[^@]+@[^@]+$/.test(peer)) {
        throw new HandshakeError("protocol", `bad node name "${peer.slice(0, 60)}"`);
      }
      if (!oldStyle) {
        const missing = missingFlags(flags);
        if (missing.length > 0) {
          await sock.writePacket2(text("snot_allowed"));
          throw new HandshakeError("missing_flags", `${peer} lacks ${missing.join(", ")}`);
        }
      }
      const status = await opts.decide({ name: peer, flags, creation });
      await sock.writePacket2(text("s" + status));
      if (status === "nok" || status === "not_allowed") {
        throw new HandshakeError(status, `refused ${peer} (${status})`);
      }
      if (status === "alive") {
        const answer = utf8Decoder.decode(await readMessage(sock, peer, "its alive answer"));
        if (answer !== "strue") throw new HandshakeError("alive_refused", `${peer} gave up`);
        opts.onReplace?.(peer);
      }
      const ourChallenge = newChallenge();
      const name = text(self.name);
      await sock.writePacket2(
        new ByteWriter().u8(0x4e).u64(self.flags).u32(ourChallenge).u32(self.creation)
          .u16(name.length).bytes(name).finish(),
      );
      let reply = await readMessage(sock, peer, "its challenge reply");
      if (oldStyle) {
        if (reply[0] !== 0x63 || reply.length < 9) {
          throw new HandshakeError(
            "protocol",
            "bad complement",
          );
        }
        flags |= BigInt(readU32(reply, 1)) << 32n, creation = readU32(reply, 5);
        const missing = missingFlags(flags);
        if (missing.length > 0) {
          throw new HandshakeError("missing_flags", `${peer} lacks ${missing.join(", ")}`);
        }
        reply = await readMessage(sock, peer, "its challenge reply");
      }
      if (reply[0] !== 0x72 || reply.length !== 21) {
        throw new HandshakeError("protocol", `${peer}: bad challenge reply`);
      }
      if (!digestsEqual(reply.subarray(5), handshakeDigest(ourChallenge, self.cookie))) {
        throw new HandshakeError(
          "bad_cookie",
          `connection attempt from ${peer} refused: its cookie is not ours`,
        );
      }
      const theirChallenge = readU32(reply, 1);
      await sock.writePacket2(
        new ByteWriter().u8(0x61).bytes(handshakeDigest(theirChallenge, self.cookie)).finish(),
      );
      return { name: peer, flags, creation };
    })(),
  );
}
