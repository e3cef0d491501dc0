/**
 * One established distribution connection: framing, ticks, ordered sends, decoded receives.
 *
 * Frames after the handshake (no distribution header is negotiated, so every frame is
 * "pass through"):
 *
 *   len:u32 = 0                                   a tick (keep-alive)
 *   len:u32  112  131 <control tuple>  [131 <payload term>]
 *
 * Invariants:
 * - sends leave in the order `send` was called (one writer drains one queue), so the per-pair
 *   signal order Erlang promises holds over the wire;
 * - received frames are decoded and handed to `onMessage` one at a time in arrival order;
 * - a tick goes out whenever nothing was sent for a tick interval (net tick time / 4), and the
 *   connection is dropped when nothing at all arrived for the net tick time, as Erlang does;
 *   both ends must use the same net tick time;
 * - `onClose` runs exactly once, with the reason, after which nothing is delivered; a malformed
 *   frame closes the connection (Erlang drops it too).
 */
import { ByteWriter, concatBytes } from "./bytes.ts";
import {
  type ControlMessage,
  decodeControl,
  encodeControl,
  type ReceivedControl,
} from "./control.ts";
import { decodeTermAt, VERSION_MAGIC, writeTerm } from "./etf.ts";
import type { PeerInfo } from "./handshake.ts";
import type { BufferedSocket } from "./socket.ts";
import type { ErlTerm } from "./term.ts";

const PASS_THROUGH = 112;
const TICK_FRAME = new Uint8Array(4);
/** Frames queued together are written in one write of up to this many bytes. */
const WRITE_BATCH_BYTES = 256 * 1024;

export interface ConnectionOptions {
  netTickTimeMs: number;
  /** Largest frame accepted from the peer. */
  maxFrameBytes: number;
}

export interface ConnectionEvents {
  onMessage(msg: ReceivedControl): void;
  onClose(reason: string): void;
}

export interface ConnectionStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  ticksIn: number;
  ticksOut: number;
}

/** One scratch writer for every frame (encoding is synchronous); each frame is copied out of
 *  it, and a scratch buffer grown by a large frame is dropped rather than kept. */
let scratch = new ByteWriter(4096);
const SCRATCH_KEEP_BYTES = 1 << 20;

/** Encodes one pass-through frame (length prefix included). */
export function encodeFrame(control: ErlTerm, payload?: ErlTerm): Uint8Array {
  const w = scratch.reset();
  try {
    const at = w.reserveU32();
    w.u8(PASS_THROUGH).u8(VERSION_MAGIC);
    writeTerm(w, control);
    if (payload !== undefined) w.u8(VERSION_MAGIC), writeTerm(w, payload);
    w.patchU32(at, w.length - 4);
    return w.finish().slice();
  } finally {
    if (w.length > SCRATCH_KEEP_BYTES) scratch = new ByteWriter(4096);
    else w.reset();
  }
}

/** Decodes the body of a non-tick frame (without its length prefix). */
export function decodeFrame(frame: Uint8Array): ReceivedControl {
  if (frame[0] !== PASS_THROUGH) {
    throw new Error(`unexpected frame type ${frame[0]} (no distribution header was negotiated)`);
  }
  const first = decodeTermAt(frame, 1);
  let payload: ErlTerm | undefined;
  if (first.end < frame.length) {
    const second = decodeTermAt(frame, first.end);
    if (second.end !== frame.length) throw new Error("trailing bytes after the payload");
    payload = second.term;
  }
  return decodeControl(first.term, payload);
}

export class DistConnection {
  readonly stats: ConnectionStats = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    ticksIn: 0,
    ticksOut: 0,
  };
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing = false;
  private sentSinceTick = false;
  private lastReceivedMs = Date.now();
  private bytesSeenAtTick = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private closeReason: string | undefined;
  private readerDone: Promise<void> = Promise.resolve();
  private writerDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly sock: BufferedSocket,
    readonly peer: PeerInfo,
    private readonly opts: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {}

  get isOpen(): boolean {
    return this.closeReason === undefined;
  }

  /** Bytes handed to `send` and not yet written to the socket (for back-pressure). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  start(): void {
    this.lastReceivedMs = Date.now();
    const intervalMs = Math.max(1, Math.floor(this.opts.netTickTimeMs / 4));
    this.ticker = setInterval(() => this.tick(), intervalMs);
    this.readerDone = this.readLoop();
  }

  /** Queues `msg`; it leaves after everything queued before it. False once closed. */
  send(msg: ControlMessage): boolean {
    if (!this.isOpen) return false;
    const { control, payload } = encodeControl(msg, this.peer.flags);
    return this.sendFrame(encodeFrame(control, payload));
  }

  /** Queues an already encoded frame (length prefix included). */
  sendFrame(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.sentSinceTick = true;
    if (frame.length > 4) this.stats.framesOut++;
    if (!this.writing) this.writerDone = this.writeLoop();
    return true;
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 && this.isOpen) {
        let take = 0, bytes = 0;
        while (take < this.queue.length && (take === 0 || bytes < WRITE_BATCH_BYTES)) {
          bytes += this.queue[take++].length;
        }
        const batch = this.queue.splice(0, take);
        const data = batch.length === 1 ? batch[0] : concatBytes(batch);
        await this.sock.writeAll(data);
        if (!this.isOpen) return; // close() already dropped the queue and its count
        this.queuedBytes -= bytes;
        this.stats.bytesOut += bytes;
      }
    } catch (e) {
      this.close(`write failed: ${(e as Error).message}`);
    } finally {
      this.writing = false;
    }
  }

  private tick(): void {
    if (!this.isOpen) return;
    if (this.sock.bytesRead !== this.bytesSeenAtTick) {
      this.bytesSeenAtTick = this.sock.bytesRead;
      this.lastReceivedMs = Date.now();
    }
    if (Date.now() - this.lastReceivedMs >= this.opts.netTickTimeMs) {
      this.close("net_tick_timeout");
      return;
    }
    if (!this.sentSinceTick && this.queue.length === 0) {
      this.stats.ticksOut++;
      this.sendFrame(TICK_FRAME);
    }
    this.sentSinceTick = false;
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        // A view into the read buffer: decoded (copied out) before the next read.
        const frame = await this.sock.readPacket4(this.opts.maxFrameBytes, false);
        if (!this.isOpen) return;
        if (frame === null) return this.close("connection closed by peer");
        this.lastReceivedMs = Date.now();
        this.stats.bytesIn += frame.length + 4;
        if (frame.length === 0) {
          this.stats.ticksIn++;
          continue;
        }
        this.stats.framesIn++;
        let msg: ReceivedControl;
        try {
          msg = decodeFrame(frame);
        } catch (e) {
          return this.close(`bad frame from ${this.peer.name}: ${(e as Error).message}`);
        }
        try {
          this.events.onMessage(msg);
        } catch (e) {
          return this.close(`message handler failed: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      if (this.isOpen) this.close(`read failed: ${(e as Error).message}`);
    }
  }

  /** Closes the socket and reports `reason` once. Queued sends are dropped. */
  close(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    clearInterval(this.ticker);
    this.queue = [];
    this.queuedBytes = 0;
    this.sock.close();
    this.events.onClose(reason);
  }

  /** Resolves when the reader and writer have stopped (after close). */
  async finished(): Promise<void> {
    await Promise.allSettled([this.readerDone, this.writerDone]);
  }
}
