/**
 * The slice runner ends a slice's trace record while the process is still RUNNING, before it
 * becomes visible to other threads again (requeued, parked, exited). On the SMP pool another
 * worker may take the process the moment it is visible; a slice end recorded after that could
 * land after the process's next slice began, or after its exit, on the other worker's track
 * (seen as "a slice of pid 6 after its exit" in 1 of 30 --trace-procs runs on --smp=2).
 * Checked on the single scheduler, where each slice's end can be compared with the process's
 * status at that moment.
 */
import assert from "node:assert/strict";
import { ST_RUNNING } from "../../src/proc/table.ts";
import type { SliceTracer } from "../../src/sched/slice.ts";
import { runWith } from "../jit/helpers.ts";

const PROGRAM = Deno.readTextFileSync(
  new URL("../observe/programs/trace_demo.ttvm", import.meta.url),
);

Deno.test("a slice's trace record ends while its process is still RUNNING (every outcome)", async () => {
  let open = 0, ended = 0;
  const notRunning: string[] = [];
  const run = await runWith(PROGRAM, "on", { reductions: 7 }, (vm) => {
    const tracer: SliceTracer = {
      begin(pid) {
        open = pid;
      },
      cancel() {
        open = 0;
      },
      end(pid) {
        if (open !== pid) return; // already ended (as the recorder does)
        const status = vm.procs.table.status(pid);
        if (status !== ST_RUNNING) notRunning.push(`pid ${pid} status ${status}`);
        open = 0;
        ended++;
      },
    };
    vm.scheduler.tracer = tracer;
  });
  assert.equal(run.exitCode, 0);
  assert.equal(run.stdout, "done\n");
  assert.ok(ended > 50, `only ${ended} slices`);
  assert.deepEqual(notRunning.slice(0, 5), []);
  assert.equal(open, 0, "a slice was left open");
});
