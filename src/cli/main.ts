/**
 * The `ttvm` command line. Program output goes to stdout; diagnostics, errors, --trace and
 * --stats to stderr. Exit status: the program's (EXIT code, 1 when process 1 crashed), 1 for
 * load/assembly errors, 2 for usage errors.
 *
 * Options come before the program path; everything after it belongs to the program (GET_ARGS).
 */
import { AsmError, assembleFile } from "../asm/mod.ts";
import {
  decodeProgram,
  disassemble,
  encodeProgram,
  isTtbBytes,
  LoadError,
} from "../bytecode/mod.ts";
import type { Program } from "../isa/program.ts";
import { fileSink, Output } from "../io/output.ts";
import { type Stdin, StdinReader } from "../io/stdin.ts";
import { osErrorText } from "../vm/errors.ts";
import { JIT_MODES, type JitMode } from "../vm/runtime.ts";
import { Vm, type VmOptions } from "../vm/vm.ts";
import { runSmp } from "../sched/smp.ts";
import denoJson from "../../deno.json" with { type: "json" };

export const VERSION = denoJson.version;

const USAGE = `ttvm ${VERSION} — a BEAM-style actor VM for TinyTotVM programs

Usage:
  ttvm [options] <program.ttvm|program.ttb> [program args…]
  ttvm compile <in.ttvm> [out.ttb]     assemble to bytecode (default: same name, .ttb)
  ttvm disasm <file.ttb>               print bytecode as re-assemblable text

Options:
  -h, --help          show this help
  -V, --version       show the version
      --trace         print every executed instruction (pc, source line, stack depth) on stderr
      --stats         print run counters on stderr at the end
      --verbose       print scheduler information on stderr
      --stress-gc     collect garbage on every allocation and verify the heap
                      (also: environment variable TTVM_STRESS_GC=1)
      --reductions N  reductions per time slice (default 1000)
      --smp[=N]       run on a pool of N worker threads (default: one per core)
      --jit=MODE      compiler tier: on (default: hot code is compiled to JavaScript),
                      off (interpret only), eager (compile everything on first use)

Environment (debug switches):
  TTVM_STRESS_GC=1           same as --stress-gc
  TTVM_INITIAL_MEMORY_MB=N   start with an N MiB shared buffer (it grows as needed)
  TTVM_DEBUG_CRASH_WORKER=N  make SMP worker N fail at start (fault handling test)
`;

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

class UsageError extends Error {}

/** Run the CLI; returns the exit status. */
export async function runCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`Error: ${e.message}\nRun 'ttvm --help' for usage.\n`);
      io.stderr.flush();
      return 2;
    }
    throw e;
  } finally {
    io.stdout.flush();
    io.stderr.flush();
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === "compile") return compile(argv.slice(1), io);
  if (argv[0] === "disasm") return disasm(argv.slice(1), io);
  const options: VmOptions = { stressGc: Deno.env.get("TTVM_STRESS_GC") === "1" };
  // Debug switch: start with a small shared buffer so that it must grow during the run
  // (exercises view rebuilding on every worker).
  const initialMb = Number(Deno.env.get("TTVM_INITIAL_MEMORY_MB") ?? 0);
  if (initialMb > 0) options.initialBytes = initialMb * 1024 * 1024;
  let smpWorkers = 0;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith("-"); i++) {
    const arg = argv[i];
    switch (arg) {
      case "-h":
      case "--help":
        io.stdout.write(USAGE);
        return 0;
      case "-V":
      case "--version":
        io.stdout.write(`ttvm ${VERSION}\n`);
        return 0;
      case "--trace":
        options.trace = true;
        break;
      case "--stats":
        options.stats = true;
        break;
      case "--verbose":
        options.verbose = true;
        break;
      case "--stress-gc":
        options.stressGc = true;
        break;
      case "--reductions": {
        const n = Number(argv[++i]);
        if (!Number.isInteger(n) || n < 1) {
          throw new UsageError("--reductions needs a positive integer");
        }
        options.reductions = n;
        break;
      }
      default: {
        const jit = /^--jit=(.*)$/.exec(arg);
        if (jit) {
          if (!(JIT_MODES as readonly string[]).includes(jit[1])) {
            throw new UsageError(`--jit must be one of ${JIT_MODES.join(", ")}`);
          }
          options.jit = jit[1] as JitMode;
          break;
        }
        const smp = /^--smp(?:=(\d+))?$/.exec(arg);
        if (!smp) throw new UsageError(`unknown option '${arg}'`);
        smpWorkers = smp[1] === undefined ? navigator.hardwareConcurrency : Number(smp[1]);
        if (smpWorkers < 1 || smpWorkers > 256) {
          throw new UsageError("--smp=N needs 1 ≤ N ≤ 256");
        }
      }
    }
  }
  const path = argv[i];
  if (path === undefined) {
    io.stderr.write(USAGE);
    return 2;
  }
  const program = load(path, io);
  if (!program) return 1;
  const hostIo = { ...io, args: argv.slice(i + 1) };
  if (smpWorkers > 0) {
    if (options.trace) throw new UsageError("--trace works on the single scheduler only");
    return (await runSmp(program, hostIo, options, smpWorkers)).exitCode;
  }
  return new Vm(program, hostIo, options).run().exitCode;
}

/** Read a .ttvm or .ttb file; on failure print the diagnostics and return null. */
function load(path: string, io: CliIo): Program | null {
  let bytes: Uint8Array | null = null;
  if (path.endsWith(".ttb")) {
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      io.stderr.write(`Error: File operation failed on ${path}: ${osErrorText(e)}\n`);
      return null;
    }
  }
  try {
    if (bytes) return decodeProgram(bytes);
    return assembleFile(path);
  } catch (e) {
    if (e instanceof LoadError) {
      io.stderr.write(`Error: ${path}: ${e.message}\n`);
      return null;
    }
    if (e instanceof AsmError) {
      io.stderr.write(e.message + "\n");
      return null;
    }
    throw e;
  }
}

function compile(args: string[], io: CliIo): number {
  if (args.length < 1 || args.length > 2) {
    throw new UsageError("usage: ttvm compile <in.ttvm> [out.ttb]");
  }
  const [input] = args;
  const output = args[1] ?? input.replace(/\.ttvm$/, "") + ".ttb";
  const program = load(input, io);
  if (!program) return 1;
  const bytes = encodeProgram(program);
  try {
    Deno.writeFileSync(output, bytes);
  } catch (e) {
    io.stderr.write(`Error: File operation failed on ${output}: ${osErrorText(e)}\n`);
    return 1;
  }
  io.stdout.write(`Compiled to ${output}\n`);
  return 0;
}

function disasm(args: string[], io: CliIo): number {
  if (args.length !== 1) throw new UsageError("usage: ttvm disasm <file.ttb>");
  const [path] = args;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    io.stderr.write(`Error: File operation failed on ${path}: ${osErrorText(e)}\n`);
    return 1;
  }
  if (!isTtbBytes(bytes)) {
    io.stderr.write(`Error: ${path}: not a .ttb file (bad magic)\n`);
    return 1;
  }
  try {
    io.stdout.write(disassemble(decodeProgram(bytes)));
  } catch (e) {
    if (e instanceof LoadError) {
      io.stderr.write(`Error: ${path}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return 0;
}
