/**
 * Keeps the actor benchmark programs (bench/programs/{pingpong,ring,spawn,counting,procmem,
 * fanin,big}.ttvm) correct: each runs at a small size through runProgram and must print its one
 * `bench=<name> n=<N> ms=<wall> rate=<ops/s>` line after verifying its result, and a deliberately
 * broken copy of each must fail loudly (exit 1 with its own error), which proves that the
 * programs really check what they claim to check.
 */
import assert from "node:assert/strict";
import { assembleSource, type CapturedRun, type RunOptions, runProgram } from "../../mod.ts";

const programsDir = new URL("../../bench/programs/", import.meta.url).pathname;

function sourceOf(name: string): string {
  return Deno.readTextFileSync(`${programsDir}${name}.ttvm`);
}

/** Run bench/programs/<name>.ttvm with the given arguments. */
function runBench(name: string, args: string[], options: RunOptions = {}): Promise<CapturedRun> {
  const path = `${programsDir}${name}.ttvm`;
  return runProgram(assembleSource(sourceOf(name), path), { ...options, args });
}

/** Run a copy of bench/programs/<name>.ttvm with `from` replaced by `to` (which must occur). */
function runSabotaged(
  name: string,
  from: string,
  to: string,
  args: string[],
): Promise<CapturedRun> {
  const source = sourceOf(name);
  assert.ok(source.includes(from), `${name}.ttvm no longer contains ${JSON.stringify(from)}`);
  const path = `${programsDir}${name}.ttvm`;
  return runProgram(assembleSource(source.replace(from, to), path), { args });
}

/** The exact line a successful run prints, with any wall time and rate. */
function benchLine(name: string, n: number): RegExp {
  return new RegExp(`^bench=${name} n=${n} ms=\\d+ rate=\\d+\n$`);
}

function assertSuccess(r: CapturedRun, name: string, n: number): void {
  assert.equal(r.stderr, "");
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, benchLine(name, n));
}

function assertLoudFailure(r: CapturedRun, message: string): void {
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /^Error: /m);
  assert.ok(r.stderr.includes(message), `stderr ${JSON.stringify(r.stderr)} lacks ${message}`);
}

Deno.test("pingpong completes the requested round trips and kills its ponger", async () => {
  assertSuccess(await runBench("pingpong", ["100"]), "pingpong", 100);
  assertSuccess(await runBench("pingpong", ["1"]), "pingpong", 1);
  const verbose = await runBench("pingpong", ["25"], { verbose: true });
  assert.match(verbose.stdout, benchLine("pingpong", 25));
  assert.match(verbose.stderr, /process 2 exited: killed/);
  assert.doesNotMatch(verbose.stderr, /still blocked/);
});

Deno.test("pingpong fails loudly when the replies do not count the round trips", async () => {
  const r = await runSabotaged("pingpong", "RECEIVE\nPUSH_INT 1\nADD", "RECEIVE\nPUSH_INT 2\nADD", [
    "11",
  ]);
  assertLoudFailure(r, "pingpong: wrong round-trip count 12");
});

Deno.test("pingpong fails loudly when the ponger crashes", async () => {
  const r = await runSabotaged("pingpong", "RECEIVE\nPUSH_INT 1\nADD", "RECEIVE\nPUSH_STR x\nADD", [
    "5",
  ]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /Process 2 crashed: ADD expects/);
  assert.match(r.stderr, /^Error: GE expects two integers but got .*"EXIT".*ADD expects/m);
});

Deno.test("pingpong rejects a round-trip count below 1", async () => {
  assertLoudFailure(await runBench("pingpong", ["0"]), "round_trips must be >= 1");
});

Deno.test("ring passes the token exactly the requested hops and then stops every node", async () => {
  const r = await runBench("ring", ["1000", "7"], { verbose: true });
  assert.match(r.stdout, benchLine("ring", 1000));
  assert.equal(r.exitCode, 0);
  assert.doesNotMatch(r.stderr, /still blocked|crashed/);
  assert.equal(r.stderr.match(/exited: normal/g)?.length, 8); // 7 nodes + main
  assertSuccess(await runBench("ring", ["3", "10"]), "ring", 3);
  assertSuccess(await runBench("ring", ["0", "1"]), "ring", 0);
  assertSuccess(await runBench("ring", ["5", "1"]), "ring", 5);
});

Deno.test("ring uses 1000 processes when only the hop count is given", async () => {
  const r = await runBench("ring", ["50"], { verbose: true });
  assert.match(r.stdout, benchLine("ring", 50));
  assert.equal(r.stderr.match(/exited: normal/g)?.length, 1001);
});

Deno.test("ring fails loudly when a node miscounts the hops", async () => {
  const r = await runSabotaged(
    "ring",
    "JZ node_stop\nPUSH_INT 1\nADD",
    "JZ node_stop\nPUSH_INT 2\nADD",
    [
      "11",
      "3",
    ],
  );
  assertLoudFailure(r, "ring: wrong hop count 12");
});

Deno.test("ring rejects an empty ring", async () => {
  assertLoudFailure(await runBench("ring", ["10", "0"]), "processes >= 1");
});

Deno.test("spawn waits for the DOWN of every child, across batches", async () => {
  assertSuccess(await runBench("spawn", ["2500"]), "spawn", 2500);
  assertSuccess(await runBench("spawn", ["1000"]), "spawn", 1000);
  assertSuccess(await runBench("spawn", ["0"]), "spawn", 0);
  const verbose = await runBench("spawn", ["30"], { verbose: true });
  assert.match(verbose.stdout, benchLine("spawn", 30));
  assert.equal(verbose.stderr.match(/exited: normal/g)?.length, 31);
  assert.doesNotMatch(verbose.stderr, /still blocked/);
});

Deno.test("spawn fails loudly when a child does not exit normally", async () => {
  const r = await runSabotaged(
    "spawn",
    "LABEL child\nHALT",
    'LABEL child\nPUSH_STR "boom"\nTHROW',
    [
      "3",
    ],
  );
  assertLoudFailure(r, "spawn: a child did not exit normally");
  assert.match(r.stderr, /Process 2 crashed: boom/);
});

Deno.test("counting sums the integers 1..N sent to one process", async () => {
  assertSuccess(await runBench("counting", ["1000"]), "counting", 1000);
  assertSuccess(await runBench("counting", ["1"]), "counting", 1);
  const verbose = await runBench("counting", ["10"], { verbose: true });
  assert.match(verbose.stdout, benchLine("counting", 10));
  assert.doesNotMatch(verbose.stderr, /still blocked/);
});

Deno.test("counting fails loudly when the total is wrong", async () => {
  const r = await runSabotaged(
    "counting",
    "LOAD sum\nADD\nSTORE sum",
    "LOAD sum\nADD\nNEG\nSTORE sum",
    [
      "4",
    ],
  );
  assertLoudFailure(r, "counting: wrong sum");
});

Deno.test("procmem ends with every sleeper still blocked in RECEIVE", async () => {
  const r = await runBench("procmem", ["50"], { verbose: true });
  assert.match(r.stdout, benchLine("procmem", 50));
  assert.equal(r.exitCode, 0);
  assert.match(r.stderr, /run ended with 50 process\(es\) still blocked/);
  assert.doesNotMatch(r.stderr, /crashed/);
  assertSuccess(await runBench("procmem", ["0"]), "procmem", 0);
});

Deno.test("procmem fails loudly if a sleeper is ever woken", async () => {
  const r = await runSabotaged(
    "procmem",
    "SENDNAMED procmem_main\nRECEIVE",
    "SENDNAMED procmem_main",
    [
      "2",
    ],
  );
  assert.match(r.stdout, benchLine("procmem", 2));
  assert.match(r.stderr, /Process \d+ crashed: procmem: a sleeper was woken up/);
});

Deno.test("every benchmark program rejects an argument that is not a number", async () => {
  for (const name of ["pingpong", "ring", "spawn", "counting", "procmem", "fanin", "big"]) {
    const r = await runBench(name, ["lots"]);
    assert.equal(r.exitCode, 1, name);
    assert.match(r.stderr, /^Error: .*JSON_PARSE/m, name);
  }
});

Deno.test("ring fails loudly when a node crashes", async () => {
  const r = await runSabotaged(
    "ring",
    "JZ node_stop\nPUSH_INT 1\nADD",
    "JZ node_stop\nPUSH_STR x\nADD",
    [
      "20",
      "4",
    ],
  );
  assertLoudFailure(r, "ring: wrong hop count {type: EXIT, from: ");
  assert.match(r.stderr, /Process \d+ crashed: ADD expects/);
});

Deno.test("counting fails loudly when the counter crashes", async () => {
  const r = await runSabotaged(
    "counting",
    "LOAD sum\nADD\nSTORE sum",
    "LOAD sum\nCONCAT\nSTORE sum",
    [
      "4",
    ],
  );
  assertLoudFailure(r, "counting: wrong sum {type: EXIT");
  assert.match(r.stderr, /Process 2 crashed: CONCAT expects/);
});

Deno.test("fanin sums every message of every producer and releases the producers", async () => {
  assertSuccess(await runBench("fanin", ["100", "3"]), "fanin", 300);
  assertSuccess(await runBench("fanin", ["1", "1"]), "fanin", 1);
  const verbose = await runBench("fanin", ["50", "8"], { verbose: true });
  assert.match(verbose.stdout, benchLine("fanin", 400));
  assert.equal(verbose.stderr.match(/exited: normal/g)?.length, 9); // 8 producers + main
  assert.doesNotMatch(verbose.stderr, /still blocked|crashed/);
});

Deno.test("fanin uses 8 producers of 250,000 messages by default", () => {
  const source = sourceOf("fanin");
  assert.match(source, /^PUSH_INT 250000\nSTORE m\nPUSH_INT 8\nSTORE producers$/m);
});

Deno.test("fanin fails loudly when a producer sends a wrong value", async () => {
  const r = await runSabotaged(
    "fanin",
    "DUP\nSTORE i\nSEND",
    "DUP\nSTORE i\nPUSH_INT 1\nADD\nSEND",
    ["10", "2"],
  );
  assertLoudFailure(r, "fanin: wrong sum 130, expected 110");
});

Deno.test("fanin fails loudly with the reason when a producer crashes", async () => {
  const r = await runSabotaged(
    "fanin",
    "LOAD consumer\nLOAD i\nPUSH_INT 1\nADD",
    'LOAD consumer\nLOAD i\nPUSH_STR "x"\nADD',
    ["10", "2"],
  );
  assertLoudFailure(r, '"EXIT"');
  assert.match(r.stderr, /Process \d+ crashed: ADD expects/);
});

Deno.test("fanin rejects zero producers", async () => {
  assertLoudFailure(await runBench("fanin", ["10", "0"]), "producers must be >= 1");
});

Deno.test("big answers every ping with a pong and stops every worker normally", async () => {
  const verbose = await runBench("big", ["30", "6"], { verbose: true });
  assert.equal(verbose.exitCode, 0);
  assert.match(verbose.stdout, benchLine("big", 2 * 30 * 6));
  assert.equal(verbose.stderr.match(/exited: normal/g)?.length, 7); // 6 workers + main
  assert.doesNotMatch(verbose.stderr, /still blocked|crashed/);
  assertSuccess(await runBench("big", ["0", "2"]), "big", 0);
  assertSuccess(await runBench("big", ["5", "2"]), "big", 20);
});

Deno.test("big fails loudly when a worker crashes", async () => {
  const r = await runSabotaged(
    "big",
    "LABEL serve_ping\nPUSH_INT 0\nSEND",
    "LABEL serve_ping\nTHROW",
    [
      "20",
      "4",
    ],
  );
  assertLoudFailure(r, '"DOWN"');
  assert.match(r.stderr, /^Error: GE expects two integers but got .*"DOWN"/m);
  assert.match(r.stderr, /Process \d+ crashed/);
});

Deno.test("big rejects fewer than two workers", async () => {
  assertLoudFailure(await runBench("big", ["10", "1"]), "workers >= 2");
});
