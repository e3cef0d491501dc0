/**
 * How `ttvm` is started: the V8 flags every way of launching it passes — `deno task ttvm`,
 * the binary `deno task build` compiles (the flags are built into it), and the benchmarks'
 * commands — so that what is measured is what users run.
 *
 * `--no-lazy`: V8 compiles every function of a module when it loads the module, not on the
 * function's first call. Deno keeps compiled bytecode in its code cache, so a start with a
 * warm cache costs no more; and the first calls of the compiler tier's code generator, the
 * scheduler and the message path no longer stop to compile in the middle of a run
 * (docs/PERFORMANCE.md, finding 17).
 *
 * deno.json cannot import this module: its `ttvm` task spells the same flags out, and
 * tests/cli/launch_test.ts checks that they agree.
 */

/** V8 flags of every launch, in `--v8-flags=` form. */
export const RUNTIME_V8_FLAGS: readonly string[] = ["--no-lazy"];

/** The `--v8-flags=…` argument for `deno run` or `deno compile`. */
export function v8FlagsArg(): string {
  return `--v8-flags=${RUNTIME_V8_FLAGS.join(",")}`;
}

/** `deno compile` arguments for the `ttvm` binary at `output`, embedding `includes` (files and
 *  folders relative to the repository root) beside main.ts. */
export function denoCompileArgs(output: string, includes: readonly string[]): string[] {
  const args = ["compile", "-A", v8FlagsArg(), "--output", output];
  for (const inc of includes) args.push("--include", inc);
  args.push("main.ts");
  return args;
}

/** `deno` arguments that run `main.ts` (relative to the repository root) as users run it. */
export function denoRunMain(): string[] {
  return ["run", "-A", v8FlagsArg(), "main.ts"];
}
