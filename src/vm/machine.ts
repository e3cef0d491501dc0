/**
 * Machine: the register-level API that slow-path instructions use. It works on the PCB's saved
 * registers (sp, fp, ftop are offsets relative to their blocks), so it is only valid while the
 * interpreter loop has written its locals back (saveRegs) — which it always does before
 * calling a slow path — and the loop reloads its locals afterwards.
 *
 * Stack discipline for slow paths: look at operands in place (`arg`), allocate, then `drop`
 * the operands and `push` the result. Popped cells are not GC roots, so never allocate while
 * holding a popped cell.
 */
import {
  FRAME_CALL,
  FRAME_MODULE,
  growBlock,
  P_FP,
  P_FRAMES,
  P_FRAMES_CAP,
  P_FTOP,
  P_HANDLERS,
  P_HTOP,
  P_MODULE_FP,
  P_SP,
  P_STACK,
  P_STACK_CAP,
  R_EXPORTS,
} from "../proc/pcb.ts";
import { copyCell, setNull } from "../term/tags.ts";
import { undefinedVariable, underflow } from "./errors.ts";
import type { Runtime } from "./runtime.ts";

/** Cells always kept free above sp at instruction boundaries (an instruction pushes ≤ 2). */
export const STACK_HEADROOM = 4;

export class Machine {
  constructor(readonly rt: Runtime) {}

  private get w(): Int32Array {
    return this.rt.mem.i32;
  }

  // ── operand stack ───────────────────────────────────────────────────────────────────────

  depth(pcb: number): number {
    return this.w[(pcb << 2) + P_SP];
  }

  /** Cell of the k-th value from the top (0 = top). */
  arg(pcb: number, k: number): number {
    const w = this.w, p = pcb << 2;
    return w[p + P_STACK] + w[p + P_SP] - 1 - k;
  }

  /** Throw `Stack underflow during <op>` unless n values are on the stack. */
  need(pcb: number, n: number, op: string): void {
    if (this.depth(pcb) < n) throw underflow(op);
  }

  drop(pcb: number, n: number): void {
    this.w[(pcb << 2) + P_SP] -= n;
  }

  /** Reserve a new top cell and return it (contents undefined until written). */
  push(pcb: number): number {
    this.ensureStack(pcb, 1);
    const w = this.w, p = pcb << 2;
    const c = w[p + P_STACK] + w[p + P_SP]++;
    setNull(w, c); // it is a GC root from now on
    return c;
  }

  /** Make room for n more cells (plus headroom). */
  ensureStack(pcb: number, n: number): void {
    const w = this.w, p = pcb << 2;
    const used = w[p + P_SP];
    if (used + n + STACK_HEADROOM <= w[p + P_STACK_CAP]) return;
    growBlock(
      this.rt.mem,
      pcb,
      P_STACK,
      P_STACK_CAP,
      used,
      used + n + STACK_HEADROOM,
      this.rt.options.limits.maxStackCells,
    );
  }

  // ── frames ──────────────────────────────────────────────────────────────────────────────

  /** Absolute cell of the current frame's header. */
  frame(pcb: number): number {
    const w = this.w, p = pcb << 2;
    return w[p + P_FRAMES] + w[p + P_FP];
  }

  /** Entry index of variable `atom` in the current frame, or -1. */
  findVar(pcb: number, atom: number): number {
    const w = this.w;
    const fp = this.frame(pcb);
    const n = w[(fp << 2) + 2];
    for (let k = 0; k < n; k++) if (w[(fp + 1 + 2 * k) << 2] === atom) return k;
    return -1;
  }

  /** Value cell of the current frame's variable `atom`; throws Undefined variable. */
  varCell(pcb: number, atom: number): number {
    const k = this.findVar(pcb, atom);
    if (k < 0) throw undefinedVariable(this.rt.atoms.name(atom));
    return this.frame(pcb) + 2 + 2 * k;
  }

  /** Bind `atom` in the current frame to the value in cell `src` (a stack/root cell). */
  storeVar(pcb: number, atom: number, src: number): void {
    const k = this.findVar(pcb, atom);
    if (k >= 0) {
      copyCell(this.w, this.frame(pcb) + 2 + 2 * k, src);
      return;
    }
    // src may be a stack cell; growing frames does not move the stack.
    this.ensureFrames(pcb, 2);
    const w = this.w, p = pcb << 2;
    const base = w[p + P_FRAMES];
    const fp = base + w[p + P_FP];
    const ftop = base + w[p + P_FTOP];
    w[ftop << 2] = atom;
    copyCell(w, ftop + 1, src);
    w[(fp << 2) + 2]++;
    w[p + P_FTOP] += 2;
  }

  /** Remove `atom` from the current frame (keeping order); false if absent. */
  deleteVar(pcb: number, atom: number): boolean {
    const k = this.findVar(pcb, atom);
    if (k < 0) return false;
    const w = this.w, p = pcb << 2;
    const fp = this.frame(pcb);
    const n = w[(fp << 2) + 2];
    const from = fp + 1 + 2 * (k + 1), end = fp + 1 + 2 * n;
    w.copyWithin((from - 2) << 2, from << 2, end << 2);
    w[(fp << 2) + 2] = n - 1;
    w[p + P_FTOP] -= 2;
    return true;
  }

  ensureFrames(pcb: number, cells: number): void {
    const w = this.w, p = pcb << 2;
    const used = w[p + P_FTOP];
    if (used + cells <= w[p + P_FRAMES_CAP]) return;
    growBlock(
      this.rt.mem,
      pcb,
      P_FRAMES,
      P_FRAMES_CAP,
      used,
      used + cells,
      this.rt.options.limits.maxStackCells,
    );
  }

  /** Push a frame header; returns its absolute cell. */
  pushFrame(pcb: number, retPc: number, kind: number, reserveVars: number): number {
    this.ensureFrames(pcb, 1 + 2 * reserveVars);
    const w = this.w, p = pcb << 2;
    const base = w[p + P_FRAMES];
    const at = base + w[p + P_FTOP];
    const h = at << 2;
    w[h] = retPc;
    w[h + 1] = w[p + P_FP];
    w[h + 2] = 0;
    w[h + 3] = kind;
    w[p + P_FP] = at - base;
    w[p + P_FTOP] = at - base + 1;
    return at;
  }

  /** Pop the current frame; returns its return pc. */
  popFrame(pcb: number): number {
    const w = this.w, p = pcb << 2;
    const fp = this.frame(pcb);
    const retPc = w[fp << 2];
    w[p + P_FTOP] = w[p + P_FP];
    w[p + P_FP] = w[(fp << 2) + 1];
    return retPc;
  }

  /** Bind parameters `params` (atoms) from the n top stack cells (pn ← top) into the current
   *  frame, then drop them from the stack. Used after pushFrame. */
  bindParams(pcb: number, params: Int32Array): void {
    const n = params.length;
    for (let i = 0; i < n; i++) this.storeVar(pcb, params[i], this.arg(pcb, n - 1 - i));
    this.drop(pcb, n);
  }

  isCallFrame(pcb: number): boolean {
    return this.w[(this.frame(pcb) << 2) + 3] === FRAME_CALL;
  }

  /** Pop frames until the current frame is the one at relative offset `targetFpRel`; a module
   *  frame popped on the way restores the importer's export table and module pointer. */
  unwindTo(pcb: number, targetFpRel: number): void {
    const p = pcb << 2;
    for (;;) {
      const w = this.w;
      const fpRel = w[p + P_FP];
      if (fpRel <= targetFpRel) return;
      const fp = w[p + P_FRAMES] + fpRel;
      if (w[(fp << 2) + 3] === FRAME_MODULE) this.leaveModuleFrame(pcb, fp);
      this.popFrame(pcb);
    }
  }

  /** Restore what a module frame saved (its hidden entry 0). */
  leaveModuleFrame(pcb: number, fp: number): void {
    const w = this.w, p = pcb << 2;
    copyCell(w, pcb + R_EXPORTS, fp + 2);
    w[p + P_MODULE_FP] = w[((fp + 1) << 2) + 3];
  }

  /** Discard exception handlers installed in the frame at `fpRel` or deeper ones. */
  dropHandlersFrom(pcb: number, fpRel: number): void {
    const w = this.w, p = pcb << 2;
    const hb = w[p + P_HANDLERS];
    let top = w[p + P_HTOP];
    while (top > 0 && w[((hb + top - 1) << 2) + 2] >= fpRel) top--;
    w[p + P_HTOP] = top;
  }
}
