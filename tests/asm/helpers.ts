/**
 * Test helpers for the assembler: an in-memory file system, diagnostic capture and
 * instruction access.
 *
 * Invariants: the in-memory FS throws Deno.errors.NotFound for absent paths, like the real one.
 */
import { strict as assert } from "node:assert";
import { INSTR_WORDS, OP_BY_NAME } from "../../src/isa/opcodes.ts";
import type { Program } from "../../src/isa/program.ts";
import { AsmError, type AsmOptions, assembleSource, type Diagnostic } from "../../src/asm/mod.ts";

/** Options reading from `files` (absolute path → text), with cwd /work and std at /std. */
export function memFs(files: Record<string, string>, cwd = "/work"): AsmOptions & {
  reads: string[];
} {
  const reads: string[] = [];
  return {
    cwd,
    stdDir: "/std",
    reads,
    readTextFile: (path: string) => {
      reads.push(path);
      const text = files[path];
      if (text === undefined) throw new Deno.errors.NotFound(`no ${path}`);
      return text;
    },
  };
}

/** Assembles a single source with no file system. */
export function asm(source: string, path = "t.ttvm"): Program {
  return assembleSource(source, path, memFs({}));
}

/** The diagnostics `run` throws (fails when it does not throw an AsmError). */
export function diagnosticsOf(run: () => unknown): Diagnostic[] {
  try {
    run();
  } catch (e) {
    if (e instanceof AsmError) return e.diagnostics;
    throw e;
  }
  assert.fail("expected an AsmError");
}

/** `file:line:col: message` of each diagnostic. */
export function summaries(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
}

/** The four words [op, a, b, c] of instruction `pc`. */
export function words(p: Program, pc: number): number[] {
  return Array.from(p.code.subarray(pc * INSTR_WORDS, (pc + 1) * INSTR_WORDS));
}

/** The opcode number of a mnemonic. */
export function opcode(name: string): number {
  const op = OP_BY_NAME.get(name);
  if (!op) throw new Error(`no opcode ${name}`);
  return op.code;
}
