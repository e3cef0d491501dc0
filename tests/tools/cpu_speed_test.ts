/**
 * tools/cpu_speed.ts: the per-CPU probe that bench:compare records in its report — a time for
 * every logical CPU where `taskset` can pin, the spread of those times, and the report's
 * warning only when the CPUs differed by more than SPREAD_WARN.
 */
import assert from "node:assert/strict";
import {
  cpuSpeedLine,
  cpuSpread,
  describeCpuSpeeds,
  probeCpuSpeeds,
  SPREAD_WARN,
  tasksetWorks,
} from "../../tools/cpu_speed.ts";

Deno.test("the probe times every logical CPU, or says it cannot without taskset", async () => {
  const speeds = await probeCpuSpeeds(navigator.hardwareConcurrency, 1);
  if (!await tasksetWorks()) {
    assert.equal(speeds, null);
    return;
  }
  assert.ok(speeds !== null);
  assert.deepEqual(speeds.cpus, Array.from({ length: navigator.hardwareConcurrency }, (_, i) => i));
  assert.equal(speeds.msPerCpu.length, speeds.cpus.length);
  for (const ms of speeds.msPerCpu) assert.ok(ms > 0 && ms < 10_000, `probe took ${ms} ms`);
  assert.ok(cpuSpread(speeds) >= 1);
});

Deno.test("the spread is the slowest CPU's time over the fastest's", () => {
  const s = { cpus: [0, 1, 2], msPerCpu: [6, 9, 7.5] };
  assert.equal(cpuSpread(s), 1.5);
  assert.equal(
    describeCpuSpeeds(s),
    "CPU 0 6.0 ms, CPU 1 9.0 ms, CPU 2 7.5 ms (the slowest 1.50× the fastest)",
  );
  assert.equal(describeCpuSpeeds(null), "not probed (needs Linux and `taskset`)");
});

Deno.test("the report warns only when the CPUs differed by more than SPREAD_WARN", () => {
  const even = { cpus: [0, 1], msPerCpu: [5.5, 5.5 * (SPREAD_WARN - 0.01)] };
  const uneven = { cpus: [0, 1], msPerCpu: [5.5, 5.5 * (SPREAD_WARN + 0.01)] };
  assert.doesNotMatch(cpuSpeedLine(even, even), /different speeds/);
  assert.doesNotMatch(cpuSpeedLine(null, null), /different speeds/);
  assert.match(cpuSpeedLine(even, uneven), /\*\*The CPUs computed at different speeds\*\*/);
  assert.match(cpuSpeedLine(uneven, null), /after: not probed/);
});
