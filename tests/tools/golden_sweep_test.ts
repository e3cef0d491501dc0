/**
 * The golden sweep tool (tools/golden_sweep.ts), run as `deno task sweep` would run it: it
 * counts the runs it made, exits 0 when all matched, and rejects bad usage with status 2.
 */
import assert from "node:assert/strict";
import { runDenoScript } from "../run_deno.ts";

const sweep = (args: string[]) => runDenoScript("tools/golden_sweep.ts", args);

Deno.test("golden sweep: repeats the chosen programs in each mode and reports a clean result", async () => {
  const r = await sweep([
    "--runs",
    "2",
    "--modes",
    "source,smp2",
    "--filter",
    "examples/hello.ttvm",
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, "4 runs of 1 programs, 0 mismatches\n");
  assert.match(r.stderr, /sweep: 4\/4 runs, 0 mismatches/);
});

Deno.test("golden sweep: an unknown mode or a bad count is a usage error (status 2)", async () => {
  const badMode = await sweep(["--modes", "smp9"]);
  assert.equal(badMode.code, 2);
  assert.match(badMode.stderr, /unknown mode 'smp9'/);
  const badRuns = await sweep(["--runs", "0"]);
  assert.equal(badRuns.code, 2);
  assert.match(badRuns.stderr, /--runs needs a positive integer/);
  const nothing = await sweep(["--filter", "no/such/program"]);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /no golden program matches/);
});
