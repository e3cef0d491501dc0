/**
 * KNOWN RUNTIME BUGS found while writing examples/ports/ (the example team may not edit src/).
 * Each test runs a minimal program from this folder and asserts the CORRECT result: they FAIL
 * until the runtime is fixed, and then they guard the fix. The programs' headers explain the
 * cause; the crawler tests on --smp=2/4 in ports_examples_test.ts fail (hang, or the driver's
 * "internal error: bad tag … in cell …") because of the first one.
 */
import assert from "node:assert/strict";
import { TtvmProcess } from "./ports_lib.ts";

async function runToEnd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = new TtvmProcess(args);
  try {
    return await run.finish();
  } finally {
    await run.kill();
  }
}

Deno.test({
  name:
    "KNOWN RUNTIME BUG (src/term/gc.ts): a collection whose live data exceeds the planned to-space writes past its block",
  sanitizeResources: false,
  async fn() {
    const { code, stdout, stderr } = await runToEnd([
      "tests/examples/bug_gc_to_space_overflow.ttvm",
    ]);
    assert.equal(stderr, "");
    assert.equal(stdout, ["10", ...Array(10).fill("50")].join("\n") + "\n");
    assert.equal(code, 0);
  },
});

Deno.test({
  name: "KNOWN RUNTIME BUG (src/ports/db.ts): an Int parameter is bound to SQLite as a REAL",
  sanitizeResources: false,
  async fn() {
    const { code, stdout, stderr } = await runToEnd(["tests/examples/bug_sqlite_int_param.ttvm"]);
    assert.equal(stderr, "");
    assert.equal(stdout, "[{t: integer}]\n[{s: 200}]\n");
    assert.equal(code, 0);
  },
});
