/**
 * Which opcodes the compiler tier compiles, and how the region analysis treats each
 * instruction. Opcodes are looked up by mnemonic in the opcode table (src/isa/opcodes.ts), so
 * the numbers always match the interpreter's; every opcode not listed here — including any added
 * to the table later — is a Fallback: the interpreter runs it.
 */
import { OP_BY_CODE, OP_BY_NAME } from "../isa/opcodes.ts";
import { Flow } from "./region.ts";

/** What the generator needs to know about the program (a thread's view of the image). */
export interface CodeView {
  readonly code: Int32Array;
  readonly nInstr: number;
  readonly floats: Float64Array;
  readonly ints: BigInt64Array;
  readonly paramLists: readonly Int32Array[];
  /** 1 at a pc whose arithmetic is compiled *wide*: its Int guard kept failing there (tier.ts
   *  `noteBail`), so the unit computes it in memory, past 2^53 too (codegen.ts `wide`). */
  readonly widePcs?: Uint8Array;
}

/** Compiled, falling through to the next instruction. */
const STRAIGHT = [
  "PUSH_INT",
  "PUSH_STR",
  "TRUE",
  "FALSE",
  "NULL",
  "PUSH_FLOAT",
  "PUSH_BOOL",
  "DUP",
  "POP",
  "SWAP",
  "OVER",
  "ADD",
  "SUB",
  "MUL",
  "DIV",
  "MOD",
  "NEG",
  "ADD_F",
  "SUB_F",
  "MUL_F",
  "DIV_F",
  "EQ",
  "NE",
  "GT",
  "LT",
  "GE",
  "LE",
  "EQ_F",
  "NE_F",
  "GT_F",
  "LT_F",
  "GE_F",
  "LE_F",
  "NOT",
  "AND",
  "OR",
  "LOAD",
  "STORE",
  "MAKE_FUNCTION",
  "CATCH",
  "INDEX",
  "SEND",
];
/** Run by the interpreter and never fall through. */
const ENDING = ["HALT", "END", "THROW", "EXIT", "EXIT_SELF"];

function code(name: string): number {
  const info = OP_BY_NAME.get(name);
  if (!info) throw new Error(`jit: opcode ${name} is not in the opcode table`);
  return info.code;
}

/** Mnemonics of the opcodes compiled inline (for docs and tests). */
export const COMPILED_OPCODES: readonly string[] = [...STRAIGHT, "JMP", "JZ", "CALL", "RET"];

/** Opcode numbers of the compiled opcodes, by mnemonic. */
export const OP = Object.fromEntries(COMPILED_OPCODES.map((n) => [n, code(n)])) as Record<
  string,
  number
>;

/** RECEIVE without pattern or timeout: a Fallback instruction whose commonest case (a message
 *  already in the mailbox, taken without a collection) a unit does by a direct call
 *  (codegen.ts `fallback`, Jit.receive). */
export const OP_RECEIVE = code("RECEIVE");

/** Fallback instructions a unit leaves for the interpreter instead of running them through the
 *  interpreter's slow path from inside (codegen.ts `fallback`): a CALL left uncompiled is the
 *  interpreter's own fast path, not a slow-path instruction; CODE_LOAD and CODE_PURGE change
 *  the image and what is compiled. */
const LEFT_TO_INTERPRETER = new Set([OP.CALL, code("CODE_LOAD"), code("CODE_PURGE")]);

/** Whether the Fallback instruction `op` is run from inside a unit (see LEFT_TO_INTERPRETER). */
export function runsInline(op: number): boolean {
  return !LEFT_TO_INTERPRETER.has(op);
}

/** Fallback instructions whose slow path never writes a variable and never changes frames
 *  other than by raising an error (after which TRY's handler may run in another frame): the
 *  message instructions left to the slow path (SEND is compiled), SELF and PRINT. After one of
 *  them a unit keeps its variable cache unless the frame pointer moved (codegen.ts
 *  `fallback`): a message loop would otherwise look every variable up again after each
 *  RECEIVE. (A collection inside RECEIVE moves heap objects, not the frame block, and the
 *  cache trusts only numbers.) */
const KEEPS_VARIABLES = new Set(
  [
    "SENDNAMED",
    "RECEIVE",
    "RECEIVE_MATCH",
    "RECEIVE_AFTER",
    "RECEIVE_MATCH_AFTER",
    "SELF",
    "PRINT",
  ].map(code),
);

/** Compiled opcodes whose guards can fail every time at some pc of a program (a product past
 *  2^53, a Float where Ints were expected): after repeated bails there, the pc is compiled
 *  wide instead — in memory, any Int or Float, bailing only where it raises
 *  (tier.ts `noteBail`, codegen.ts `wide`). */
const DEMOTABLE = new Set(["ADD", "SUB", "MUL", "DIV", "MOD", "NEG"].map(code));

/** Whether a pc holding `op` may be compiled wide after repeated bails. */
export function demotable(op: number): boolean {
  return DEMOTABLE.has(op);
}

/** Whether the slow path of `op` leaves every variable and the frames as they were. */
export function keepsVariables(op: number): boolean {
  return KEEPS_VARIABLES.has(op);
}

/** Flow class per opcode number; unknown numbers are Fallback. */
const FLOW_BY_CODE: Int8Array = (() => {
  const t = new Int8Array(256).fill(Flow.Fallback);
  for (const n of STRAIGHT) t[code(n)] = Flow.Straight;
  t[code("JMP")] = Flow.Jump;
  t[code("JZ")] = Flow.Branch;
  t[code("CALL")] = Flow.Call;
  t[code("RET")] = Flow.Return;
  for (const n of ENDING) t[code(n)] = Flow.FallbackEnd;
  return t;
})();

/** How the region analysis and the generator treat the instruction at `pc`. */
export function flowOf(view: CodeView, pc: number): Flow {
  const ip = pc << 2;
  const op = view.code[ip];
  if (op < 0 || op > 255) return Flow.Fallback;
  const flow = FLOW_BY_CODE[op] as Flow;
  // CALL with a repeated parameter name binds the last value: rare, left to the interpreter.
  if (flow === Flow.Call && hasDuplicates(view.paramLists[view.code[ip + 2]])) {
    return Flow.Fallback;
  }
  return flow;
}

function hasDuplicates(list: Int32Array | undefined): boolean {
  if (!list) return true;
  return new Set(list).size !== list.length;
}

/** Values popped and pushed by a compiled instruction (CALL: its parameter count). */
export function stackEffect(view: CodeView, pc: number): [pops: number, pushes: number] {
  const ip = pc << 2;
  const op = view.code[ip];
  if (op === OP.CALL) return [view.paramLists[view.code[ip + 2]].length, 0];
  if (op === OP.SEND) return [view.code[ip + 1] > 0 ? 1 : 2, 0]; // with a literal PID: 1
  const info = OP_BY_CODE[op]!;
  return [info.pops, info.pushes];
}
