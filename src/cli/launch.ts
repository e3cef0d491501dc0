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
 * `--no-maglev-osr`: a loop that runs long in one call is replaced on the stack by TurboFan
 * code only, not first by Maglev code. The interpreter's loop is such a loop in the first
 * slices of a program, before its hot code is compiled, and its Maglev OSR compilation took
 * the one free core for about 19 ms while the compiled units and native functions waited
 * their turn to be optimised (docs/PERFORMANCE.md, finding 20).
 *
 * deno.json cannot import this module: its `ttvm` task spells the same flags out, and
 * tests/cli/launch_test.ts checks that they agree.
 */

/** V8 flags of every launch, in `--v8-flags=` form. */
export const RUNTIME_V8_FLAGS: readonly string[] = ["--no-lazy", "--no-maglev-osr"];

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
