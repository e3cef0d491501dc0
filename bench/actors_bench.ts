/**
 * Actor benchmarks (`deno bench -A bench/`): real .ttvm programs from bench/programs/ that check
 * their own results — ping-pong between two processes, a token ring, mass spawning, one process
 * counting a stream of integers, and the memory held by blocked processes.
 *
 * Every figure printed is measured in this run; a run whose program fails (non-zero exit, any
 * stderr, stdout other than its one `bench=<name> n=<N> ms=… rate=…` line) aborts the benchmark
 * instead of printing a rate. Rates count wall
 * time of `Vm.run()` only (assembly and VM construction excluded). The bytes-per-process figure
 * is the growth of the allocator's live bytes between a run with N blocked processes and a run
 * with none, read after the run ends while the N processes are still alive and blocked.
 */
import { assembleFile } from "../src/asm/mod.ts";
import { denoRunMain, RUNTIME_V8_FLAGS } from "../src/cli/launch.ts";
import { Output } from "../src/io/output.ts";
import { fixedInput } from "../src/io/stdin.ts";
import type { Program } from "../src/isa/program.ts";
import { CELL_BYTES } from "../src/mem/layout.ts";
import {
  P_FRAMES_CAP,
  P_HANDLERS,
  P_HANDLERS_CAP,
  P_HEAP_CAP,
  P_STACK_CAP,
  PCB_CELLS,
} from "../src/proc/pcb.ts";
import { ST_WAITING } from "../src/proc/table.ts";
import { Vm } from "../src/vm/vm.ts";

const dir = new URL("./programs/", import.meta.url).pathname;
const programs = {
  pingpong: assembleFile(`${dir}pingpong.ttvm`),
  ring: assembleFile(`${dir}ring.ttvm`),
  spawn: assembleFile(`${dir}spawn.ttvm`),
  counting: assembleFile(`${dir}counting.ttvm`),
  procmem: assembleFile(`${dir}procmem.ttvm`),
};

interface ActorRun {
  elapsedMs: number;
  vm: Vm;
}

/** The one line a successful run of bench/programs/<name>.ttvm prints. */
function benchLine(name: string, n: number): RegExp {
  return new RegExp(`^bench=${name} n=${n} ms=\\d+ rate=\\d+\n$`);
}

/** Run a program in process with its output captured; throws unless it succeeded and printed
 *  exactly the line `expectedStdout` matches. */
async function runChecked(
  name: string,
  program: Program,
  args: string[],
  expectedStdout: RegExp,
) {
  let stdout = "", stderr = "";
  const dec = new TextDecoder();
  const vm = new Vm(program, {
    stdout: new Output({ write: (b) => (stdout += dec.decode(b)) }),
    stderr: new Output({ write: (b) => (stderr += dec.decode(b)) }),
    stdin: fixedInput(),
    args,
  });
  const t0 = performance.now();
  const result = await vm.run();
  const elapsedMs = performance.now() - t0;
  if (result.exitCode !== 0 || stderr !== "" || !expectedStdout.test(stdout)) {
    throw new Error(
      `${name} ${args.join(" ")}: exit ${result.exitCode}, stdout ${JSON.stringify(stdout)}, ` +
        `stderr ${JSON.stringify(stderr)} (expected stdout ${expectedStdout})`,
    );
  }
  return { elapsedMs, vm } satisfies ActorRun;
}

/** A throughput benchmark: `events(size)` events happen in a run of the given size. */
interface RateBench {
  name: string;
  program: Program;
  args: (size: number) => string[];
  expected: (size: number) => RegExp;
  events: (size: number) => number;
  unit: string;
  /** Minimum acceptable rate, if the project set one. */
  target?: number;
}

const RING_PROCESSES = 1000;

const rateBenches: RateBench[] = [
  {
    name: "pingpong",
    program: programs.pingpong,
    args: (n) => [String(n)],
    expected: (n) => benchLine("pingpong", n),
    events: (n) => 2 * n, // two messages per round trip
    unit: "messages/s",
    target: 1_000_000,
  },
  {
    name: "ring",
    program: programs.ring,
    args: (hops) => [String(hops), String(RING_PROCESSES)],
    expected: (hops) => benchLine("ring", hops),
    events: (hops) => hops,
    unit: "hops/s",
  },
  {
    name: "counting",
    program: programs.counting,
    args: (n) => [String(n)],
    expected: (n) => benchLine("counting", n),
    events: (n) => n,
    unit: "messages/s",
  },
  {
    name: "spawn",
    program: programs.spawn,
    args: (n) => [String(n)],
    expected: (n) => benchLine("spawn", n),
    events: (n) => n,
    unit: "spawns/s",
    target: 500_000,
  },
];

const FULL_SIZE = 1_000_000;
const PROCMEM_PROCESSES = 100_000;

function formatRate(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

function verdict(ok: boolean, target: string): string {
  return ok ? `meets target ${target}` : `MISSES target ${target}`;
}

/** Warm up at a tenth of the size, then three timed runs; prints median, min and max rates. */
async function reportRate(b: RateBench, size: number): Promise<void> {
  await runChecked(b.name, b.program, b.args(size / 10), b.expected(size / 10));
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { elapsedMs } = await runChecked(b.name, b.program, b.args(size), b.expected(size));
    rates.push(b.events(size) / (elapsedMs / 1000));
  }
  rates.sort((x, y) => x - y);
  const target = b.target === undefined
    ? ""
    : ` — ${verdict(rates[1] >= b.target, `≥ ${formatRate(b.target)}`)}`;
  console.log(
    `${b.name} (${formatRate(b.events(size))} events): median ${formatRate(rates[1])} ${b.unit} ` +
      `(min ${formatRate(rates[0])}, max ${formatRate(rates[2])})${target}`,
  );
}

/** Memory of `n` blocked processes: live bytes after a run with n, minus after a run with 0.
 *  Also checks from the host side that exactly n processes are alive and all wait. */
async function measureBlockedProcessBytes(n: number): Promise<{
  bytesPerProcess: number;
  knownBlocksBytes: number;
}> {
  const base = (await runChecked("procmem", programs.procmem, ["0"], benchLine("procmem", 0))).vm;
  const full =
    (await runChecked("procmem", programs.procmem, [String(n)], benchLine("procmem", n))).vm;
  const table = full.procs.table;
  if (table.live !== n) throw new Error(`procmem: ${table.live} processes alive, expected ${n}`);
  for (let pid = 2; pid <= table.spawned; pid++) {
    if (table.status(pid) !== ST_WAITING) throw new Error(`procmem: pid ${pid} is not blocked`);
  }
  const grownBytes = full.mem.stats().bytesLive - base.mem.stats().bytesLive;
  // The blocks one blocked process owns, read from its PCB registers.
  const w = full.mem.i32, p = table.pcbOf(table.spawned) << 2;
  const cells = PCB_CELLS + w[p + P_STACK_CAP] + w[p + P_FRAMES_CAP] + w[p + P_HEAP_CAP] +
    (w[p + P_HANDLERS] !== 0 ? w[p + P_HANDLERS_CAP] : 0);
  return { bytesPerProcess: grownBytes / n, knownBlocksBytes: cells * CELL_BYTES };
}

async function reportProcMem(n: number): Promise<void> {
  const { bytesPerProcess, knownBlocksBytes } = await measureBlockedProcessBytes(n);
  console.log(
    `procmem (${formatRate(n)} blocked processes): ${bytesPerProcess.toFixed(1)} bytes per ` +
      `blocked process (PCB + stack + frames + heap blocks ${knownBlocksBytes} bytes, rest ` +
      `${(bytesPerProcess - knownBlocksBytes).toFixed(1)}) — ` +
      verdict(bytesPerProcess <= 1024, "≤ 1,024"),
  );
}

for (const b of rateBenches) await reportRate(b, FULL_SIZE);
await reportProcMem(PROCMEM_PROCESSES);

// Smaller sizes for deno bench's own repeated timing.
const BENCH_SIZE = 50_000;
for (const b of rateBenches) {
  Deno.bench(`${b.name}: ${formatRate(b.events(BENCH_SIZE))} ${b.unit.split("/")[0]}`, {
    group: "actors",
  }, async () => {
    await runChecked(b.name, b.program, b.args(BENCH_SIZE), b.expected(BENCH_SIZE));
  });
}
Deno.bench("procmem: 10,000 blocked processes", { group: "actors" }, async () => {
  await runChecked("procmem", programs.procmem, ["10000"], benchLine("procmem", 10000));
});

/**
 * Cold runs: a fresh `deno run -A main.ts` per iteration, so V8 and the compiler tier warm up
 * from nothing each time, as in `deno task bench:compare` (docs/PERFORMANCE.md, finding 12:
 * much of a short run is V8 optimising the code it runs; units that keep only their hot part
 * shortened it). Timed whole, start-up included; the program must print its verified line.
 */
const ROOT = new URL("../", import.meta.url).pathname;
/** One cold command, `deno run -A main.ts <args>`; throws unless it exits cleanly, writes
 *  nothing to stderr and its stdout passes `accepts`. */
async function coldCommand(
  label: string,
  args: string[],
  accepts: (stdout: string) => boolean,
  env: Record<string, string> = {},
  launch: string[] = denoRunMain(),
): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...launch, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0 || out.stderr.length > 0 || !accepts(text)) {
    throw new Error(`${label}: exit ${out.code}, stdout ${JSON.stringify(text)}`);
  }
}
/** A cold run of bench/programs/<name>.ttvm that must print its verified line for `events`
 *  events (launched as `launch`: by default as users launch ttvm). */
function coldRun(
  name: string,
  args: string[],
  events: number,
  env = {},
  launch = denoRunMain(),
): Promise<void> {
  const line = benchLine(name, events);
  return coldCommand(
    name,
    [`bench/programs/${name}.ttvm`, ...args],
    (t) => line.test(t),
    env,
    launch,
  );
}
// Start-up alone: a command that assembles and runs a one-line program (docs/PERFORMANCE.md,
// finding 13: loading no Node built-in at start-up took it from 180 to 146 ms here).
Deno.bench("examples/hello.ttvm, start-up (whole command)", { group: "cold" }, async () => {
  await coldCommand("hello", ["examples/hello.ttvm"], (t) => t === "Hello, world!\n");
});
// (parfib reports its processes as n: 8 × fib(27), the run of issue 11's parfib target.)
for (
  const [name, args, events] of [
    ["counting", ["100000"], 100_000],
    ["fanin", ["12500", "8"], 100_000],
    ["parfib", ["8", "27"], 8],
  ] as const
) {
  // Async functions: deno bench awaits only those (a plain arrow returning the promise
  // would time just its creation).
  Deno.bench(`${name} ${args.join(" ")}, cold process (whole command)`, {
    group: "cold",
  }, async () => await coldRun(name, [...args], events));
}
// The launch flags (src/cli/launch.ts; docs/PERFORMANCE.md, finding 20): the same cold run
// with `--no-lazy` alone, as every launch was before `--no-maglev-osr`, is the baseline.
for (const flags of ["--no-lazy", RUNTIME_V8_FLAGS.join(",")]) {
  const launch = ["run", "-A", `--v8-flags=${flags}`, "main.ts"];
  Deno.bench(`parfib 8 27, cold, --v8-flags=${flags}`, {
    group: "launch flags",
    baseline: flags === "--no-lazy",
  }, async () => await coldRun("parfib", ["8", "27"], 8, {}, launch));
}
// Huge pages for the arena (docs/PERFORMANCE.md, finding 14): counting's 1,000,000 messages
// leave a 5 MiB backlog, every page of it touched for the first time; the same command with
// the advice turned off is the baseline.
for (const hugePages of [false, true]) {
  Deno.bench(`counting 1000000, cold, huge pages ${hugePages ? "on" : "off"}`, {
    group: "huge pages",
    baseline: !hugePages,
  }, async () => {
    await coldRun("counting", ["1000000"], 1_000_000, { TTVM_HUGE_PAGES: hugePages ? "1" : "0" });
  });
}
