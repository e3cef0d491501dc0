/**
 * Helpers of the compiler-tier tests: run a program in-process with a chosen tier policy and
 * reduction budget, capturing its output, the reductions charged, the slices and the tier's
 * counters; and a comparison that demands identical behaviour with the tier off and on.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { Output } from "../../src/io/output.ts";
import { fixedInput } from "../../src/io/stdin.ts";
import type { JitStats } from "../../src/jit/tier.ts";
import type { CodeView } from "../../src/jit/compiled_ops.ts";
import { instructionCount, type Program } from "../../src/isa/program.ts";
import type { JitMode } from "../../src/vm/runtime.ts";
import { Vm, type VmOptions } from "../../src/vm/vm.ts";

export interface TierRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  reductions: number;
  slices: number;
  jit: JitStats | null;
  vm: Vm;
}

/** Assemble `source` as test.ttvm and run it to the end in this thread. */
export async function runWith(
  source: string | string[],
  jit: JitMode,
  options: VmOptions = {},
  prepare?: (vm: Vm) => void,
): Promise<TierRun> {
  const text = Array.isArray(source) ? source.join("\n") + "\n" : source;
  const dec = new TextDecoder();
  let stdout = "", stderr = "";
  const vm = new Vm(assembleSource(text, "test.ttvm"), {
    stdout: new Output({ write: (b) => (stdout += dec.decode(b)) }),
    stderr: new Output({ write: (b) => (stderr += dec.decode(b)) }),
    stdin: fixedInput(),
    args: [],
  }, { ...options, jit });
  prepare?.(vm);
  const { exitCode } = await vm.run();
  return {
    stdout,
    stderr,
    exitCode,
    reductions: vm.interp.reductions,
    slices: vm.scheduler.slices,
    jit: vm.jit?.stats ?? null,
    vm,
  };
}

/** Run with the tier off and with `mode` under `--exact-preemption` (`prepare` sees the
 *  compiled run's VM before it starts); everything observable must be identical — output,
 *  exit status, reductions charged and the number of slices (so preemption happened at the
 *  same instructions). Returns the compiled run. */
export async function assertSameAsInterpreter(
  source: string | string[],
  mode: JitMode = "eager",
  options: VmOptions = {},
  prepare?: (vm: Vm) => void,
): Promise<TierRun> {
  const off = await runWith(source, "off", options);
  const on = await runWith(source, mode, { exactPreemption: true, ...options }, prepare);
  const label = `jit=${mode}${prepare ? " (prepared)" : ""} ${JSON.stringify(options)}`;
  assert.equal(on.stdout, off.stdout, `stdout differs (${label})`);
  assert.equal(on.stderr, off.stderr, `stderr differs (${label})`);
  assert.equal(on.exitCode, off.exitCode, `exit status differs (${label})`);
  assert.equal(on.reductions, off.reductions, `reductions differ (${label})`);
  assert.equal(on.slices, off.slices, `slices differ (${label})`);
  return on;
}

/** A program's code as the tier sees it (the analyses read only opcodes, label operands and
 *  CALL's parameter lists). */
export function codeViewOf(program: Program): CodeView {
  return {
    code: program.code,
    nInstr: instructionCount(program),
    floats: Float64Array.from(program.floats),
    ints: BigInt64Array.from(program.ints),
    paramLists: program.paramLists.map((l) => Int32Array.from(l)),
  };
}
