/**
 * Standard input as a port: READ_LINE, READ_CHAR and READ_INPUT are requests served in arrival
 * order from one read-ahead buffer on the driver's thread. Each byte is consumed exactly once
 * whichever process (on whichever worker) asks, a process waiting for a terminal line waits
 * alone, and lines are decoded only once complete, so a multi-byte character split across
 * reads is intact.
 */
import type { HostValue } from "../term/host.ts";
import { type PortDriver, PortError } from "./driver.ts";
import type { PortRequest } from "./protocol.ts";

/** Where the bytes come from (Deno.stdin, or a string given to runProgram). */
export interface AsyncByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

const READ_LINE = 0x7a, READ_CHAR = 0x7b, READ_INPUT = 0x7c;
const CHUNK_BYTES = 64 * 1024;
const decoder = new TextDecoder();

export class StdinPort {
  private buf: Uint8Array = new Uint8Array(0);
  private eof = false;
  private reading = false;
  private readonly waiting: PortRequest[] = [];

  constructor(private readonly driver: PortDriver, private readonly source: AsyncByteSource) {
    for (const op of [READ_LINE, READ_CHAR, READ_INPUT]) {
      driver.on(op, (_d, req) => {
        driver.begin();
        this.waiting.push(req);
        this.serve();
      });
    }
  }

  /** Answer waiting requests from the buffer; read more when the first one needs it. */
  private serve(): void {
    while (this.waiting.length > 0) {
      const req = this.waiting[0];
      const answer = this.answer(req.kind);
      if (answer === undefined) {
        this.fill();
        return;
      }
      this.waiting.shift();
      if (answer instanceof PortError) this.driver.fail(req, answer.message);
      else this.driver.reply(req, answer);
      this.driver.end();
    }
  }

  /** The answer to `kind` from what is buffered, or undefined when more input is needed. */
  private answer(kind: number): HostValue | PortError | undefined {
    const buf = this.buf;
    if (kind === READ_LINE) {
      const nl = buf.indexOf(10);
      if (nl < 0 && !this.eof) return undefined;
      const end = nl < 0 ? buf.length : nl;
      const cut = end > 0 && buf[end - 1] === 13 && nl >= 0 ? end - 1 : end;
      const line = decoder.decode(buf.subarray(0, cut));
      this.buf = buf.subarray(nl < 0 ? buf.length : nl + 1);
      return { kind: "str", value: line };
    }
    if (kind === READ_CHAR) {
      if (buf.length === 0) {
        if (!this.eof) return undefined;
        return new PortError("File operation failed on stdin: failed to fill whole buffer");
      }
      this.buf = buf.subarray(1);
      return { kind: "str", value: String.fromCharCode(buf[0]) };
    }
    if (!this.eof) return undefined; // READ_INPUT: everything up to the end
    this.buf = new Uint8Array(0);
    return { kind: "str", value: decoder.decode(buf) };
  }

  private fill(): void {
    if (this.reading || this.eof) return;
    this.reading = true;
    const chunk = new Uint8Array(CHUNK_BYTES);
    this.source.read(chunk).then(
      (n) => {
        if (n === null || n === 0) this.eof = true;
        else {
          const next = new Uint8Array(this.buf.length + n);
          next.set(this.buf);
          next.set(chunk.subarray(0, n), this.buf.length);
          this.buf = next;
        }
      },
      () => {
        this.eof = true;
      },
    ).finally(() => {
      this.reading = false;
      this.serve();
    });
  }
}
