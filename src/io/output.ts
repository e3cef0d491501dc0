/**
 * Buffered output channel for program output (stdout) and diagnostics (stderr).
 *
 * Invariants: text is written in the order it was emitted; stdout is flushed before anything
 * that lets another writer (a child process in EXEC, a prompt for stdin) see the terminal, and
 * at the end of the run. Writes are synchronous so an EXIT cannot lose buffered output.
 */

export interface Sink {
  write(bytes: Uint8Array): void;
}

/** A sink over a Deno file (Deno.stdout / Deno.stderr), handling partial writes. */
export function fileSink(file: { writeSync(p: Uint8Array): number }): Sink {
  return {
    write(bytes) {
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    },
  };
}

const encoder = new TextEncoder();
const FLUSH_BYTES = 64 * 1024;

export class Output {
  private parts: string[] = [];
  private pending = 0;

  constructor(private readonly sink: Sink) {}

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join("");
    this.parts = [];
    this.pending = 0;
    this.sink.write(encoder.encode(text));
  }
}
