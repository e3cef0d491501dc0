/**
 * `ttvm test` and the seed's `ttvm test-*` commands: run the embedded conformance checks
 * (src/cli/selftest_checks.ts) and print one line per check and mode, then `N passed, M failed`.
 *
 * Modes:
 * - `single`: assembled and run in this process on the single scheduler (the Vm class);
 * - `ttb`: assembled, encoded to .ttb bytes, decoded back and run as `single`;
 * - `smp1`/`smp2`/`smp4`: on the SMP pool, in a child `ttvm --smp=N` (SMP workers write to the
 *   process's own stdout, so their output is captured from a child process);
 * - `ttb-smp2`: the .ttb bytes written to a file and run by a child `ttvm --smp=2`.
 * Child processes are this same executable: `deno run -A main.ts` under Deno, the binary
 * itself when compiled with `deno compile`. At most two children run at once (the machine's
 * two cores); results are printed in check order.
 *
 * Invariants: a check passes only when stdout, stderr and the exit status all match (SMP modes
 * of `smp: "sorted"` checks compare lines as multisets); every failure line says which stream
 * differed and shows both texts; the exit status is 0 only when every check passed.
 */
import { fileUrlToPath } from "../host/paths.ts";
import { AsmError, assembleSource } from "../asm/mod.ts";
import { decodeProgram, encodeProgram } from "../bytecode/mod.ts";
import type { Program } from "../isa/program.ts";
import { Output, type Sink } from "../io/output.ts";
import { fixedInput } from "../io/stdin.ts";
import { Vm } from "../vm/vm.ts";
import { type Check, CHECKS, type Group } from "./selftest_checks.ts";

export type Mode = "single" | "ttb" | "smp1" | "smp2" | "smp4" | "ttb-smp2";

export interface Suite {
  help: string;
  groups: readonly Group[] | "all";
  modes: readonly Mode[];
}

const PROCESS_GROUPS: readonly Group[] = [
  "spawn",
  "messages",
  "registry",
  "links",
  "monitors",
  "supervisors",
  "yield",
  "parallel",
];

/** `ttvm test` and the seed's names for parts of it. */
export const SUITES: Readonly<Record<string, Suite>> = {
  test: {
    help: "run the built-in conformance checks (single scheduler, .ttb, SMP pool)",
    groups: "all",
    modes: ["single", "ttb", "smp2"],
  },
  "test-concurrency": {
    help: "the process checks, single scheduler and SMP pool",
    groups: PROCESS_GROUPS,
    modes: ["single", "smp2"],
  },
  "test-multithreaded": {
    help: "work spread over processes gives the same results on 1, 2 and 4 workers",
    groups: ["parallel", "messages"],
    modes: ["smp1", "smp2", "smp4"],
  },
  "test-message-passing": {
    help: "SEND / RECEIVE, selective receive, timeouts",
    groups: ["messages"],
    modes: ["single", "smp2"],
  },
  "test-process-spawning": {
    help: "SPAWN of labels, functions and closures",
    groups: ["spawn"],
    modes: ["single", "smp2"],
  },
  "test-register-whereis": {
    help: "REGISTER, WHEREIS, SENDNAMED, UNREGISTER",
    groups: ["registry"],
    modes: ["single", "smp2"],
  },
  "test-yield-comprehensive": {
    help: "YIELD interleaving and preemption by reductions",
    groups: ["yield"],
    modes: ["single", "smp2"],
  },
  "test-spawn-comprehensive": {
    help: "SPAWN, SPAWN_LINK, SPAWN_MONITOR of every kind of process",
    groups: ["spawn", "links", "monitors"],
    modes: ["single", "smp2"],
  },
  "test-send-receive-comprehensive": {
    help: "every way of sending and receiving, registry names included",
    groups: ["messages", "registry"],
    modes: ["single", "smp2"],
  },
  "test-concurrency-bytecode": {
    help: "the process checks compiled to .ttb bytes and loaded back",
    groups: PROCESS_GROUPS,
    modes: ["ttb", "ttb-smp2"],
  },
  "test-smp-concurrency": {
    help: "the process checks on the SMP pool only",
    groups: PROCESS_GROUPS,
    modes: ["smp2"],
  },
};

export interface SuiteIo {
  stdout: Output;
}

export interface SuiteResult {
  passed: number;
  failed: number;
}

/** Runs a named suite over `checks` (default: the built-in ones); returns the exit status
 *  (0: all passed, 1: some failed). */
export async function runSuite(
  name: string,
  io: SuiteIo,
  checks: readonly Check[] = CHECKS,
): Promise<number> {
  const { failed } = await runChecks(checksOf(name, checks), SUITES[name].modes, io);
  return failed === 0 ? 0 : 1;
}

/** The checks a suite runs. */
export function checksOf(name: string, checks: readonly Check[] = CHECKS): readonly Check[] {
  const groups = SUITES[name].groups;
  if (groups === "all") return checks;
  return checks.filter((c) => c.groups.some((g) => groups.includes(g)));
}

interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs every check in every mode, printing a line for each and the summary. */
export async function runChecks(
  checks: readonly Check[],
  modes: readonly Mode[],
  io: SuiteIo,
): Promise<SuiteResult> {
  const tasks = checks.flatMap((check) => modes.map((mode) => ({ check, mode })));
  const limit = limiter(2);
  let workDir: string | null = null;
  const dir = () => workDir ??= Deno.makeTempDirSync({ prefix: "ttvm_selftest_" });
  // Children start at once (two at a time); in-process runs happen in order below.
  const children = tasks.map(({ check, mode }) =>
    isChildMode(mode) ? limit(() => runChild(check, mode, dir())) : null
  );
  let passed = 0, failed = 0;
  try {
    for (const [k, { check, mode }] of tasks.entries()) {
      let outcome: Outcome | string;
      try {
        outcome = await (children[k] ?? runInProcess(check, mode));
      } catch (e) {
        outcome = `could not run: ${e instanceof Error ? e.message : String(e)}`;
      }
      const problem = typeof outcome === "string" ? outcome : compare(check, mode, outcome);
      if (problem === null) {
        passed++;
        io.stdout.write(`ok   ${check.name} (${mode})\n`);
      } else {
        failed++;
        io.stdout.write(`FAIL ${check.name} (${mode}): ${problem}\n`);
      }
      io.stdout.flush();
    }
  } finally {
    await Promise.allSettled(children);
    if (workDir !== null) Deno.removeSync(workDir, { recursive: true });
  }
  io.stdout.write(`${passed} passed, ${failed} failed\n`);
  io.stdout.flush();
  return { passed, failed };
}

/** The file name a check's program is run as (also what `{file}` stands for). */
export function fileOf(check: Check): string {
  return check.name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "") + ".ttvm";
}

function isChildMode(mode: Mode): boolean {
  return mode !== "single" && mode !== "ttb";
}

function assemble(check: Check): Program {
  try {
    return assembleSource(check.source, fileOf(check));
  } catch (e) {
    if (e instanceof AsmError) throw new Error(`assembly failed: ${e.message.split("\n")[0]}`);
    throw e;
  }
}

/** Runs on the single scheduler in this process, capturing the output. */
async function runInProcess(check: Check, mode: Mode): Promise<Outcome> {
  let program = assemble(check);
  if (mode === "ttb") program = decodeProgram(encodeProgram(program));
  const out = new CaptureSink(), err = new CaptureSink();
  const vm = new Vm(program, {
    stdout: new Output(out),
    stderr: new Output(err),
    stdin: fixedInput(),
    args: [],
  });
  const result = await vm.run();
  return { stdout: out.text(), stderr: err.text(), exitCode: result.exitCode };
}

/** Runs in a child `ttvm --smp=N` from a file in `dir`. */
async function runChild(check: Check, mode: Mode, dir: string): Promise<Outcome> {
  const workers = mode === "smp1" ? 1 : mode === "smp4" ? 4 : 2;
  const source = fileOf(check);
  let file = source;
  if (mode === "ttb-smp2") {
    file = source.replace(/\.ttvm$/, ".ttb");
    Deno.writeFileSync(`${dir}/${file}`, encodeProgram(assemble(check)));
  } else {
    Deno.writeTextFileSync(`${dir}/${file}`, check.source);
  }
  const { command, args } = selfCommand([`--smp=${workers}`, file]);
  const child = new Deno.Command(command, {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  // A program that never ends fails the check instead of hanging the suite.
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  try {
    const done = await child.output();
    const decoder = new TextDecoder();
    if (done.signal === "SIGKILL") throw new Error(`no result within ${CHILD_TIMEOUT_MS} ms`);
    return {
      stdout: decoder.decode(done.stdout),
      stderr: decoder.decode(done.stderr),
      exitCode: done.code,
    };
  } finally {
    clearTimeout(timer);
  }
}

const CHILD_TIMEOUT_MS = 60_000;

/** How to start this same ttvm: the binary itself when compiled, else Deno on main.ts. */
function selfCommand(args: string[]): { command: string; args: string[] } {
  if (Deno.build.standalone) return { command: Deno.execPath(), args };
  const main = fileUrlToPath(new URL("../../main.ts", import.meta.url));
  return { command: Deno.execPath(), args: ["run", "-A", main, ...args] };
}

/** null when the outcome is what the check expects, else what differs. */
function compare(check: Check, mode: Mode, actual: Outcome): string | null {
  // Locations name the module's path, the .ttvm name, in a .ttb too.
  const file = fileOf(check);
  const expected: Outcome = {
    stdout: check.stdout.replaceAll("{file}", file),
    stderr: (check.stderr ?? "").replaceAll("{file}", file),
    exitCode: check.exitCode ?? 0,
  };
  const sorted = isChildMode(mode) && check.smp === "sorted";
  const same = (a: string, b: string) => sorted ? sortLines(a) === sortLines(b) : a === b;
  if (!same(expected.stdout, actual.stdout)) {
    return `expected stdout ${shown(expected.stdout)} got ${shown(actual.stdout)}`;
  }
  if (!same(expected.stderr, actual.stderr)) {
    return `expected stderr ${shown(expected.stderr)} got ${shown(actual.stderr)}`;
  }
  if (expected.exitCode !== actual.exitCode) {
    return `expected exit status ${expected.exitCode} got ${actual.exitCode}`;
  }
  return null;
}

function sortLines(text: string): string {
  return text.split("\n").sort().join("\n");
}

/** A text as a JSON string, cut at 300 characters. */
function shown(text: string): string {
  const json = JSON.stringify(text);
  return json.length <= 300 ? json : json.slice(0, 300) + "…";
}

/** Runs at most `n` of the given jobs at a time. */
function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    // A finishing job hands its slot to the next waiting one.
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

class CaptureSink implements Sink {
  private chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  text(): string {
    const decoder = new TextDecoder();
    return this.chunks.map((c) => decoder.decode(c, { stream: true })).join("") +
      decoder.decode();
  }
}
