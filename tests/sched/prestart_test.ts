/**
 * main.ts starts the SMP workers before loading the runtime only for a command line that runs
 * a program with --smp; the guess reads the options before the program path.
 */
import assert from "node:assert/strict";
import { smpWorkersRequested } from "../../src/sched/prestart.ts";

Deno.test("--smp=N, --smp N and a bare --smp (one per core) before the program start N workers", () => {
  assert.equal(smpWorkersRequested(["--smp=2", "prog.ttvm"], 8), 2);
  assert.equal(smpWorkersRequested(["--smp", "3", "prog.ttvm"], 8), 3);
  assert.equal(smpWorkersRequested(["--smp", "prog.ttvm"], 8), 8);
  assert.equal(smpWorkersRequested(["--stats", "--smp=4", "prog.ttb", "x"], 2), 4);
  assert.equal(smpWorkersRequested(["--reductions", "200", "--smp=2", "p.ttvm"], 2), 2);
});

Deno.test("no pool is started for a single-scheduler run, a subcommand or --smp after the program", () => {
  assert.equal(smpWorkersRequested(["prog.ttvm", "--smp=2"], 2), null);
  assert.equal(smpWorkersRequested(["--stats", "prog.ttvm"], 2), null);
  assert.equal(smpWorkersRequested(["compile", "--smp=2", "prog.ttvm"], 2), null);
  assert.equal(smpWorkersRequested(["test", "--smp"], 2), null);
  assert.equal(smpWorkersRequested([], 2), null);
  assert.equal(smpWorkersRequested(["--", "--smp=2"], 2), null);
});

Deno.test("a count the CLI would refuse starts nothing (the CLI reports it)", () => {
  assert.equal(smpWorkersRequested(["--smp=0", "p.ttvm"], 2), null);
  assert.equal(smpWorkersRequested(["--smp=abc", "p.ttvm"], 2), null);
  assert.equal(smpWorkersRequested(["--smp=999", "p.ttvm"], 2), null);
});
