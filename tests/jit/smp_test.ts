/**
 * Compiled code on the SMP pool, through the real CLI: processes whose loops and recursive
 * calls run compiled are preempted every few reductions and resumed on whichever worker takes
 * them (only the PCB survives between slices; each worker compiles its own units), and their
 * results stay exact. `--stats` shows that every worker ran compiled code.
 */
import assert from "node:assert/strict";
import { runDenoScript } from "../run_deno.ts";

const ttvm = (args: string[]) => runDenoScript("main.ts", args);

/** 16 workers each sum 1..n in a compiled loop and fib(k) recursively, then report to main,
 *  which checks every answer and prints the total. */
const PROGRAM = `
PUSH_INT 0
STORE i
LABEL spawn
LOAD i
PUSH_INT 16
LT
JZ collect
SELF
LOAD i
PUSH_INT 2000
ADD
MAKE_FUNCTION worker parent n
SPAWN
POP
LOAD i
PUSH_INT 1
ADD
STORE i
JMP spawn
LABEL collect
PUSH_INT 0
STORE total
PUSH_INT 0
STORE i
LABEL loop
LOAD i
PUSH_INT 16
LT
JZ done
RECEIVE
LOAD total
ADD
STORE total
LOAD i
PUSH_INT 1
ADD
STORE i
JMP loop
LABEL done
LOAD total
PRINT
HALT
LABEL worker
PUSH_INT 0
STORE s
PUSH_INT 1
STORE k
LABEL sum
LOAD k
LOAD n
GE
NOT
JZ summed
LOAD s
LOAD k
ADD
STORE s
LOAD k
PUSH_INT 1
ADD
STORE k
JMP sum
LABEL summed
LOAD n
PUSH_INT 2000
SUB
PUSH_INT 5
ADD
CALL fib m
LOAD s
ADD
STORE s
LOAD parent
LOAD s
SEND
RET
LABEL fib
LOAD m
PUSH_INT 2
LT
JZ rec
LOAD m
RET
LABEL rec
LOAD m
PUSH_INT 1
SUB
CALL fib m
LOAD m
PUSH_INT 2
SUB
CALL fib m
ADD
RET
`;

/** Σ over i in 0..15 of (n(n+1)/2 with n = 2000+i, excluding n itself: 1..n-1) + fib(i+5). */
function expected(): number {
  const fib = (m: number): number => (m < 2 ? m : fib(m - 1) + fib(m - 2));
  let total = 0;
  for (let i = 0; i < 16; i++) {
    const n = 2000 + i;
    total += ((n - 1) * n) / 2 + fib(i + 5);
  }
  return total;
}

let path = "";
async function programPath(): Promise<string> {
  if (path === "") {
    path = await Deno.makeTempFile({ suffix: ".ttvm" });
    await Deno.writeTextFile(path, PROGRAM);
  }
  return path;
}

for (
  const [workers, reductions, jit] of [[2, 3, "eager"], [2, 7, "on"], [4, 5, "eager"]] as const
) {
  Deno.test(`--smp=${workers} --reductions ${reductions} --jit=${jit}: compiled loops migrate and stay exact`, async () => {
    const r = await ttvm([
      `--smp=${workers}`,
      "--workers-after-ms=0", // on the workers from the start (not the main thread first)
      "--reductions",
      String(reductions),
      `--jit=${jit}`,
      "--stats",
      await programPath(),
    ]);
    assert.equal(r.stdout, `${expected()}\n`, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("worker "));
    assert.equal(lines.length, workers, r.stderr);
    // Compiled code ran (budgets this small only fit short blocks, such as fib's base case;
    // the rest runs in the interpreter between them).
    const compiled = lines.map((l) =>
      Number(/compiled units \d+ \((\d+) reductions\)/.exec(l)![1])
    );
    assert.ok(compiled.reduce((a, b) => a + b, 0) > 10_000, r.stderr);
  });
}

Deno.test("the SMP pool with --jit=off runs the same program identically (the reference)", async () => {
  const r = await ttvm([
    "--smp=2",
    "--workers-after-ms=0",
    "--reductions",
    "3",
    "--jit=off",
    await programPath(),
  ]);
  assert.equal(r.stdout, `${expected()}\n`, r.stderr);
});
