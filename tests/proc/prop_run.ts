/**
 * Runs a generated actor program in-process (a `Vm` of its own, output captured in memory) and
 * keeps the Vm so the test can inspect the process table, registry and memory afterwards.
 *
 * Invariant: a JS exception out of `vm.run()` (e.g. the stress-GC heap verifier finding a
 * corrupt heap) is captured in `error`, never thrown, so one bad seed cannot hide the others.
 */
import { assembleSource } from "../../src/asm/mod.ts";
import { Output } from "../../src/io/output.ts";
import { fixedInput } from "../../src/io/stdin.ts";
import { Vm, type VmOptions } from "../../src/vm/vm.ts";

export interface RunOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  reason: string;
  vm: Vm;
  /** What vm.run() threw, if it threw. */
  error: unknown;
  elapsedMs: number;
}

/** Memory level after a run: live blocks and bytes of the shared arena. */
export interface MemLevel {
  blocksLive: number;
  bytesLive: number;
}

export async function runInProcess(
  source: string,
  fileName: string,
  options: VmOptions,
): Promise<RunOutcome> {
  const program = assembleSource(source, fileName);
  const dec = new TextDecoder();
  let stdout = "", stderr = "";
  const vm = new Vm(program, {
    stdout: new Output({ write: (b) => (stdout += dec.decode(b)) }),
    stderr: new Output({ write: (b) => (stderr += dec.decode(b)) }),
    stdin: fixedInput(),
    args: [],
  }, options);
  const started = performance.now();
  let exitCode = -1, reason = "", error: unknown = null;
  try {
    const result = await vm.run();
    exitCode = result.exitCode;
    reason = result.reason;
  } catch (e) {
    error = e;
  }
  return { stdout, stderr, exitCode, reason, vm, error, elapsedMs: performance.now() - started };
}

export function memLevel(vm: Vm): MemLevel {
  const s = vm.mem.stats();
  return { blocksLive: s.blocksLive, bytesLive: s.bytesLive };
}
