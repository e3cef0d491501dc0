/**
 * The CLI's channels: buffered stdout/stderr and stdin. Tests pass their own to capture output.
 */
import { fileSink, Output } from "../io/output.ts";
import { type Stdin, StdinReader } from "../io/stdin.ts";

export interface CliIo {
  stdout: Output;
  stderr: Output;
  stdin: Stdin;
}

export function defaultIo(): CliIo {
  return {
    stdout: new Output(fileSink(Deno.stdout)),
    stderr: new Output(fileSink(Deno.stderr)),
    stdin: new StdinReader(Deno.stdin),
  };
}
