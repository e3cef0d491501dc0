/**
 * LoadError: the only exception the .ttb loader throws.
 *
 * Invariant: the message is one line that starts with "bad .ttb file: " and says what is wrong
 * and where (byte offset or instruction index), so the CLI can print it as-is.
 */

export const LOAD_ERROR_PREFIX = "bad .ttb file: ";

export class LoadError extends Error {
  constructor(problem: string) {
    super(LOAD_ERROR_PREFIX + problem.replace(/[\r\n]+/g, " "));
    this.name = "LoadError";
  }
}
