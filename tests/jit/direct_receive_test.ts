/**
 * A plain RECEIVE in compiled code takes a message already in the mailbox by a direct call
 * (Jit.receive → receiveDirect in src/vm/ops_proc.ts) when no collection is needed, and leaves
 * everything else to the interpreter's slow path. Whatever path a receive takes, the program must behave exactly as
 * interpreted: the same values (a PID keeps its mark, a Str or List arrives whole), the same
 * order, a pending exit signal acted on before the next message, and the same reductions and
 * slices for every budget.
 */
import assert from "node:assert/strict";
import { assertSameAsInterpreter } from "./helpers.ts";

/** Loop step: add 1 to variable `v`, and branch to `done` once it has reached `limit`. */
const countTo = (v: string, limit: number, done: string) => [
  `LOAD ${v}`,
  "PUSH_INT 1",
  "ADD",
  `STORE ${v}`,
  `LOAD ${v}`,
  `PUSH_INT ${limit}`,
  "LT",
  `JZ ${done}`,
];

/** Long enough that copying it charges work reductions (one per 64 characters) — into the
 *  node by the sender's compiled SEND, into the heap by the receiver's direct RECEIVE — which
 *  compiled code must charge when the interpreter does, right after the instruction. */
const LONG = "xt".repeat(70);

/** A sender queues `n` rounds of seven values of every kind while main spins (round-robin
 *  slices: the spin outlasts the sender's work at every budget), then main receives and
 *  prints them all in a compiled loop. */
const mixed = (n: number) => [
  "SELF",
  "MAKE_FUNCTION sender parent",
  "SPAWN",
  "POP",
  "PUSH_INT 0",
  "STORE j",
  "LABEL spin",
  ...countTo("j", 1000 * n, "spun"),
  "JMP spin",
  "LABEL spun",
  "PUSH_INT 0",
  "STORE i",
  "LABEL loop",
  "RECEIVE",
  "PRINT",
  ...countTo("i", 7 * n, "done"),
  "JMP loop",
  "LABEL done",
  'PUSH_STR "end"',
  "PRINT",
  "HALT",
  "LABEL sender",
  "PUSH_INT 0",
  "STORE k",
  "LABEL send_loop",
  "LOAD parent",
  "LOAD k",
  "SEND",
  "LOAD parent",
  "PUSH_FLOAT 2.5",
  "SEND",
  "LOAD parent",
  "SELF",
  "SEND",
  "LOAD parent",
  'PUSH_STR "te"',
  `PUSH_STR "${LONG}"`,
  "CONCAT", // a Str built at run time lives in the heap (a literal is an atom: a scalar)
  "SEND",
  "LOAD parent",
  "LOAD k",
  "LOAD k",
  "MAKE_LIST 2",
  "SEND",
  "LOAD parent",
  "TRUE",
  "SEND",
  "LOAD parent",
  "NULL",
  "SEND",
  ...countTo("k", n, "send_done"),
  "JMP send_loop",
  "LABEL send_done",
  "HALT",
];

Deno.test("messages of every kind arrive whole and in order, by the direct path when they can", async () => {
  for (
    const [reductions, stressGc] of [[1000, false], [5, false], [1, false], [1000, true]] as const
  ) {
    const run = await assertSameAsInterpreter(mixed(30), "eager", { reductions, stressGc });
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 7 * 30 + 1);
    assert.equal(lines[7 * 30], "end");
    // Round k: k, 2.5, the sender's PID, a long Str, [k, k], true, null.
    assert.equal(lines[7 * 29], "29");
    assert.equal(lines[7 * 29 + 1], "2.5");
    assert.equal(lines[7 * 29 + 2], lines[2]); // the sender's PID (printed as its number)
    assert.match(lines[2], /^\d+$/);
    assert.equal(lines[7 * 29 + 3], "te" + LONG);
    assert.equal(lines[7 * 29 + 4], "[29, 29]");
    assert.equal(lines[7 * 29 + 5], "true");
    assert.equal(lines[7 * 29 + 6], "null");
    // Ints, Floats, PIDs, Bools and Null (5 of 7) are scalars and always go direct; a Str or
    // List goes direct when it fits in the free heap, and never under --stress-gc (where
    // every reservation collects: the slow path's).
    const direct = run.jit!.directReceives;
    if (stressGc) assert.equal(direct, 5 * 30, "receives by direct call under --stress-gc");
    else assert.ok(direct > 6 * 30 && direct <= 7 * 30, `${direct} receives by direct call`);
  }
});

/** A counter receives in a compiled loop while main sends to it and then kills it: with small
 *  budgets the kill arrives while messages wait in the counter's mailbox, and it must end the
 *  counter before the next receive, as the interpreter's receive would. */
const killed = [
  "SELF",
  "MAKE_FUNCTION counter parent",
  "SPAWN_MONITOR",
  "POP",
  "STORE c",
  "PUSH_INT 0",
  "STORE i",
  "LABEL send_loop",
  "LOAD c",
  "LOAD i",
  "SEND",
  ...countTo("i", 40, "kill"),
  "JMP send_loop",
  "LABEL kill",
  "LOAD c",
  'PUSH_STR "kill"',
  "EXIT_SIGNAL",
  "RECEIVE",
  "PRINT",
  "HALT",
  "LABEL counter",
  "PUSH_INT 0",
  "STORE sum",
  "LABEL count",
  "RECEIVE",
  "LOAD sum",
  "ADD",
  "DUP",
  "STORE sum",
  "PRINT",
  "JMP count",
];

Deno.test("an exit signal pending at a compiled RECEIVE ends the process before its next message", async () => {
  const outputs = new Set<string>();
  for (let reductions = 1; reductions <= 60; reductions++) {
    const run = await assertSameAsInterpreter(killed, "eager", { reductions });
    const lines = run.stdout.trim().split("\n");
    // The DOWN (an object with reason "killed") is printed last; the sums before it are
    // the prefix sums of 0, 1, 2, … the counter reached before it was killed.
    assert.match(lines[lines.length - 1], /killed/);
    lines.slice(0, -1).forEach((line, k) => assert.equal(line, String((k * (k + 1)) / 2)));
    outputs.add(String(lines.length));
  }
  // The budgets give different interleavings: the kill lands at different points.
  assert.ok(outputs.size > 3, `only ${[...outputs].join(", ")} distinct outcomes`);
});

/** A process queues three messages to itself, takes one, and sends itself an exit signal
 *  `kill` with two still in its mailbox: the signal takes effect at once, as in Erlang, and
 *  the compiled loop after it must not take another message. (A signal from another process
 *  that is still pending when a RECEIVE runs — possible only on SMP, where it arrives
 *  mid-slice — sends the receive to the slow path, which handles it first; on one scheduler
 *  signals are handled when a slice starts.) */
const selfKill = [
  "MAKE_FUNCTION victim",
  "SPAWN_MONITOR",
  "POP",
  "POP",
  "RECEIVE",
  "PRINT",
  "HALT",
  "LABEL victim",
  "PUSH_INT 0",
  "STORE k",
  "LABEL fill",
  "SELF",
  "LOAD k",
  "SEND",
  ...countTo("k", 3, "take"),
  "JMP fill",
  "LABEL take",
  "SELF",
  "RECEIVE", // a first receive moves the three messages into the mailbox
  "PRINT",
  'PUSH_STR "kill"',
  "EXIT_SIGNAL",
  "LABEL loop",
  "RECEIVE",
  "PRINT",
  "JMP loop",
];

Deno.test("after a kill sent to itself a process takes no further message in compiled code", async () => {
  const run = await assertSameAsInterpreter(selfKill, "eager");
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines[0], "0");
  assert.equal(lines.length, 2, run.stdout);
  assert.match(lines[1], /killed/);
});
