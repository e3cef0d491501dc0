/**
 * Runtime errors raised by instructions. A VmError carries the exact message text of the
 * reference (§4.1); inside a TRY it becomes an Exception value, otherwise it ends the process
 * with the message as its exit reason.
 */

export class VmError extends Error {
  /** True for THROW of a value: the message is the exception's, reported as "Unhandled
   *  exception: …" when uncaught. The exception value itself is in the PCB's R_REASON cell. */
  constructor(message: string, readonly thrown = false) {
    super(message);
  }
}

export function underflow(op: string): VmError {
  return new VmError(`Stack underflow during ${op}`);
}

export function insufficient(needed: number, available: number): VmError {
  return new VmError(`Need ${needed} stack items but only ${available} available`);
}

/** `<OP> expects <expected> but got <debug operands>` */
export function typeMismatch(op: string, expected: string, got: string[]): VmError {
  return new VmError(`${op} expects ${expected} but got ${got.join(", ")}`);
}

export function undefinedVariable(name: string): VmError {
  return new VmError(`Undefined variable: ${name}`);
}

export function fileError(name: string, error: unknown): VmError {
  return new VmError(`File operation failed on ${name}: ${osErrorText(error)}`);
}

export const DIVISION_BY_ZERO = "Division by zero";
export const NO_SCOPE = "No variable scope available";

/** The OS error text the reference prints (Rust's io::Error Display). */
export function osErrorText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory (os error 2)";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied (os error 13)";
  if (e instanceof Deno.errors.AlreadyExists) return "File exists (os error 17)";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory (os error 21)";
  if (e instanceof Deno.errors.NotADirectory) return "Not a directory (os error 20)";
  if (e instanceof Error) {
    // Deno messages look like "No such file or directory (os error 2): open '/x'"; keep the
    // part before the path.
    const m = /^(.*\(os error \d+\))/.exec(e.message);
    return m ? m[1] : e.message;
  }
  return String(e);
}
