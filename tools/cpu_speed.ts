/**
 * How fast each logical CPU computes right now: the same short piece of JavaScript (naive
 * recursion: no allocation, no memory traffic) run on each CPU in turn, pinned there with
 * `taskset` (util-linux). `deno task bench:compare` probes before and after its run and writes
 * the figures into the report's Machine section.
 *
 * Why: this project's CI hosts are shared virtual machines, and one vCPU can compute much more
 * slowly than the other for minutes at a time while a neighbour keeps its physical core busy
 * (2026-12-07: CPU 1 took 1.45× as long as CPU 0 for the same code, then both were equal again
 * a few minutes later). A single-threaded program runs on whichever CPU the kernel gives it, so
 * in such a phase the runs of one configuration scatter by that factor, and a ratio of two
 * medians says more about where the processes landed than about the engines.
 *
 * The probe itself is this file run with `--probe`: it prints the best of PROBE_REPS timings,
 * in milliseconds, after one warm-up.
 */

/** The measured work: fib(PROBE_N) PROBE_CALLS times, about 8 ms on a fast CPU here. */
const PROBE_N = 27;
const PROBE_CALLS = 4;
const PROBE_REPS = 3;
/** Above this spread (slowest / fastest) the report warns that the CPUs differed. */
export const SPREAD_WARN = 1.15;

export interface CpuSpeeds {
  /** The logical CPUs probed, in order. */
  cpus: number[];
  /** Per CPU: the best of its probes, milliseconds. */
  msPerCpu: number[];
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The probe's own measurement (in the pinned child): best of PROBE_REPS, in ms. */
function probeHere(): number {
  let best = Infinity, sink = 0;
  for (let rep = 0; rep <= PROBE_REPS; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < PROBE_CALLS; i++) sink += fib(PROBE_N);
    const ms = performance.now() - t0;
    if (rep > 0) best = Math.min(best, ms); // rep 0 warms up
  }
  if (sink <= 0) throw new Error("fib went wrong"); // keeps the work observable
  return best;
}

/** Whether this is Linux with a working `taskset` (what pinning needs). */
export async function tasksetWorks(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    const out = await new Deno.Command("taskset", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** Run the probe pinned to `cpu`: its time in ms. Throws when the child fails. */
async function probeOn(cpu: number): Promise<number> {
  const out = await new Deno.Command("taskset", {
    args: ["-c", String(cpu), Deno.execPath(), "run", new URL(import.meta.url).pathname, "--probe"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const ms = Number(text);
  if (!out.success || !(ms > 0)) {
    throw new Error(
      `CPU probe on CPU ${cpu} failed: ${new TextDecoder().decode(out.stderr).trim() || text}`,
    );
  }
  return ms;
}

/**
 * Probe every logical CPU `rounds` times, taking turns (CPU 0, 1, …, then again), and keep
 * each CPU's best. Null where it cannot be done: not Linux, or no `taskset`.
 */
export async function probeCpuSpeeds(
  cpus = navigator.hardwareConcurrency,
  rounds = 2,
): Promise<CpuSpeeds | null> {
  if (!await tasksetWorks()) return null;
  const list = Array.from({ length: cpus }, (_, i) => i);
  const best = list.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (const cpu of list) best[cpu] = Math.min(best[cpu], await probeOn(cpu));
  }
  return { cpus: list, msPerCpu: best };
}

/** Slowest CPU's time over the fastest's (1 = all equal). */
export function cpuSpread(s: CpuSpeeds): number {
  return Math.max(...s.msPerCpu) / Math.min(...s.msPerCpu);
}

/** One sentence for the report: each CPU's time and the spread. */
export function describeCpuSpeeds(s: CpuSpeeds | null): string {
  if (s === null) return "not probed (needs Linux and `taskset`)";
  const each = s.cpus.map((c, i) => `CPU ${c} ${s.msPerCpu[i].toFixed(1)} ms`).join(", ");
  return `${each} (the slowest ${cpuSpread(s).toFixed(2)}× the fastest)`;
}

/** The report's line on CPU speed, before and after the run, with a warning when they
 *  differed by more than SPREAD_WARN. */
export function cpuSpeedLine(before: CpuSpeeds | null, after: CpuSpeeds | null): string {
  const line = `- Speed of each CPU (fib(${PROBE_N}) ${PROBE_CALLS} times in JavaScript, pinned ` +
    `with \`taskset\`, best of ${PROBE_REPS}): before the run ${describeCpuSpeeds(before)}; ` +
    `after: ${describeCpuSpeeds(after)}.`;
  const uneven = [before, after].some((s) => s !== null && cpuSpread(s) > SPREAD_WARN);
  if (!uneven) return line;
  return line + " **The CPUs computed at different speeds**: a single-threaded run is as fast " +
    "as the CPU it landed on, so runs of one configuration scatter by up to that factor and " +
    "its ratios are less reliable than the medians suggest.";
}

if (import.meta.main) {
  if (Deno.args[0] === "--probe") {
    console.log(probeHere().toFixed(2));
  } else {
    console.log(describeCpuSpeeds(await probeCpuSpeeds()));
  }
}
