/**
 * A TCP connection with a read buffer, for the length-prefixed protocols of src/dist:
 *
 *   EPMD request         ┌ len:u16 ┬ request ┐   (responses are unframed)
 *   handshake message    ┌ len:u16 ┬ message ┐
 *   connected frame      ┌ len:u32 ┬ frame   ┐   len 0 = tick
 *
 * Reads return exactly what was asked or throw SocketClosedError at end of stream; writes loop
 * until every byte is written (Deno's write may be partial). Closing is idempotent and makes a
 * pending read fail with SocketClosedError, which is how the callers implement timeouts.
 */
import { readU16, readU32 } from "./bytes.ts";

export class SocketClosedError extends Error {
  override name = "SocketClosedError";
}

const READ_CHUNK_BYTES = 64 * 1024;

export class BufferedSocket {
  private buf = new Uint8Array(READ_CHUNK_BYTES);
  private start = 0;
  private end = 0;
  private closedFlag = false;
  /** Bytes received so far (a slow large frame still shows the peer is alive). */
  bytesRead = 0;

  constructor(readonly conn: Deno.Conn) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Bytes received but not yet consumed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Reads more bytes into the buffer; false at end of stream (or after close). */
  private async fill(): Promise<boolean> {
    if (this.closedFlag) return false;
    if (this.start > 0 && this.start === this.end) this.start = this.end = 0;
    if (this.end === this.buf.length) {
      // Full: compact when at most half is live, else grow (a frame larger than the buffer).
      const live = this.end - this.start;
      if (live <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(this.buf.length * 2);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0, this.end = live;
    }
    let n: number | null;
    try {
      n = await this.conn.read(this.buf.subarray(this.end));
    } catch (e) {
      if (this.closedFlag) return false;
      throw new SocketClosedError(`read failed: ${(e as Error).message}`);
    }
    if (n === null) return false;
    this.end += n;
    this.bytesRead += n;
    return true;
  }

  /** Exactly `n` bytes (a copy). */
  async readExact(n: number): Promise<Uint8Array> {
    while (this.end - this.start < n) {
      if (!(await this.fill())) throw new SocketClosedError("connection closed");
    }
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** Everything up to end of stream (EPMD NAMES/DUMP responses). */
  async readToEnd(maxBytes = 1 << 20): Promise<Uint8Array> {
    while (await this.fill()) {
      if (this.end - this.start > maxBytes) throw new SocketClosedError("response too long");
    }
    const out = this.buf.slice(this.start, this.end);
    this.start = this.end;
    return out;
  }

  /** One `len:u16` framed packet. */
  async readPacket2(): Promise<Uint8Array> {
    const len = readU16(await this.readExact(2), 0);
    return this.readExact(len);
  }

  /**
   * One `len:u32` framed packet, or null at a clean end of stream between packets. A packet of
   * length 0 (a tick) is returned as an empty array. `maxBytes` bounds what a peer can make us
   * allocate. With `copy` false the packet is a view into the read buffer, valid only until the
   * next read (for a caller that decodes it at once: saves a copy per frame).
   */
  async readPacket4(maxBytes: number, copy = true): Promise<Uint8Array | null> {
    while (this.end - this.start < 4) {
      if (!(await this.fill())) {
        if (this.end === this.start) return null;
        throw new SocketClosedError("connection closed inside a frame header");
      }
    }
    const len = readU32(this.buf, this.start);
    if (len > maxBytes) throw new SocketClosedError(`frame of ${len} bytes exceeds the limit`);
    this.start += 4;
    if (copy) return this.readExact(len);
    while (this.end - this.start < len) {
      if (!(await this.fill())) throw new SocketClosedError("connection closed");
    }
    const out = this.buf.subarray(this.start, this.start + len);
    this.start += len;
    return out;
  }

  /** Writes all of `data`. */
  async writeAll(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      if (this.closedFlag) throw new SocketClosedError("connection closed");
      try {
        at += await this.conn.write(data.subarray(at));
      } catch (e) {
        throw new SocketClosedError(`write failed: ${(e as Error).message}`);
      }
    }
  }

  /** Writes `body` as one `len:u16` packet. */
  writePacket2(body: Uint8Array): Promise<void> {
    const out = new Uint8Array(2 + body.length);
    out[0] = body.length >> 8, out[1] = body.length & 0xff;
    out.set(body, 2);
    return this.writeAll(out);
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer or the runtime
    }
  }
}

/** Connects to hostname:port with a bounded wait; the error names the address. */
export async function connectTcp(
  hostname: string,
  port: number,
  timeoutMs: number,
): Promise<BufferedSocket> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = Deno.connect({ hostname, port });
  try {
    const conn = await Promise.race([
      attempt,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    conn.setNoDelay(true);
    return new BufferedSocket(conn);
  } catch (e) {
    // A connect that completes after the timeout must still be closed.
    attempt.then((c) => c.close(), () => {});
    throw new SocketClosedError(`cannot connect to ${hostname}:${port}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `work` with a deadline: when it passes, `onTimeout` runs (it closes the socket, which
 * makes the pending read fail) and the result is a rejection with `message`.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  onTimeout: () => void,
  message: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      onTimeout();
      reject(new Error(message));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (e) {
    if (timedOut) throw new Error(message);
    throw e;
  } finally {
    clearTimeout(timer);
    work.catch(() => {}); // its failure after a timeout is expected
  }
}
