/**
 * ttvm public TypeScript API.
 *
 * Run a whole program, capturing its output:
 * ```ts
 * import { assembleSource, runProgram } from "./mod.ts";
 * const program = assembleSource('PUSH_STR "hi"\nPRINT\n', "hi.ttvm");
 * const { stdout, exitCode } = await runProgram(program);
 * ```
 * Drive processes from TypeScript (see examples/api_kv.ts):
 * ```ts
 * const vm = ActorVm.fromSource(source);
 * const kv = vm.spawn("kv_server");
 * vm.send(kv, { op: "put", key: "a", value: 1, reply: vm.host.pid });
 * const done = vm.run();
 * for await (const msg of vm.host) console.log(msg);
 * await done;
 * ```
 */
import type { Program } from "./src/isa/program.ts";
import { Output, type Sink } from "./src/io/output.ts";
import { fixedInput } from "./src/io/stdin.ts";
import { Vm, type VmOptions } from "./src/vm/vm.ts";

export { AsmError, assembleFile, assembleSource, type Diagnostic } from "./src/asm/mod.ts";
export { decodeProgram, disassemble, encodeProgram, LoadError } from "./src/bytecode/mod.ts";
export { OPCODES, type OpInfo } from "./src/isa/opcodes.ts";
export type { Program } from "./src/isa/program.ts";
export type { HostValue } from "./src/term/host.ts";
export { type RunResult, Vm, type VmOptions } from "./src/vm/vm.ts";
export { ActorVm, type ActorVmOptions, HostMailbox, type RunSummary } from "./src/api/actor_vm.ts";
export { Atom, Connection, type JsValue, Term, Tuple } from "./src/api/convert.ts";

export interface CapturedRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Exit reason of process 1: "normal" or the crash message. */
  reason: string;
}

export interface RunOptions extends VmOptions {
  /** The program's arguments (GET_ARGS). */
  args?: string[];
  /** Text served to READ_LINE / READ_CHAR / READ_INPUT. */
  stdin?: string;
}

/** Run a program to the end in this thread (single scheduler), capturing its output. */
export async function runProgram(program: Program, options: RunOptions = {}): Promise<CapturedRun> {
  const out = new CaptureSink(), err = new CaptureSink();
  const vm = new Vm(program, {
    stdout: new Output(out),
    stderr: new Output(err),
    stdin: fixedInput(options.stdin ?? ""),
    args: options.args ?? [],
  }, options);
  const result = await vm.run();
  return {
    stdout: out.text(),
    stderr: err.text(),
    exitCode: result.exitCode,
    reason: result.reason,
  };
}

class CaptureSink implements Sink {
  private chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  text(): string {
    const dec = new TextDecoder();
    return this.chunks.map((c) => dec.decode(c, { stream: true })).join("") + dec.decode();
  }
}
