/**
 * The program image in shared memory, and each thread's read-only view of it.
 *
 * Descriptor block (i32 words, at H_IMAGE_CELL):
 * ```
 *  0 nInstr      1 codeCell      code: nInstr*4 i32 words [op,a,b,c]
 *  2 nFloats     3 floatsCell    f64 each
 *  4 nInts       5 intsCell      i64 each
 *  6 nParamLists 7 paramsCell    i32 offsets[nParamLists+1], then atom ids
 *  8 linesCell   9 filesCell     i32 per instruction
 * 10 nModules   11 modulesCell   3 i32 per module: path atom, startPc, endPc
 * 12 nLabels    13 labelsCell    3 i32 per label: name atom, pc, module
 * 14 nStrings                    Program.strings are atoms 0..nStrings-1, in order
 * ```
 * Invariant: the image is written once, before any process runs, and never changes; the views
 * built here are fixed-length sub-views, valid across buffer growth.
 */
import type { LabelInfo, ModuleInfo, Program } from "../isa/program.ts";
import { H_IMAGE_CELL } from "./layout.ts";
import type { Memory } from "./memory.ts";
import type { AtomTable } from "./atoms.ts";

const D_WORDS = 16;

/** Copy `program` into `mem` (atoms must be empty so that string i becomes atom i). */
export function writeImage(mem: Memory, atoms: AtomTable, program: Program): void {
  if (atoms.count !== 0) throw new Error("writeImage: atom table must be empty");
  program.strings.forEach((s, i) => {
    const id = atoms.intern(s);
    if (id !== i) throw new Error("writeImage: duplicate program string " + JSON.stringify(s));
  });
  const nInstr = program.code.length >> 2;
  const desc = mem.allocBlock(D_WORDS / 4);
  const words = (n: number) => mem.allocBlock(Math.max(1, Math.ceil(n / 4)));
  const codeCell = words(program.code.length);
  const floatsCell = words(program.floats.length * 2);
  const intsCell = words(program.ints.length * 2);
  const paramWords = program.paramLists.length + 1 +
    program.paramLists.reduce((n, l) => n + l.length, 0);
  const paramsCell = words(paramWords);
  const linesCell = words(nInstr);
  const filesCell = words(nInstr);
  const modulesCell = words(program.modules.length * 3);
  const labelsCell = words(program.labels.length * 3);
  const w = mem.i32;
  w.set(program.code, codeCell << 2);
  program.floats.forEach((x, i) => (mem.f64[(floatsCell << 1) + i] = x));
  program.ints.forEach((n, i) => (mem.i64[(intsCell << 1) + i] = n));
  let off = (paramsCell << 2) + program.paramLists.length + 1;
  program.paramLists.forEach((list, i) => {
    w[(paramsCell << 2) + i] = off - (paramsCell << 2);
    for (const s of list) w[off++] = s;
  });
  w[(paramsCell << 2) + program.paramLists.length] = off - (paramsCell << 2);
  w.set(program.lines, linesCell << 2);
  w.set(program.files, filesCell << 2);
  program.modules.forEach((m, i) => {
    const b = (modulesCell << 2) + i * 3;
    w[b] = atoms.intern(m.path);
    w[b + 1] = m.startPc;
    w[b + 2] = m.endPc;
  });
  program.labels.forEach((l, i) => {
    const b = (labelsCell << 2) + i * 3;
    w[b] = atoms.intern(l.name);
    w[b + 1] = l.pc;
    w[b + 2] = l.module;
  });
  const d = desc << 2;
  const mw = mem.i32;
  mw.set([
    nInstr,
    codeCell,
    program.floats.length,
    floatsCell,
    program.ints.length,
    intsCell,
    program.paramLists.length,
    paramsCell,
    linesCell,
    filesCell,
    program.modules.length,
    modulesCell,
    program.labels.length,
    labelsCell,
    program.strings.length,
    0,
  ], d);
  Atomics.store(mw, H_IMAGE_CELL, desc);
}

/** A thread's view of the program image. */
export class ProgramImage {
  readonly nInstr: number;
  readonly code: Int32Array;
  readonly floats: Float64Array;
  readonly ints: BigInt64Array;
  readonly lines: Int32Array;
  readonly files: Int32Array;
  /** Parameter lists as atom ids. */
  readonly paramLists: Int32Array[];
  readonly modules: ModuleInfo[];
  readonly labels: LabelInfo[];
  readonly nStrings: number;

  constructor(mem: Memory, atoms: AtomTable) {
    const w = mem.i32;
    const d = Atomics.load(w, H_IMAGE_CELL) << 2;
    if (d === 0) throw new Error("no program image in memory");
    const [nInstr, codeCell, nFloats, floatsCell, nInts, intsCell, nParams, paramsCell] = w
      .subarray(d, d + 8);
    const [linesCell, filesCell, nModules, modulesCell, nLabels, labelsCell, nStrings] = w
      .subarray(d + 8, d + 15);
    const sab = mem.sab;
    this.nInstr = nInstr;
    this.code = new Int32Array(sab, codeCell * 16, nInstr * 4);
    this.floats = new Float64Array(sab, floatsCell * 16, nFloats);
    this.ints = new BigInt64Array(sab, intsCell * 16, nInts);
    this.lines = new Int32Array(sab, linesCell * 16, nInstr);
    this.files = new Int32Array(sab, filesCell * 16, nInstr);
    const p = paramsCell << 2;
    this.paramLists = [];
    for (let i = 0; i < nParams; i++) {
      this.paramLists.push(w.slice(p + w[p + i], p + w[p + i + 1]));
    }
    this.modules = [];
    for (let i = 0; i < nModules; i++) {
      const b = (modulesCell << 2) + i * 3;
      this.modules.push({ path: atoms.name(w[b]), startPc: w[b + 1], endPc: w[b + 2] });
    }
    this.labels = [];
    for (let i = 0; i < nLabels; i++) {
      const b = (labelsCell << 2) + i * 3;
      this.labels.push({ name: atoms.name(w[b]), pc: w[b + 1], module: w[b + 2] });
    }
    this.nStrings = nStrings;
  }

  /** Module index containing `pc`. */
  moduleOf(pc: number): number {
    return pc >= 0 && pc < this.nInstr ? this.files[pc] : 0;
  }

  /** `file:line` of instruction pc. */
  location(pc: number): string {
    if (pc < 0 || pc >= this.nInstr) return "?";
    const m = this.modules[this.files[pc]];
    const line = this.lines[pc];
    return line > 0 ? `${m?.path ?? "?"}:${line}` : `${m?.path ?? "?"} (end of file)`;
  }

  /** Index of pc within its own file (what `at instruction N` reports). */
  localPc(pc: number): number {
    const m = this.modules[this.moduleOf(pc)];
    return m ? pc - m.startPc : pc;
  }
}
