/**
 * Thrown (out of signal handling or RESTART_CHILD) when a supervisor exceeds its restart
 * intensity; the supervisor's reason `shutdown` is already in its R_REASON cell.
 */
export class SupervisorShutdown extends Error {
  constructor() {
    super("shutdown");
  }
}
