/**
 * The .ttb bytecode format: encoder, validating loader and disassembler (docs/BYTECODE.md).
 *
 * Invariants: decodeProgram(encodeProgram(p)) equals p for every valid Program; decodeProgram
 * throws only LoadError.
 */
export { TTB_MAGIC, TTB_VERSION } from "./format.ts";
export { encodeProgram } from "./encode.ts";
export { LoadError } from "./load_error.ts";
export { decodeProgram, isTtbBytes } from "./decode.ts";
export { disassemble } from "./disasm.ts";
export { programProblem, validateProgram } from "./validate.ts";
