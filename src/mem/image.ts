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
 * 10 nModules   11 modulesCell   MODULE_WORDS i32 per module (below)
 * 12 nLabels    13 labelsCell    3 i32 per label: name atom, pc, module
 * 14 nStrings                    Program.strings are atoms 0..nStrings-1, in order
 *
 * module entry: [path atom, startPc, endPc, version, oldStartPc, oldEndPc]
 *               current version's range │ 1, 2, … │ the old version's range, -1 -1 when none
 * ```
 * Invariants:
 * - A descriptor and the blocks it points at are written once and never change afterwards.
 *   Hot code loading (src/ports/code.ts, the only writer after start) publishes a NEW
 *   descriptor: the old code with the new version appended at new pcs, the pools extended, the
 *   module and label tables updated — then stores it at H_IMAGE_CELL and bumps H_CODE_GEN. The
 *   old blocks are leaked on purpose (a thread may still read them until its next slice), so a
 *   pc, once valid, always names the same instruction: Function values and return addresses
 *   stay meaningful.
 * - The views built here are fixed-length sub-views, valid across buffer growth. `refresh()`
 *   (one Atomics.load of H_CODE_GEN) rebuilds them in place when a new image was published; the
 *   object itself is shared by everything on a thread that holds "the image".
 */
import type { LabelInfo, ModuleInfo, Program } from "../isa/program.ts";
import { H_CODE_GEN, H_IMAGE_CELL } from "./layout.ts";
import type { Memory } from "./memory.ts";
import type { AtomTable } from "./atoms.ts";

const D_WORDS = 16;
/** i32 words per module entry. */
const MODULE_WORDS = 6;

/** A module as the run sees it: its current version and, once reloaded, its old one. */
export interface ImageModule extends ModuleInfo {
  /** 1 for the version linked at start, +1 per load. */
  version: number;
  /** The old version's range (the one before the current), -1 when there is none. */
  oldStartPc: number;
  oldEndPc: number;
}

/** Everything a descriptor describes, in run-time form (strings already atoms). */
export interface ImageTables {
  code: Int32Array;
  lines: Int32Array;
  files: Int32Array;
  floats: ArrayLike<number>;
  ints: ArrayLike<bigint>;
  /** Parameter lists as atom ids. */
  paramLists: ArrayLike<ArrayLike<number>>;
  modules: ReadonlyArray<ImageModule>;
  labels: ReadonlyArray<LabelInfo>;
  nStrings: number;
}

/** Copy `program` into `mem` (atoms must be empty so that string i becomes atom i). */
export function writeImage(mem: Memory, atoms: AtomTable, program: Program): void {
  if (atoms.count !== 0) throw new Error("writeImage: atom table must be empty");
  program.strings.forEach((s, i) => {
    const id = atoms.intern(s);
    if (id !== i) throw new Error("writeImage: duplicate program string " + JSON.stringify(s));
  });
  publishImage(mem, atoms, {
    code: program.code,
    lines: program.lines,
    files: program.files,
    floats: program.floats,
    ints: program.ints,
    paramLists: program.paramLists,
    modules: program.modules.map((m) => ({ ...m, version: 1, oldStartPc: -1, oldEndPc: -1 })),
    labels: program.labels,
    nStrings: program.strings.length,
  });
}

/** Write `t` into fresh blocks and make it the current image (H_IMAGE_CELL, then H_CODE_GEN:
 *  a thread that sees the new generation also sees the new descriptor). Single writer: the
 *  caller (start-up, or the port driver's code loader) is the only thread publishing. */
export function publishImage(mem: Memory, atoms: AtomTable, t: ImageTables): void {
  const nInstr = t.code.length >> 2;
  const words = (n: number) => mem.allocBlock(Math.max(1, Math.ceil(n / 4)));
  const desc = words(D_WORDS);
  const codeCell = words(t.code.length);
  const floatsCell = words(t.floats.length * 2);
  const intsCell = words(t.ints.length * 2);
  let paramWords = t.paramLists.length + 1;
  for (let i = 0; i < t.paramLists.length; i++) paramWords += t.paramLists[i].length;
  const paramsCell = words(paramWords);
  const linesCell = words(nInstr);
  const filesCell = words(nInstr);
  const modulesCell = words(t.modules.length * MODULE_WORDS);
  const labelsCell = words(t.labels.length * 3);
  const pathAtoms = t.modules.map((m) => atoms.intern(m.path));
  const labelAtoms = t.labels.map((l) => atoms.intern(l.name));
  const w = mem.i32; // no allocation below: the views stay valid
  w.set(t.code, codeCell << 2);
  for (let i = 0; i < t.floats.length; i++) mem.f64[(floatsCell << 1) + i] = t.floats[i];
  for (let i = 0; i < t.ints.length; i++) mem.i64[(intsCell << 1) + i] = t.ints[i];
  const p = paramsCell << 2;
  let off = p + t.paramLists.length + 1;
  for (let i = 0; i < t.paramLists.length; i++) {
    w[p + i] = off - p;
    const list = t.paramLists[i];
    for (let k = 0; k < list.length; k++) w[off++] = list[k];
  }
  w[p + t.paramLists.length] = off - p;
  w.set(t.lines, linesCell << 2);
  w.set(t.files, filesCell << 2);
  t.modules.forEach((m, i) => {
    const b = (modulesCell << 2) + i * MODULE_WORDS;
    w.set([pathAtoms[i], m.startPc, m.endPc, m.version, m.oldStartPc, m.oldEndPc], b);
  });
  t.labels.forEach((l, i) => {
    const b = (labelsCell << 2) + i * 3;
    w[b] = labelAtoms[i];
    w[b + 1] = l.pc;
    w[b + 2] = l.module;
  });
  w.set([
    nInstr,
    codeCell,
    t.floats.length,
    floatsCell,
    t.ints.length,
    intsCell,
    t.paramLists.length,
    paramsCell,
    linesCell,
    filesCell,
    t.modules.length,
    modulesCell,
    t.labels.length,
    labelsCell,
    t.nStrings,
    0,
  ], desc << 2);
  Atomics.store(w, H_IMAGE_CELL, desc);
  Atomics.add(w, H_CODE_GEN, 1);
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** A thread's view of the program image. */
export class ProgramImage {
  nInstr = 0;
  code!: Int32Array;
  floats!: Float64Array;
  ints!: BigInt64Array;
  /** `ints` as JS numbers where exact (within ±2^53), NaN elsewhere: PUSH_INT of a pool
   *  constant then needs no BigInt (this thread's copy, built with the views). */
  intNumbers!: Float64Array;
  lines!: Int32Array;
  files!: Int32Array;
  /** Parameter lists as atom ids. */
  paramLists!: Int32Array[];
  modules!: ImageModule[];
  labels!: LabelInfo[];
  nStrings = 0;
  /** H_CODE_GEN when the views were built. */
  generation = -1;

  constructor(private readonly mem: Memory, private readonly atoms: AtomTable) {
    this.build();
  }

  /** The tables of the image as this view sees it (views, not copies), e.g. to publish a
   *  next image built from them (hot code loading). */
  tables(): ImageTables {
    return {
      code: this.code,
      lines: this.lines,
      files: this.files,
      floats: this.floats,
      ints: this.ints,
      paramLists: this.paramLists,
      modules: this.modules,
      labels: this.labels,
      nStrings: this.nStrings,
    };
  }

  /** Rebuild the views when a new image was published since they were built (one atomic
   *  load otherwise). The caller has refreshed `mem` (the buffer may have grown). True when
   *  the image changed. */
  refresh(): boolean {
    if (this.mem.load(H_CODE_GEN) === this.generation) return false;
    this.build();
    return true;
  }

  private build(): void {
    const mem = this.mem, atoms = this.atoms;
    mem.refresh();
    const w = mem.i32;
    this.generation = Atomics.load(w, H_CODE_GEN);
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
    this.intNumbers = Float64Array.from(
      this.ints,
      (n) => n >= -MAX_SAFE_BIG && n <= MAX_SAFE_BIG ? Number(n) : NaN,
    );
    this.lines = new Int32Array(sab, linesCell * 16, nInstr);
    this.files = new Int32Array(sab, filesCell * 16, nInstr);
    const p = paramsCell << 2;
    this.paramLists = [];
    for (let i = 0; i < nParams; i++) {
      this.paramLists.push(w.slice(p + w[p + i], p + w[p + i + 1]));
    }
    this.modules = [];
    for (let i = 0; i < nModules; i++) {
      const b = (modulesCell << 2) + i * MODULE_WORDS;
      this.modules.push({
        path: atoms.name(w[b]),
        startPc: w[b + 1],
        endPc: w[b + 2],
        version: w[b + 3],
        oldStartPc: w[b + 4],
        oldEndPc: w[b + 5],
      });
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
    if (pc >= this.nInstr) this.refresh(); // code loaded since the last slice
    return pc >= 0 && pc < this.nInstr ? this.files[pc] : 0;
  }

  /** `file:line` of instruction pc. */
  location(pc: number): string {
    if (pc >= this.nInstr) this.refresh();
    if (pc < 0 || pc >= this.nInstr) return "?";
    const m = this.modules[this.files[pc]];
    const line = this.lines[pc];
    return line > 0 ? `${m?.path ?? "?"}:${line}` : `${m?.path ?? "?"} (end of file)`;
  }

  /** Index of pc within its own file (what `at instruction N` reports). */
  localPc(pc: number): number {
    const m = this.modules[this.moduleOf(pc)];
    if (!m) return pc;
    // A version that is neither current nor old (purged): its start is not kept.
    if (pc >= m.startPc && pc <= m.endPc) return pc - m.startPc;
    if (pc >= m.oldStartPc && pc <= m.oldEndPc) return pc - m.oldStartPc;
    return pc;
  }
}
