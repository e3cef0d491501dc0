/**
 * tools/ab_inprocess.ts: both checkouts run the benchmark alternately in one process and the
 * report carries every round's time for each side, their median ratio and the median of the
 * rounds' own ratios with how many rounds the new side won; bad usage is
 * refused with status 2.
 */
import assert from "node:assert/strict";
import { runDenoScript } from "../run_deno.ts";

const abTool = (args: string[]) => runDenoScript("tools/ab_inprocess.ts", args);

Deno.test("ab_inprocess: the same checkout on both sides, 3 rounds of ring (20,000 hops), one report line", async () => {
  const r = await abTool([".", ".", "ring", "20000", "--rounds", "3"]);
  assert.equal(r.code, 0, r.stderr);
  const m =
    /^ring 20000: old (\d+) (\d+) (\d+) \| new (\d+) (\d+) (\d+) \| median new\/old (\d+\.\d{3}) \| median paired ratio (\d+\.\d{3}), new faster in (\d) of 3 rounds\n$/
      .exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(r.stderr.match(/^round \d\/3: old \d+ ms, new \d+ ms$/gm)?.length, 3, r.stderr);
  const times = m.slice(1, 7).map(Number);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
  const ratio = median(times.slice(3)) / median(times.slice(0, 3));
  assert.equal(Number(m[7]), Number(ratio.toFixed(3)));
  const paired = times.slice(3).map((ms, i) => ms / times[i]);
  assert.equal(Number(m[8]), Number(median(paired).toFixed(3)));
  assert.equal(Number(m[9]), paired.filter((x) => x < 1).length);
});

Deno.test("ab_inprocess: missing arguments are a usage error (status 2)", async () => {
  const r = await abTool([".", "."]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^usage: /);
});
