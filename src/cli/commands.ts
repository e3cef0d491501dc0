/**
 * The subcommands that work on files: `compile` (.ttvm → .ttb) and `disasm` (.ttb → text).
 * Each returns the exit status: 0 done, 1 the input could not be loaded or the output written;
 * wrong arguments are UsageErrors (exit 2).
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
import { loadProgram } from "./load.ts";
import { UsageError } from "./options.ts";

export function compile(args: string[], io: CliIo): number {
  if (args.length < 1 || args.length > 2) {
    throw new UsageError("usage: ttvm compile <in.ttvm> [out.ttb]");
  }
  const [input] = args;
  const output = args[1] ?? input.replace(/\.ttvm$/, "") + ".ttb";
  const program = loadProgram(input, io.stderr);
  if (!program) return 1;
  const bytes = encodeProgram(program);
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
