/**
 * Regressions of two runtime bugs found while writing examples/ports/, each a minimal program
 * from this folder that failed before the fix (its header explains the cause): a collection
 * that wrote past its to-space (the crawler on --smp=2/4 hung or the driver died on a
 * corrupted request), and SQLite binding Ints as REAL.
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
  name: "GC: a collection whose live data exceeds the planned to-space stays inside its block",
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
  name: "SQLite: an Int parameter is bound as an INTEGER, not a REAL",
  sanitizeResources: false,
  async fn() {
    const { code, stdout, stderr } = await runToEnd(["tests/examples/bug_sqlite_int_param.ttvm"]);
    assert.equal(stderr, "");
    assert.equal(stdout, "[{t: integer}]\n[{s: 200}]\n");
    assert.equal(code, 0);
  },
});
