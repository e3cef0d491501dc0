/**
 * The assembler's public API: `.ttvm` text (and every module it imports) → one linked Program.
 *
 * Invariants: either a complete Program is returned or an AsmError is thrown carrying the
 * diagnostics of every file (assembly never stops at the first error; per module the first
 * 1,000 by position are kept and the rest counted); the same inputs always give the same
 * Program, table for table. The `…Checked` variants also run the stack-depth checker, whose
 * findings are warnings: they never stop assembly.
 */
import { fileUrlToPath, resolve } from "../host/paths.ts";
import type { Program } from "../isa/program.ts";
import {
  AsmError,
  type Diagnostic,
  diagnosticAt,
  fileDiagnostic,
  osErrorText,
  wholeFileDiagnostic,
} from "./diagnostics.ts";
import { checkStack, type StackFinding } from "./stack_check.ts";
import { NotTextError, readSourceFile } from "./text_check.ts";
import { link } from "./linker.ts";
import { loadModules } from "./loader.ts";

export {
  AsmError,
  type Diagnostic,
  formatDiagnostic,
  formatDiagnostics,
  MAX_SHOWN_DIAGNOSTICS,
} from "./diagnostics.ts";

export interface AsmOptions {
  /** Directory of the bundled standard library (`std/`); default: `<repo>/std` resolved from
   *  import.meta.url of src/asm. */
  stdDir?: string;
  /** Working directory for the second step of import resolution; default Deno.cwd(). */
  cwd?: string;
  /** Read a text file (default: read it as UTF-8, refusing binary data with a NotTextError);
   *  lets tests use an in-memory FS. */
  readTextFile?: (path: string) => string;
}

function defaultStdDir(): string {
  return fileUrlToPath(new URL("../../std", import.meta.url));
}

/** Assembles `source` as the main module, whose display path is `path` exactly. */
export function assembleSource(source: string, path: string, opts: AsmOptions = {}): Program {
  return assembleModules(source, path, opts).program;
}

/** Reads and assembles the file at `path` (relative paths are relative to `opts.cwd`). */
export function assembleFile(path: string, opts: AsmOptions = {}): Program {
  return assembleSource(readMain(path, opts), path, opts);
}

/** A program and the stack checker's warnings about it (src/asm/stack_check.ts). */
export interface CheckedProgram {
  program: Program;
  /** Located at each instruction's mnemonic, in pc order; severity "warning". */
  warnings: Diagnostic[];
}

/** assembleSource, then the stack-depth checker. */
export function assembleSourceChecked(
  source: string,
  path: string,
  opts: AsmOptions = {},
): CheckedProgram {
  const { program, modules } = assembleModules(source, path, opts);
  const warnings = checkStack(program).map((f) => {
    const module = program.files[f.pc];
    const local = f.pc - program.modules[module].startPc;
    const instruction = modules[module]?.parsed.instructions[local];
    if (instruction === undefined) return lineWarning(program, f);
    const { source: line, start, end } = instruction;
    const d = diagnosticAt(modules[module].diagFile, line, start, end, f.message);
    d.severity = "warning";
    return d;
  });
  return { program, warnings };
}

/** assembleFile, then the stack-depth checker. */
export function assembleFileChecked(path: string, opts: AsmOptions = {}): CheckedProgram {
  return assembleSourceChecked(readMain(path, opts), path, opts);
}

/** The stack checker's warnings about a program without its source (a decoded .ttb), located
 *  by file and line only. */
export function stackWarnings(program: Program): Diagnostic[] {
  return checkStack(program).map((f) => lineWarning(program, f));
}

function lineWarning(program: Program, f: StackFinding): Diagnostic {
  return {
    file: program.modules[program.files[f.pc]]?.path ?? "?",
    line: program.lines[f.pc],
    col: 0,
    message: f.message,
    sourceLine: "",
    length: 0,
    severity: "warning",
  };
}

function assembleModules(source: string, path: string, opts: AsmOptions) {
  const cwd = resolve(opts.cwd ?? Deno.cwd());
  const { modules, diagnostics, omitted } = loadModules(source, path, {
    cwd,
    stdDir: resolve(cwd, opts.stdDir ?? defaultStdDir()),
    readTextFile: opts.readTextFile ?? readSourceFile,
  });
  if (diagnostics.length > 0) throw new AsmError(diagnostics, omitted);
  return { program: link(modules), modules };
}

/** The main file's text; an unreadable or binary file is an AsmError without a location. */
function readMain(path: string, opts: AsmOptions): string {
  const read = opts.readTextFile ?? readSourceFile;
  try {
    return read(resolve(opts.cwd ?? Deno.cwd(), path));
  } catch (error) {
    if (error instanceof NotTextError) {
      throw new AsmError([wholeFileDiagnostic(path, `${path}: ${error.message}`)]);
    }
    throw new AsmError([fileDiagnostic(path, osErrorText(error))]);
  }
}
