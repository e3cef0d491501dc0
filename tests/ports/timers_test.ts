/**
 * A timer nobody waits for any more does not keep the run alive: a receive with a 60 s
 * timeout that got its message at once leaves a stale timer behind, and the run must still end
 * as soon as its processes have (it used to wait for the stale deadline). Single scheduler and
 * SMP pool.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

const PROGRAM = `
SELF
MAKE_FUNCTION child parent
SPAWN
POP
PUSH_INT 60000
RECEIVE_AFTER late
PRINT
HALT
LABEL late
PUSH_STR "timeout"
PRINT
HALT
LABEL child
LOAD parent
PUSH_STR "message"
SEND
RET
`;

for (const smp of [[], ["--smp=2"]]) {
  Deno.test(`a receive that got its message does not hold the run until its timeout ${smp.join(" ")}`, async () => {
    const file = await Deno.makeTempFile({ suffix: ".ttvm" });
    try {
      await Deno.writeTextFile(file, PROGRAM);
      const started = Date.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", ...smp, file],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const elapsedMs = Date.now() - started;
      assert.equal(new TextDecoder().decode(out.stdout), "message\n");
      assert.equal(out.code, 0);
      assert.ok(elapsedMs < 30_000, `the run took ${elapsedMs} ms`);
    } finally {
      await Deno.remove(file);
    }
  });
}
