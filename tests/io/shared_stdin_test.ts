/**
 * SharedStdin: standard input read by processes on different SMP workers. Each test builds
 * several readers over one Memory (as each worker has its own) and one byte source, and
 * checks that every byte is consumed exactly once and in order, whichever reader takes it.
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import { BUFFER_BYTES, SharedStdin } from "../../src/io/shared_stdin.ts";
import type { ByteSource } from "../../src/io/stdin.ts";

/** Serves `text` in chunks of the given sizes (cycled), like a pipe or a terminal would. */
function source(text: string, chunkSizes: number[]): ByteSource & { reads: number } {
  const bytes = new TextEncoder().encode(text);
  let at = 0, k = 0;
  return {
    reads: 0,
    readSync(p: Uint8Array): number | null {
      this.reads++;
      if (at >= bytes.length) return null;
      const n = Math.min(p.length, chunkSizes[k++ % chunkSizes.length], bytes.length - at);
      p.set(bytes.subarray(at, at + n));
      at += n;
      return n;
    },
  };
}

function readers(n: number, src: ByteSource): SharedStdin[] {
  const mem = Memory.create(16 * 1024 * 1024);
  return Array.from({ length: n }, () => new SharedStdin(mem, src));
}

Deno.test("lines read in turn by several workers' readers arrive once each, in order", () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`);
  const src = source(lines.join("\n") + "\n", [7, 4096, 65536, 1]);
  const rs = readers(3, src);
  const got: string[] = [];
  for (let i = 0; i < lines.length; i++) got.push(rs[(i * 7) % 3].readLine());
  assert.deepEqual(got, lines);
  assert.equal(rs[1].readLine(), "", "end of input reads as an empty line");
  assert.equal(rs[2].readByte(), null);
});

Deno.test("a line longer than the shared buffer is collected whole; CRLF loses its CR", () => {
  const long = "é".repeat(BUFFER_BYTES); // 2 bytes each: twice the buffer, split mid-character
  const src = source(`${long}\r\nnext\r\nlast`, [BUFFER_BYTES - 1, 3]);
  const [a, b] = readers(2, src);
  assert.equal(a.readLine(), long);
  assert.equal(b.readLine(), "next");
  assert.equal(a.readLine(), "last", "the final line without a newline is returned as is");
  assert.equal(b.readLine(), "");
});

Deno.test("bytes, lines and the rest mix across readers without losing a byte", () => {
  const src = source("ab\ncdef\nghi\njkl", [2]);
  const [a, b, c] = readers(3, src);
  assert.equal(String.fromCharCode(a.readByte()!), "a");
  assert.equal(b.readLine(), "b");
  assert.equal(String.fromCharCode(c.readByte()!), "c");
  assert.equal(a.readLine(), "def");
  assert.equal(b.readAll(), "ghi\njkl");
  assert.equal(c.readAll(), "");
  assert.equal(a.readByte(), null);
});

Deno.test("after the end of input no reader asks the source again", () => {
  const src = source("only\n", [100]);
  const [a, b] = readers(2, src);
  assert.equal(a.readLine(), "only");
  assert.equal(b.readLine(), "");
  const reads = src.reads;
  assert.equal(a.readLine(), "");
  assert.equal(b.readAll(), "");
  assert.equal(src.reads, reads);
});
