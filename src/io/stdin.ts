/**
 * Synchronous, buffered reader of the VM's standard input (READ_LINE, READ_CHAR, READ_INPUT).
 *
 * Invariant: bytes are consumed exactly once and in order, whichever opcode reads them; lines are
 * decoded as UTF-8 only once complete, so a multi-byte character split across reads is intact.
 */

export interface ByteSource {
  readSync(p: Uint8Array): number | null;
}

/** What the stdin opcodes need: this reader, or SharedStdin on the SMP pool. */
export interface Stdin {
  /** One line without its `\n` / `\r\n`; "" at end of input. */
  readLine(): string;
  /** One byte, or null at end of input. */
  readByte(): number | null;
  /** Everything that is left. */
  readAll(): string;
}

const decoder = new TextDecoder();

export class StdinReader implements Stdin {
  private buf = new Uint8Array(0);
  private eof = false;

  constructor(private readonly source: ByteSource) {}

  private fill(): boolean {
    if (this.eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    const n = this.source.readSync(chunk);
    if (n === null || n === 0) {
      this.eof = true;
      return false;
    }
    const next = new Uint8Array(this.buf.length + n);
    next.set(this.buf);
    next.set(chunk.subarray(0, n), this.buf.length);
    this.buf = next;
    return true;
  }

  /** One line without its `\n` / `\r\n`; "" at end of input. */
  readLine(): string {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl >= 0) {
        let end = nl;
        if (end > 0 && this.buf[end - 1] === 13) end--;
        const line = decoder.decode(this.buf.subarray(0, end));
        this.buf = this.buf.slice(nl + 1);
        return line;
      }
      if (!this.fill()) {
        const rest = decoder.decode(this.buf);
        this.buf = new Uint8Array(0);
        return rest;
      }
    }
  }

  /** One byte, or null at end of input. */
  readByte(): number | null {
    if (this.buf.length === 0 && !this.fill()) return null;
    const b = this.buf[0];
    this.buf = this.buf.slice(1);
    return b;
  }

  /** Everything that is left. */
  readAll(): string {
    while (this.fill()) { /* read to EOF */ }
    const rest = decoder.decode(this.buf);
    this.buf = new Uint8Array(0);
    return rest;
  }
}
