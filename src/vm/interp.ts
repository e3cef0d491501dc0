/**
 * The interpreter: runs one process for at most `budget` reductions (one per instruction).
 *
 * The hot loop keeps pc, sp, the frame pointers, the memory views and the code in locals.
 * Before anything that can collect, grow a block, yield or throw out of the loop it writes them
 * back with `saveRegs`, and every slow path is followed by `continue reload`, which re-reads
 * all locals from the PCB at the top of the outer loop (one place). Case labels are literal
 * opcode numbers (fastest dispatch); tests/vm/dispatch_test.ts checks each against the opcode
 * table. Fast cases handle the common types inline; everything else is a function in
 * slow.ts.
 *
 * Reductions (LANGUAGE.md §5): one per instruction, plus the work an instruction reports on the
 * work meter (src/term/work.ts; `charge`): after each slow path (and after an EQ/NE of
 * non-integers) the loop subtracts about one reduction per 64 elements or characters
 * processed, so a process whose instructions work on big strings, lists or JSON is preempted
 * as soon as a thousand cheap instructions would have been.
 *
 * Growing the stack or frame block costs no reduction: the instruction that needed the room
 * is charged once, however its run was split around the growth. So where a block grows (the
 * compiler tier grows them ahead of native calls: src/jit/tier.ts) changes neither the work
 * charged nor where a slice ends.
 *
 * Invariants at each instruction boundary: sp + STACK_HEADROOM ≤ stack capacity; the PCB is
 * stale (locals are the truth) until saveRegs.
 *
 * Compiler tier (src/jit, optional): `run` goes straight to compiled code when the PCB's pc has
 * some, and calls the loop (`interpret`) only when there is something to interpret. At
 * `reload` the registers are in the PCB, so compiled code may run from there (`tier.enter`,
 * when hot[pc] ≤ 0); it returns R_CONTINUE to have the interpreter go on from the PCB's pc,
 * or the slice's end. An interpreted branch landing on a pc counts `hot[pc]` down and goes
 * through `reload` at zero, which is where hot code gets compiled and entered.
 */
import { OP_BY_CODE } from "../isa/opcodes.ts";
import {
  FRAME_CALL,
  P_FP,
  P_FRAMES,
  P_FRAMES_CAP,
  P_FTOP,
  P_HTOP,
  P_PC,
  P_SP,
  P_STACK,
  P_STACK_CAP,
} from "../proc/pcb.ts";
import { MAX_SAFE, T_BOOL, T_FLOAT, T_FUNC, T_INT, T_NULL } from "../term/tags.ts";
import { addWork, drainWorkReductions } from "../term/work.ts";
import { insufficient, NO_SCOPE, undefinedVariable, underflow, VmError } from "./errors.ts";
import { type Machine, STACK_HEADROOM } from "./machine.ts";
import { raise } from "./raise.ts";
import { arithSlow, compareSlow } from "./ops_arith.ts";
import { execSlow } from "./slow.ts";
import { receiveAny } from "./ops_proc.ts";
import { R_CONTINUE, R_CRASH, R_PREEMPT } from "./results.ts";
import type { Runtime } from "./runtime.ts";
import type { ImageModule } from "../mem/image.ts";

/** The compiler tier as the interpreter sees it (src/jit/tier.ts; attached by the Vm or the SMP
 *  worker; null = interpret only). */
export interface CompiledTier {
  /** Per-instruction countdown: an interpreted branch (JMP, taken JZ, CALL, RET) that lands on
   *  pc decrements it and, at zero or below, hands over to `enter` through `reload`; `reload`
   *  offers its pc to `enter` only while hot[pc] ≤ 0 (a compiled entry, or due). */
  readonly hot: Int32Array;
  /** Run compiled code from the PCB's pc while there is any (the registers are saved); returns
   *  R_CONTINUE (interpret from the PCB's pc) or why the slice ends (R_PREEMPT). The budget
   *  left is in `budget`. */
  enter(pcb: number, budget: number): number;
  budget: number;
  /** Follow an image that grew to `nInstr` instructions (hot code loading). */
  ensureCapacity(nInstr: number): void;
  /** Drop what was compiled from pcs [fromPc, toPc) (a purged module version). */
  invalidate(fromPc: number, toPc: number): number;
}

export class Interpreter {
  readonly m: Machine;
  /** The compiler tier, or null. */
  tier: CompiledTier | null = null;
  /** Inline cache per instruction: frame entry index where LOAD/STORE last found its name. */
  private ic: Int32Array;
  /** Set by EXIT (R_EXIT). */
  exitCode = 0;
  /** Instructions executed (for --stats). */
  reductions = 0;
  /** Times a slice ran the interpreter's loop (not only compiled code). */
  interpretCalls = 0;

  constructor(readonly rt: Runtime) {
    this.m = rt.machine;
    this.ic = new Int32Array(rt.image.nInstr);
  }

  /** The image this interpreter last followed: its generation and module table. */
  private imageGeneration = -1;
  private imageModules: readonly ImageModule[] = [];

  /** Hot code loading published a new image (src/mem/image.ts): grow the per-instruction
   *  arrays, here and in the compiler tier (old entries stay valid: old code never changes),
   *  and drop what the tier compiled from module versions that are neither current nor old any
   *  more (purged: no process runs them). */
  private followImage(): void {
    const image = this.rt.image;
    const n = image.nInstr;
    if (this.ic.length < n) {
      const ic = new Int32Array(n);
      ic.set(this.ic);
      this.ic = ic;
      this.tier?.ensureCapacity(n);
    }
    const tier = this.tier;
    if (tier !== null) {
      this.imageModules.forEach((before, i) => {
        const now = image.modules[i];
        for (
          const [from, to] of [[before.startPc, before.endPc], [before.oldStartPc, before.oldEndPc]]
        ) {
          if (from < 0 || (now && (from === now.startPc || from === now.oldStartPc))) continue;
          tier.invalidate(from, to + 1);
        }
      });
    }
    this.imageModules = image.modules;
    this.imageGeneration = image.generation;
  }

  /** Charge the running instruction for `units` elements or characters of work (on top of
   *  its one reduction; about one more reduction per 64 units). */
  charge(units: number): void {
    addWork(units);
  }

  /**
   * The slow path of the instruction at `pc`, for compiled code (src/jit) that wrote its
   * registers to the PCB with P_PC = pc + 1 and has already charged the instruction's one
   * reduction: exactly what `run`'s default branch does. Returns R_CONTINUE (go on from the
   * PCB's pc, which a branch, call or caught error may have moved) or why the slice ends; the
   * reductions charged for work are in `slowWork`.
   */
  slowAt(pcb: number, pc: number): number {
    const w = this.rt.mem.i32, p = pcb << 2;
    const sp = w[p + P_SP], fp = w[p + P_FP], ftop = w[p + P_FTOP];
    try {
      const op = this.rt.image.code[pc << 2];
      // The plain RECEIVE, the commonest slow-path instruction of message loops, skips
      // execSlow's dispatch.
      const result = op === 0x8c ? receiveAny(this, pcb, pc) : execSlow(this, op, pcb, pc << 2);
      this.slowWork = drainWorkReductions();
      this.slowCharged += 1 + this.slowWork;
      this.slowCalls++;
      return result;
    } catch (e) {
      // As run's catch: the registers as they were before the instruction, pc at it.
      this.slowWork = 0;
      this.slowCharged += 1;
      this.slowCalls++;
      saveRegs(this.rt.mem.i32, p, pc, sp, fp, ftop);
      return raise(this, pcb, pc, e) ? R_CONTINUE : R_CRASH;
    }
  }
  /** Reductions for work charged by the last `slowAt`. */
  slowWork = 0;
  /** Reductions charged by all `slowAt` calls so far, their own one included (the tier judges
   *  compiled code by the work it did itself). */
  slowCharged = 0;
  /** Number of `slowAt` calls so far. */
  slowCalls = 0;

  /**
   * Run `pcb` for at most `budget` reductions. A small entry of its own: where compiled code
   * can run from the PCB's pc it goes straight there, so a slice spent in compiled code never
   * calls `interpret`. That keeps V8 from optimising the big loop merely because every slice
   * passes through it — about 40–70 ms of background compilation per isolate, which on a
   * short parallel run takes a core from the SMP workers (docs/PERFORMANCE.md, finding 8).
   */
  run(pcb: number, budget: number): number {
    if (this.rt.image.generation !== this.imageGeneration) this.followImage();
    drainWorkReductions(); // work done outside this slice (signals, reports) is not charged
    const tier = this.tier;
    if (tier !== null && tier.hot[this.rt.mem.i32[(pcb << 2) + P_PC]] <= 0) {
      const result = tier.enter(pcb, budget);
      if (result !== R_CONTINUE) {
        this.reductions += budget - tier.budget;
        return result;
      }
      return this.interpret(pcb, tier.budget, budget, false);
    }
    return this.interpret(pcb, budget, budget, true);
  }

  /** The interpreter's loop, from the PCB's registers with `budget` left of `startBudget`.
   *  `tryTier`: whether the first `reload` may offer its pc to compiled code (false when `run`
   *  has just done so and was sent here). */
  private interpret(pcb: number, budget: number, startBudget: number, tryTier: boolean): number {
    this.interpretCalls++;
    const rt = this.rt;
    const mem = rt.mem;
    const code = rt.image.code;
    const ints = rt.image.ints;
    const intNumbers = rt.image.intNumbers;
    const floats = rt.image.floats;
    const params = rt.image.paramLists;
    const ic = this.ic;
    const p = pcb << 2;
    let w!: Int32Array, f!: Float64Array;
    let stackBase!: number, stackEnd!: number, sp!: number;
    let frameBase!: number, frameEnd!: number, fp!: number, ftop!: number;
    let pc!: number;
    let result = R_CONTINUE;
    const tier = this.tier;
    const hot = tier === null ? null : tier.hot;

    reload: for (;;) {
      // Registers are in the PCB here: compiled code may run from its pc (hot[pc] ≤ 0: an
      // entry of compiled code, or due to be compiled).
      if (!tryTier) tryTier = true;
      else if (hot !== null && hot[mem.i32[p + P_PC]] <= 0) {
        result = tier!.enter(pcb, budget);
        budget = tier!.budget;
        if (result !== R_CONTINUE) {
          this.reductions += startBudget - budget;
          return result;
        }
      }
      w = mem.i32;
      f = mem.f64;
      stackBase = w[p + P_STACK];
      stackEnd = stackBase + w[p + P_STACK_CAP] - STACK_HEADROOM;
      sp = stackBase + w[p + P_SP];
      frameBase = w[p + P_FRAMES];
      frameEnd = frameBase + w[p + P_FRAMES_CAP];
      fp = frameBase + w[p + P_FP];
      ftop = frameBase + w[p + P_FTOP];
      pc = w[p + P_PC];
      try {
        for (;;) {
          if (--budget < 0) {
            saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
            this.reductions += startBudget - budget - 1;
            return R_PREEMPT;
          }
          if (sp > stackEnd) {
            budget++; // growing is not an instruction: the instruction is charged once
            saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
            this.m.ensureStack(pcb, 2);
            continue reload;
          }
          const ip = pc << 2;
          const op = code[ip];
          pc++;
          switch (op) {
            case 0x01: { // PUSH_INT
              const c = sp++ << 2;
              if (code[ip + 2] === 0) {
                w[c] = T_INT;
                w[c + 1] = 0; // not a PID (src/term/tags.ts PID_MARK)
                f[(c >> 1) + 1] = code[ip + 1];
              } else {
                const n = intNumbers[code[ip + 1]];
                if (n === n) { // a pool constant within ±2^53
                  w[c] = T_INT;
                  w[c + 1] = 0;
                  f[(c >> 1) + 1] = n;
                } else {
                  setIntFromPool(rt, c >> 2, ints[code[ip + 1]]);
                }
              }
              break;
            }
            case 0x02: { // PUSH_STR
              const c = sp++ << 2;
              w[c] = 6; // T_ATOM_STR
              w[c + 1] = code[ip + 1];
              break;
            }
            case 0x03: // TRUE
            case 0x04: { // FALSE
              const c = sp++ << 2;
              w[c] = T_BOOL;
              w[c + 1] = op === 0x03 ? 1 : 0;
              break;
            }
            case 0x05: // NULL
              w[sp++ << 2] = T_NULL;
              break;
            case 0x0a: { // PUSH_FLOAT
              const c = sp++;
              w[c << 2] = T_FLOAT;
              f[(c << 1) + 1] = floats[code[ip + 1]];
              break;
            }
            case 0x0b: { // PUSH_BOOL
              const c = sp++ << 2;
              w[c] = T_BOOL;
              w[c + 1] = code[ip + 1];
              break;
            }
            case 0x09: { // DUP
              if (sp - 1 < stackBase) throw underflow("DUP");
              copy(w, sp, sp - 1);
              sp++;
              break;
            }
            case 0x0c: // POP
              if (sp - 1 < stackBase) throw underflow("POP");
              sp--;
              break;
            case 0x0d: { // SWAP
              if (sp - 2 < stackBase) throw underflow("SWAP");
              copy(w, sp, sp - 1);
              copy(w, sp - 1, sp - 2);
              copy(w, sp - 2, sp);
              break;
            }
            case 0x0e: // OVER
              if (sp - 2 < stackBase) throw underflow("OVER");
              copy(w, sp, sp - 2);
              sp++;
              break;
            case 0x10: // ADD
            case 0x11: // SUB
            case 0x13: { // MUL
              if (sp - 2 < stackBase) {
                throw underflow(op === 0x10 ? "ADD" : op === 0x11 ? "SUB" : "MUL");
              }
              const a = sp - 2, b = sp - 1;
              const ta = w[a << 2], tb = w[b << 2];
              if (ta === T_INT && tb === T_INT) {
                const x = f[(a << 1) + 1], y = f[(b << 1) + 1];
                const r = op === 0x10 ? x + y : op === 0x11 ? x - y : x * y;
                if (r >= -MAX_SAFE && r <= MAX_SAFE) {
                  w[(a << 2) + 1] = 0; // a computed Int is no PID
                  f[(a << 1) + 1] = r === 0 ? 0 : r; // no -0 for ints
                  sp = b;
                  break;
                }
              } else if (ta === T_FLOAT && tb === T_FLOAT) {
                const x = f[(a << 1) + 1], y = f[(b << 1) + 1];
                f[(a << 1) + 1] = op === 0x10 ? x + y : op === 0x11 ? x - y : x * y;
                sp = b;
                break;
              }
              arithSlow(rt, op, a, b);
              sp = b;
              break;
            }
            case 0x20: // EQ
            case 0x23: // NE
            case 0x21: // GT
            case 0x22: // LT
            case 0x24: // GE
            case 0x25: { // LE
              if (sp - 2 < stackBase) throw underflow(OP_BY_CODE[op]!.name);
              const a = sp - 2, b = sp - 1;
              if (w[a << 2] === T_INT && w[b << 2] === T_INT) {
                const x = f[(a << 1) + 1], y = f[(b << 1) + 1];
                let r: boolean;
                switch (op) {
                  case 0x20:
                    r = x === y;
                    break;
                  case 0x23:
                    r = x !== y;
                    break;
                  case 0x21:
                    r = x > y;
                    break;
                  case 0x22:
                    r = x < y;
                    break;
                  case 0x24:
                    r = x >= y;
                    break;
                  default:
                    r = x <= y;
                }
                w[(a << 2) + 1] = 0; // a computed Int is no PID
                f[(a << 1) + 1] = r ? 1 : 0;
              } else {
                compareSlow(rt, op, a, b);
                budget -= drainWorkReductions();
              }
              sp = b;
              break;
            }
            case 0x06: { // NOT
              if (sp - 1 < stackBase) throw underflow("NOT");
              const a = (sp - 1) << 2;
              if (w[a] === T_BOOL) w[a + 1] ^= 1;
              else if (w[a] === T_INT) {
                w[a] = T_BOOL;
                w[a + 1] = f[(a >> 1) + 1] === 0 ? 1 : 0;
              } else arithSlow(rt, op, sp - 1, sp - 1);
              break;
            }
            case 0x30: // JMP
              pc = code[ip + 1];
              if (hot !== null && --hot[pc] <= 0) {
                saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
                continue reload; // hot branch target: compiled code may take over
              }
              break;
            case 0x31: { // JZ
              if (sp - 1 < stackBase) throw underflow("JZ");
              const c = --sp << 2;
              const t = w[c];
              if (
                (t === T_INT && f[(c >> 1) + 1] === 0) || (t === T_BOOL && w[c + 1] === 0) ||
                t === T_NULL
              ) {
                pc = code[ip + 1];
                if (hot !== null && --hot[pc] <= 0) {
                  saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
                  continue reload;
                }
              }
              break;
            }
            case 0x51: { // LOAD
              const atom = code[ip + 1];
              const n = w[(fp << 2) + 2];
              let k = ic[pc - 1];
              if (k >= n || w[(fp + 1 + 2 * k) << 2] !== atom) {
                k = 0;
                while (k < n && w[(fp + 1 + 2 * k) << 2] !== atom) k++;
                if (k === n) throw undefinedVariable(rt.atoms.name(atom));
                ic[pc - 1] = k;
              }
              copy(w, sp, fp + 2 + 2 * k);
              sp++;
              break;
            }
            case 0x50: { // STORE
              if (sp - 1 < stackBase) throw underflow("STORE");
              const atom = code[ip + 1];
              const n = w[(fp << 2) + 2];
              let k = ic[pc - 1];
              if (k >= n || w[(fp + 1 + 2 * k) << 2] !== atom) {
                k = 0;
                while (k < n && w[(fp + 1 + 2 * k) << 2] !== atom) k++;
                if (k === n) {
                  if (ftop + 2 > frameEnd) { // new variable, no room: grow, then redo
                    budget++; // (charged once, by the redo)
                    saveRegs(w, p, pc - 1, sp - stackBase, fp - frameBase, ftop - frameBase);
                    this.m.ensureFrames(pcb, 2);
                    continue reload;
                  }
                  w[ftop << 2] = atom;
                  ftop += 2;
                  w[(fp << 2) + 2] = n + 1;
                }
                ic[pc - 1] = k;
              }
              sp--;
              copy(w, fp + 2 + 2 * k, sp);
              break;
            }
            case 0x32: { // CALL
              const list = params[code[ip + 2]];
              const n = list.length;
              if (sp - stackBase < n) throw insufficient(n, sp - stackBase);
              if (ftop + 1 + 2 * n > frameEnd) { // grow the frame block, then redo
                budget++; // (charged once, by the redo)
                saveRegs(w, p, pc - 1, sp - stackBase, fp - frameBase, ftop - frameBase);
                this.m.ensureFrames(pcb, 1 + 2 * n);
                continue reload;
              }
              const h = ftop << 2;
              w[h] = pc;
              w[h + 1] = fp - frameBase;
              w[h + 2] = n;
              w[h + 3] = FRAME_CALL;
              sp -= n;
              for (let i = 0; i < n; i++) {
                w[(ftop + 1 + 2 * i) << 2] = list[i];
                copy(w, ftop + 2 + 2 * i, sp + i);
              }
              fp = ftop;
              ftop += 1 + 2 * n;
              if (n > 1) ftop -= 2 * dedupeParams(w, fp, n);
              pc = code[ip + 1];
              if (hot !== null && --hot[pc] <= 0) {
                saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
                continue reload;
              }
              break;
            }
            case 0x33: { // RET
              if (w[(fp << 2) + 3] !== FRAME_CALL) {
                throw new VmError(NO_SCOPE);
              }
              if (w[p + P_HTOP] !== 0) {
                saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
                this.m.dropHandlersFrom(pcb, fp - frameBase);
              }
              pc = w[fp << 2];
              ftop = fp;
              fp = frameBase + w[(fp << 2) + 1];
              if (hot !== null && --hot[pc] <= 0) {
                saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
                continue reload;
              }
              break;
            }
            case 0x34: { // MAKE_FUNCTION
              const c = sp++ << 2;
              w[c] = T_FUNC;
              w[c + 1] = code[ip + 1];
              w[c + 2] = code[ip + 2];
              w[c + 3] = 0;
              break;
            }
            case 0x39: // CATCH
              break;
            default: {
              if (op === undefined) {
                // pc lies beyond this slice's image: a Function value of code loaded since the
                // slice began (sent by a process on an up-to-date thread). End the slice at
                // that pc; the next one starts with the new image.
                saveRegs(w, p, pc - 1, sp - stackBase, fp - frameBase, ftop - frameBase);
                rt.image.refresh();
                this.reductions += startBudget - budget;
                return R_PREEMPT;
              }
              saveRegs(w, p, pc, sp - stackBase, fp - frameBase, ftop - frameBase);
              result = execSlow(this, op, pcb, ip);
              budget -= drainWorkReductions();
              if (result !== R_CONTINUE) {
                this.reductions += startBudget - budget;
                return result;
              }
              continue reload;
            }
          }
        }
      } catch (e) {
        // Locals are the truth here: write them back, with pc at the faulting instruction.
        saveRegs(w, p, pc - 1, sp - stackBase, fp - frameBase, ftop - frameBase);
        if (!raise(this, pcb, pc - 1, e)) {
          this.reductions += startBudget - budget;
          return R_CRASH;
        }
      }
    }
  }
}

/** Write the loop's registers back to the PCB (relative offsets survive block moves). */
export function saveRegs(
  w: Int32Array,
  p: number,
  pc: number,
  spRel: number,
  fpRel: number,
  ftopRel: number,
): void {
  w[p + P_PC] = pc;
  w[p + P_SP] = spRel;
  w[p + P_FP] = fpRel;
  w[p + P_FTOP] = ftopRel;
}

function copy(w: Int32Array, dst: number, src: number): void {
  const d = dst << 2, s = src << 2;
  w[d] = w[s];
  w[d + 1] = w[s + 1];
  w[d + 2] = w[s + 2];
  w[d + 3] = w[s + 3];
}

function setIntFromPool(rt: Runtime, cell: number, n: bigint): void {
  const mem = rt.mem;
  if (n >= -9007199254740991n && n <= 9007199254740991n) {
    mem.i32[cell << 2] = T_INT;
    mem.i32[(cell << 2) + 1] = 0;
    mem.f64[(cell << 1) + 1] = Number(n);
  } else {
    mem.i32[cell << 2] = 3; // T_BIGINT
    mem.i64[(cell << 1) + 1] = n;
  }
}

/** CALL with a repeated parameter name binds the last value (later bindings overwrite);
 *  returns how many entries were removed from the new frame. */
function dedupeParams(w: Int32Array, fp: number, n: number): number {
  let live = n;
  for (let i = 1; i < live;) {
    const key = w[(fp + 1 + 2 * i) << 2];
    let j = 0;
    while (j < i && w[(fp + 1 + 2 * j) << 2] !== key) j++;
    if (j === i) {
      i++;
      continue;
    }
    copy(w, fp + 2 + 2 * j, fp + 2 + 2 * i);
    w.copyWithin((fp + 1 + 2 * i) << 2, (fp + 3 + 2 * i) << 2, (fp + 1 + 2 * live) << 2);
    live--;
  }
  w[(fp << 2) + 2] = live;
  return n - live;
}
