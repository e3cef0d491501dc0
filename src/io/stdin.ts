/**
 * Sources of a run's standard input, read by the port driver (src/ports/stdin.ts): the
 * process's own stdin, or bytes given by the caller (runProgram's `stdin` option, tests).
 */
import type { AsyncByteSource } from "../ports/stdin.ts";

/** Deno's standard input. */
export function denoStdin(): AsyncByteSource {
  return { read: (p) => Deno.stdin.read(p) };
}

/** A fixed input: `text` (or bytes), then end of input. */
export function fixedInput(input: string | Uint8Array = ""): AsyncByteSource {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let offset = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (offset >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, bytes.length - offset);
      p.set(bytes.subarray(offset, offset + n));
      offset += n;
      return Promise.resolve(n);
    },
  };
}
