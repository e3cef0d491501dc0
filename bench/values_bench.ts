/**
 * Value-building benchmark (`deno bench -A bench/values_bench.ts`): costs that must grow the way
 * users expect. A program that builds a list with N APPENDs, or a string with N CONCATs, must
 * take time linear in N (amortised O(1) per step; targets: 100,000 of each within 1 s), and
 * STR_LEN must not depend on the string's length.
 *
 * Before the growable STR/LIST cells (src/term/tags.ts) 10k/20k/40k APPENDs took 1.1/4.2/22 s
 * and CONCATs 2.0/8.0/31.8 s, and STR_LEN of 16M characters ~0.47 s each. The report lines
 * print the time per run and the time per step at each size, so quadratic growth shows as a
 * per-step time that grows with N; STR_LEN is timed inside the program.
 */
import { assembleSource } from "../src/asm/mod.ts";
import { Output } from "../src/io/output.ts";
import { fixedInput } from "../src/io/stdin.ts";
import type { Program } from "../src/isa/program.ts";
import { Vm } from "../src/vm/vm.ts";

/** `body` run N times (the counter in `i`), then `after`. */
function loopProgram(n: number, setup: string[], body: string[], after: string[]): Program {
  const source = [
    ...setup,
    "PUSH_INT 0",
    "STORE i",
    "LABEL loop",
    "LOAD i",
    `PUSH_INT ${n}`,
    "LT",
    "JZ done",
    ...body,
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    "JMP loop",
    "LABEL done",
    ...after,
  ].join("\n") + "\n";
  return assembleSource(source, `values_bench_${n}.ttvm`);
}

const appendProgram = (n: number) =>
  loopProgram(
    n,
    ["MAKE_LIST 0", "STORE l"],
    ["LOAD l", "LOAD i", "APPEND", "STORE l"],
    ["LOAD l", "LEN", "PRINT"],
  );

const concatProgram = (n: number) =>
  loopProgram(
    n,
    ['PUSH_STR ""', "STORE s"],
    ["LOAD s", 'PUSH_STR "x"', "CONCAT", "STORE s"],
    ["LOAD s", "STR_LEN", "PRINT"],
  );

/** A string of 2^24 (16M) characters by doubling, then STR_LEN on it `n` times; prints the
 *  milliseconds the STR_LEN loop took (GET_TIME_MS, so building the string is excluded) and
 *  the length. */
const strLenProgram = (n: number) =>
  loopProgram(
    n,
    [
      'PUSH_STR "é"',
      "STORE s",
      ...Array.from({ length: 24 }, () => ["LOAD s", "LOAD s", "CONCAT", "STORE s"]).flat(),
      "GET_TIME_MS",
      "STORE t0",
    ],
    ["LOAD s", "STR_LEN", "STORE n"],
    ["GET_TIME_MS", "LOAD t0", "SUB", "PRINT", "LOAD n", "PRINT"],
  );

/** Run once; returns [elapsed ms, stdout]. */
async function runOnce(program: Program): Promise<[number, string]> {
  let out = "";
  const dec = new TextDecoder();
  const vm = new Vm(program, {
    stdout: new Output({ write: (b) => (out += dec.decode(b)) }),
    stderr: new Output({ write: (b) => (out += dec.decode(b)) }),
    stdin: fixedInput(),
    args: [],
  });
  const t0 = performance.now();
  await vm.run();
  return [performance.now() - t0, out];
}

async function report(
  name: string,
  make: (n: number) => Program,
  sizes: number[],
  expect: string[],
) {
  await runOnce(make(1000)); // warm up the JIT
  for (const [k, n] of sizes.entries()) {
    const [ms, out] = await runOnce(make(n));
    if (out !== expect[k]) throw new Error(`${name} ${n}: wrong output ${JSON.stringify(out)}`);
    console.log(
      `${name} n=${n}: ${ms.toFixed(0)} ms, ${((ms * 1e6) / n).toFixed(0)} ns per step`,
    );
  }
}

const SIZES = [10_000, 20_000, 40_000, 100_000];
await report("APPEND", appendProgram, SIZES, SIZES.map((n) => `${n}\n`));
await report("CONCAT", concatProgram, SIZES, SIZES.map((n) => `${n}\n`));
for (const n of [1_000, 100_000]) {
  const [, out] = await runOnce(strLenProgram(n));
  const [loopMs, length] = out.trim().split("\n").map(Number);
  if (length !== 2 ** 24) throw new Error(`STR_LEN: wrong output ${JSON.stringify(out)}`);
  console.log(
    `STR_LEN of 16M characters x${n}: ${loopMs} ms (${(loopMs * 1e6 / n).toFixed(0)} ns each)`,
  );
}

const append100k = appendProgram(100_000);
const concat100k = concatProgram(100_000);
Deno.bench("100,000 APPENDs building one list (target ≤ 1 s)", { group: "values" }, async () => {
  await runOnce(append100k);
});
Deno.bench("100,000 CONCATs building one string (target ≤ 1 s)", { group: "values" }, async () => {
  await runOnce(concat100k);
});
