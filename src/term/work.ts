/**
 * The work meter: how many elements, characters or cells the term layer (copying, printing,
 * comparing, matching, converting) and the instructions' own text work processed since the
 * interpreter last drained it. The interpreter turns it into extra reductions after each slow
 * path (LANGUAGE.md §5: about one reduction per WORK_PER_REDUCTION units), so an instruction
 * whose work grows with its operands is charged for that work — including the copies SEND,
 * RECEIVE and SPAWN make, whose code lives in the process layer.
 *
 * Invariants: one meter per thread (each SMP worker is its own isolate, so it has its own module
 * instance); only the code running on this thread adds to it, and the interpreter of this
 * thread resets it after every slow path, so a value never carries over from one instruction
 * (or process) to another except through instructions handled inline.
 */

/** Work units per extra reduction. */
export const WORK_PER_REDUCTION = 64;

/** Units of work done on this thread since the last drain. */
export const workMeter = { units: 0 };

/** Record `units` of work. */
export function addWork(units: number): void {
  workMeter.units += units;
}

/** Extra reductions for the work recorded since the last drain; resets the meter. */
export function drainWorkReductions(): number {
  const units = workMeter.units;
  workMeter.units = 0;
  return units < WORK_PER_REDUCTION ? 0 : Math.floor(units / WORK_PER_REDUCTION);
}
