/**
 * One property-test case: generate the program of a seed, run it (and, for the memory check,
 * its trivial baseline variant), check it, and describe failures so they can be reproduced.
 *
 * Invariant: deterministic in the seed and options (the generator is; the single scheduler is).
 */
import { type GeneratedProgram, generateProgram, type GenOptions } from "./actor_gen.ts";
import { type Category, checkRun, type Violation } from "./prop_check.ts";
import { memLevel, runInProcess, type RunOutcome } from "./prop_run.ts";

export interface SeedResult {
  gen: GeneratedProgram;
  run: RunOutcome;
  violations: Violation[];
}

export async function checkSeed(seed: number, options: GenOptions = {}): Promise<SeedResult> {
  const gen = generateProgram(seed, options);
  const vmOptions = { reductions: gen.reductions, stressGc: gen.stressGc };
  const fileName = `prop_${seed}.ttvm`;
  const run = await runInProcess(gen.source, fileName, vmOptions);
  let baseline = null;
  if (gen.expected.variant === "cleanup") {
    const trivial = await runInProcess(gen.baselineSource, fileName, vmOptions);
    baseline = memLevel(trivial.vm);
  }
  return { gen, run, violations: checkRun(gen, run, baseline) };
}

/** A failure report: seed, how to regenerate, the violations of `category`, and the program
 *  (written to a temporary file, whose path is given, so it can be run with the CLI). */
export function describeFailure(result: SeedResult, category: Category | null): string {
  const { gen, run } = result;
  const bad = result.violations.filter((v) => category === null || v.category === category);
  const path = Deno.makeTempFileSync({ prefix: `ttvm_prop_${gen.seed}_`, suffix: ".ttvm" });
  Deno.writeTextFileSync(path, gen.source);
  const shown = bad.slice(0, 25).map((v) => `  [${v.category}] ${v.text}`);
  if (bad.length > shown.length) shown.push(`  … ${bad.length - shown.length} more`);
  return [
    `seed ${gen.seed} (variant ${gen.expected.variant}, reductions ${gen.reductions}, ` +
    `stressGc ${gen.stressGc}): ${bad.length} violation(s)`,
    ...shown,
    `program: ${path}  (regenerate: deno run tests/proc/actor_gen.ts ${gen.seed} ${gen.scale}; run with ` +
    `--reductions ${gen.reductions}${gen.stressGc ? " --stress-gc" : ""})`,
    `stderr: ${run.stderr.split("\n").slice(0, 5).join(" / ")}`,
  ].join("\n");
}
