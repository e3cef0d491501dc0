/**
 * `ttvm --reload` (LANGUAGE.md §9): a running program that calls through a freshly IMPORTed
 * function every 20 ms moves to the new code when its module file is rewritten; a version that
 * does not assemble is reported on stderr while the running one keeps printing; a later good
 * version is loaded again, one that imports a module the program did not have too, and that
 * new module's file is then watched as well. On the single scheduler and on two workers.
 */
import assert from "node:assert/strict";
import { saveAtomically } from "../save_file.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const lib = (body: string) =>
  `JMP main
LABEL tick
${body}
RET
LABEL main
MAKE_FUNCTION tick
STORE tick
EXPORT tick
HALT
`;

const ADDED = (text: string) =>
  `JMP main
LABEL t
PUSH_STR "${text}"
RET
LABEL main
MAKE_FUNCTION t
STORE added_tick
EXPORT added_tick
HALT
`;

/** Prints tick's result every 20 ms until it is "stop" (at most 1500 rounds: 30 s). */
const PROGRAM = `PUSH_INT 0
STORE i
LABEL loop
IMPORT lib.ttvm
LOAD tick
CALL_FUNCTION
DUP
PRINT
PUSH_STR "stop"
EQ
NOT
JZ done
PUSH_INT 20
SLEEP
LOAD i
PUSH_INT 1
ADD
DUP
STORE i
PUSH_INT 1500
LT
JZ done
JMP loop
LABEL done
HALT
`;

/** Collects a child's output as it arrives. */
class Collected {
  text = "";
  /** Resolves when the stream has ended (everything the child wrote is in `text`). */
  readonly done: Promise<void>;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.read(stream);
  }
  private async read(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) this.text += dec.decode(chunk, { stream: true });
  }
  lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
}

async function until(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function reloadRun(flags: string[]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ttvm_reload_" });
  const libPath = `${dir}/lib.ttvm`;
  await Deno.writeTextFile(libPath, lib(`PUSH_STR "tick v1"`));
  await Deno.writeTextFile(`${dir}/prog.ttvm`, PROGRAM);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "--reload", ...flags, "prog.ttvm"],
    cwd: dir,
    signal: AbortSignal.timeout(60_000),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = new Collected(child.stdout), err = new Collected(child.stderr);
  try {
    await until("tick v1", () => out.lines().includes("tick v1"));
    // Watching starts before the first process runs; give the watcher a moment anyway.
    await new Promise((r) => setTimeout(r, 200));
    await saveAtomically(libPath, lib(`PUSH_STR "tick v2"`));
    await until("tick v2", () => out.lines().includes("tick v2"));
    assert.match(err.text, /ttvm: reloaded .*lib\.ttvm\n/);

    await saveAtomically(libPath, lib(`PUSH_STRING "tick v3"`));
    await until("the broken version's report", () => err.text.includes("PUSH_STRING"));
    assert.match(err.text, /lib\.ttvm:3:1: unknown instruction 'PUSH_STRING'/);
    const seen = out.lines().length;
    await until("more ticks", () => out.lines().length >= seen + 5);
    assert.deepEqual(
      [...new Set(out.lines().slice(seen))],
      ["tick v2"],
      "the running version keeps running",
    );

    // A version importing a module the program did not have: that module is watched too.
    await Deno.mkdir(`${dir}/extra`);
    await saveAtomically(`${dir}/extra/added.ttvm`, ADDED("added v1"));
    await saveAtomically(
      libPath,
      lib(`IMPORT extra/added.ttvm\nLOAD added_tick\nCALL_FUNCTION`),
    );
    await until("added v1", () => out.lines().includes("added v1"));
    await new Promise((r) => setTimeout(r, 200));
    await saveAtomically(`${dir}/extra/added.ttvm`, ADDED("added v2"));
    await until("added v2", () => out.lines().includes("added v2"));

    await saveAtomically(libPath, lib(`PUSH_STR "stop"`));
    const status = await child.status;
    await Promise.all([out.done, err.done]); // the last lines may still be in the pipes
    assert.equal(status.code, 0, err.text);
    const lines = out.lines();
    assert.equal(lines.at(-1), "stop");
    // Old code until the load, new code after it: the versions appear in order, never mixed.
    const order = lines.map((l) => l.replace(/^tick /, ""));
    const versions = ["v1", "v2", "added v1", "added v2", "stop"];
    assert.deepEqual(order.filter((l, i) => i === 0 || order[i - 1] !== l), versions);
    assert.equal(err.text.match(/ttvm: reloaded/g)?.length, 4, err.text);
  } finally {
    try {
      child.kill();
    } catch {
      // already exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--reload loads a changed module, reports a broken one and keeps running (single)", async () => {
  await reloadRun([]);
});

Deno.test("--reload loads a changed module, reports a broken one and keeps running (--smp=2)", async () => {
  await reloadRun(["--smp=2"]);
});
