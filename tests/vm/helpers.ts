/**
 * Test helpers: assemble a .ttvm source text and run it in-process, capturing its output.
 */
import { assembleSource, type RunOptions, runProgram } from "../../mod.ts";
import type { CapturedRun } from "../../mod.ts";

/** Assemble `lines` (joined by newlines) as `test.ttvm` and run it. */
export function run(lines: string[] | string, options: RunOptions = {}): Promise<CapturedRun> {
  const src = Array.isArray(lines) ? lines.join("\n") + "\n" : lines;
  return runProgram(assembleSource(src, "test.ttvm"), options);
}

/** Run and return stdout lines (without the final empty one). */
export async function out(lines: string[] | string, options: RunOptions = {}): Promise<string[]> {
  const r = await run(lines, options);
  if (r.exitCode !== 0 || r.stderr !== "") {
    throw new Error(`program failed (exit ${r.exitCode}): ${r.stderr}`);
  }
  return r.stdout.split("\n").slice(0, -1);
}
