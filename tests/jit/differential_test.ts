/**
 * Differential test of the compiler tier: generated programs built from the opcodes the tier
 * compiles (with every operand type, so that guards fail and fall back), forward branches,
 * calls, variables, TRY/CATCH around code that raises, and the odd instruction the tier does
 * not compile — each run with the tier off and with `--jit=eager`, under several reduction
 * budgets. Output, exit status, reductions and slices must be identical.
 *
 * Deterministic: the seeds are fixed; a failure names the seed and prints the program.
 */
import assert from "node:assert/strict";
import { assertSameAsInterpreter } from "./helpers.ts";

/** xorshift32: small, deterministic. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const VARS = ["a", "b", "c"];
const CONSTS = [
  "PUSH_INT 0",
  "PUSH_INT 1",
  "PUSH_INT -7",
  "PUSH_INT 3",
  "PUSH_INT 9007199254740991",
  "PUSH_INT -9007199254740991",
  "PUSH_INT 9223372036854775807",
  "PUSH_FLOAT 2.5",
  "PUSH_FLOAT 0.0",
  "PUSH_FLOAT -0.0",
  "PUSH_FLOAT nan",
  "TRUE",
  "FALSE",
  "NULL",
  'PUSH_STR "s"',
  "PUSH_BOOL true",
  "MAKE_FUNCTION f0",
];
/** [mnemonic, values needed] */
const OPS: Array<[string, number]> = [
  ["DUP", 1],
  ["POP", 1],
  ["SWAP", 2],
  ["OVER", 2],
  ["ADD", 2],
  ["SUB", 2],
  ["MUL", 2],
  ["DIV", 2],
  ["MOD", 2],
  ["NEG", 1],
  ["ADD_F", 2],
  ["SUB_F", 2],
  ["MUL_F", 2],
  ["DIV_F", 2],
  ["EQ", 2],
  ["NE", 2],
  ["GT", 2],
  ["LT", 2],
  ["GE", 2],
  ["LE", 2],
  ["EQ_F", 2],
  ["NE_F", 2],
  ["LT_F", 2],
  ["GE_F", 2],
  ["NOT", 1],
  ["AND", 2],
  ["OR", 2],
  ["PRINT", 1], // not compiled: the interpreter runs it between compiled blocks
  ["TO_STR", 1], // not compiled, allocates
];

/** A body of `n` instructions with forward branches to labels `prefix0…`. */
function body(rand: () => number, n: number, prefix: string, depth0: number): string[] {
  const out: string[] = [];
  let depth = depth0;
  let labels = 0;
  const pending: string[] = [];
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  for (let i = 0; i < n; i++) {
    if (pending.length > 0 && rand() < 0.15) out.push(`LABEL ${pending.shift()}`);
    const r = rand();
    if (r < 0.3 || depth === 0) {
      out.push(pick(CONSTS));
      depth++;
    } else if (r < 0.42) {
      out.push(`LOAD ${pick(VARS)}`);
      depth++;
    } else if (r < 0.52) {
      out.push(`STORE ${pick(VARS)}`);
      depth--;
    } else if (r < 0.58) {
      const label = `${prefix}${labels++}`;
      pending.push(label);
      out.push(`${rand() < 0.7 ? "JZ" : "JMP"} ${label}`);
      if (out[out.length - 1].startsWith("JZ")) depth--;
    } else if (r < 0.63 && depth >= 1) {
      out.push(rand() < 0.5 ? "CALL f1 x" : "CALL f2 x y");
      depth -= 1;
    } else {
      // Mostly well-formed; sometimes too few operands (underflow errors compare too).
      let [op, need] = pick(OPS);
      if (need > depth && rand() < 0.8) [op, need] = ["DUP", 1];
      out.push(op);
      depth += op === "DUP" || op === "OVER" ? 1 : op === "SWAP" ? 0 : -need + 1;
      if (op === "POP" || op === "PRINT") depth--;
      depth = Math.max(depth, 0);
    }
  }
  for (const label of pending) out.push(`LABEL ${label}`);
  return out;
}

export function program(seed: number): string[] {
  const rand = prng(seed);
  const lines: string[] = [];
  for (const v of VARS) lines.push("PUSH_INT 2", `STORE ${v}`);
  lines.push("PUSH_INT 0", "STORE it", "LABEL top");
  const protect = rand() < 0.5;
  if (protect) lines.push("TRY handler");
  lines.push(...body(rand, 12 + Math.floor(rand() * 20), "m", 0));
  if (protect) {
    lines.push("END_TRY", "JMP next", "LABEL handler", "CATCH", "PRINT", "LABEL next");
  }
  lines.push(
    "LOAD it",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE it",
    "PUSH_INT 12",
    "LT",
    "JZ done",
    "JMP top",
    "LABEL done",
    "DUMP_SCOPE",
    "HALT",
  );
  // f0: never called with a value; f1(x), f2(x, y): small compiled functions.
  lines.push("LABEL f0", "RET");
  lines.push("LABEL f1", "LOAD x", ...body(rand, 6, "p", 1), "RET");
  lines.push("LABEL f2", "LOAD x", "LOAD y", ...body(rand, 6, "q", 2), "CALL f1 x", "RET");
  return lines;
}

const SEEDS = Array.from({ length: 60 }, (_, i) => 1000 + i * 7919);
const BUDGETS = [1, 2, 3, 5, 17, 1000];

Deno.test("generated programs behave identically with the compiler tier off and eager", async () => {
  let compiled = 0, total = 0;
  for (const seed of SEEDS) {
    const src = program(seed);
    for (const reductions of BUDGETS) {
      try {
        const run = await assertSameAsInterpreter(src, "eager", { reductions });
        if (reductions === 1000) {
          compiled += run.jit!.compiledReductions;
          total += run.reductions;
        }
      } catch (e) {
        throw new Error(
          `seed ${seed}, reductions ${reductions}: ${(e as Error).message}\n${src.join("\n")}`,
        );
      }
    }
  }
  // With a normal budget most work must really run compiled (the rest: instructions the tier
  // does not compile, failed guards, early crashes).
  assert.ok(compiled > total * 0.5, `compiled code charged only ${compiled} of ${total}`);
});

Deno.test("generated programs: --stress-gc with the tier eager matches the interpreter", async () => {
  for (const seed of SEEDS.slice(0, 15)) {
    const src = program(seed);
    try {
      await assertSameAsInterpreter(src, "eager", { reductions: 3, stressGc: true });
    } catch (e) {
      throw new Error(`seed ${seed}: ${(e as Error).message}\n${src.join("\n")}`);
    }
  }
});
