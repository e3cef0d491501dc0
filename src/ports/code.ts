/**
 * Hot code loading (LANGUAGE.md §9): CODE_LOAD and CODE_PURGE requests, and `--reload`.
 *
 * The port driver's thread is the single writer of the program image after start-up. Loading
 * reads and assembles the module's file there (never on a scheduler: it waits on the file
 * system), appends the new version's code to the image at new pcs and publishes a new image
 * descriptor (src/mem/image.ts); every thread picks it up at its next slice start.
 *
 * ```
 *  pcs   0 ……… main ……… | lib v1 | other | lib v2 (old) | lib v3 (current)
 *  module table entry of lib: startPc/endPc → v3, oldStartPc/oldEndPc → v2, version 3
 *  v1 is purged: processes with a frame in it got SIG_PURGE and die with reason `killed`
 * ```
 * Remapping: the file is assembled on its own (as a main program, its imports resolved from
 * its own directory as IMPORT does), so its operands index that Program's pools. The opcode
 * table's operand kinds say which word is what: strings and names become atoms of the shared
 * atom table, ints/floats/parameter lists are appended to the image's pools, jump and function
 * targets move by the new code's base pc, and IMPORT operands map to the image's module of the
 * same file — or, for a module the program did not have yet, to a new module entry (version
 * 1) with its code appended too. Only imported modules of the running program can be loaded;
 * the main program cannot be reloaded (every process's root frame returns into it).
 *
 * Two-version rule: a load makes the current version old and, when there was an old version
 * already, purges it first; CODE_PURGE purges the old version explicitly. Purging sends every
 * live process a SIG_PURGE carrying the pc range; each checks its own frames at its next slice
 * (src/proc/procs.ts). The purged code stays in memory (leaked, as old image blocks are): a
 * Function value into it still runs it, and no pc ever names other code.
 */
import { dirname, fileUrlToPath, isAbsolute, relative, resolve } from "../host/paths.ts";
import { AsmError, assembleFile, formatDiagnostics } from "../asm/mod.ts";
import { OP_BY_CODE, operandWordOffsets } from "../isa/opcodes.ts";
import type { LabelInfo, Program } from "../isa/program.ts";
import { type ImageModule, type ImageTables, publishImage } from "../mem/image.ts";
import { liveProcesses } from "../proc/introspect.ts";
import { SIG_PURGE } from "../proc/signals.ts";
import { osErrorText } from "../vm/errors.ts";
import type { PortDriver } from "./driver.ts";
import type { PortRequest } from "./protocol.ts";
import type { HostValue } from "../term/host.ts";
import type { Values } from "../term/values.ts";

/** Request kinds: the opcodes' numbers. */
export const REQ_CODE_LOAD = 0xeb;
export const REQ_CODE_PURGE = 0xec;

/** Why a load or purge did not happen (the text goes to stderr; the instruction pushes false). */
export class CodeLoadError extends Error {}

function defaultStdDir(): string {
  return fileUrlToPath(new URL("../../std", import.meta.url));
}

export class CodeLoader {
  constructor(
    private readonly driver: PortDriver,
    private readonly stdDir = defaultStdDir(),
  ) {}

  /** The driver thread's values, atoms and image view. */
  get values(): Values {
    return this.driver.host.values;
  }

  /** Absolute files a module's display path (src/asm/loader.ts displayPathOf) may name. */
  private filesOf(displayPath: string, cwd: string): string[] {
    if (isAbsolute(displayPath)) return [displayPath];
    const out = [resolve(cwd, displayPath)];
    if (displayPath.startsWith("std/")) out.push(resolve(this.stdDir, displayPath.slice(4)));
    return out;
  }

  /** The module a CODE_LOAD / CODE_PURGE path names, resolved as IMPORT resolves it (from the
   *  main program's directory, the working directory, the standard library), or -1. */
  moduleIndex(path: string): number {
    const image = this.values.image;
    image.refresh();
    const cwd = Deno.cwd();
    const mainDir = dirname(resolve(cwd, image.modules[0].path));
    const candidates = isAbsolute(path) ? [path] : [
      resolve(mainDir, path),
      resolve(cwd, path),
      resolve(this.stdDir, path.replace(/^std\//, "")),
    ];
    for (const abs of candidates) {
      const i = image.modules.findIndex((m) => this.filesOf(m.path, cwd).includes(abs));
      if (i >= 0) return i;
    }
    return image.modules.findIndex((m) => m.path === path);
  }

  /** The files of every imported module (what --reload watches). */
  moduleFiles(): Map<string, number> {
    const image = this.values.image;
    image.refresh();
    const cwd = Deno.cwd();
    const out = new Map<string, number>();
    image.modules.forEach((m, i) => {
      if (i === 0) return;
      for (const f of this.filesOf(m.path, cwd)) out.set(f, i);
    });
    return out;
  }

  /** CODE_LOAD: assemble the module's file again and make it the current version. Throws
   *  CodeLoadError (nothing changed) when the module is unknown or does not assemble. */
  load(path: string): void {
    const index = this.moduleIndex(path);
    if (index < 0) throw new CodeLoadError(`Cannot load ${path}: not a module of this program`);
    if (index === 0) {
      throw new CodeLoadError(`Cannot load ${path}: the main program cannot be reloaded`);
    }
    const image = this.values.image;
    const cwd = Deno.cwd();
    const info = image.modules[index];
    const files = this.filesOf(info.path, cwd);
    const abs = files.find((f) => exists(f)) ?? files[0];
    // Diagnostics name the file as the program's own did (relative to the working directory).
    const inCwd = relative(cwd, abs);
    const file = inCwd.startsWith("..") || isAbsolute(inCwd) ? abs : inCwd;
    let program: Program;
    try {
      program = assembleFile(file, { cwd, stdDir: this.stdDir });
    } catch (e) {
      if (e instanceof AsmError) {
        throw new CodeLoadError(
          `Cannot load ${info.path}:\n` +
            formatDiagnostics(e.diagnostics, { errorPrefix: "Error: ", omitted: e.omitted }),
        );
      }
      throw new CodeLoadError(`Cannot load ${info.path}: ${osErrorText(e)}`);
    }
    // Each module of the fresh Program: the loaded module's new version, a module the program
    // already has (its running code is used), or a module it did not have (added, version 1).
    let added = image.modules.length;
    const plan: Placement[] = program.modules.map((m, j) => {
      if (j === 0) return { index, append: true };
      const files = this.filesOf(m.path, cwd);
      const found = image.modules.findIndex((im) =>
        this.filesOf(im.path, cwd).some((f) => files.includes(f))
      );
      if (found === index) {
        throw new CodeLoadError(`Cannot load ${info.path}: it imports itself (through ${m.path})`);
      }
      return found >= 0 ? { index: found, append: false } : { index: added++, append: true };
    });
    const purged = info.oldStartPc >= 0 ? [info.oldStartPc, info.oldEndPc] : null;
    publishImage(this.values.mem, this.values.atoms, appendModules(this, program, plan));
    image.refresh();
    if (purged) this.purgeRange(purged[0], purged[1]);
  }

  /** CODE_PURGE: drop the module's old version; false when it has none. */
  purge(path: string): boolean {
    const index = this.moduleIndex(path);
    if (index < 0) throw new CodeLoadError(`Cannot purge ${path}: not a module of this program`);
    const image = this.values.image;
    const info = image.modules[index];
    if (info.oldStartPc < 0) return false;
    const modules = image.modules.map((m) => ({ ...m }));
    modules[index].oldStartPc = modules[index].oldEndPc = -1;
    publishImage(this.values.mem, this.values.atoms, { ...this.values.image.tables(), modules });
    image.refresh();
    this.purgeRange(info.oldStartPc, info.oldEndPc);
    return true;
  }

  /** Tell every live process that code [fromPc, toPc] is gone. */
  private purgeRange(fromPc: number, toPc: number): void {
    const { mem, table } = this.driver.host;
    for (const pid of liveProcesses(mem, table)) {
      if (table.pcbOf(pid) !== 0) this.driver.signalProcess(pid, SIG_PURGE, fromPc, toPc);
    }
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Where each module of a freshly assembled Program goes in the image: `index` is its image
 *  module; `append` says whether its code is appended (the loaded module's new version, or a
 *  module the program did not have yet) or the image's is used (a module already loaded). */
interface Placement {
  index: number;
  append: boolean;
}

/** The image with the code of `program`'s modules marked `append` added at new pcs: module 0
 *  as the new current version of its image module, the others as new modules (version 1). */
function appendModules(loader: CodeLoader, program: Program, plan: Placement[]): ImageTables {
  const old = loader.values.image.tables();
  const atoms = loader.values.atoms;
  let total = old.code.length >> 2;
  const bases = plan.map((p, j) => {
    if (!p.append) return -1;
    const base = total;
    total += program.modules[j].endPc - program.modules[j].startPc + 1;
    return base;
  });
  const code = new Int32Array(total * 4);
  code.set(old.code);
  const lines = new Int32Array(total);
  lines.set(old.lines);
  const files = new Int32Array(total);
  files.set(old.files);
  const floats = Array.from(old.floats);
  const ints = Array.from(old.ints);
  const paramLists: ArrayLike<number>[] = Array.from(old.paramLists);
  const atom = (s: number) => atoms.intern(program.strings[s]);
  const modules: ImageModule[] = old.modules.map((m) => ({ ...m }));
  const replaced = plan[0].index;
  const labels: LabelInfo[] = old.labels.filter((l) => l.module !== replaced);
  plan.forEach((place, j) => {
    if (!place.append) return;
    const { startPc, endPc } = program.modules[j];
    const base = bases[j];
    const moved = (pc: number) => base + pc - startPc;
    for (let pc = startPc; pc <= endPc; pc++) {
      const src = pc * 4, dst = moved(pc) * 4;
      code.set(program.code.subarray(src, src + 4), dst);
      lines[moved(pc)] = program.lines[pc];
      files[moved(pc)] = place.index;
      const op = OP_BY_CODE[program.code[src]];
      if (op === undefined) throw new CodeLoadError(`internal error: opcode ${program.code[src]}`);
      const offsets = operandWordOffsets(op);
      op.operands.forEach((operand, k) => {
        const at = offsets[k], a = program.code[src + at];
        switch (operand.kind) {
          case "i64":
            if (program.code[src + at + 1] === 1) code[dst + at] = ints.push(program.ints[a]) - 1;
            break;
          case "f64":
            code[dst + at] = floats.push(program.floats[a]) - 1;
            break;
          case "str":
          case "name":
            if (a >= 0) code[dst + at] = atom(a);
            break;
          case "label":
            if (a >= 0) code[dst + at] = moved(a);
            break;
          case "func":
            code[dst + at] = moved(a);
            code[dst + at + 1] =
              paramLists.push(program.paramLists[program.code[src + at + 1]].map(atom)) - 1;
            break;
          case "module":
            code[dst + at] = plan[a].index;
            break;
        }
      });
    }
    const range = { startPc: base, endPc: moved(endPc) };
    if (j === 0) {
      const m = modules[place.index];
      modules[place.index] = {
        ...m,
        ...range,
        version: m.version + 1,
        oldStartPc: m.startPc,
        oldEndPc: m.endPc,
      };
    } else {
      if (place.index !== modules.length) throw new CodeLoadError("internal error: module order");
      modules.push({
        path: program.modules[j].path,
        ...range,
        version: 1,
        oldStartPc: -1,
        oldEndPc: -1,
      });
    }
    // Labels name the current version (SPAWN of a label name, supervisor restarts).
    for (const l of program.labels) {
      if (l.module === j) labels.push({ name: l.name, pc: moved(l.pc), module: place.index });
    }
  });
  return { code, lines, files, floats, ints, paramLists, modules, labels, nStrings: old.nStrings };
}

/** Register CODE_LOAD and CODE_PURGE with the driver; returns the loader (--reload uses it).
 *  A failure is the reply's value as a Str (the instruction reports it and pushes false). */
export function registerCode(driver: PortDriver): CodeLoader {
  const loader = new CodeLoader(driver);
  const answer = (req: PortRequest, f: (path: string) => boolean) => {
    const arg = req.args[0];
    const path = arg?.kind === "str" ? arg.value : "";
    let value: HostValue;
    try {
      value = { kind: "bool", value: f(path) };
    } catch (e) {
      // CodeLoadError, or the memory limit reached while publishing: nothing changed
      value = { kind: "str", value: e instanceof Error ? e.message : String(e) };
    }
    driver.reply(req, value);
  };
  driver.on(REQ_CODE_LOAD, (_d, req) =>
    answer(req, (path) => {
      loader.load(path);
      return true;
    }));
  driver.on(REQ_CODE_PURGE, (_d, req) => answer(req, (path) => loader.purge(path)));
  return loader;
}
