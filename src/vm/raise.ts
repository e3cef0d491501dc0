/**
 * Exceptions: TRY/END_TRY handler records, and `raise`, which turns a runtime error or THROW
 * into either a jump to the innermost live handler or the end of the process.
 *
 * Handler record (one cell in the handler block): [catchPc, spRel, fpRel, state].
 * A handler is live while ACTIVE and its frame (fpRel) is still on the frame stack. When it
 * catches, it stays on the handler stack as CAUGHT, so that the END_TRY conventionally placed
 * at the end of the catch block closes *that* handler (LANGUAGE.md §1 fixes the original,
 * which popped the enclosing one) while a throw inside the catch block goes to an outer one.
 */
import { LimitError } from "../mem/limit_error.ts";
import { setAtomStr, setNull } from "../term/tags.ts";
import {
  FLAG_CRASHED,
  FLAG_UNHANDLED_THROW,
  growBlock,
  HANDLER_ACTIVE,
  HANDLER_CAUGHT,
  INITIAL_HANDLER_CELLS,
  P_EXIT_PC,
  P_FLAGS,
  P_FP,
  P_HANDLERS,
  P_HANDLERS_CAP,
  P_HTOP,
  P_PC,
  P_SP,
  P_STACK,
  R_REASON,
  R_TMP0,
} from "../proc/pcb.ts";
import { VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { copyCell } from "../term/tags.ts";

/** TRY: push an ACTIVE handler for the current frame and stack depth. */
export function pushHandler(it: Interpreter, pcb: number, catchPc: number): void {
  const mem = it.rt.mem, p = pcb << 2;
  let w = mem.i32;
  const top = w[p + P_HTOP];
  if (w[p + P_HANDLERS] === 0 || top >= w[p + P_HANDLERS_CAP]) {
    growBlock(
      mem,
      pcb,
      P_HANDLERS,
      P_HANDLERS_CAP,
      top,
      Math.max(INITIAL_HANDLER_CELLS, top + 1),
      it.rt.options.limits.maxStackCells,
    );
    w = mem.i32;
  }
  const r = (w[p + P_HANDLERS] + top) << 2;
  w[r] = catchPc;
  w[r + 1] = w[p + P_SP];
  w[r + 2] = w[p + P_FP];
  w[r + 3] = HANDLER_ACTIVE;
  w[p + P_HTOP] = top + 1;
}

/** END_TRY: close the innermost handler (the one that caught, inside its catch block). */
export function popHandler(it: Interpreter, pcb: number): void {
  const w = it.rt.mem.i32, p = pcb << 2;
  if (w[p + P_HTOP] > 0) w[p + P_HTOP]--;
}

/** Handle error `e` raised by the instruction at `faultPc`. Returns true when a handler took
 *  it (the PCB then holds the handler's registers), false when the process must end (the
 *  reason is in R_REASON, the location in P_EXIT_PC). Errors that are not VM errors are bugs
 *  of the VM itself and are rethrown. */
export function raise(it: Interpreter, pcb: number, faultPc: number, e: unknown): boolean {
  let message: string;
  let thrown = false;
  let catchable = true;
  if (e instanceof VmError) {
    message = e.message;
    thrown = e.thrown;
  } else if (e instanceof LimitError) {
    // A limit on what one operation asks for is catchable; one on what the process holds
    // (its memory, the VM's memory) ends it.
    message = e.message;
    catchable = e.catchable;
  } else {
    throw e;
  }
  const rt = it.rt, m = it.m, p = pcb << 2;
  let w = rt.mem.i32;
  // Find the innermost live handler, discarding dead records above it.
  const hb = w[p + P_HANDLERS];
  const fpRel = w[p + P_FP];
  let top = catchable ? w[p + P_HTOP] : 0;
  while (top > 0) {
    const r = (hb + top - 1) << 2;
    if (w[r + 3] === HANDLER_ACTIVE && w[r + 2] <= fpRel) break;
    top--;
  }
  w[p + P_HTOP] = top;
  if (top > 0 && !thrown) {
    try {
      // The same `file:line` an uncaught error reports (not the original's instruction index).
      rt.values.putException(pcb, pcb + R_TMP0, message, [`at ${rt.image.location(faultPc)}`]);
    } catch (err) {
      if (!(err instanceof LimitError)) throw err;
      message = err.message;
      top = 0; // no memory left even for the exception value: the process ends
      w[p + P_HTOP] = 0;
    }
  }
  if (top === 0) {
    endWithReason(it, pcb, faultPc, message, thrown);
    return false;
  }
  w = rt.mem.i32;
  const r = (w[p + P_HANDLERS] + top - 1) << 2;
  m.unwindTo(pcb, w[r + 2]);
  w = rt.mem.i32;
  w[p + P_SP] = w[r + 1];
  const cell = w[p + P_STACK] + w[p + P_SP]++;
  copyCell(w, cell, pcb + R_TMP0);
  setNull(w, pcb + R_TMP0);
  w[r + 3] = HANDLER_CAUGHT;
  w[p + P_PC] = w[r];
  return true;
}

/** Record why and where the process ended. */
function endWithReason(
  it: Interpreter,
  pcb: number,
  faultPc: number,
  message: string,
  thrown: boolean,
): void {
  const rt = it.rt, p = pcb << 2;
  setNull(rt.mem.i32, pcb + R_TMP0);
  try {
    rt.values.putStr(pcb, pcb + R_REASON, message);
  } catch {
    // Out of heap: the reason text becomes an atom, which needs no process memory.
    setAtomStr(rt.mem.i32, pcb + R_REASON, rt.atoms.intern(message));
  }
  const w = rt.mem.i32;
  w[p + P_EXIT_PC] = faultPc;
  w[p + P_FLAGS] |= FLAG_CRASHED | (thrown ? FLAG_UNHANDLED_THROW : 0);
}
