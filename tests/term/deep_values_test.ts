/**
 * Values of any nesting depth (LANGUAGE.md §2, DESIGN.md invariant 7): a list nested 1,000,000
 * deep — built the way a program builds one, with a loop of MAKE_LIST 1 — is printed, turned
 * into text, compared, sent and received, matched, copied into a new process, written and read
 * as JSON and CSV, converted to and from JavaScript, and survives collections checked by the
 * heap verifier. Before the term layer became iterative, each of these died with
 * `RangeError: Maximum call stack size exceeded` somewhere between 5,000 and 10,000 levels.
 */
import assert from "node:assert/strict";
import { ActorVm, type JsValue } from "../../mod.ts";
import { debugHost, displayHost } from "../../src/term/format.ts";
import { hInt, hList, hostEquals, type HostValue, hTuple } from "../../src/term/host.ts";
import { fromHostValue, toHostValue } from "../../src/api/convert.ts";
import { run } from "../vm/helpers.ts";

const DEPTH = 1_000_000;

/** Lines that leave [[[…[x]…]]] (`n` lists around the Int x) on the stack, using `i`. */
function build(x: number, n: number, label: string): string[] {
  return [
    `PUSH_INT ${x}`,
    "PUSH_INT 0",
    "STORE i",
    `LABEL ${label}`,
    "LOAD i",
    `PUSH_INT ${n}`,
    "LT",
    `JZ ${label}_done`,
    "MAKE_LIST 1",
    "LOAD i",
    "PUSH_INT 1",
    "ADD",
    "STORE i",
    `JMP ${label}`,
    `LABEL ${label}_done`,
  ];
}

const displayed = (x: number) => "[".repeat(DEPTH) + x + "]".repeat(DEPTH);

Deno.test("a list nested 1,000,000 deep prints, becomes text and compares with EQ", async () => {
  const r = await run([
    ...build(0, DEPTH, "a"),
    "STORE deep",
    ...build(1, DEPTH, "b"),
    "STORE other",
    "LOAD deep",
    "PRINT",
    "LOAD deep",
    "TO_STR",
    "STR_LEN",
    "PRINT",
    "LOAD deep",
    "LOAD deep",
    "EQ",
    "LOAD deep",
    "LOAD other",
    "EQ",
    "MAKE_LIST 2",
    "PRINT",
    "LOAD deep",
    "TYPE_OF",
    "PRINT",
    // the debug form in an error message
    "TRY caught",
    "LOAD deep",
    "PUSH_INT 1",
    "ADD",
    "END_TRY",
    "HALT",
    "LABEL caught",
    "CATCH",
    "PRINT",
    "END_TRY",
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines[0], displayed(0));
  assert.equal(lines[1], String(2 * DEPTH + 1));
  assert.equal(lines[2], "[1, 0]");
  assert.equal(lines[3], "list");
  assert.equal(
    lines[4],
    "Exception: ADD expects two numbers (int or float) but got " + "List([".repeat(DEPTH) +
      "Int(0)" + "])".repeat(DEPTH) + ", Int(1)",
  );
});

Deno.test("a list nested 1,000,000 deep is sent, matched, received and copied into a process", async () => {
  const r = await run([
    ...build(0, DEPTH, "a"),
    "STORE deep",
    ...build(1, DEPTH, "b"),
    "STORE other",
    // to self, twice; a deep pattern selects the second message
    "SELF",
    "LOAD other",
    "SEND",
    "SELF",
    "PUSH_ATOM tagged",
    "LOAD deep",
    "MAKE_TUPLE 2",
    "SEND",
    "PUSH_ATOM tagged",
    "LOAD deep",
    "MAKE_TUPLE 2",
    "RECEIVE_MATCH",
    "PUSH_INT 1",
    "INDEX",
    "LOAD deep",
    "EQ",
    "PRINT",
    "RECEIVE",
    "LOAD other",
    "EQ",
    "PRINT",
    // a spawned function gets a deep argument (copied into its heap) and sends it back
    "LOAD deep",
    "SELF",
    "MAKE_FUNCTION child value parent",
    "SPAWN",
    "POP",
    "RECEIVE",
    "DUP",
    "LOAD deep",
    "EQ",
    "PRINT",
    "LOAD other",
    "EQ",
    "PRINT",
    "HALT",
    "LABEL child",
    "LOAD parent",
    "LOAD value",
    "SEND",
    "RET",
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, "1\n1\n1\n0\n");
});

Deno.test("a list nested 1,000,000 deep goes through JSON, CSV and tuples", async () => {
  const r = await run([
    ...build(0, DEPTH, "a"),
    "STORE deep",
    "LOAD deep",
    "JSON_STRINGIFY",
    "DUP",
    "STR_LEN",
    "PRINT",
    "JSON_PARSE",
    "LOAD deep",
    "EQ",
    "PRINT",
    "LOAD deep",
    "MAKE_LIST 1",
    "MAKE_LIST 1",
    "CSV_WRITE",
    "STR_LEN",
    "PRINT",
    "LOAD deep",
    "LIST_TO_TUPLE",
    "DUP",
    "TO_STR",
    "STR_LEN",
    "PRINT",
    "TUPLE_TO_LIST",
    "LOAD deep",
    "EQ",
    "PRINT",
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(
    r.stdout,
    `${2 * DEPTH + 1}\n1\n${2 * DEPTH + 1}\n${2 * DEPTH + 1}\n1\n`,
  );
});

/** Depth of a JS value made of single-element arrays around a number. */
function jsDepth(v: JsValue): number {
  let depth = 0;
  while (Array.isArray(v)) {
    assert.equal(v.length, 1);
    v = v[0];
    depth++;
  }
  assert.equal(typeof v, "number");
  return depth;
}

Deno.test("a list nested 1,000,000 deep converts to JavaScript and back through the API", async () => {
  const vm = ActorVm.fromSource(
    [
      "LABEL main",
      ...build(7, DEPTH, "a"),
      "STORE deep",
      "STORE host", // the host's PID, passed as the argument
      "LOAD host",
      "LOAD deep",
      "SEND",
      "RECEIVE",
      "LOAD deep",
      "EQ",
      "STORE same",
      "LOAD host",
      "LOAD same",
      "SEND",
    ].join("\n") + "\n",
    "deep_api.ttvm",
  );
  const pid = vm.spawn("main", vm.host.pid);
  let nested: JsValue = 7;
  for (let i = 0; i < DEPTH; i++) nested = [nested];
  vm.send(pid, nested);
  const summary = await vm.run();
  assert.equal(summary.processesAlive, 0);
  const first = vm.host.tryReceive();
  assert.equal(jsDepth(first!), DEPTH);
  assert.equal(vm.host.tryReceive(), 1);
});

Deno.test("collections with heap verification keep a 2^20-deep list intact (--stress-gc)", async () => {
  // Built with JSON_PARSE of doubled strings, so that a collection before every allocation
  // stays affordable; every collection copies the deep list and verifies the whole heap.
  const doubled = (text: string, name: string) => [
    `PUSH_STR "${text}"`,
    ...Array.from({ length: 20 }, () => ["DUP", "CONCAT"]).flat(),
    `STORE ${name}`,
  ];
  const r = await run([
    ...doubled("[", "open"),
    ...doubled("]", "close"),
    "LOAD open",
    "LOAD close",
    "CONCAT",
    "JSON_PARSE",
    "STORE deep",
    "SELF",
    "LOAD deep",
    "SEND",
    "LOAD deep",
    "RECEIVE_MATCH",
    "LOAD deep",
    "EQ",
    "PRINT",
    "LOAD deep",
    "TO_STR",
    "STR_LEN",
    "PRINT",
  ], { stressGc: true });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, `1\n${2 ** 21}\n`);
});

Deno.test("HostValue walks — equality, printing, JS conversion — handle 1,000,000 levels", () => {
  let deep: HostValue = hInt(3);
  let twin: HostValue = hInt(3);
  let other: HostValue = hInt(4);
  for (let i = 0; i < DEPTH; i++) {
    deep = hList([deep]);
    twin = i % 2 ? hList([twin]) : hList([twin]);
    other = hList([other]);
  }
  assert.equal(hostEquals(deep, twin), true);
  assert.equal(hostEquals(deep, other), false);
  assert.equal(displayHost(deep), displayed(3));
  assert.equal(
    debugHost(hTuple([deep])).length,
    "Tuple([])".length + "List([])".length * DEPTH + 6,
  );
  const js = fromHostValue(deep);
  assert.equal(jsDepth(js), DEPTH);
  assert.equal(hostEquals(toHostValue(js), deep), true);
});
