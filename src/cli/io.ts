/**
 * The CLI's channels: buffered stdout/stderr and stdin (read by the port driver). Tests pass
 * their own to capture output.
 */
import { fileSink, Output } from "../io/output.ts";
import { denoStdin } from "../io/stdin.ts";
import type { AsyncByteSource } from "../ports/stdin.ts";

export interface CliIo {
  stdout: Output;
  stderr: Output;
  stdin: AsyncByteSource;
}

export function defaultIo(): CliIo {
  return {
    stdout: new Output(fileSink(Deno.stdout)),
    stderr: new Output(fileSink(Deno.stderr)),
    stdin: denoStdin(),
  };
}
