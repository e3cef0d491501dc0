/**
 * The `ttvm` command line. Program output goes to stdout; diagnostics, errors, --trace and
 * --stats to stderr. Exit status: the program's (EXIT code, 1 when process 1 crashed), 1 for
 * load/assembly errors, 2 for usage errors.
 *
 * Options come before the program path; everything after it belongs to the program (GET_ARGS).
 */
import { nearest } from "../asm/suggest.ts";
import { Vm, type VmOptions } from "../vm/vm.ts";
import type { Limits } from "../proc/pcb.ts";
import { JIT_MODES, type JitMode } from "../vm/runtime.ts";
import { runSmp } from "../sched/smp.ts";
import denoJson from "../../deno.json" with { type: "json" };
import {
  flag,
  integer,
  optionalInteger,
  optionsHelp,
  type ParsedOptions,
  parseOptions,
  text,
  UsageError,
} from "./options.ts";
import { type DistOptions, DistStartError } from "../cluster/start.ts";
import { type CliIo, defaultIo } from "./io.ts";
import { check, compile, disasm } from "./commands.ts";
import { loadProgram } from "./load.ts";
import { runSuite, SUITES } from "./selftest.ts";
import { DEFAULT_OBSERVE_PORT, ObserveError } from "../observe/observe_error.ts";

export { type CliIo, defaultIo } from "./io.ts";

export const VERSION = denoJson.version;

interface Command {
  /** Its arguments, for the usage text. */
  args: string;
  help: string;
  run: (args: string[], io: CliIo) => number | Promise<number>;
  /** Not listed in the usage text (the seed's names for parts of `ttvm test`). */
  hidden?: boolean;
}

function suiteCommand(name: string): Command {
  return {
    args: "",
    help: SUITES[name].help,
    hidden: name !== "test",
    run: (args, io) => {
      if (args.length > 0) throw new UsageError(`ttvm ${name} takes no arguments`);
      return runSuite(name, io);
    },
  };
}

/** The subcommands: `ttvm <name> …`. */
const COMMANDS: Record<string, Command> = {
  compile: {
    args: "<in.ttvm> [out.ttb]",
    help: "assemble to bytecode (default: same name, .ttb)",
    run: compile,
  },
  disasm: { args: "<file.ttb>", help: "print bytecode as re-assemblable text", run: disasm },
  check: {
    args: "<file>…",
    help: "check stack depths (underflows, depths that differ where paths meet)",
    run: check,
  },
  ...Object.fromEntries(Object.keys(SUITES).map((name) => [name, suiteCommand(name)])),
};

function commandsHelp(): string {
  const rows = Object.entries(COMMANDS).filter(([, c]) => !c.hidden).map((
    [name, c],
  ) => [`ttvm ${name} ${c.args}`.trimEnd(), c.help]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, help]) => `  ${left.padEnd(width)}${help}\n`).join("");
}

/**
 * Whether a first argument that is no command was meant as one: not an option, not an existing
 * file, no program extension and no path separator (`ttvm compil x.ttvm`).
 */
function looksLikeCommand(arg: string): boolean {
  if (arg.startsWith("-") || /\.(ttvm|ttb)$/.test(arg) || /[\\/]/.test(arg)) return false;
  try {
    Deno.statSync(arg);
    return false;
  } catch {
    return true;
  }
}

/**
 * The options of a run, one row each (syntax in src/cli/options.ts). Their handling is in
 * `run` below.
 */
export const RUN_OPTIONS = {
  help: flag("show this help", "-h"),
  version: flag("show the version", "-V"),
  trace: flag("print every executed instruction (pc, source line, stack depth) on stderr"),
  stats: flag("print run counters on stderr at the end"),
  verbose: flag("print scheduler information on stderr"),
  "stress-gc": flag(
    "collect garbage on every allocation and verify the heap\n(also: environment variable TTVM_STRESS_GC=1)",
  ),
  reductions: integer("N", 1, 2 ** 31 - 1, "reductions per time slice (default 1000)"),
  jit: text(
    "MODE",
    "compiler tier: on (default: hot code is compiled to JavaScript),\noff (interpret only), eager (compile everything on first use)",
    (v) =>
      (JIT_MODES as readonly string[]).includes(v)
        ? undefined
        : `expected one of ${JIT_MODES.join(", ")}`,
  ),
  "exact-preemption": flag(
    "end every time slice at exactly the instruction --jit=off ends\nit at (compiled code steps to it): the same interleaving of\nprocesses with the tier on as off, slower to warm up (default:\na slice may end at a block start, short of its budget)",
  ),
  smp: optionalInteger(
    "N",
    1,
    256,
    () => navigator.hardwareConcurrency,
    "run on a pool of N worker threads (default: one per core)",
  ),
  "workers-after-ms": integer(
    "MS",
    0,
    2 ** 31 - 1,
    "with --smp: the main thread runs the processes alone until it has spent\nMS ms in them while others waited to run, then starts the workers\n(default 250; 0: at once); a shorter run never starts one",
  ),
  "max-processes": integer(
    "N",
    1,
    2 ** 28,
    "live processes allowed; SPAWN beyond it raises 'Process limit reached'\n(default 2097152)",
  ),
  "max-atoms": integer(
    "N",
    1024,
    2 ** 28,
    "atoms the VM may hold (object keys made at run time are atoms); one more\nraises 'Atom table full' (default 1048576)",
  ),
  "max-heap-mb": integer(
    "N",
    1,
    4096,
    "memory per process (heap, stack, unreceived messages); beyond it the process\nends with 'Heap limit exceeded' (default 256)",
  ),
  "max-memory-mb": integer(
    "N",
    16,
    7936,
    "memory of the whole VM; an allocation beyond it ends the allocating process\nwith 'Out of memory' (default: three quarters of physical memory)",
  ),
  sname: text(
    "NAME",
    "run as node NAME@<short host> of an Erlang cluster",
    (v) => nodeNameProblem(v, false),
  ),
  name: text("NAME@HOST", "run as node NAME@HOST (long names)", (v) => nodeNameProblem(v, true)),
  cookie: text(
    "COOKIE",
    "the cluster's cookie (default: $HOME/.erlang.cookie, created\nwith a random cookie when missing)",
  ),
  observe: optionalInteger(
    "PORT",
    0,
    65535,
    () => DEFAULT_OBSERVE_PORT,
    "serve a live dashboard of the run on http://127.0.0.1:PORT/ (default 4000;\n0 picks a free port; the address is printed on stderr)",
  ),
  reload: flag(
    "watch the files of the imported modules and load each one that changes\n(one that does not assemble is reported; the running version stays)",
  ),
  "trace-procs": text(
    "FILE",
    "write the processes' timeline (spawns, exits, slices per scheduler, migrations,\nmessages) to FILE as Chrome Trace Event JSON: open it in ui.perfetto.dev",
  ),
};

/** Why a --sname/--name value is no node name (undefined when it is one). */
function nodeNameProblem(value: string, long: boolean): string | undefined {
  const at = value.indexOf("@");
  const alive = at < 0 ? value : value.slice(0, at), host = at < 0 ? "x" : value.slice(at + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(alive)) {
    return "expected a node name of letters, digits, '_' and '-' (optionally @host)";
  }
  if (host === "" || host.includes("@")) return "expected NAME or NAME@HOST";
  if (!long && host.includes(".") && at >= 0) return "a short name's host has no dots (use --name)";
  return undefined;
}

/** The distribution options of a command line, or undefined when the run is not a node. */
function distOptions(given: ParsedOptions<typeof RUN_OPTIONS>): DistOptions | undefined {
  if (given.sname !== undefined && given.name !== undefined) {
    throw new UsageError("--sname and --name cannot be used together");
  }
  const name = given.sname ?? given.name;
  if (name === undefined) {
    if (given.cookie !== undefined) throw new UsageError("--cookie needs --sname or --name");
    return undefined;
  }
  const portText = Deno.env.get("ERL_EPMD_PORT");
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new UsageError(`invalid ERL_EPMD_PORT '${portText}': expected a port number`);
  }
  return {
    name,
    longNames: given.name !== undefined,
    cookie: given.cookie,
    epmdPort: port,
    embeddedEpmd: Deno.env.get("TTVM_EPMD_EMBEDDED") === "1",
  };
}

const USAGE = `ttvm ${VERSION} — a BEAM-style actor VM for TinyTotVM programs

Usage:
  ttvm [options] <program.ttvm|program.ttb> [program args…]
${commandsHelp()}
  (ttvm test answers also to the seed's names for parts of it: ${
  Object.keys(SUITES).filter((n) => n !== "test").join(", ")
})

Options (a value may follow as --name=V or --name V):
${optionsHelp(RUN_OPTIONS)}
Environment:
  ERL_EPMD_PORT=N            the EPMD port of a distributed node (default 4369), as Erlang's

Environment (debug switches):
  TTVM_STRESS_GC=1           same as --stress-gc
  TTVM_EPMD_EMBEDDED=1       a distributed node serves EPMD itself when none answers, instead
                             of starting \`epmd -daemon\`
  TTVM_INITIAL_MEMORY_MB=N   start with an N MiB shared buffer (it grows as needed)
  TTVM_HUGE_PAGES=0          do not ask Linux for huge pages over the shared buffer
  TTVM_DEBUG_CRASH_WORKER=N  make SMP worker N fail at start (fault handling test)
  TTVM_DEBUG_CRASH_WORKER_OUTSIDE=N  make it fail outside its own error handling
`;

/** Run the CLI; returns the exit status. */
export async function runCli(
  argv: string[],
  io: CliIo = defaultIo(),
): Promise<number> {
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
  if (argv.length === 0) throw new UsageError("no program given");
  const command = Object.hasOwn(COMMANDS, argv[0]) ? COMMANDS[argv[0]] : undefined;
  if (command) return await command.run(argv.slice(1), io);
  if (looksLikeCommand(argv[0])) {
    const guess = nearest(argv[0], Object.keys(COMMANDS));
    const hint = guess === undefined ? "" : ` — did you mean '${guess}'?`;
    throw new UsageError(`unknown command '${argv[0]}'${hint}`);
  }
  return await run(argv, io);
}

/** The resource limits of LANGUAGE.md §2 that the options set (the rest keep their defaults). */
function limitsFrom(
  given: {
    "max-processes"?: number;
    "max-heap-mb"?: number;
    "max-memory-mb"?: number;
    "max-atoms"?: number;
  },
): Partial<Limits> {
  const limits: Partial<Limits> = {};
  if (given["max-processes"] !== undefined) limits.maxProcesses = given["max-processes"];
  if (given["max-atoms"] !== undefined) limits.maxAtoms = given["max-atoms"];
  if (given["max-heap-mb"] !== undefined) limits.maxHeapCells = given["max-heap-mb"] * 65536;
  if (given["max-memory-mb"] !== undefined) {
    limits.maxMemoryBytes = given["max-memory-mb"] * 1024 * 1024;
  }
  return limits;
}

/** `ttvm [options] <program> [args…]`: the options' handling, then the run. */
async function run(argv: string[], io: CliIo): Promise<number> {
  const { options: given, rest } = parseOptions(RUN_OPTIONS, argv);
  if (given.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (given.version) {
    io.stdout.write(`ttvm ${VERSION}\n`);
    return 0;
  }
  const [path, ...args] = rest;
  if (path === undefined) throw new UsageError("no program given");
  const options: VmOptions = {
    stressGc: given["stress-gc"] ?? Deno.env.get("TTVM_STRESS_GC") === "1",
    trace: given.trace,
    stats: given.stats,
    verbose: given.verbose,
    reductions: given.reductions,
    jit: given.jit as JitMode | undefined,
    exactPreemption: given["exact-preemption"],
    limits: limitsFrom(given),
    dist: distOptions(given),
    traceProcs: given["trace-procs"],
    observe: given.observe,
    reload: given.reload,
    workersAfterMs: given["workers-after-ms"],
  };
  if (options.traceProcs !== undefined) checkWritable(options.traceProcs, "--trace-procs");
  // Debug switch: start with a small shared buffer so that it must grow during the run
  // (exercises view rebuilding on every worker).
  const initialMb = Number(Deno.env.get("TTVM_INITIAL_MEMORY_MB") ?? 0);
  if (initialMb > 0) options.initialBytes = initialMb * 1024 * 1024;
  if (Deno.env.get("TTVM_HUGE_PAGES") === "0") options.hugePages = false;
  if (given.smp !== undefined && given.trace) {
    throw new UsageError("--trace works on the single scheduler only");
  }
  if (given.smp === undefined && given["workers-after-ms"] !== undefined) {
    throw new UsageError("--workers-after-ms works with --smp only");
  }
  if (given.smp !== undefined && given["exact-preemption"]) {
    throw new UsageError("--exact-preemption works on the single scheduler only");
  }
  const program = loadProgram(path, io.stderr);
  if (!program) return 1;
  const hostIo = { ...io, args };
  try {
    if (given.smp !== undefined) {
      return (await runSmp(program, hostIo, options, given.smp)).exitCode;
    }
    return (await new Vm(program, hostIo, options).run()).exitCode;
  } catch (e) {
    if (!(e instanceof DistStartError) && !(e instanceof ObserveError)) throw e;
    io.stderr.write(`Error: ${e.message}\n`);
    return 1;
  }
}

/** A file option's path must be writable before the run starts (not found out at its end). */
function checkWritable(path: string, option: string): void {
  try {
    Deno.openSync(path, { write: true, create: true, truncate: true }).close();
  } catch (e) {
    throw new UsageError(`${option}: cannot write ${path}: ${e instanceof Error ? e.message : e}`);
  }
}
