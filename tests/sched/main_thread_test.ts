/**
 * The SMP pool's start on the main thread (src/sched/main_thread.ts): a run starts there, and
 * moves to the workers only once the main thread has spent --workers-after-ms in slices while
 * other processes waited. Short runs, and runs of one busy process, never start a worker; the
 * move to the workers loses, duplicates and leaks nothing; the main thread serves timers,
 * stdin, EXIT and the deadlock report itself while it runs the processes.
 */
import assert from "node:assert/strict";
import { runDenoScript, type ScriptOutcome } from "../run_deno.ts";

const PROGRAMS = "tests/sched/programs/";
/** A horizon no test run reaches: the run stays on the main thread. */
const NEVER = "--workers-after-ms=1000000000";

function ttvm(args: string[], stdin?: string): Promise<ScriptOutcome> {
  return runDenoScript("main.ts", args, { stdin });
}

/** What --stats says of the main thread and the workers. */
function pool(
  stderr: string,
): { mainSlices: number; startedAtMs: number | null; workerSlices: number[] } {
  const main =
    /main thread: (\d+) slices \([\d.]+ ms of them with others waiting\); the workers (?:were not started|started at ([\d.]+) ms)/
      .exec(stderr);
  assert.ok(main, `no main-thread line in:\n${stderr}`);
  const workerSlices = [...stderr.matchAll(/^worker \d+: slices (\d+)/gm)].map((m) => Number(m[1]));
  return {
    mainSlices: Number(main[1]),
    startedAtMs: main[2] === undefined ? null : Number(main[2]),
    workerSlices,
  };
}

function alive(stderr: string): number {
  const m = /processes alive:\s+(\d+)/.exec(stderr);
  assert.ok(m, `no stats in:\n${stderr}`);
  return Number(m[1]);
}

Deno.test("a parallel run shorter than the default horizon never starts a worker", async () => {
  // 8 × fib(20): a few ms of work.
  const r = await ttvm(["--smp=2", "--stats", "bench/programs/parfib.ttvm", "8", "20"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^bench=parfib n=8 ms=\d+ /);
  const p = pool(r.stderr);
  assert.equal(p.startedAtMs, null);
  assert.deepEqual(p.workerSlices, []);
  assert.ok(p.mainSlices > 8, r.stderr);
});

Deno.test("one busy process never starts the workers: they could not speed it up", async () => {
  // 10,000,000 iterations alone (about 0.1–0.3 s), with a horizon of 1 ms.
  const r = await ttvm([
    "--smp=2",
    "--workers-after-ms=1",
    "--stats",
    "bench/programs/count_loop.ttvm",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const p = pool(r.stderr);
  assert.equal(p.startedAtMs, null, r.stderr);
  assert.deepEqual(p.workerSlices, []);
});

for (const afterMs of [1, 5, 20]) {
  Deno.test(`past --workers-after-ms=${afterMs} the run moves to the workers: every message once, in order, nothing left`, async () => {
    const r = await ttvm([
      "--smp=2",
      `--workers-after-ms=${afterMs}`,
      "--stats",
      "--reductions",
      "97",
      PROGRAMS + "pairs.ttvm",
      "100",
      "3000",
    ]);
    assert.equal(r.stdout, "300000\n", r.stderr);
    assert.equal(r.code, 0, r.stderr);
    const p = pool(r.stderr);
    assert.ok(p.startedAtMs !== null, r.stderr);
    assert.ok(p.mainSlices > 0, r.stderr);
    assert.equal(p.workerSlices.length, 2);
    assert.ok(p.workerSlices.some((n) => n > 0), r.stderr);
    assert.equal(alive(r.stderr), 0);
  });
}

Deno.test("on the main thread alone: 300×30 receive timeouts and sleeps fire, none lost", async () => {
  const r = await ttvm(["--smp=2", NEVER, "--stats", PROGRAMS + "timers.ttvm", "300", "30"]);
  assert.equal(r.stdout, "9000\n", r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(pool(r.stderr).startedAtMs, null);
  assert.equal(alive(r.stderr), 0);
});

Deno.test("on the main thread alone: 4 processes reading stdin at once get every line once", async () => {
  const lines = 50_000;
  const input = Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join("");
  const r = await ttvm(["--smp=2", NEVER, PROGRAMS + "readers.ttvm", "4"], input);
  assert.equal(r.stdout, `${lines}\n${(lines * (lines + 1)) / 2}\n`, r.stderr);
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("on the main thread alone: EXIT ends the run with its code", async () => {
  const r = await ttvm(["--smp=2", NEVER, PROGRAMS + "exit_code.ttvm"]);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, "before exit\n");
});

Deno.test("on the main thread alone: a deadlock is reported as on the workers", async () => {
  const path = await Deno.makeTempFile({ suffix: ".ttvm" });
  try {
    await Deno.writeTextFile(path, 'PUSH_STR "waiting"\nPRINT\nRECEIVE\nPRINT\nHALT\n');
    for (const start of [NEVER, "--workers-after-ms=0"]) {
      const r = await ttvm(["--smp=2", start, path]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, "waiting\n");
      assert.match(
        r.stderr,
        /^Error: deadlock: process 1 waits forever at .*:3 \(1 processes blocked\)\n$/,
      );
    }
  } finally {
    await Deno.remove(path);
  }
});
