/**
 * Loading a program named on the command line: a `.ttb` file is decoded and validated, anything
 * else is assembled. On failure the problems go to stderr and the result is null.
 *
 * Invariants: an error without a source location (an unreadable file, a malformed `.ttb`)
 * is one line starting with `Error: `, whatever the file's kind; located assembler diagnostics
 * keep their `file:line:col:` form (at most MAX_SHOWN_DIAGNOSTICS of them, then a count).
 */
import {
  AsmError,
  assembleFile,
  assembleFileChecked,
  type CheckedProgram,
  type Diagnostic,
  formatDiagnostics,
  stackWarnings,
} from "../asm/mod.ts";
import { decodeProgram, LoadError } from "../bytecode/mod.ts";
import type { Program } from "../isa/program.ts";
import type { Output } from "../io/output.ts";
import { osErrorText } from "../vm/errors.ts";

/** Reads a .ttvm or .ttb file; on failure prints the problems on `stderr` and returns null. */
export function loadProgram(path: string, stderr: Output): Program | null {
  return load(path, stderr, false)?.program ?? null;
}

/** loadProgram, and the stack checker's warnings (not printed). */
export function loadChecked(path: string, stderr: Output): CheckedProgram | null {
  return load(path, stderr, true);
}

/** Prints warnings (at most 20, then a count). */
export function reportWarnings(warnings: readonly Diagnostic[], stderr: Output): void {
  if (warnings.length > 0) stderr.write(formatDiagnostics(warnings) + "\n");
}

function load(path: string, stderr: Output, check: boolean): CheckedProgram | null {
  let bytes: Uint8Array | null = null;
  if (path.endsWith(".ttb")) {
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      stderr.write(`Error: File operation failed on ${path}: ${osErrorText(e)}\n`);
      return null;
    }
  }
  try {
    if (bytes) {
      const program = decodeProgram(bytes);
      return { program, warnings: check ? stackWarnings(program) : [] };
    }
    if (check) return assembleFileChecked(path);
    return { program: assembleFile(path), warnings: [] };
  } catch (e) {
    if (e instanceof LoadError) {
      stderr.write(`Error: ${path}: ${e.message}\n`);
      return null;
    }
    if (e instanceof AsmError) {
      reportAsmError(e, stderr);
      return null;
    }
    throw e;
  }
}

/** Prints an assembler failure: location-less problems as `Error: …` lines. */
export function reportAsmError(e: AsmError, stderr: Output): void {
  stderr.write(
    formatDiagnostics(e.diagnostics, { errorPrefix: "Error: ", omitted: e.omitted }) + "\n",
  );
}
