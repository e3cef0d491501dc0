/**
 * Module discovery: starting from the main source, parses every module reachable through
 * IMPORT (static linking), resolving paths, deduplicating files and detecting cycles.
 *
 * Invariants:
 * - Module 0 is the main source; the others are numbered breadth-first in order of discovery
 *   (all new imports of module 0 in source order, then module 1's, …). Bundle sections that no
 *   IMPORT reaches follow, in bundle order, so no source text is silently dropped.
 * - A module is identified by the normalised absolute path of its file (bundle sections: the
 *   bundle's path plus the section path), so one file imported under two spellings is one module.
 * - `IMPORT p` resolves to a section of the importer's bundle named exactly p; else to the first
 *   existing file of: p relative to the importer's directory, p relative to cwd, p (or the x of
 *   `std/x`) in stdDir.
 * - Each module's diagnostics are sorted by line then column, and only the first
 *   MAX_KEPT_DIAGNOSTICS of them are kept (the others counted); a cycle is reported at the IMPORT
 *   that closes it (the first back edge of a depth-first walk in source order).
 */
import { dirname, isAbsolute, relative, resolve, sep } from "../host/paths.ts";
import {
  type Diagnostic,
  diagnosticAt,
  DiagnosticList,
  MAX_QUOTED_PATH,
  osErrorText,
  quoted,
  type SourceLine,
  wholeFileDiagnostic,
} from "./diagnostics.ts";
import { NotTextError, textProblem } from "./text_check.ts";
import { isBundle, splitBundle } from "./bundle.ts";
import { splitSourceLines } from "./lexer.ts";
import { type ParsedModule, parseModule } from "./parser.ts";

export interface LoaderEnv {
  /** Absolute working directory. */
  cwd: string;
  /** Absolute directory of the bundled standard library. */
  stdDir: string;
  readTextFile: (path: string) => string;
}

interface Bundle {
  sections: Map<string, ModuleSource>;
  /** All sections in bundle order (duplicates included). */
  order: ModuleSource[];
}

interface ModuleSource {
  key: string;
  displayPath: string;
  /** File name used in diagnostics. */
  diagFile: string;
  /** Directory that relative imports start from. */
  dir: string;
  lines: SourceLine[];
  bundle?: Bundle;
  /** Problems found before parsing (bundle structure). */
  diagnostics: DiagnosticList;
}

export interface LoadedModule {
  displayPath: string;
  /** File name its diagnostics use. */
  diagFile: string;
  parsed: ParsedModule;
  /** Module index of each of parsed.imports; -1 when it could not be resolved. */
  importTargets: number[];
}

export interface LoadResult {
  modules: LoadedModule[];
  /** The diagnostics of every module, in module order (per module the first
   *  MAX_KEPT_DIAGNOSTICS by position). */
  diagnostics: Diagnostic[];
  /** Diagnostics found beyond the kept ones. */
  omitted: number;
}

type Resolution = { source: ModuleSource } | { key: string } | { error: string };

export function loadModules(mainSource: string, mainPath: string, env: LoaderEnv): LoadResult {
  const notText = textProblem(mainSource);
  if (notText !== undefined) {
    return {
      modules: [],
      diagnostics: [wholeFileDiagnostic(mainPath, `${mainPath}: ${notText}`)],
      omitted: 0,
    };
  }
  const mainAbs = resolve(env.cwd, mainPath);
  const sources: ModuleSource[] = [sourceFromText(mainSource, mainAbs, mainPath, mainPath)];
  const indexByKey = new Map<string, number>([[mainAbs, 0]]);
  const modules: LoadedModule[] = [];
  const diagnostics: DiagnosticList[] = [];
  const fileCache = new Map<string, { text: string } | { error: unknown }>();

  const read = (abs: string) => {
    let entry = fileCache.get(abs);
    if (entry === undefined) {
      try {
        const text = env.readTextFile(abs);
        const problem = textProblem(text);
        entry = problem === undefined ? { text } : { error: new NotTextError(problem) };
      } catch (error) {
        entry = { error };
      }
      fileCache.set(abs, entry);
    }
    return entry;
  };

  const displayPathOf = (abs: string): string => {
    const inCwd = relative(env.cwd, abs);
    if (!inCwd.startsWith("..") && !isAbsolute(inCwd)) return inCwd.split(sep).join("/");
    const inStd = relative(env.stdDir, abs);
    if (!inStd.startsWith("..") && !isAbsolute(inStd)) return `std/${inStd.split(sep).join("/")}`;
    return abs;
  };

  const resolveImport = (importer: ModuleSource, path: string): Resolution => {
    const section = importer.bundle?.sections.get(path);
    if (section !== undefined) return { source: section };
    const candidates = isAbsolute(path) ? [path] : [
      resolve(importer.dir, path),
      resolve(env.cwd, path),
      resolve(env.stdDir, path.startsWith("std/") ? path.slice(4) : path),
    ];
    for (const abs of candidates) {
      if (indexByKey.has(abs)) return { key: abs };
      const entry = read(abs);
      if ("text" in entry) {
        const display = displayPathOf(abs);
        return { source: sourceFromText(entry.text, abs, display, display) };
      }
      if (entry.error instanceof NotTextError) {
        return { error: `${quoted(path, MAX_QUOTED_PATH)}: ${entry.error.message}` };
      }
      if (!(entry.error instanceof Deno.errors.NotFound)) {
        return {
          error: `File operation failed on ${quoted(path, MAX_QUOTED_PATH)}: ${
            osErrorText(entry.error)
          }`,
        };
      }
    }
    return {
      error: `File operation failed on ${quoted(path, MAX_QUOTED_PATH)}: ${
        osErrorText(new Deno.errors.NotFound())
      }`,
    };
  };

  const added = new Set<ModuleSource>(sources);
  const sweptBundles = new Set<Bundle>();
  const add = (source: ModuleSource): number => {
    indexByKey.set(source.key, sources.length);
    sources.push(source);
    added.add(source);
    return sources.length - 1;
  };

  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    const parsed = parseModule(source.lines, source.diagFile);
    const moduleDiagnostics = new DiagnosticList();
    moduleDiagnostics.absorb(source.diagnostics);
    moduleDiagnostics.absorb(parsed.diagnostics);
    const importTargets = parsed.imports.map((request, k) => {
      const resolution = resolveImport(source, request.path);
      if ("error" in resolution) {
        const { start, end } = request.token;
        const line = parsed.importLines[k];
        moduleDiagnostics.push(diagnosticAt(source.diagFile, line, start, end, resolution.error));
        return -1;
      }
      if ("key" in resolution) return indexByKey.get(resolution.key) as number;
      return indexByKey.get(resolution.source.key) ?? add(resolution.source);
    });
    modules.push({
      displayPath: source.displayPath,
      diagFile: source.diagFile,
      parsed,
      importTargets,
    });
    diagnostics.push(moduleDiagnostics);
    if (i === sources.length - 1) {
      // Nothing left to discover: bring in bundle sections no IMPORT reached (once per bundle:
      // rescanning every bundle at each new end would be quadratic in the sections).
      for (const s of sources) {
        const bundle = s.bundle;
        if (bundle === undefined || sweptBundles.has(bundle)) continue;
        sweptBundles.add(bundle);
        for (const unreached of bundle.order) if (!added.has(unreached)) add(unreached);
      }
    }
  }

  reportCycles(modules, diagnostics);
  return {
    modules,
    diagnostics: diagnostics.flatMap((list) => list.sorted()),
    omitted: diagnostics.reduce((sum, list) => sum + list.omitted, 0),
  };
}

/** Module source for a file's text; a bundle yields its first section, the rest on demand. */
function sourceFromText(
  text: string,
  abs: string,
  displayPath: string,
  diagFile: string,
): ModuleSource {
  const lines = splitSourceLines(text);
  const dir = dirname(abs);
  if (!isBundle(lines)) {
    return { key: abs, displayPath, diagFile, dir, lines, diagnostics: new DiagnosticList() };
  }
  const split = splitBundle(lines, diagFile);
  const bundle: Bundle = { sections: new Map(), order: [] };
  split.sections.forEach((section, i) => {
    // A bundle names its own modules: the first section's path (the original main file)
    // wins over the bundle's file name, so disassembling and re-assembling a .ttb gives back
    // the identical file and run-time locations still name the original sources.
    const source: ModuleSource = i === 0
      ? {
        key: abs,
        displayPath: section.path,
        diagFile,
        dir,
        lines: section.lines,
        bundle,
        diagnostics: new DiagnosticList(),
      }
      : {
        key: `${abs}\0${i}:${section.path}`,
        displayPath: section.path,
        diagFile,
        dir,
        lines: section.lines,
        bundle,
        diagnostics: new DiagnosticList(),
      };
    if (!bundle.sections.has(section.path)) bundle.sections.set(section.path, source);
    bundle.order.push(source);
  });
  const main = bundle.order[0] ??
    { key: abs, displayPath, diagFile, dir, lines: [], bundle, diagnostics: new DiagnosticList() };
  main.diagnostics.absorb(split.diagnostics);
  return main;
}

/**
 * Reports each IMPORT that closes a cycle (a back edge of a depth-first walk from module 0).
 * The walk keeps its own stack: an import chain as long as the module count must not recurse
 * on the host stack.
 */
function reportCycles(modules: LoadedModule[], diagnostics: DiagnosticList[]): void {
  const state = new Array<"new" | "open" | "done">(modules.length).fill("new");
  for (let root = 0; root < modules.length; root++) {
    if (state[root] !== "new") continue;
    // Each entry: a module being visited and the index of its next import to look at.
    const stack: Array<{ m: number; k: number }> = [{ m: root, k: 0 }];
    state[root] = "open";
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const { parsed, importTargets } = modules[top.m];
      if (top.k >= importTargets.length) {
        state[top.m] = "done";
        stack.pop();
        continue;
      }
      const k = top.k++;
      const target = importTargets[k];
      if (target < 0) continue;
      if (state[target] === "open") {
        const { start, end } = parsed.imports[k].token;
        diagnostics[top.m].push(diagnosticAt(
          modules[top.m].diagFile,
          parsed.importLines[k],
          start,
          end,
          `Circular dependency detected: ${quoted(modules[target].displayPath, MAX_QUOTED_PATH)}`,
        ));
      } else if (state[target] === "new") {
        state[target] = "open";
        stack.push({ m: target, k: 0 });
      }
    }
  }
}
