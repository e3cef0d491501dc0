/**
 * The introspection opcodes (LANGUAGE.md §9) beyond what the goldens print: statuses
 * (`runnable` for a process that has not run yet), the queue length counting messages the
 * target has not yet moved to its mailbox, per-process reductions that only grow and are
 * counted per process, memory that follows the heap, monitors and trap_exit, and SYSTEM_INFO's
 * counters against the run's own.
 */
import assert from "node:assert/strict";
import { out } from "./helpers.ts";
import { ActorVm } from "../../mod.ts";

Deno.test("PROCESS_INFO of a process that has not run yet: runnable, at its entry", async () => {
  const lines = await out([
    'PUSH_STR "child"', // line 1
    "SPAWN",
    "PROCESS_INFO",
    "DUP",
    "GET_FIELD status",
    "PRINT",
    "DUP",
    "GET_FIELD current",
    "PRINT",
    "GET_FIELD reductions",
    "PRINT",
    "HALT",
    "LABEL child",
    "RECEIVE", // line 14
    "HALT",
  ]);
  assert.deepEqual(lines, ["runnable", "test.ttvm:14", "0"]);
});

Deno.test("message_queue_len counts messages the target has not taken from its signal queue", async () => {
  // Single scheduler, so the order is fixed: the child waits for a message that never comes;
  // the parent sends it 20 messages and asks; a helper queued before the child's next slice
  // sends 30 more. The child answers at that slice with all 50 unreceived: 20 in its mailbox
  // and 30 that arrived after the request, still behind it in the signals it took.
  const lines = await out([
    'PUSH_STR "child"',
    "SPAWN",
    "STORE c",
    "YIELD", // the child runs and waits
    "LOAD c",
    "MAKE_FUNCTION helper c",
    "SPAWN",
    "POP",
    "LOAD c",
    "PUSH_INT 20",
    "CALL send_n to n",
    "LOAD c",
    "PROCESS_INFO",
    "GET_FIELD message_queue_len",
    "PRINT",
    "LOAD c",
    'PUSH_STR "kill"',
    "EXIT_SIGNAL",
    "HALT",
    "LABEL send_n",
    "LOAD to",
    "LOAD n",
    "SEND",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "DUP",
    "STORE n",
    "JZ sent",
    "JMP send_n",
    "LABEL sent",
    "RET",
    "LABEL helper",
    "LOAD c",
    "PUSH_INT 30",
    "CALL send_n to n",
    "HALT",
    "LABEL child",
    'PUSH_STR "never"',
    "RECEIVE_MATCH",
    "HALT",
  ]);
  assert.deepEqual(lines, ["50"]);
});

Deno.test("reductions are per process and grow; memory follows the heap; monitors and trap_exit", async () => {
  const lines = await out([
    "TRUE",
    "TRAP_EXIT",
    'PUSH_STR "grower"',
    "SPAWN",
    "DUP",
    "STORE g",
    "MONITOR",
    "POP",
    "LOAD g",
    "PROCESS_INFO",
    "STORE a",
    // let it work: it grows a list and computes, then waits
    "LOAD g",
    'PUSH_STR "go"',
    "SEND",
    'PUSH_STR "grown"',
    "RECEIVE_MATCH",
    "POP",
    "LOAD g",
    "PROCESS_INFO",
    "STORE b",
    "LOAD b",
    "GET_FIELD reductions",
    "LOAD a",
    "GET_FIELD reductions",
    "GT",
    "PRINT",
    "LOAD b",
    "GET_FIELD memory_bytes",
    "LOAD a",
    "GET_FIELD memory_bytes",
    "PUSH_INT 100000",
    "ADD",
    "GT",
    "PRINT",
    "SELF",
    "PROCESS_INFO",
    "DUP",
    "GET_FIELD monitors",
    "PRINT",
    "GET_FIELD trap_exit",
    "PRINT",
    "LOAD g",
    'PUSH_STR "kill"',
    "EXIT_SIGNAL",
    "HALT",
    "LABEL grower",
    'PUSH_STR "go"',
    "RECEIVE_MATCH",
    "POP",
    "MAKE_LIST 0",
    "STORE l",
    "PUSH_INT 0",
    "STORE i",
    "LABEL grow",
    "LOAD l",
    "LOAD i",
    "APPEND",
    "STORE l",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "DUP",
    "STORE i",
    "PUSH_INT 20000",
    "LT",
    "JZ done",
    "JMP grow",
    "LABEL done",
    "PUSH_INT 1",
    'PUSH_STR "grown"',
    "SEND",
    "RECEIVE",
    "HALT",
  ]);
  assert.deepEqual(lines, ["1", "1", "[2]", "true"]);
});

Deno.test("SYSTEM_INFO counts the run: processes, messages, reductions, uptime", async () => {
  const lines = await out([
    'PUSH_STR "w"',
    "SPAWN",
    "STORE w",
    "LOAD w",
    "PUSH_INT 1",
    "SEND",
    "LOAD w",
    "PUSH_INT 2",
    "SEND",
    "SYSTEM_INFO",
    "STORE a",
    "PUSH_INT 5",
    "SLEEP",
    "SYSTEM_INFO",
    "STORE b",
    "LOAD a",
    "GET_FIELD process_count",
    "PRINT",
    "LOAD a",
    "GET_FIELD messages",
    "PRINT",
    "LOAD a",
    "GET_FIELD schedulers",
    "PRINT",
    "LOAD b",
    "GET_FIELD reductions",
    "LOAD a",
    "GET_FIELD reductions",
    "GT",
    "PRINT",
    "LOAD b",
    "GET_FIELD uptime_ms",
    "LOAD a",
    "GET_FIELD uptime_ms",
    "PUSH_INT 5",
    "ADD",
    "GE",
    "PRINT",
    "LOAD a",
    "GET_FIELD memory_bytes",
    "PUSH_INT 0",
    "GT",
    "PRINT",
    "LOAD w",
    'PUSH_STR "kill"',
    "EXIT_SIGNAL",
    "HALT",
    "LABEL w",
    "RECEIVE",
    "POP",
    "JMP w",
  ]);
  assert.deepEqual(lines, ["2", "2", "1", "1", "1", "1"]);
});

Deno.test("PROCESSES lists live processes only, in PID order", async () => {
  const lines = await out([
    'PUSH_STR "quick"',
    "SPAWN",
    "POP",
    'PUSH_STR "stay"',
    "SPAWN",
    "STORE s",
    "YIELD", // quick (pid 2) runs and ends; stay (pid 3) waits
    "PROCESSES",
    "PRINT",
    "LOAD s",
    'PUSH_STR "kill"',
    "EXIT_SIGNAL",
    "HALT",
    "LABEL quick",
    "HALT",
    "LABEL stay",
    "RECEIVE",
    "HALT",
  ]);
  assert.deepEqual(lines, ["[1, 3]"]);
});

Deno.test("PROCESS_INFO of the TypeScript API's host mailbox (a PID without a process) is Null", async () => {
  const vm = ActorVm.fromSource(
    ["LABEL ask", "STORE to", "LOAD to", "PROCESS_INFO", "TO_STR", "LOAD to", "SWAP", "SEND"]
      .join("\n") + "\nHALT\n",
    "ask.ttvm",
    { stdout: () => {} },
  );
  vm.spawn("ask", vm.host.pid);
  const done = vm.run();
  const got = [];
  for await (const m of vm.host) got.push(m);
  await done;
  assert.deepEqual(got, ["null"]);
});
