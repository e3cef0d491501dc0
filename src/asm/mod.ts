/**
 * The assembler's public API: `.ttvm` text (and every module it imports) → one linked Program.
 *
 * Invariants: either a complete Program is returned or an AsmError is thrown carrying every
 * diagnostic of every file (assembly never stops at the first error); the same inputs always
 * give the same Program, table for table.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Program } from "../isa/program.ts";
import { AsmError, fileDiagnostic, osErrorText, wholeFileDiagnostic } from "./diagnostics.ts";
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
  return fileURLToPath(new URL("../../std", import.meta.url));
}

/** Assembles `source` as the main module, whose display path is `path` exactly. */
export function assembleSource(source: string, path: string, opts: AsmOptions = {}): Program {
  const cwd = resolve(opts.cwd ?? Deno.cwd());
  const { modules, diagnostics, omitted } = loadModules(source, path, {
    cwd,
    stdDir: resolve(cwd, opts.stdDir ?? defaultStdDir()),
    readTextFile: opts.readTextFile ?? readSourceFile,
  });
  if (diagnostics.length > 0) throw new AsmError(diagnostics, omitted);
  return link(modules);
}

/** Reads and assembles the file at `path` (relative paths are relative to `opts.cwd`). */
export function assembleFile(path: string, opts: AsmOptions = {}): Program {
  const read = opts.readTextFile ?? readSourceFile;
  let source: string;
  try {
    source = read(resolve(opts.cwd ?? Deno.cwd(), path));
  } catch (error) {
    if (error instanceof NotTextError) {
      throw new AsmError([wholeFileDiagnostic(path, `${path}: ${error.message}`)]);
    }
    throw new AsmError([fileDiagnostic(path, osErrorText(error))]);
  }
  return assembleSource(source, path, opts);
}
