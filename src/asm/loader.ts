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
 * - Each module's diagnostics are sorted by line then column; a cycle is reported at the IMPORT
 *   that closes it (the first back edge of a depth-first walk in source order).
 */
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { type Diagnostic, diagnosticAt, osErrorText, type SourceLine } from "./diagnostics.ts";
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
  diagnostics: Diagnostic[];
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
  /** Every diagnostic of every module, in module order. */
  diagnostics: Diagnostic[];
}

type Resolution = { source: ModuleSource } | { key: string } | { error: string };

export function loadModules(mainSource: string, mainPath: string, env: LoaderEnv): LoadResult {
  const mainAbs = resolve(env.cwd, mainPath);
  const sources: ModuleSource[] = [sourceFromText(mainSource, mainAbs, mainPath, mainPath)];
  const indexByKey = new Map<string, number>([[mainAbs, 0]]);
  const modules: LoadedModule[] = [];
  const diagnostics: Diagnostic[][] = [];
  const fileCache = new Map<string, { text: string } | { error: unknown }>();

  const read = (abs: string) => {
    let entry = fileCache.get(abs);
    if (entry === undefined) {
      try {
        entry = { text: env.readTextFile(abs) };
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
      if (!(entry.error instanceof Deno.errors.NotFound)) {
        return { error: `File operation failed on ${path}: ${osErrorText(entry.error)}` };
      }
    }
    return {
      error: `File operation failed on ${path}: ${osErrorText(new Deno.errors.NotFound())}`,
    };
  };

  const add = (source: ModuleSource): number => {
    indexByKey.set(source.key, sources.length);
    sources.push(source);
    return sources.length - 1;
  };

  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    const parsed = parseModule(source.lines, source.diagFile);
    const moduleDiagnostics = [...source.diagnostics, ...parsed.diagnostics];
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
      // Nothing left to discover: bring in bundle sections no IMPORT reached.
      for (const s of sources) {
        for (const unreached of s.bundle?.order ?? []) {
          if (!sources.includes(unreached)) add(unreached);
        }
      }
    }
  }

  reportCycles(modules, diagnostics);
  for (const list of diagnostics) list.sort((a, b) => a.line - b.line || a.col - b.col);
  return { modules, diagnostics: diagnostics.flat() };
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
  if (!isBundle(lines)) return { key: abs, displayPath, diagFile, dir, lines, diagnostics: [] };
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
        diagnostics: [],
      }
      : {
        key: `${abs}\0${i}:${section.path}`,
        displayPath: section.path,
        diagFile,
        dir,
        lines: section.lines,
        bundle,
        diagnostics: [],
      };
    if (!bundle.sections.has(section.path)) bundle.sections.set(section.path, source);
    bundle.order.push(source);
  });
  const main = bundle.order[0] ??
    { key: abs, displayPath, diagFile, dir, lines: [], bundle, diagnostics: [] };
  main.diagnostics.push(...split.diagnostics);
  return main;
}

/** Reports each IMPORT that closes a cycle (a back edge of a depth-first walk from module 0). */
function reportCycles(modules: LoadedModule[], diagnostics: Diagnostic[][]): void {
  const state = new Array<"new" | "open" | "done">(modules.length).fill("new");
  const visit = (m: number) => {
    state[m] = "open";
    modules[m].importTargets.forEach((target, k) => {
      if (target < 0) return;
      if (state[target] === "open") {
        const { parsed } = modules[m];
        const { start, end } = parsed.imports[k].token;
        diagnostics[m].push(diagnosticAt(
          modules[m].diagFile,
          parsed.importLines[k],
          start,
          end,
          `Circular dependency detected: ${modules[target].displayPath}`,
        ));
      } else if (state[target] === "new") {
        visit(target);
      }
    });
    state[m] = "done";
  };
  for (let m = 0; m < modules.length; m++) if (state[m] === "new") visit(m);
}
