/**
 * Bundles: one source file holding several modules, each introduced by `.module "<path>"`
 * (the form the disassembler prints). This splits a bundle into its sections.
 *
 * Invariants: a file is a bundle iff some line's first token is the bare word `.module`; the
 * first section is the file's own module; section paths are unique; only blank or comment
 * lines may precede the first `.module`. Section lines keep their physical line numbers.
 */
import {
  diagnosticAt,
  DiagnosticList,
  MAX_QUOTED_PATH,
  quoted,
  type SourceLine,
} from "./diagnostics.ts";
import { lexLine } from "./lexer.ts";

export interface BundleSection {
  /** The path after `.module`: the module's display path and what IMPORT must name. */
  path: string;
  lines: SourceLine[];
}

export interface SplitBundle {
  sections: BundleSection[];
  diagnostics: DiagnosticList;
}

function isModuleDirective(line: SourceLine): boolean {
  const first = lexLine(line.text, 1).tokens[0];
  return first !== undefined && !first.quoted && first.text === ".module";
}

export function isBundle(lines: readonly SourceLine[]): boolean {
  return lines.some(isModuleDirective);
}

/** Splits a bundle; `file` names it in diagnostics. */
export function splitBundle(lines: readonly SourceLine[], file: string): SplitBundle {
  const sections: BundleSection[] = [];
  const diagnostics = new DiagnosticList();
  const definedAt = new Map<string, number>();
  for (const line of lines) {
    const lexed = lexLine(line.text);
    const [first, path, extra] = lexed.tokens;
    if (first === undefined) continue;
    const report = (start: number, end: number, message: string) =>
      diagnostics.push(diagnosticAt(file, line, start, end, message));
    if (first.quoted || first.text !== ".module") {
      if (sections.length === 0) {
        report(first.start, first.end, "instruction before the first .module directive");
      } else {
        sections[sections.length - 1].lines.push(line);
      }
      continue;
    }
    if (path === undefined) {
      report(first.start, first.end, ".module needs an operand: a module path");
      continue;
    }
    for (const p of path.problems) report(p.start, p.end, p.message);
    if (extra !== undefined) {
      report(
        extra.start,
        extra.end,
        `unexpected operand '${quoted(extra.text)}' (.module takes 1 operand(s))`,
      );
    }
    const earlier = definedAt.get(path.value);
    if (earlier !== undefined) {
      // Still a section (so its lines are not mistaken for the previous one's), but IMPORT
      // finds the first definition.
      report(
        path.start,
        path.end,
        `module '${quoted(path.value, MAX_QUOTED_PATH)}' is already defined at line ${earlier}`,
      );
    } else {
      definedAt.set(path.value, line.lineNo);
    }
    sections.push({ path: path.value, lines: [] });
  }
  return { sections, diagnostics };
}
