/**
 * Golden sweep: runs golden programs many times in chosen modes and reports every run whose
 * outcome differs from the program's expectations. `deno task test` runs each program once per
 * mode; a race that shows in one run out of fifty needs repetition, load and odd reduction
 * budgets to be seen. This tool provides them.
 *
 *   deno task sweep [--runs N] [--modes smp1,smp2,smp4] [--filter TEXT] [--reductions N]
 *                   [--parallel N] [--include-skipped]
 *
 * Mismatches go to stdout (with the diff), progress to stderr. Exit status: 0 when every run
 * matched, 1 when one did not, 2 on bad usage.
 *
 * Invariants: expectations, run modes and comparisons are the golden runner's own
 * (tests/golden_lib.ts); `--include-skipped` runs `smp: skip` programs in SMP modes too and
 * compares them exactly. As in the golden runner, one program's runs never overlap (up to
 * `--parallel` different programs run at once): a program may use files of its own — the
 * code-loading goldens rewrite their module — and two copies of it would see each other's.
 */
import { parseArgs } from "node:util";
import {
  cliArgsFor,
  describeMismatch,
  goldenSourcePaths,
  type GoldenSpec,
  parseGoldenSpec,
  REPO_ROOT,
  RUN_MODES,
  type RunMode,
  runPooled,
  runTtvm,
} from "../tests/golden_lib.ts";

const USAGE =
  "usage: deno task sweep [--runs N] [--modes m1,m2] [--filter TEXT] [--reductions N] [--parallel N] [--include-skipped]";

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${flag} needs a positive integer, got '${text}'`);
  }
  return n;
}

async function main(): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        runs: { type: "string", default: "10" },
        modes: { type: "string", default: "smp1,smp2,smp4" },
        filter: { type: "string", default: "" },
        reductions: { type: "string" },
        parallel: { type: "string", default: "4" },
        "include-skipped": { type: "boolean", default: false },
      },
    });
    const modes = values.modes.split(",").map((m) => m.trim()) as RunMode[];
    for (const m of modes) {
      if (!RUN_MODES.includes(m)) throw new Error(`unknown mode '${m}' (${RUN_MODES.join(", ")})`);
    }
    options = {
      runs: positiveInt(values.runs, "--runs"),
      parallel: positiveInt(values.parallel, "--parallel"),
      modes,
      filter: values.filter,
      extra: values.reductions
        ? ["--reductions", String(positiveInt(values.reductions, "--reductions"))]
        : [],
      includeSkipped: values["include-skipped"],
    };
  } catch (error) {
    console.error(`Error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const specs = goldenSourcePaths()
    .filter((path) => path.includes(options.filter))
    .map((path) => parseGoldenSpec(path, Deno.readTextFileSync(REPO_ROOT + path)))
    .filter((spec): spec is GoldenSpec => spec !== null);
  const jobs: Array<{ spec: GoldenSpec; mode: RunMode }> = [];
  for (let r = 0; r < options.runs; r++) {
    for (const spec of specs) {
      for (const mode of options.modes) {
        const skipped = spec.smp === "skip" && mode.startsWith("smp");
        if (spec.modes.includes(mode) || (skipped && options.includeSkipped)) {
          jobs.push({ spec: skipped ? { ...spec, smp: "exact" } : spec, mode });
        }
      }
    }
  }
  if (jobs.length === 0) {
    console.error("Error: no golden program matches");
    return 2;
  }
  let done = 0, mismatches = 0;
  const step = Math.max(1, Math.floor(jobs.length / 20));
  // One lane per program, its runs in order; lanes run in parallel.
  const lanes = Map.groupBy(jobs, (job) => job.spec.path);
  await Promise.all(runPooled([...lanes.values()], options.parallel, async (lane) => {
    for (const { spec, mode } of lane) {
      const outcome = await runTtvm(
        [...options.extra, ...cliArgsFor(mode, spec.path, spec.args)],
        spec.stdin,
      );
      const mismatch = describeMismatch(spec, outcome, mode);
      if (mismatch !== null) {
        mismatches++;
        console.log(`MISMATCH ${spec.path} [${mode}]\n${mismatch}\n`);
      }
      if (++done % step === 0 || done === jobs.length) {
        console.error(`sweep: ${done}/${jobs.length} runs, ${mismatches} mismatches`);
      }
    }
  }));
  console.log(`${jobs.length} runs of ${specs.length} programs, ${mismatches} mismatches`);
  return mismatches === 0 ? 0 : 1;
}

Deno.exit(await main());
