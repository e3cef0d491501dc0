/**
 * Reductions are charged by work (LANGUAGE.md §5): an instruction whose work grows with its
 * operands costs about one extra reduction per 64 elements or characters, so a process that
 * spins over big strings is preempted as often as one that spins over small ones, and a 10 ms
 * SLEEP of another process still returns within a few milliseconds of its time.
 */
import assert from "node:assert/strict";
import { run } from "./helpers.ts";
import { runWith } from "../jit/helpers.ts";

/** One round of the spinner's work on the 64K-character string in `s`. */
const HEAVY_ROUND = [
  "LOAD s",
  "STR_LEN",
  "POP",
  "LOAD s",
  "LOAD s",
  "CONCAT",
  "POP",
  "LOAD s",
  "JSON_STRINGIFY",
  "JSON_PARSE",
  "POP",
];

const ROUNDS_TIMED = 20;

Deno.test("a spinner working on a 64K string does not delay another process's 10 ms SLEEP", async () => {
  const r = await run([
    'PUSH_STR "0123456789abcdef"',
    "STORE s",
    ...Array.from({ length: 12 }, () => ["LOAD s", "LOAD s", "CONCAT", "STORE s"]).flat(),
    // how long one round takes on this machine, now (the bound below scales with it)
    "GET_TIME_MS",
    "STORE t0",
    "PUSH_INT 0",
    "STORE k",
    "LABEL time_rounds",
    ...HEAVY_ROUND,
    "LOAD k",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE k",
    `PUSH_INT ${ROUNDS_TIMED}`,
    "LT",
    "JZ timed",
    "JMP time_rounds",
    "LABEL timed",
    "GET_TIME_MS",
    "LOAD t0",
    "SUB",
    "PRINT",
    "LOAD s",
    "MAKE_FUNCTION spinner s",
    "SPAWN",
    "STORE spinner_pid",
    "PUSH_INT 1",
    "SLEEP", // the spinner is running from here on
    ...Array.from({ length: 3 }, () => [
      "GET_TIME_MS",
      "STORE t0",
      "PUSH_INT 10",
      "SLEEP",
      "GET_TIME_MS",
      "LOAD t0",
      "SUB",
      "PRINT",
    ]).flat(),
    "LOAD spinner_pid",
    'PUSH_STR "kill"',
    "EXIT_SIGNAL",
    "HALT",
    "LABEL spinner",
    ...HEAVY_ROUND,
    "JMP spinner",
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const [roundsMs, ...sleeps] = r.stdout.trim().split("\n").map(Number);
  const roundMs = roundsMs / ROUNDS_TIMED;
  const bestSleep = Math.min(...sleeps);
  // Charged by work, each of the spinner's big instructions ends its slice, so the sleeper
  // waits at most about one round past its 10 ms. Charged one reduction each, a slice held
  // ~80 rounds (1000 reductions / 12 instructions): ~700 ms on a quiet machine. The bound is
  // in rounds, so a loaded machine, which slows both alike, cannot fail the test.
  const bound = 10 + 25 * roundMs;
  assert.ok(
    bestSleep < bound,
    `10 ms SLEEP took ${sleeps.join("/")} ms; one round of the spinner takes ${
      roundMs.toFixed(1)
    } ms; bound ${bound.toFixed(0)} ms`,
  );
  assert.equal(sleeps.length, 3);
});

Deno.test("charged work shows in --stats reductions: a 64K CONCAT costs ~2,000 reductions", async () => {
  const program = (n: number) => [
    'PUSH_STR "0123456789abcdef"',
    "STORE s",
    ...Array.from({ length: 12 }, () => ["LOAD s", "LOAD s", "CONCAT", "STORE s"]).flat(),
    ...Array.from({ length: n }, () => ["LOAD s", "LOAD s", "CONCAT", "POP"]).flat(),
  ];
  const stats = async (n: number) => {
    const r = await run(program(n), { stats: true });
    assert.equal(r.exitCode, 0, r.stderr);
    const m = /reductions[^0-9]*(\d+)/.exec(r.stderr);
    assert.ok(m, `no reductions in ${r.stderr}`);
    return Number(m[1]);
  };
  const extra = (await stats(10)) - (await stats(0));
  // 10 × (4 instructions + 131,072 characters / 64)
  assert.ok(
    extra >= 10 * 2048 && extra <= 10 * 2100,
    `10 CONCATs of 128K characters cost ${extra}`,
  );
});

Deno.test("growing the stack or a frame block costs no reduction: one per instruction run", async () => {
  // 200 pushes and pops grow the stack block from its first 16 cells several times, 100 new
  // variables the frame block, and a recursion 100 calls deep the frame block again: each
  // instruction is still charged once, whether or not it had to wait for room.
  const straight = [
    ...Array.from({ length: 200 }, () => "PUSH_INT 1"),
    ...Array.from({ length: 200 }, () => "POP"),
    ...Array.from({ length: 100 }, (_, i) => ["PUSH_INT 2", `STORE v${i}`]).flat(),
    "HALT",
  ];
  const deep = [
    "PUSH_INT 100",
    "CALL down n",
    "HALT",
    "LABEL down",
    "LOAD n",
    "JZ base",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "CALL down n",
    "RET",
    "LABEL base",
    "PUSH_INT 0",
    "RET",
  ];
  assert.equal((await runWith(straight, "off")).reductions, 200 + 200 + 2 * 100 + 1);
  // 7 instructions a level (LOAD, JZ, LOAD, PUSH_INT, SUB, CALL and RET), 4 at the base
  assert.equal((await runWith(deep, "off")).reductions, 2 + 100 * 7 + 4 + 1);
});
