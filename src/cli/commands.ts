/**
 * The subcommands that work on files: `compile` (.ttvm → .ttb), `disasm` (.ttb → text) and
 * `check` (the stack-depth checker). Each returns the exit status: 0 done, 1 the input could
 * not be loaded or the output written (`check`: or it has warnings); wrong arguments are
 * UsageErrors (exit 2).
 *
 * Stack-checker warnings (src/asm/stack_check.ts) never stop a program: `compile` prints them
 * on stderr and writes the .ttb anyway, `check` prints them and exits 1, and running a program
 * does not check at all — programs may mean to fail at run time (tests of the underflow error
 * itself, a TRY whose body is meant to throw before it pushes).
 */
import {
  decodeProgram,
  disassemble,
  encodeProgram,
  isTtbBytes,
  LoadError,
} from "../bytecode/mod.ts";
import { osErrorText } from "../vm/errors.ts";
import type { CliIo } from "./io.ts";
import { loadChecked, reportWarnings } from "./load.ts";
import { UsageError } from "./options.ts";

export function compile(args: string[], io: CliIo): number {
  if (args.length < 1 || args.length > 2) {
    throw new UsageError("usage: ttvm compile <in.ttvm> [out.ttb]");
  }
  const [input] = args;
  const output = args[1] ?? input.replace(/\.ttvm$/, "") + ".ttb";
  const checked = loadChecked(input, io.stderr);
  if (!checked) return 1;
  reportWarnings(checked.warnings, io.stderr);
  const bytes = encodeProgram(checked.program);
  try {
    Deno.writeFileSync(output, bytes);
  } catch (e) {
    io.stderr.write(`Error: File operation failed on ${output}: ${osErrorText(e)}\n`);
    return 1;
  }
  io.stdout.write(`Compiled to ${output}\n`);
  return 0;
}

export function disasm(args: string[], io: CliIo): number {
  if (args.length !== 1) throw new UsageError("usage: ttvm disasm <file.ttb>");
  const [path] = args;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    io.stderr.write(`Error: File operation failed on ${path}: ${osErrorText(e)}\n`);
    return 1;
  }
  if (!isTtbBytes(bytes)) {
    io.stderr.write(`Error: ${path}: not a .ttb file (bad magic)\n`);
    return 1;
  }
  try {
    io.stdout.write(disassemble(decodeProgram(bytes)));
  } catch (e) {
    if (e instanceof LoadError) {
      io.stderr.write(`Error: ${path}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return 0;
}

export function check(args: string[], io: CliIo): number {
  if (args.length < 1) throw new UsageError("usage: ttvm check <file.ttvm|file.ttb>…");
  let status = 0;
  for (const path of args) {
    const checked = loadChecked(path, io.stderr);
    if (!checked) {
      status = 1;
      continue;
    }
    reportWarnings(checked.warnings, io.stderr);
    if (checked.warnings.length > 0) status = 1;
  }
  return status;
}
