/**
 * SMP stress tests: the same programs on 2 and 4 workers, with several seeds (each seed picks the
 * sizes and the reduction budget, which changes every interleaving). Invariants are checked by
 * the programs themselves (they THROW on any lost, duplicated or reordered message or wrong DOWN)
 * and by the pool (every slice asserts that no process runs on two workers at once; a violation
 * fails the worker and the run). After each run no process may be left alive.
 *
 * Where the processes run: on 2 workers a run starts on the main thread and moves to the
 * workers after 1 ms of work (the handover, src/sched/main_thread.ts, under stress); on 1 and 4
 * workers they run there from the start. The default (the main thread alone for 100 ms) would
 * keep most of these runs off the workers.
 */
import assert from "node:assert/strict";
import { runDenoScript, type ScriptOutcome } from "../run_deno.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PROGRAMS = "tests/sched/programs/";

function ttvm(
  args: string[],
  env: Record<string, string> = {},
  stdin = "",
): Promise<ScriptOutcome> {
  return runDenoScript("main.ts", args, { env, stdin });
}

/** The options of a run on `workers` workers (see the header). */
function smp(workers: number): string[] {
  return [`--smp=${workers}`, `--workers-after-ms=${workers === 2 ? 1 : 0}`];
}

function alive(stderr: string): number {
  const m = /processes alive:\s+(\d+)/.exec(stderr);
  assert.ok(m, `no stats in:\n${stderr}`);
  return Number(m[1]);
}

const SEEDS = [
  { reductions: 1000, pairs: 100, messages: 5000 }, // 1,000,000 messages in total (×2 below)
  { reductions: 37, pairs: 250, messages: 2000 },
];

for (const workers of [2, 4]) {
  for (const reductions of [1000, 7]) {
    // Timers are the port driver's and fire as signals: none is lost while its process runs on
    // another worker, none keeps a finished run alive, and the pool never halts while one is due.
    Deno.test(`smp=${workers} reductions=${reductions}: 300×30 receive timeouts and sleeps`, async () => {
      const r = await ttvm([
        ...smp(workers),
        "--stats",
        "--reductions",
        String(reductions),
        PROGRAMS + "timers.ttvm",
        "300",
        "30",
      ]);
      assert.equal(r.stdout, "9000\n", r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(alive(r.stderr), 0);
    });
  }
  for (const seed of SEEDS) {
    Deno.test(
      `smp=${workers} reductions=${seed.reductions}: ${seed.pairs}×${seed.messages} messages arrive exactly once and in order`,
      async () => {
        const r = await ttvm([
          ...smp(workers),
          "--stats",
          "--reductions",
          String(seed.reductions),
          PROGRAMS + "pairs.ttvm",
          String(seed.pairs),
          String(seed.messages),
        ]);
        assert.equal(r.stdout, `${seed.pairs * seed.messages}\n`, r.stderr);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(alive(r.stderr), 0);
      },
    );
  }
  Deno.test(`smp=${workers}: 100,000 monitored processes spawn and exit, none leaked`, async () => {
    const r = await ttvm([...smp(workers), "--stats", PROGRAMS + "churn.ttvm", "100000"]);
    assert.equal(r.stdout, "100000\n", r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(alive(r.stderr), 0);
  });
  for (const reductions of [1000, 53]) {
    Deno.test(`smp=${workers} reductions=${reductions}: link/monitor/kill storm`, async () => {
      const r = await ttvm([
        ...smp(workers),
        "--stats",
        "--reductions",
        String(reductions),
        PROGRAMS + "storm.ttvm",
        "2000",
      ]);
      assert.equal(r.stdout, "2000\n2000\n", r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(alive(r.stderr), 0);
    });
  }
}

/** Lines "<printer>:<n>" must, per printer, read 1..n in order, none missing. */
function assertEachPrinterInOrder(stdout: string, printers: number, n: number): void {
  const next = new Map<string, number>();
  for (const line of stdout.trimEnd().split("\n")) {
    const [printer, k] = line.split(":");
    const expected = next.get(printer) ?? 1;
    assert.equal(Number(k), expected, `printer ${printer}: line ${line} out of order`);
    next.set(printer, expected + 1);
  }
  assert.equal(next.size, printers);
  for (const [printer, after] of next) assert.equal(after, n + 1, `printer ${printer} lines lost`);
}

for (const workers of [2, 4]) {
  for (const reductions of [1000, 7]) {
    Deno.test(
      `smp=${workers} reductions=${reductions}: a process's lines stay in order when it resumes on another worker`,
      async () => {
        const r = await ttvm([
          ...smp(workers),
          "--reductions",
          String(reductions),
          PROGRAMS + "printer.ttvm",
          "4",
          "5000",
        ]);
        assert.equal(r.code, 0, r.stderr);
        assertEachPrinterInOrder(r.stdout, 4, 5000);
      },
    );
  }
}

for (const workers of [2, 4]) {
  Deno.test(
    `smp=${workers}: a dead process's name is free when its DOWN arrives; every crash is reported once`,
    async () => {
      const rounds = 300;
      const r = await ttvm([
        ...smp(workers),
        "--stats",
        PROGRAMS + "departures.ttvm",
        String(rounds),
        "300",
      ]);
      assert.equal(r.stdout, `${rounds}\n`, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      const reports = r.stderr.split("\n").filter((l) => / crashed: crash \(/.test(l));
      assert.equal(reports.length, rounds / 2);
      assert.equal(alive(r.stderr), 0);
    },
  );
}

for (const workers of [2, 4]) {
  Deno.test(
    `smp=${workers}: a killed supervisor is restarted 300 times and never meets its old children's names`,
    async () => {
      const r = await ttvm([...smp(workers), "--stats", PROGRAMS + "restarts.ttvm", "300"]);
      assert.equal(r.stdout, "300\n", r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /crashed/);
      assert.equal(alive(r.stderr), 0);
    },
  );
}

for (const workers of [2, 4]) {
  Deno.test(
    `smp=${workers}: 4 processes reading stdin at once get every line exactly once`,
    async () => {
      const lines = 200_000;
      const input = Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join("");
      const r = await ttvm([...smp(workers), PROGRAMS + "readers.ttvm", "4"], {}, input);
      assert.equal(r.stdout, `${lines}\n${(lines * (lines + 1)) / 2}\n`, r.stderr);
      assert.equal(r.code, 0, r.stderr);
    },
  );
}

Deno.test("smp=4: the shared buffer grows mid-run and every worker keeps working", async () => {
  const r = await ttvm(
    [...smp(4), "--stats", PROGRAMS + "churn.ttvm", "30000"],
    { TTVM_INITIAL_MEMORY_MB: "1" },
  );
  assert.equal(r.stdout, "30000\n", r.stderr);
  const buffer = Number(/shared buffer (\d+) bytes/.exec(r.stderr)?.[1]);
  assert.ok(buffer > 1024 * 1024, `buffer did not grow: ${buffer}`);
  assert.equal(alive(r.stderr), 0);
});

for (const flags of [[], smp(1), smp(2)]) {
  // A worker whose own deque is empty runs its busy process on without the run queue
  // (WorkerScheduler.mayContinue); the process a timer wakes meanwhile must still run.
  Deno.test(`${flags.join(" ") || "one scheduler"}: a busy process does not keep a timer-woken one waiting`, async () => {
    const r = await ttvm([...flags, PROGRAMS + "busy_and_sleeper.ttvm"]);
    assert.equal(r.stdout, "sleeper woke\n", r.stderr);
    assert.equal(r.code, 0, r.stderr);
  });
}

for (const flags of [[], smp(1), smp(2), smp(4)]) {
  // A process run on without the run queue was last preempted, not parked: PROCESS_INFO,
  // answered at the start of such a slice, must say so.
  Deno.test(`${flags.join(" ") || "one scheduler"}: a busy process woken from a receive is runnable, not waiting`, async () => {
    const r = await ttvm([...flags, PROGRAMS + "busy_status.ttvm"]);
    assert.equal(r.stdout, "runnable\n", r.stderr);
    assert.equal(r.code, 0, r.stderr);
  });
}

for (const flags of [[], smp(2), smp(4)]) {
  // Each thread counts its messages and adds them to the shared total after each slice and
  // at its end (Memory.publishMessages), so the end-of-run figure is exact.
  Deno.test(`${flags.join(" ") || "one scheduler"}: --stats counts every message sent, once`, async () => {
    const r = await ttvm([...flags, "--stats", PROGRAMS + "senders.ttvm", "20", "500"]);
    assert.equal(r.stdout, "received 10000\n", r.stderr);
    assert.match(r.stderr, /messages sent:\s+10001\n/);
  });
}

Deno.test("EXIT ends the whole run from any worker, with its code", async () => {
  const r = await ttvm([...smp(2), PROGRAMS + "exit_code.ttvm"]);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, "before exit\n");
});

Deno.test("a worker that fails is reported and the run ends non-zero instead of hanging", async () => {
  const out = await ttvm([...smp(2), PROGRAMS + "pairs.ttvm", "50", "1000"], {
    TTVM_DEBUG_CRASH_WORKER: "1",
  });
  assert.equal(out.code, 70);
  assert.match(out.stderr, /Error: worker 1 failed: injected fault/);
});

Deno.test("a worker that dies outside its own try still halts the pool (no parked survivors)", async () => {
  const out = await ttvm([...smp(4), PROGRAMS + "pairs.ttvm", "50", "1000"], {
    TTVM_DEBUG_CRASH_WORKER_OUTSIDE: "2",
  });
  assert.equal(out.code, 70, out.stderr);
  assert.match(out.stderr, /Error: worker 2 died: .*injected fault outside/);
});

/** Run ttvm and read its stdout slowly, in small pieces, so that the pipe fills up and the
 *  writers' large writes go through in parts — where unguarded writers interleave. */
async function ttvmSlowReader(args: string[]): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader({ mode: "byob" });
  const chunks: Uint8Array[] = [];
  for (let i = 0;; i++) {
    const { value, done } = await reader.read(new Uint8Array(1500));
    if (done) break;
    chunks.push(value);
    if (i % 8 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  return { code: (await child.status).code, stdout: new TextDecoder().decode(bytes) };
}

for (const workers of [2, 4]) {
  Deno.test(`smp=${workers}: 20 KB lines of several workers never interleave on a pipe`, async () => {
    const procs = 8, k = 40;
    const r = await ttvmSlowReader([
      ...smp(workers),
      PROGRAMS + "long_lines.ttvm",
      String(procs),
      String(k),
    ]);
    assert.equal(r.code, 0);
    const lines = r.stdout.split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines.length, procs * k);
    const next = new Array(procs).fill(0);
    for (const line of lines) {
      const m = /^(\d+):(\d+):([a-z])+$/.exec(line);
      assert.ok(m, `mangled line (${line.length} chars): ${line.slice(0, 80)}…`);
      const me = Number(m[1]), n = Number(m[2]);
      const letter = "abcdefghijklmnopqrstuvwxyz"[me % 26];
      assert.equal(line.length, `${me}:${n}:`.length + 16384, `line ${me}:${n} length`);
      assert.ok(line.endsWith(letter.repeat(16384)), `line ${me}:${n} has foreign bytes`);
      assert.equal(n, next[me]++, `process ${me}'s lines out of order`);
    }
  });
}

for (const workers of [2, 4]) {
  Deno.test(
    `smp=${workers}: a process sees its own sends in SYSTEM_INFO wherever its next slice runs`,
    async () => {
      // Few senders, so idle workers take a yielding process at once (the race of
      // tests/sched/slice_publish_test.ts, which a loaded machine widens).
      for (const senders of [1, 3]) {
        const r = await ttvm([
          ...smp(workers),
          PROGRAMS + "own_sends.ttvm",
          `${senders}`,
          "5000",
        ]);
        assert.equal(r.stdout, `${senders}\n`, r.stderr);
        assert.equal(r.code, 0, r.stderr);
      }
    },
  );
}
