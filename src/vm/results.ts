/**
 * Why a slice ended: what the interpreter, its slow paths and compiled code return to the
 * scheduler. A module of its own so that the instruction handlers (slow.ts, ops_*.ts), the
 * compiler tier and the schedulers depend on these numbers, not on the interpreter.
 */

/** Go on from the PCB's pc (internal to slow paths and compiled code; never ends a slice). */
export const R_CONTINUE = 0;
/** The YIELD instruction. */
export const R_YIELD = 1;
/** The process ended normally (HALT, END, returning from its entry function). */
export const R_DONE = 2;
/** The process ended with an uncaught error. */
export const R_CRASH = 3;
/** EXIT ended the whole run. */
export const R_EXIT = 4;
/** The process waits (a RECEIVE with nothing to take, a port request, SLEEP). */
export const R_WAIT = 6;
/** The reduction budget ran out. */
export const R_PREEMPT = 7;
