/**
 * SMP benchmark (`deno bench -A bench/smp_bench.ts`): parfib (8 processes × naive fib(27)) and
 * skynet (1,000,000 leaf processes, 10 children per node) on `--smp=1` and `--smp=2`, run as the
 * real CLI. The programs time themselves with GET_TIME_MS (start-up excluded), verify their
 * results and print `bench=<name> n=<N> ms=<wall> rate=<ops/s>`; this file reports medians of 3
 * runs and the speed-up (target: ≥ 1.8× on parfib on a 2-core machine).
 *
 * parfib is reported twice — one round as specified (every worker's JIT starts cold) and the 4th
 * round in the same VM (warm) — each beside the machine's bound: the same work split over two
 * independent single-scheduler OS processes started together, which share nothing but the
 * hardware.
 *
 * pingpong and ring (bench/programs, which print only their verified count) are timed from
 * outside: wall time of the command minus that of the same command on a trivial program (start-up
 * and worker boot), single scheduler vs --smp=2 (target: --smp=2 within 2× of single).
 *
 * A pool starts on the main thread and starts its workers only once it has spent 250 ms in
 * slices while other processes waited (src/sched/main_thread.ts). What measures the workers
 * themselves passes `--workers-after-ms=0` (POOL_AT_ONCE); the cold and pair groups of issue
 * 11's targets time the default, and the workers from the start beside it.
 */
import { denoRunMain } from "../src/cli/launch.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The workers run the processes from the start (not the main thread first). */
const POOL_AT_ONCE = "--workers-after-ms=0";

interface Line {
  bench: string;
  n: number;
  ms: number;
  rate: number;
}

async function run(program: string, args: string[], programArgs: string[] = []): Promise<Line> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...denoRunMain(), ...args, `bench/programs/${program}.ttvm`, ...programArgs],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = /bench=(\w+) n=(\d+) ms=(\d+) rate=(\d+)/.exec(text);
  if (out.code !== 0 || !m) {
    throw new Error(`${program} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return { bench: m[1], n: Number(m[2]), ms: Number(m[3]), rate: Number(m[4]) };
}

async function median(
  program: string,
  args: string[],
  runs = 3,
  programArgs: string[] = [],
): Promise<Line> {
  const results: Line[] = [];
  for (let i = 0; i < runs; i++) results.push(await run(program, args, programArgs));
  return results.sort((a, b) => a.ms - b.ms)[Math.floor(runs / 2)];
}

async function wallMs(args: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...denoRunMain(), ...args],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return performance.now() - t0;
}

async function medianWall(args: string[], runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await wallMs(args));
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const TRIVIAL = "examples/hello.ttvm";
for (
  const [program, events, unit] of [["pingpong", 2_000_000, "messages"], [
    "ring",
    1_000_000,
    "hops",
  ]] as const
) {
  const rates: string[] = [];
  let single = 0;
  for (const flags of [[], ["--smp=2", POOL_AT_ONCE]]) {
    const base = await medianWall([...flags, TRIVIAL]);
    const ms = (await medianWall([...flags, `bench/programs/${program}.ttvm`])) - base;
    const rate = events / (ms / 1000);
    if (flags.length === 0) single = rate;
    rates.push(
      `${flags.length ? "--smp=2" : "single"} ${
        Math.round(rate).toLocaleString("en-US")
      } ${unit}/s`,
    );
    if (flags.length) rates.push(`ratio ${(single / rate).toFixed(2)}× slower`);
  }
  console.log(`${program}: ${rates.join(", ")}`);
}

/** Two OS processes, each a single scheduler running half the processes, started together:
 *  the speed-up this machine gives two fully independent interpreters (separate isolates, own
 *  JIT, nothing shared) — the bound for two workers. Returns the slower one's line. */
async function pairOfProcesses(programArgs: string[]): Promise<Line> {
  const both = await Promise.all([run("parfib", [], programArgs), run("parfib", [], programArgs)]);
  return both.sort((a, b) => b.ms - a.ms)[0];
}

async function medianOf(runs: number, once: () => Promise<Line>): Promise<Line> {
  const results: Line[] = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  return results.sort((a, b) => a.ms - b.ms)[Math.floor(runs / 2)];
}

/** parfib runs are short (0.2–0.6 s) and this shared machine has fast and slow phases that
 *  differ by up to 1.6× from one run to the next, so parfib takes the median of 5. */
const PARFIB_RUNS = 5;

const speedUp = (one: Line, two: Line) => `${(one.ms / two.ms).toFixed(2)}×`;

// parfib as specified (8 × fib(27), one round: the JIT of every worker starts cold), then the
// last of 4 rounds in one VM (warm), each next to the machine's own bound.
for (const [label, rounds] of [["one round (cold JIT)", "1"], ["4th round (warm JIT)", "4"]]) {
  const one = await median("parfib", ["--smp=1", POOL_AT_ONCE], PARFIB_RUNS, ["8", "27", rounds]);
  const two = await median("parfib", ["--smp=2", POOL_AT_ONCE], PARFIB_RUNS, ["8", "27", rounds]);
  const single8 = await median("parfib", [], PARFIB_RUNS, ["8", "27", rounds]);
  const pair4 = await medianOf(PARFIB_RUNS, () => pairOfProcesses(["4", "27", rounds]));
  console.log(
    `parfib 8 × fib(27), ${label}: --smp=1 ${one.ms} ms, --smp=2 ${two.ms} ms, speed-up ` +
      `${speedUp(one, two)}; machine bound (1 process × 8 vs 2 processes × 4 at once): ` +
      `${single8.ms} ms vs ${pair4.ms} ms, ${speedUp(single8, pair4)}`,
  );
}

{
  const one = await median("skynet", ["--smp=1", POOL_AT_ONCE]);
  const two = await median("skynet", ["--smp=2", POOL_AT_ONCE]);
  console.log(
    `skynet: --smp=1 ${one.ms} ms, --smp=2 ${two.ms} ms, speed-up ${speedUp(one, two)} ` +
      `(n=${one.n})`,
  );
}

Deno.bench("parfib --smp=1 (8 × fib(22))", { group: "parfib" }, async () => {
  await run("parfib", ["--smp=1", POOL_AT_ONCE], ["8", "22"]);
});
Deno.bench("parfib --smp=2 (8 × fib(22))", { group: "parfib", baseline: true }, async () => {
  await run("parfib", ["--smp=2", POOL_AT_ONCE], ["8", "22"]);
});
Deno.bench("skynet --smp=2 (10,000 leaves)", { group: "skynet" }, async () => {
  await run("skynet", ["--smp=2", POOL_AT_ONCE], ["10000"]);
});
// One busy process alone on a worker: its slices go on without the run-queue round trip
// (WorkerScheduler.mayContinue), so --smp=1 should stay close to one scheduler here.
Deno.bench(
  "count_loop, one scheduler (90M reductions)",
  { group: "busy", baseline: true },
  async () => {
    await wallMs(["bench/programs/count_loop.ttvm"]);
  },
);
Deno.bench("count_loop --smp=1 (90M reductions)", { group: "busy" }, async () => {
  await wallMs(["--smp=1", POOL_AT_ONCE, "bench/programs/count_loop.ttvm"]);
});
// Before its workers start, a pool's main thread runs the processes with plain memory
// accesses, as one scheduler does (src/sched/main_thread.ts): its message path should cost the
// same. counting 1,000,000 on the main thread alone (a horizon it never reaches) against one
// scheduler, and against the workers from the start.
Deno.bench("counting, one scheduler", { group: "main thread", baseline: true }, async () => {
  await run("counting", []);
});
Deno.bench("counting --smp=2 on the main thread alone", { group: "main thread" }, async () => {
  await run("counting", ["--smp=2", "--workers-after-ms=1000000000"]);
});
Deno.bench("counting --smp=2, workers at once", { group: "main thread" }, async () => {
  await run("counting", ["--smp=2", POOL_AT_ONCE]);
});
// Issue 11's SMP targets, as deno bench groups. Cold: 8 × fib(25) as whole commands (start-up
// included), one scheduler against --smp=2 (target: --smp=2 no slower). Pair: 8 × fib(28) on
// --smp=2 against two single-scheduler processes of 4 × fib(28) started together, the whole
// commands timed (target: the pool at ≥ 90 % of the pair's rate; docs/PERFORMANCE.md,
// finding 8, measures it by the programs' own times, pairs in turn). Both as a user runs them
// (the default start) and with the workers from the start.
Deno.bench(
  "parfib 8 × fib(25), one scheduler, cold",
  { group: "cold", baseline: true },
  async () => {
    await wallMs(["bench/programs/parfib.ttvm", "8", "25"]);
  },
);
Deno.bench("parfib 8 × fib(25) --smp=2, cold", { group: "cold" }, async () => {
  await wallMs(["--smp=2", "bench/programs/parfib.ttvm", "8", "25"]);
});
Deno.bench("parfib 8 × fib(25) --smp=2, cold, workers at once", { group: "cold" }, async () => {
  await wallMs(["--smp=2", POOL_AT_ONCE, "bench/programs/parfib.ttvm", "8", "25"]);
});
Deno.bench("parfib 8 × fib(28), two processes × 4", { group: "pair", baseline: true }, async () => {
  await pairOfProcesses(["4", "28"]);
});
Deno.bench("parfib 8 × fib(28) --smp=2", { group: "pair" }, async () => {
  await run("parfib", ["--smp=2"], ["8", "28"]);
});
Deno.bench("parfib 8 × fib(28) --smp=2, workers at once", { group: "pair" }, async () => {
  await run("parfib", ["--smp=2", POOL_AT_ONCE], ["8", "28"]);
});
